"""The committed notes are exactly what `dsmw derive` generates (no drift)."""

from __future__ import annotations

from pathlib import Path

from derive.notes import DEFAULT_ORDER, derived_notes

NOTES = Path(__file__).resolve().parent.parent / "notes"


def test_notes_match_the_derivations() -> None:
    drifted = [name for name, text in derived_notes(DEFAULT_ORDER).items()
               if not (NOTES / name).is_file()
               or (NOTES / name).read_text(encoding="utf-8") != text]
    assert not drifted, f"notes out of date, run `dsmw derive`: {drifted}"

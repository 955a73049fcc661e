"""The notes ``dsmw derive`` writes: file name -> text (no I/O here)."""

from __future__ import annotations

from derive._claims._registry import CLAIM_IDS, claims
from derive.render import render_claim, render_index
from derive.render_weightings import render_weightings_note
from derive.theory import theory_note

__all__ = ["DEFAULT_ORDER", "NOTE_NAMES", "derived_notes"]

DEFAULT_ORDER = 4
#: The file names :func:`derived_notes` returns, known before anything is derived.
NOTE_NAMES = ("index.md", *(f"{cid}.md" for cid in CLAIM_IDS), "weightings.md", "theory.md")


def derived_notes(max_order: int = DEFAULT_ORDER) -> dict[str, str]:
    """``{"index.md": ..., "C1.md": ..., "weightings.md": ...}``, deterministic."""
    all_claims = claims(max_order)
    files = {"index.md": render_index(all_claims, max_order)}
    files.update({f"{c.id}.md": render_claim(c) for c in all_claims})
    files["weightings.md"] = render_weightings_note()
    files["theory.md"] = theory_note(max_order)
    assert tuple(files) == NOTE_NAMES, tuple(files)  # the names checked before deriving
    return files

"""``dsmw derive``: regenerate ``notes/`` from the SymPy derivations (or --check them).

Not named ``derive``: that is the top-level package this command calls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from numeric.cli._app import EXIT_FAILED, EXIT_OK, EXIT_USAGE, describe, error

__all__ = ["MAX_DERIVE_ORDER", "add_parser", "run"]

#: Highest order ``dsmw derive --order`` accepts (the notes of order 12 take ~10 s).
MAX_DERIVE_ORDER = 12


def add_parser(sub: Any) -> None:
    """Register ``dsmw derive`` on the subparsers ``sub``."""
    derive = sub.add_parser("derive", help="regenerate notes/ from the SymPy derivations",
                            description="Derive claims C1-C7 with SymPy and write Markdown "
                            "notes (one file per claim, an index and the weighting table).")
    derive.add_argument("--order", type=int,
                        default=None, help="highest order of the order-n derivations "
                        f"(default 4, at most {MAX_DERIVE_ORDER})")
    derive.add_argument("--out", default="notes", help="output directory (default: notes)")
    derive.add_argument("--json", action="store_true",
                        help="write nothing; print every claim's proof record (steps with "
                        "lhs, rhs, status, generality, chain, witnesses) as strict JSON")
    derive.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the files that are missing or would "
                        "change (or if a derivation step is refuted)")
    derive.set_defaults(handler=run)


def _check_order_budget(order: int | None) -> None:
    """The command's time budget on the order (derive itself takes any order >= 1)."""
    from numeric._validation import BudgetExceededError

    if order is not None and not 1 <= order <= MAX_DERIVE_ORDER:
        raise BudgetExceededError("--order", order, f"--order takes integers from 1 to "
                                  f"{MAX_DERIVE_ORDER}",
                                  f"pass an order from 1 to {MAX_DERIVE_ORDER}")


def run(args: argparse.Namespace) -> int:
    """Derive the notes, compare them with ``--out`` and write (or list) the changed ones."""
    from numeric._io import atomic_write_text, check_output_dir
    from numeric._validation import InvalidArgumentError

    _check_order_budget(args.order)
    if args.json:
        return _print_records(args)
    out = Path(args.out)
    if args.check and not (out / "index.md").is_file():
        raise InvalidArgumentError(
            "--out", args.out, "there are no notes to compare with (no index.md there)",
            "run from the repository root, pass --out DIR of existing notes, or drop --check "
            "to write them")
    from derive.notes import NOTE_NAMES

    if not args.check:
        check_output_dir("--out", out, NOTE_NAMES)  # before the derivations, not after
    from derive import claim, claims
    from derive.notes import DEFAULT_ORDER, derived_notes

    if sys.stderr.isatty():  # SymPy takes 7-20 s: say so rather than sit silent
        print("dsmw derive: deriving C1-C7 and theory.md with SymPy ...", file=sys.stderr)
    order = DEFAULT_ORDER if args.order is None else args.order
    files = derived_notes(order)
    refuted = [(c.id, step) for c in (*claims(order), claim("P1"))
               for step in c.refuted_steps]
    for cid, step in refuted:
        error(args, f"{cid} refuted: step \"{step.text}\": {step.detail}")

    def current(name: str) -> str | None:
        try:
            return (out / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    changed = [name for name, text in files.items() if current(name) != text]
    if args.check:
        for name in changed:
            state = "would change" if (out / name).is_file() else "missing"
            print(f"{state}: {out / name}")
        if not changed:
            print(f"{out}: {len(files)} notes up to date")
        return EXIT_FAILED if changed or refuted else EXIT_OK
    written = []
    try:
        for name in changed:
            written.append(atomic_write_text(out / name, files[name]))
    except OSError as exc:
        error(args, f"writing {out} failed after {len(written)} of {len(changed)} notes "
              f"({describe(exc)}); no note is half-written, rerun when it is writable")
        return EXIT_USAGE
    print(f"{out}: wrote {len(changed)} of {len(files)} notes")
    return EXIT_FAILED if refuted else EXIT_OK


def _print_records(args: argparse.Namespace) -> int:
    """``--json``: the proof records of C1-C7 and P1, nothing written."""
    from derive import claim, claims
    from derive.notes import DEFAULT_ORDER
    from numeric._io import strict_json

    order = DEFAULT_ORDER if args.order is None else args.order
    records = [c.to_dict() for c in (*claims(order), claim("P1"))]
    print(strict_json({"order": order, "claims": records}))
    return EXIT_FAILED if any(r["status"] == "refuted" for r in records) else EXIT_OK

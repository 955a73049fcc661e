"""``dsmw reliability``: measure the verifier's reliability and write notes/reliability.md.

The plan (which experiments, at which rates) is the library's
:func:`numeric.audit.reliability_plan`, which also checks the arguments; this
module checks the destination before running it, and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from numeric.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_quiet,
    describe,
    error,
    progress_enabled,
)

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``dsmw reliability`` on the subparsers ``sub``."""
    from numeric.audit import MAX_REPETITIONS  # NumPy only: --help stays fast

    reliability = sub.add_parser(
        "reliability", help="measure the false-alarm rate, run the mutants, write "
        "notes/reliability.md",
        description="Measure the Monte Carlo check's false-alarm rate on true formulas over "
        "seeded repetitions, run every mutant, let Hypothesis find a point where W* < "
        "sigma^2, and write the results to notes/reliability.md (about 20 minutes on 2 cores).")
    reliability.add_argument("--repetitions", type=int,
                             default=None, help="seeded repetitions per nominal rate "
                             f"(default 1000, at most {MAX_REPETITIONS})")
    reliability.add_argument("--seed", type=int, default=None,
                             help="seed (default: the verify seed)")
    reliability.add_argument("--out", default="notes", help="output directory (default: notes)")
    reliability.add_argument("--mutants-only", action="store_true",
                             help="only rerun the mutants and refresh their table in the "
                             "existing reliability.md (about 2 minutes)")
    add_quiet(reliability)
    reliability.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the reliability plan (or only the mutants) and write the note."""
    from numeric._io import atomic_write_text, check_output_dir
    from numeric.audit import reliability_plan

    # None: the library's defaults (1000 repetitions, the verify seed)
    given = {name: getattr(args, name) for name in ("repetitions", "seed")
             if getattr(args, name) is not None}
    plan = reliability_plan(**given)
    out = check_output_dir("--out", Path(args.out), ("reliability.md",))  # before the run
    if args.mutants_only:
        return _refresh_mutants(out, plan.seed)
    from numeric.cli._progress import progress_printer

    result = plan.run(progress=progress_printer(progress_enabled(args), lambda label: label,
                                                command="dsmw reliability"))
    text = result.notes()
    try:
        atomic_write_text(out / "reliability.md", text)
    except OSError as exc:  # the run is done: never lose it
        print(text)
        error(args, f"writing {out / 'reliability.md'} failed ({describe(exc)}); the note "
              "is printed above")
        return EXIT_USAGE
    for r in result.rates:
        print(f"false-alarm rate ({r.errors} errors) at nominal {r.nominal:g}: "
              f"{r.rejections}/{r.repetitions} = "
              f"{r.observed:.4f} (95% interval {r.low:.4f}-{r.high:.4f})")
    print(f"mutants caught: {sum(m.caught for m in result.mutants)}/{len(result.mutants)}")
    print(f"wrote {out / 'reliability.md'}")
    return EXIT_OK if result.passed else EXIT_FAILED


def _refresh_mutants(out: Path, seed: int) -> int:
    from numeric._io import atomic_write_text
    from numeric._validation import InvalidArgumentError
    from numeric.audit import refresh_mutant_section, run_mutants

    path = out / "reliability.md"
    if not path.is_file():
        raise InvalidArgumentError("--out", str(out), "no reliability.md to refresh there",
                                   "run `dsmw reliability` once without --mutants-only")
    mutants = run_mutants(seed, quick=True)
    atomic_write_text(path, refresh_mutant_section(path.read_text(encoding="utf-8"),
                                                   mutants))
    print(f"mutants caught: {sum(m.caught for m in mutants)}/{len(mutants)}")
    print(f"refreshed the mutant table of {path}")
    return EXIT_OK if all(m.caught for m in mutants) else EXIT_FAILED

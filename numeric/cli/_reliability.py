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
    check_jobs_budget,
    describe,
    error,
    progress_enabled,
)

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``dsmw reliability`` on the subparsers ``sub``."""
    from numeric.audit import MAX_REPETITIONS, QUICK_REPETITIONS  # NumPy only: --help stays fast

    reliability = sub.add_parser(
        "reliability", help="measure every Monte Carlo check's false-alarm rate, run the "
        "mutants, write notes/reliability.md",
        description="Run every Monte Carlo check of dsmw verify on the true formulas over "
        "seeded repetitions and measure its false-alarm rate at nominal 5%% and 1%% (Wilson "
        "intervals simultaneous over the table), run every mutant, let Hypothesis find a "
        "point where W* < sigma^2, and write the results to notes/reliability.md. Exit 1 if "
        "a check over-rejects or a mutant survives. The full run takes about 25 minutes on "
        f"2 cores, --quick ({QUICK_REPETITIONS} repetitions, the configuration of verify "
        "--quick) about 4.")
    reliability.add_argument("--quick", action="store_true",
                             help=f"{QUICK_REPETITIONS} repetitions of the checks of verify "
                             "--quick only; prints the rates, and writes the note only "
                             "with --out")
    reliability.add_argument("--repetitions", type=int,
                             default=None, help="seeded repetitions per check (default 1000, "
                             f"{QUICK_REPETITIONS} with --quick; at most {MAX_REPETITIONS})")
    reliability.add_argument("--seed", type=int, default=None,
                             help="seed (default: the verify seed)")
    reliability.add_argument("--jobs", type=int, default=None, metavar="N",
                             help="worker processes (default: one per available core); the "
                             "rates do not depend on N")
    reliability.add_argument("--study", action="store_true",
                             help="also measure the C8 study's Monte Carlo cross-check "
                             "(about 8 more minutes)")
    reliability.add_argument("--out", default=None,
                             help="output directory (default: notes; with --quick, none)")
    reliability.add_argument("--mutants-only", action="store_true",
                             help="only rerun the mutants and refresh their table in the "
                             "existing reliability.md (under a minute)")
    add_quiet(reliability)
    reliability.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the reliability plan (or only the mutants) and write the note."""
    from numeric._io import atomic_write_text, check_output_dir
    from numeric.audit import reliability_plan
    from numeric.cli._progress import available_cores, single_threaded_blas

    check_jobs_budget(args.jobs)
    # None: the library's defaults (1000 or 200 repetitions, the verify seed)
    given = {name: getattr(args, name) for name in ("repetitions", "seed")
             if getattr(args, name) is not None}
    plan = reliability_plan(**given, quick=args.quick, study=args.study,
                            jobs=available_cores() if args.jobs is None else args.jobs)
    folder = args.out if args.out is not None else (None if args.quick else "notes")
    # the destination is judged before the run
    out = None if folder is None else check_output_dir("--out", Path(folder),
                                                        ("reliability.md",))
    if args.mutants_only:
        return _refresh_mutants(out or check_output_dir("--out", Path("notes"),
                                                        ("reliability.md",)), plan.seed)
    single_threaded_blas()
    from numeric.cli._progress import progress_printer

    result = plan.run(progress=progress_printer(progress_enabled(args), lambda label: label,
                                                command="dsmw reliability"))
    print(format_rates(result))
    if out is not None:
        text = result.notes()
        try:
            atomic_write_text(out / "reliability.md", text)
        except OSError as exc:  # the run is done: never lose it
            print(text)
            error(args, f"writing {out / 'reliability.md'} failed ({describe(exc)}); the "
                  "note is printed above")
            return EXIT_USAGE
        print(f"wrote {out / 'reliability.md'}")
    return EXIT_OK if result.passed else EXIT_FAILED


def format_rates(result: Any) -> str:
    """The rate table as text: one line per check, both nominal rates side by side."""
    by_check: dict[tuple[str, str, str], list[Any]] = {}
    for r in result.rates:
        by_check.setdefault((r.claim, r.name, r.configuration), []).append(r)
    width = max(len(name) for _, name, _ in by_check)
    rates = [r.nominal for r in next(iter(by_check.values()))]
    head = "  ".join(f"{'at ' + format(rate, 'g'):>22s}" for rate in rates)
    lines = [f"false-alarm rates on true formulas ({result.rates[0].repetitions} runs per "
             f"check; intervals simultaneous at {result.rates[0].confidence:.5f} each):",
             f"{'claim':5s} {'check':{width}s} {'config':6s} {head}  verdict"]
    for (claim, name, configuration), rows in by_check.items():
        cells = "  ".join(f"{r.rejections:>4d}/{r.repetitions - r.crashes:<4d} "
                          f"[{r.low:.3f},{r.high:.3f}]" for r in rows)
        verdicts = sorted({r.verdict for r in rows}, key=("over-rejects", "crashed",
                                                          "conservative", "calibrated").index)
        lines.append(f"{claim:5s} {name:{width}s} {configuration:6s} {cells}  "
                     f"{', '.join(verdicts)}")
    bad = result.miscalibrated
    lines.append(f"{len(result.rates)} rates: {len(bad)} miscalibrated" + (
        " (" + "; ".join(f"{r.claim} {r.name} at {r.nominal:g}: {r.verdict}" for r in bad)
        + ")" if bad else ""))
    for r in result.study:
        lines.append(f"C8 study cross-check ({r.errors}) at {r.nominal:g}: "
                     f"{r.rejections}/{r.repetitions} = {r.observed:.4f} "
                     f"(95% interval {r.low:.4f}-{r.high:.4f})")
    lines.append(f"mutants caught: {sum(m.caught for m in result.mutants)}/"
                 f"{len(result.mutants)}")
    return "\n".join(lines)


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

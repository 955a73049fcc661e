"""``dsmw``: the command line of the DSM-weighting verifier.

Heavy modules (SymPy, the checks) are imported inside the subcommands so that
``dsmw --help`` stays instant. Exit status: 0 success, 1 a check failed or a
claim was refuted, 2 bad usage or bad input (message, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 as well; keep its format
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _derive_errors() -> type[Exception]:
    from derive._validation import InvalidArgumentError

    return InvalidArgumentError


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dsm-weighting")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _claims_arg(text: str) -> list[str]:
    return [part for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dsmw",
        description="Derive and verify the optimal weighting of denoising score matching "
        "(claims C1-C9 of THEORY.md) on analytic Gaussian mixtures.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    verify = sub.add_parser("verify", help="run every numerical check of the claims",
                            description="Check each claim against independent references "
                            "(exact posterior moments, mpmath quadrature, Monte Carlo).")
    verify.add_argument("--seed", type=int, default=None,
                        help="seed of every random draw (default: a fixed seed, reported)")
    verify.add_argument("--quick", action="store_true", help="a smaller run, e.g. for CI")
    verify.add_argument("--json", action="store_true", help="print a machine-readable report")
    verify.add_argument("--claims", type=_claims_arg, default=None, metavar="C1,C2,...",
                        help="only these claims (comma-separated ids)")
    verify.add_argument("--alpha", type=float, default=None,
                        help="family-wise false-alarm rate of the Monte Carlo checks "
                        "(default 1e-4)")
    verify.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes (default: one per available core); "
                        "the report does not depend on N")
    verify.add_argument("--mutants", action="store_true",
                        help="instead, run every deliberately wrong formula (mutant) through "
                        "the checks; exit 1 if any survives")
    verify.set_defaults(handler=_cmd_verify)

    derive = sub.add_parser("derive", help="regenerate notes/ from the SymPy derivations",
                            description="Derive claims C1-C7 with SymPy and write Markdown "
                            "notes (one file per claim, an index and the weighting table).")
    derive.add_argument("--order", type=int, default=None,
                        help="highest order of the order-n derivations (default 4)")
    derive.add_argument("--out", default="notes", help="output directory (default: notes)")
    derive.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the files that would change")
    derive.set_defaults(handler=_cmd_derive)

    reliability = sub.add_parser(
        "reliability", help="measure the false-alarm rate, run the mutants, write "
        "notes/reliability.md",
        description="Measure the Monte Carlo check's false-alarm rate on true formulas over "
        "seeded repetitions, run every mutant, let Hypothesis find a point where W* < "
        "sigma^2, and write the results to notes/reliability.md (about 20 minutes on 2 cores).")
    reliability.add_argument("--repetitions", type=int, default=1000,
                             help="seeded repetitions per nominal rate (default 1000)")
    reliability.add_argument("--seed", type=int, default=None,
                             help="seed (default: the verify seed)")
    reliability.add_argument("--out", default="notes", help="output directory (default: notes)")
    reliability.set_defaults(handler=_cmd_reliability)

    study = sub.add_parser(
        "study", help="gradient-variance (C8) and training (C9) studies of the weightings",
        description="Compare the weighting zoo (uniform, sigma^2, oracle W*, E[W*], EDM, "
        "Min-SNR, likelihood) on 1-D Gaussian mixtures: 'gradients' computes per-sample "
        "gradient covariance, curvature and sandwich under three normalisations (C8); "
        "'training' runs SGD and Adam over seeds and step sizes (C9).")
    study.add_argument("which", choices=("gradients", "training"), help="which study")
    study.add_argument("--seed", type=int, default=None,
                       help="seed of every random draw (default: a fixed seed, reported)")
    study.add_argument("--quick", action="store_true",
                       help="a smaller run (under a minute on 2 cores)")
    study.add_argument("--json", action="store_true", help="print the results as JSON")
    study.add_argument("--plots", metavar="DIR", default=None,
                       help="write matplotlib PNGs into DIR (needs the 'plots' extra)")
    study.add_argument("--save", metavar="DIR", default=None,
                       help="write DIR/study-<which>.json and regenerate DIR/study.md "
                       "(use --save notes for the published note)")
    study.set_defaults(handler=_cmd_study)

    check = sub.add_parser(
        "check", help="verify your own formula for the mean, covariance or weight",
        description="Check a formula (SymPy syntax, d = 1) for the conditional mean, "
        "conditional covariance or optimal weight of the order-N DSM target: first "
        "symbolically against the derivation, then numerically on simple and random "
        "Gaussian mixtures, reporting the smallest counterexample. Vocabulary: sigma, "
        "m1, m2, ... (m_k = p_sigma^(k)/p_sigma at x~), s (= m1, the score), "
        "h (= (log p_sigma)''). Exit 0 holds, 1 refuted, 2 bad input.",
        epilog="example: dsmw check '1/sigma**2 + h' --quantity covariance --order 1 "
        "(put -- before a formula that starts with '-': dsmw check -- '-m1' ...)")
    check.add_argument("expression", metavar="EXPR", help="the formula, e.g. '1/sigma**2 + h'")
    check.add_argument("--quantity", choices=("mean", "covariance", "weight"),
                       default="covariance", help="what the formula claims to be "
                       "(default: covariance)")
    check.add_argument("--order", type=int, default=1, help="order n of the target (default 1)")
    check.add_argument("--noise", default="gaussian",
                       help="gaussian (default), logistic or student_t:NU")
    check.add_argument("--seed", type=int, default=0, help="seed of the random cases")
    check.add_argument("--json", action="store_true", help="print a machine-readable verdict")
    check.set_defaults(handler=_cmd_check)

    from numeric.data_cli import add_data_parser

    add_data_parser(sub)
    return parser


def _progress_printer(enabled: bool, describe=lambda task: f"{task.claim}: {task.name}"):
    if not enabled:
        return None

    start = time.perf_counter()

    def show(done: int, total: int, item: Any) -> None:
        label = describe(item) if done < total else "done"
        filled = int(20 * done / max(total, 1))
        bar = "#" * filled + "." * (20 - filled)
        elapsed = time.perf_counter() - start
        sys.stderr.write(f"\r[{bar}] {done:>3}/{total} {elapsed:5.0f}s {label[:50]:<50}")
        if done >= total:
            sys.stderr.write("\r" + " " * 90 + "\r")
        sys.stderr.flush()

    return show


def _available_cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _cmd_verify(args: argparse.Namespace) -> int:
    from numeric.checks import DEFAULT_SEED, verify
    from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

    seed = DEFAULT_SEED if args.seed is None else args.seed
    alpha = DEFAULT_FALSE_ALARM_RATE if args.alpha is None else args.alpha
    if args.mutants:
        return _cmd_mutants(args, seed, alpha)
    progress = _progress_printer(sys.stderr.isatty() and not args.json)
    jobs = _available_cores() if args.jobs is None else args.jobs
    report = verify(args.claims, seed=seed, quick=args.quick, alpha=alpha, progress=progress,
                    jobs=jobs)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        from numeric.report import format_verify_report

        print(format_verify_report(report))
    return EXIT_OK if report.passed else EXIT_FAILED


def _cmd_mutants(args: argparse.Namespace, seed: int, alpha: float) -> int:
    from numeric.mutants import MUTANTS, run_mutants

    chosen = MUTANTS if not args.claims else tuple(
        m for m in MUTANTS if set(m.claims) & {c.strip().upper() for c in args.claims})
    progress = _progress_printer(sys.stderr.isatty() and not args.json,
                                 lambda mutant: f"{','.join(mutant.claims)}: {mutant.name}")
    results = run_mutants(seed, quick=True, alpha=alpha, mutants=chosen, progress=progress)
    survivors = [r for r in results if not r.caught]
    if args.json:
        print(json.dumps({"mutants": [r.to_dict() for r in results],
                          "all_caught": not survivors, "seed": seed}, indent=2))
    else:
        from numeric.report import format_mutant_report

        print(format_mutant_report(results, seed))
    return EXIT_FAILED if survivors else EXIT_OK


def _cmd_study(args: argparse.Namespace) -> int:
    from numeric.study import report, runner

    if args.plots is not None:
        report._pyplot(args.plots)  # fail early, before a long run, if matplotlib is missing
    seed = runner.DEFAULT_STUDY_SEED if args.seed is None else args.seed
    if seed < 0:
        from numeric._validation import InvalidArgumentError

        raise InvalidArgumentError("--seed", seed, "seeds are non-negative integers",
                                   "pass e.g. --seed 0")
    show = _progress_printer(sys.stderr.isatty() and not args.json, lambda label: label)
    run = runner.gradient_study if args.which == "gradients" else runner.training_study

    def progress(done: int, total: int, label: str) -> None:
        if show is not None:
            show(done, total, label)

    result = run(quick=args.quick, seed=seed, progress=progress)
    written = []
    if args.plots is not None:
        written += report.write_plots(args.plots, **{args.which: result})
    if args.save is not None:
        written += report.save_study(result, args.save)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        summary = (report.format_gradient_summary if args.which == "gradients"
                   else report.format_training_summary)
        print(summary(result))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK


def _cmd_derive(args: argparse.Namespace) -> int:
    from pathlib import Path

    from derive.notes import DEFAULT_ORDER, derived_notes

    files = derived_notes(DEFAULT_ORDER if args.order is None else args.order)
    out = Path(args.out)
    changed = [name for name, text in files.items()
               if not (out / name).is_file()
               or (out / name).read_text(encoding="utf-8") != text]
    if args.check:
        for name in changed:
            print(f"would change: {out / name}")
        if not changed:
            print(f"{out}: {len(files)} notes up to date")
        return EXIT_FAILED if changed else EXIT_OK
    out.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (out / name).write_text(files[name], encoding="utf-8")
    print(f"{out}: wrote {len(changed)} of {len(files)} notes")
    return EXIT_OK


def _cmd_reliability(args: argparse.Namespace) -> int:
    from pathlib import Path

    from numeric._validation import check_order
    from numeric.checks import DEFAULT_SEED
    from numeric.mutants import run_mutants
    from numeric.reliability import (
        false_alarm_rate,
        find_weight_below_heuristic,
        joint_false_alarm_rate,
        reliability_notes,
        study_false_alarm_rate,
    )

    repetitions = check_order(args.repetitions, name="repetitions")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    rates = [false_alarm_rate(repetitions, alpha, seed, errors=errors)
             for errors in ("known", "estimated") for alpha in (0.05, 0.01)]
    rates += [joint_false_alarm_rate(repetitions, alpha, seed, errors)
              for errors in ("known", "estimated") for alpha in (0.05, 0.01)]
    rates += [study_false_alarm_rate(repetitions, 0.05, seed, model, errors)
              for model in ("means", "features") for errors in ("known", "estimated")]
    mutants = run_mutants(seed, quick=True)
    text = reliability_notes(rates, mutants, find_weight_below_heuristic(seed), seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "reliability.md").write_text(text, encoding="utf-8")
    for r in rates:
        print(f"false-alarm rate ({r.errors} errors) at nominal {r.nominal:g}: "
              f"{r.rejections}/{r.repetitions} = "
              f"{r.observed:.4f} (95% interval {r.low:.4f}-{r.high:.4f})")
    print(f"mutants caught: {sum(m.caught for m in mutants)}/{len(mutants)}")
    print(f"wrote {out / 'reliability.md'}")
    ok = all(r.consistent for r in rates if r.errors.startswith("known")) and all(
        m.caught for m in mutants)
    return EXIT_OK if ok else EXIT_FAILED


def _cmd_check(args: argparse.Namespace) -> int:
    from numeric.user_check import check_formula, format_verdict

    verdict = check_formula(args.expression, args.quantity, args.order, args.noise, args.seed)
    print(json.dumps(verdict.to_dict(), indent=2) if args.json else format_verdict(verdict))
    return EXIT_OK if verdict.holds else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    from numeric._validation import InvalidArgumentError

    try:
        return int(args.handler(args))
    except (InvalidArgumentError, _derive_errors()) as exc:
        print(f"dsmw {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dsmw: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``dsmw``: the command line of the DSM-weighting verifier.

Heavy modules (SymPy, the checks) are imported inside the subcommands so that
``dsmw --help`` stays instant. Exit status: 0 success, 1 a check failed or a
claim was refuted, 2 bad usage, bad input, an exceeded budget or an environment
problem (one message, no traceback). The words and budgets are explained in
``notes/theory.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Highest order ``dsmw derive --order`` accepts (the notes of order 12 take ~10 s).
MAX_DERIVE_ORDER = 12
#: Most worker processes of ``dsmw verify --jobs``.
MAX_JOBS = 64
#: Most repetitions of ``dsmw reliability`` (1000 take about 20 minutes on 2 cores).
MAX_REPETITIONS = 100_000
#: Wall-clock budget of one ``dsmw check`` (seconds).
CHECK_SECONDS = 120.0
#: Claims that are studies, not checks: where ``--claims`` should send the user.
STUDY_CLAIMS = {"C8": "dsmw study gradients", "C9": "dsmw study training"}
THEORY = "notes/theory.md"


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


def _validate(args: argparse.Namespace) -> None:
    """Range checks of the numeric options, before any work: one message naming the option,
    the value and the fix (InvalidArgumentError, exit 2)."""
    from numeric._validation import InvalidArgumentError

    def integer(option: str, value: Any, low: int, high: int | None, fix: str) -> None:
        if value is not None and (value < low or (high is not None and value > high)):
            span = f"from {low} to {high}" if high is not None else f">= {low}"
            raise InvalidArgumentError(option, value, f"{option} takes integers {span}", fix)

    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        raise InvalidArgumentError("--seed", seed, "seeds are non-negative integers "
                                   "(numpy's rule)", "pass e.g. --seed 0")
    order_limit = MAX_DERIVE_ORDER if args.command == "derive" else None
    integer("--order", getattr(args, "order", None), 1, order_limit,
            f"pass an order from 1 to {order_limit}" if order_limit else "pass --order 1 or more")
    integer("--jobs", getattr(args, "jobs", None), 1, MAX_JOBS, "pass e.g. --jobs 1")
    integer("--repetitions", getattr(args, "repetitions", None), 1, MAX_REPETITIONS,
            "pass e.g. --repetitions 1000")
    alpha = getattr(args, "alpha", None)
    if alpha is not None and not 0 < alpha < 1:
        raise InvalidArgumentError("--alpha", alpha, "a false-alarm rate lies strictly "
                                   "between 0 and 1", "pass e.g. --alpha 1e-4")


def _json(value: Any, indent: int = 2) -> str:
    from numeric._io import strict_json

    return strict_json(value, indent=indent)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dsmw",
        description="Derive and verify the optimal weighting of denoising score matching "
        "(claims C1-C9) on analytic Gaussian mixtures.",
        epilog=f"Notation, the claims, the budgets and every printed column are explained in "
        f"{THEORY}. Exit status: 0 passed/holds, 1 failed/refuted, 2 bad input, an exceeded "
        "budget or an environment problem.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    verify = sub.add_parser("verify", help="run every numerical check of the claims",
                            description="Check each claim against independent references "
                            "(exact posterior moments, quadrature, Monte Carlo: at least two "
                            "methods per claim, one of them Monte Carlo) and show derive's "
                            "computed proof status; exit 1 if a check fails or a derivation "
                            "step is refuted.")
    verify.add_argument("--seed", type=int, default=None,
                        help="seed of every random draw, a non-negative integer (default: a "
                        "fixed seed, reported)")
    verify.add_argument("--quick", action="store_true", help="a smaller run, e.g. for CI")
    verify.add_argument("--json", action="store_true", help="print a machine-readable report")
    verify.add_argument("--claims", type=_claims_arg, default=None, metavar="C1,C2,...",
                        help="only these claims (comma-separated ids; C8 and C9 are studies: "
                        "see dsmw study)")
    verify.add_argument("--alpha", type=float, default=None,
                        help="family-wise false-alarm rate of the Monte Carlo checks "
                        "(default 1e-4)")
    verify.add_argument("--jobs", type=int, default=None,
                        metavar="N",
                        help="worker processes (default: one per available core); "
                        "the report does not depend on N")
    verify.add_argument("--mutants", action="store_true",
                        help="instead, run every deliberately wrong formula (mutant) through "
                        "the checks; exit 1 if any survives")
    verify.set_defaults(handler=_cmd_verify)

    derive = sub.add_parser("derive", help="regenerate notes/ from the SymPy derivations",
                            description="Derive claims C1-C7 with SymPy and write Markdown "
                            "notes (one file per claim, an index and the weighting table).")
    derive.add_argument("--order", type=int,
                        default=None, help="highest order of the order-n derivations "
                        f"(default 4, at most {MAX_DERIVE_ORDER})")
    derive.add_argument("--out", default="notes", help="output directory (default: notes)")
    derive.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the files that are missing or would "
                        "change (or if a derivation step is refuted)")
    derive.set_defaults(handler=_cmd_derive)

    reliability = sub.add_parser(
        "reliability", help="measure the false-alarm rate, run the mutants, write "
        "notes/reliability.md",
        description="Measure the Monte Carlo check's false-alarm rate on true formulas over "
        "seeded repetitions, run every mutant, let Hypothesis find a point where W* < "
        "sigma^2, and write the results to notes/reliability.md (about 20 minutes on 2 cores).")
    reliability.add_argument("--repetitions", type=int,
                             default=1000, help="seeded repetitions per nominal rate "
                             f"(default 1000, at most {MAX_REPETITIONS})")
    reliability.add_argument("--seed", type=int, default=None,
                             help="seed (default: the verify seed)")
    reliability.add_argument("--out", default="notes", help="output directory (default: notes)")
    reliability.add_argument("--mutants-only", action="store_true",
                             help="only rerun the mutants and refresh their table in the "
                             "existing reliability.md (about 2 minutes)")
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
                       help="a smaller run (gradients 8-15 s, training 20-95 s on "
                       "2 cores, depending on load)")
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
        "h (= (log p_sigma)''). Exit 0 holds, 1 refuted, 2 bad input or a budget exceeded "
        f"(budgets and verdicts: {THEORY}).",
        epilog="example: dsmw check '1/sigma**2 + h' --quantity covariance --order 1. "
        "A formula that starts with '-' goes after --, and options before it: "
        "dsmw check --quantity mean -- '-m1'")
    check.add_argument("expression", metavar="EXPR", help="the formula, e.g. '1/sigma**2 + h'")
    check.add_argument("--quantity", choices=("mean", "covariance", "weight"),
                       default="covariance", help="what the formula claims to be "
                       "(default: covariance)")
    check.add_argument("--order", type=int, default=1,
                       help="order n of the target (default 1; at most 12 for gaussian noise, "
                       "4 for logistic and student_t)")
    check.add_argument("--noise", default="gaussian",
                       help="gaussian (default), logistic or student_t:NU (0.5 <= NU <= 1000)")
    check.add_argument("--seed", type=int, default=0, help="seed of the random cases")
    check.add_argument("--json", action="store_true", help="print a machine-readable verdict")
    check.set_defaults(handler=_cmd_check)

    from numeric.weighting_cli import add_parser as add_weighting_parser

    add_weighting_parser(sub, _cmd_weighting)

    from numeric.data_cli import add_data_parser

    add_data_parser(sub)
    return parser


def _progress_printer(enabled: bool, describe=lambda task: f"{task.claim}: {task.name}",
                      delay: float = 0.0):
    """A progress bar on stderr, drawn only after ``delay`` seconds (quick runs stay quiet)."""
    if not enabled:
        return None

    start = time.perf_counter()

    def show(done: int, total: int, item: Any) -> None:
        if time.perf_counter() - start < delay:
            return
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


def _single_threaded_blas() -> None:
    """One BLAS thread per process, set before NumPy is imported: the checks' matrices
    are small, and BLAS threads only contend with worker processes and other load (on a
    loaded 2-core machine a 10^6-element dot product ran 30x slower threaded)."""
    import os

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def _cmd_verify(args: argparse.Namespace) -> int:
    _single_threaded_blas()
    from numeric._validation import check_seed
    from numeric.checks import DEFAULT_SEED, verify
    from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

    seed = check_seed(DEFAULT_SEED if args.seed is None else args.seed, "--seed")
    alpha = DEFAULT_FALSE_ALARM_RATE if args.alpha is None else args.alpha
    studies = sorted({c.strip().upper() for c in args.claims or ()} & set(STUDY_CLAIMS))
    if studies:
        from numeric._validation import InvalidArgumentError

        raise InvalidArgumentError(
            "--claims", ",".join(args.claims),
            f"{' and '.join(studies)} {'is' if len(studies) == 1 else 'are'} measured by a "
            "study, not a check",
            "run " + " and ".join(STUDY_CLAIMS[c] for c in studies)
            + " (dsmw verify covers MIX and C1-C7)")
    if args.mutants:
        return _cmd_mutants(args, seed, alpha)
    progress = _progress_printer(sys.stderr.isatty() and not args.json)
    jobs = _available_cores() if args.jobs is None else args.jobs
    report = verify(args.claims, seed=seed, quick=args.quick, alpha=alpha, progress=progress,
                    jobs=jobs)
    if args.json:
        print(_json(report.to_dict()))
    else:
        from numeric.report import format_verify_report

        print(format_verify_report(report))
    for claim in report.claims:
        for step in claim.refuted:
            print(f"dsmw verify: {claim.id} refuted: step {step}", file=sys.stderr)
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
        print(_json({"mutants": [r.to_dict() for r in results],
                     "all_caught": not survivors, "seed": seed}))
    else:
        from numeric.report import format_mutant_report

        print(format_mutant_report(results, seed))
    return EXIT_FAILED if survivors else EXIT_OK


def _cmd_study(args: argparse.Namespace) -> int:
    from numeric._io import check_output_dir, pyplot
    from numeric.study import report, runner

    # Fail early, before a long run: matplotlib missing, or a destination not writable.
    if args.plots is not None:
        pyplot("--plots", args.plots)
        check_output_dir("--plots", args.plots)
    if args.save is not None:
        check_output_dir("--save", args.save)
    seed = runner.DEFAULT_STUDY_SEED if args.seed is None else args.seed
    show = _progress_printer(sys.stderr.isatty() and not args.json, lambda label: label)
    run = runner.gradient_study if args.which == "gradients" else runner.training_study

    def progress(done: int, total: int, label: str) -> None:
        if show is not None:
            show(done, total, label)

    result = run(quick=args.quick, seed=seed, progress=progress)
    written = []
    try:
        if args.plots is not None:
            written += report.write_plots(args.plots, **{args.which: result})
        if args.save is not None:
            written += report.save_study(result, args.save)
    except (OSError, ValueError) as exc:  # the run is done: never lose it
        print(_json(result, indent=1))
        _error(args, f"saving failed after the run ({_describe(exc)}); the results are "
               "printed above as JSON")
        return EXIT_USAGE
    if args.json:
        print(_json(result, indent=1))
    else:
        summary = (report.format_gradient_summary if args.which == "gradients"
                   else report.format_training_summary)
        print(summary(result))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK


def _cmd_derive(args: argparse.Namespace) -> int:
    from pathlib import Path

    from numeric._io import atomic_write_text, check_output_dir
    from numeric._validation import InvalidArgumentError

    out = Path(args.out)
    if args.check and not (out / "index.md").is_file():
        raise InvalidArgumentError(
            "--out", args.out, "there are no notes to compare with (no index.md there)",
            "run from the repository root, pass --out DIR of existing notes, or drop --check "
            "to write them")
    if not args.check:
        check_output_dir("--out", out)  # before the derivations, not after
    from derive import claim, claims
    from derive.notes import DEFAULT_ORDER, derived_notes

    if sys.stderr.isatty():  # SymPy takes 7-20 s: say so rather than sit silent
        print("dsmw derive: deriving C1-C7 and theory.md with SymPy ...", file=sys.stderr)
    order = DEFAULT_ORDER if args.order is None else args.order
    files = derived_notes(order)
    refuted = [(c.id, step) for c in (*claims(order), claim("P1"))
               for step in c.refuted_steps]
    for cid, step in refuted:
        _error(args, f"{cid} refuted: step \"{step.text}\": {step.detail}")

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
        _error(args, f"writing {out} failed after {len(written)} of {len(changed)} notes "
               f"({_describe(exc)}); no note is half-written, rerun when it is writable")
        return EXIT_USAGE
    print(f"{out}: wrote {len(changed)} of {len(files)} notes")
    return EXIT_FAILED if refuted else EXIT_OK


def _cmd_reliability(args: argparse.Namespace) -> int:
    from pathlib import Path

    from numeric._io import atomic_write_text, check_output_dir
    from numeric.checks import DEFAULT_SEED
    from numeric.mutants import run_mutants
    from numeric.reliability import (
        false_alarm_rate,
        find_weight_below_heuristic,
        joint_false_alarm_rate,
        reliability_notes,
        study_false_alarm_rate,
    )

    repetitions = args.repetitions
    out = check_output_dir("--out", Path(args.out))  # before the 20-minute run
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if args.mutants_only:
        return _refresh_mutants(Path(args.out), seed)
    rates = [false_alarm_rate(repetitions, alpha, seed, errors=errors)
             for errors in ("known", "estimated") for alpha in (0.05, 0.01)]
    rates += [joint_false_alarm_rate(repetitions, alpha, seed, errors)
              for errors in ("known", "estimated") for alpha in (0.05, 0.01)]
    rates += [study_false_alarm_rate(repetitions, 0.05, seed, model, errors)
              for model in ("means", "features") for errors in ("known", "estimated")]
    mutants = run_mutants(seed, quick=True)
    text = reliability_notes(rates, mutants, find_weight_below_heuristic(seed), seed)
    try:
        atomic_write_text(out / "reliability.md", text)
    except OSError as exc:  # the run is done: never lose it
        print(text)
        _error(args, f"writing {out / 'reliability.md'} failed ({_describe(exc)}); the note "
               "is printed above")
        return EXIT_USAGE
    for r in rates:
        print(f"false-alarm rate ({r.errors} errors) at nominal {r.nominal:g}: "
              f"{r.rejections}/{r.repetitions} = "
              f"{r.observed:.4f} (95% interval {r.low:.4f}-{r.high:.4f})")
    print(f"mutants caught: {sum(m.caught for m in mutants)}/{len(mutants)}")
    print(f"wrote {out / 'reliability.md'}")
    ok = all(r.consistent for r in rates if r.errors.startswith("known")) and all(
        m.caught for m in mutants)
    return EXIT_OK if ok else EXIT_FAILED


def _refresh_mutants(out, seed: int) -> int:
    from numeric._io import atomic_write_text
    from numeric._validation import InvalidArgumentError
    from numeric.mutants import run_mutants
    from numeric.reliability import refresh_mutant_section

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


def _cmd_check(args: argparse.Namespace) -> int:
    from numeric._budget import time_budget
    from numeric.user_check import check_formula, format_verdict

    progress = _progress_printer(sys.stderr.isatty() and not args.json, lambda label: label,
                                 delay=1.0)
    with time_budget(CHECK_SECONDS, "the check", name="EXPR", value=args.expression,
                     fix="simplify the formula or lower --order"):
        verdict = check_formula(args.expression, args.quantity, args.order, args.noise,
                                args.seed, progress=progress)
    print(_json(verdict.to_dict()) if args.json else format_verdict(verdict))
    return EXIT_OK if verdict.holds else EXIT_FAILED


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


def _error(args: argparse.Namespace, message: str) -> None:
    print(f"dsmw {getattr(args, 'command', '') or ''}: error: {message}".replace("  ", " "),
          file=sys.stderr)


def _cmd_weighting(args: argparse.Namespace) -> int:
    from numeric.weighting_cli import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dsmw``; return the exit status (0 / 1 a verdict, 2 anything else)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    from numeric._budget import TimeUp
    from numeric._validation import InvalidArgumentError

    try:
        _validate(args)
        return int(args.handler(args))
    except (InvalidArgumentError, _derive_errors()) as exc:
        _error(args, str(exc))
    except OSError as exc:
        _error(args, f"{_describe(exc)}; check the destination (writable, space left)")
    except (MemoryError, RecursionError) as exc:
        _error(args, f"the input is too large to handle ({type(exc).__name__}); see the "
               f"budgets in {THEORY}")
    except TimeUp:
        _error(args, f"a time budget ran out; see the budgets in {THEORY}")
    except KeyboardInterrupt:
        print("dsmw: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, not a traceback (DSMW_DEBUG=1 shows it)
        if os.environ.get("DSMW_DEBUG"):
            raise
        _error(args, f"internal error ({type(exc).__name__}: {exc}); please report it with "
               "the command line (DSMW_DEBUG=1 shows the traceback)")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

"""``dsmw verify``: every numerical check of the claims (or, with --mutants, every mutant)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from numeric.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    add_quiet,
    check_jobs_budget,
    claims_arg,
    progress_enabled,
)

__all__ = ["add_parser", "run"]

#: Claims that are studies, not checks: where ``--claims`` should send the user.
STUDY_CLAIMS = {"C8": "dsmw study gradients", "C9": "dsmw study training"}


def add_parser(sub: Any) -> None:
    """Register ``dsmw verify`` on the subparsers ``sub``."""
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
    add_quiet(verify)
    verify.add_argument("--claims", type=claims_arg, default=None, metavar="C1,C2,...",
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
    verify.set_defaults(handler=run)


def _refuse_studies(claims: list[str] | None) -> None:
    """C8 and C9 are not unknown ids but studies: say which command measures them."""
    studies = sorted({c.strip().upper() for c in claims or ()} & set(STUDY_CLAIMS))
    if studies:
        from numeric._validation import InvalidArgumentError
        from numeric.checks import claim_ids

        raise InvalidArgumentError(
            "--claims", ",".join(claims),
            f"{' and '.join(studies)} {'is' if len(studies) == 1 else 'are'} measured by a "
            "study, not a check",
            "run " + " and ".join(STUDY_CLAIMS[c] for c in studies)
            + f" (dsmw verify covers {', '.join(claim_ids())})")


def run(args: argparse.Namespace) -> int:
    """Run the checks (the library validates seed, alpha, jobs and claims) and print."""
    from numeric.cli._progress import single_threaded_blas

    single_threaded_blas()
    from numeric.checks import DEFAULT_SEED, verify
    from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

    _refuse_studies(args.claims)
    check_jobs_budget(args.jobs)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    alpha = DEFAULT_FALSE_ALARM_RATE if args.alpha is None else args.alpha
    if args.mutants:
        return _mutants(args, seed, alpha)
    from numeric.cli._progress import available_cores, progress_printer

    progress = progress_printer(progress_enabled(args), command="dsmw verify")
    jobs = available_cores() if args.jobs is None else args.jobs
    report = verify(args.claims, seed=seed, quick=args.quick, alpha=alpha, progress=progress,
                    jobs=jobs)
    if args.json:
        from numeric._io import strict_json

        print(strict_json(report.to_dict()))
    else:
        from numeric.cli._format import format_verify_report

        print(format_verify_report(report))
    for claim in report.claims:
        for step in claim.refuted:
            print(f"dsmw verify: {claim.id} refuted: step {step}", file=sys.stderr)
    return EXIT_OK if report.passed else EXIT_FAILED


def _mutants(args: argparse.Namespace, seed: int, alpha: float) -> int:
    from numeric.audit import MUTANTS, run_mutants
    from numeric.cli._progress import progress_printer

    chosen = MUTANTS if not args.claims else tuple(
        m for m in MUTANTS if set(m.claims) & {c.strip().upper() for c in args.claims})
    progress = progress_printer(progress_enabled(args),
                                lambda mutant: f"{','.join(mutant.claims)}: {mutant.name}",
                                command="dsmw verify --mutants")
    results = run_mutants(seed, quick=True, alpha=alpha, mutants=chosen, progress=progress)
    survivors = [r for r in results if not r.caught]
    if args.json:
        from numeric._io import strict_json

        print(strict_json({"mutants": [r.to_dict() for r in results],
                           "all_caught": not survivors, "seed": seed}))
    else:
        from numeric.cli._format import format_mutant_report

        print(format_mutant_report(results, seed))
    return EXIT_FAILED if survivors else EXIT_OK

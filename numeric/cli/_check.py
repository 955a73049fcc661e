"""``dsmw check``: verify a user's own formula for the mean, covariance or weight."""

from __future__ import annotations

import argparse
from typing import Any

from derive.parsing import FUNCTION_NAMES
from numeric.cli._app import EXIT_FAILED, EXIT_OK, THEORY, add_quiet, progress_enabled

__all__ = ["CHECK_SECONDS", "add_parser", "run"]

#: Wall-clock budget of one ``dsmw check`` (seconds).
CHECK_SECONDS = 120.0


def add_parser(sub: Any) -> None:
    """Register ``dsmw check`` on the subparsers ``sub``."""
    check = sub.add_parser(
        "check", help="verify your own formula for the mean, covariance or weight",
        description="Check a formula (SymPy syntax; d = 1 unless --dim) for the conditional mean, "
        "conditional covariance or optimal weight of the order-N DSM target: first "
        "symbolically against the derivation, then numerically on simple and random "
        "Gaussian mixtures, reporting the smallest counterexample. Vocabulary: sigma, "
        "m1, m2, ... (m_k = p_sigma^(k)/p_sigma at x~), s (= m1, the score), "
        "h (= (log p_sigma)''); functions: " + FUNCTION_NAMES + ". Exit 0 holds, 1 "
        "refuted, 2 bad input or a budget exceeded "
        f"(budgets and verdicts: {THEORY}).",
        epilog="example: dsmw check '1/sigma**2 + h' --quantity covariance --order 1. "
        "A formula that starts with '-' goes after --, and options before it: "
        "dsmw check --quantity mean -- '-m1'")
    check.formula_example = "dsmw check --quantity mean -- '-m1'"
    check.add_argument("expression", metavar="EXPR", help="the formula, e.g. '1/sigma**2 + h'")
    check.add_argument("--quantity", choices=("mean", "covariance", "weight"),
                       default=None, help="what the formula claims to be "
                       "(default: covariance)")
    check.add_argument("--order", type=int, default=None,
                       help="order n of the target (default 1; at most 12 for gaussian noise, "
                       "4 for logistic and student_t)")
    check.add_argument("--dim", type=int, default=None,
                       help="dimension: 1 (default) or 2, 3 for the matrix targets of orders 1 "
                       "and 2; then EXPR is one entry in index notation with indices i, j "
                       "(order 1) or i, j, k, l (order 2) and delta(a, b), m1(a), m2(a, b), "
                       "m3(a, b, c), m4(a, b, c, d), s(a), H(a, b), e.g. "
                       "'delta(i, j)/sigma**2 + H(i, j)'")
    check.add_argument("--noise", default=None,
                       help="gaussian (default), logistic or student_t:NU (0.5 <= NU <= 1000)")
    check.add_argument("--seed", type=int, default=None, help="seed of the random cases")
    check.add_argument("--json", action="store_true", help="print a machine-readable verdict")
    add_quiet(check)
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check the formula within :data:`CHECK_SECONDS` and print the verdict."""
    from numeric._budget import time_budget
    from numeric._io import strict_json
    from numeric.cli._progress import progress_printer
    from numeric.user_check import check_formula, format_verdict

    progress = progress_printer(progress_enabled(args), lambda label: label, delay=1.0,
                                command="dsmw check")
    # the defaults (covariance, order 1, gaussian noise, seed 0) are check_formula's own
    given = {name: getattr(args, name) for name in ("quantity", "order", "noise", "seed", "dim")
             if getattr(args, name) is not None}
    with time_budget(CHECK_SECONDS, "the check", name="EXPR", value=args.expression,
                     fix="simplify the formula or lower --order"):
        verdict = check_formula(args.expression, progress=progress, **given)
    print(strict_json(verdict.to_dict()) if args.json else format_verdict(verdict))
    return EXIT_OK if verdict.holds else EXIT_FAILED

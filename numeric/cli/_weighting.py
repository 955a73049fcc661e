"""``dsmw weighting show|check|plot|list``: one weighting in every parameterisation.

Exit 0 same, 1 different (``check``), 2 bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from derive.parsing import FUNCTION_NAMES
from numeric.cli._app import EXIT_FAILED, EXIT_OK

__all__ = ["add_parser", "run"]


def _shared_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sigma-data", dest="sigma_data", default=None, metavar="S",
                        help="the data's standard deviation where a formula uses sigma_data "
                        "(F space, EDM; default: the weighting's own, else 0.5), e.g. 1 "
                        "for k-diffusion's default")
    parser.add_argument("--define", dest="definitions", action="append", default=[],
                        metavar="NAME=EXPR@SPACE",
                        help="a weighting of your own, usable as a NAME (repeatable), e.g. "
                        "--define mine='clip(snr, 0, 5)@eps'; sampled uniformly in t")


def add_parser(sub: Any) -> None:
    """Register ``dsmw weighting`` on the CLI's subparsers."""
    # spelled out here so that `dsmw --help` does not import SymPy; derive validates them
    spaces = "score, eps, x0, v, velocity, F"
    schedules = "ve, vp-linear, vp-cosine, rectified-flow, edm"
    weighting = sub.add_parser(
        "weighting", help="one weighting in every parameterisation (show, check, plot, list)",
        description="The weighting zoo in every space (score, eps, x0, v, velocity, F) and "
        "schedule (ve, vp-linear, vp-cosine, rectified-flow, edm), with SNR = alpha^2/sigma^2 "
        "and lambda = log SNR; a weight converts as w_Y = w_X k_X/k_Y, and its density form "
        "is W(lambda) = p(t) w_X k_X |dt/dlambda|.")
    actions = weighting.add_subparsers(dest="action", metavar="ACTION",
                                       parser_class=type(weighting))
    show = actions.add_parser("show", help="a weighting in one space and its density form")
    show.add_argument("name", metavar="NAME", help="e.g. edm, min-snr:5 (see 'list')")
    show.add_argument("--space", default=None, help=f"{spaces} (default: its native space)")
    show.add_argument("--schedule", default="ve", help=f"{schedules} (default ve)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    _shared_options(show)
    check = actions.add_parser(
        "check", help="is your weight, written in one space, the named weighting?",
        description="Compare a weight written in --space on --schedule with the named "
        "weighting: SymPy first, then numerically over lambda. Vocabulary: sigma, alpha, snr "
        "(= alpha^2/sigma^2), lam (= log snr), t, sigma_data and the weighting's parameters; "
        "functions: " + FUNCTION_NAMES + ". Exit 0 same, 1 different, 2 bad input.",
        epilog="example: dsmw weighting check 'min(snr, gamma)/snr' --space eps "
        "--schedule vp-cosine --as min-snr:5")
    check.formula_example = ("dsmw weighting check --space eps --schedule vp-cosine --as "
                             "min-snr:5 -- EXPR")
    check.add_argument("expression", metavar="EXPR", help="your weight, e.g. 'min(snr, 5)/snr'")
    check.add_argument("--space", required=True, help=f"{spaces} or lambda (density form)")
    check.add_argument("--schedule", required=True, help=schedules)
    check.add_argument("--vs", dest="versus", default=None, metavar="EXPR2",
                       help="instead of --as: a second weight of your own to compare with")
    check.add_argument("--vs-space", dest="versus_space", default=None, metavar="SPACE",
                       help="the space EXPR2 weights (default: --space)")
    _shared_options(check)
    check.add_argument("--as", dest="name", default=None, metavar="NAME",
                       help="the named weighting, e.g. min-snr:5")
    check.add_argument("--up-to-constant", action="store_true",
                       help="accept a positive constant factor")
    check.add_argument("--json", action="store_true", help="machine-readable verdict")
    plot = actions.add_parser("plot", help="curves over lambda in one space (PNG)")
    plot.add_argument("names", nargs="+", metavar="NAME", help="named weightings")
    plot.add_argument("--space", default="eps", help=f"{spaces} or lambda (default eps)")
    plot.add_argument("--schedule", default="vp-cosine", help=f"{schedules} (default vp-cosine)")
    plot.add_argument("--mixture", default=None,
                      help="add E[W*] of this 1-D example mixture, e.g. two-mode-1d")
    plot.add_argument("--out", required=True, metavar="FILE.png", help="output PNG")
    actions.add_parser("list", help="every named weighting with its parameters and defaults")
    weighting.set_defaults(handler=run)


def _definitions(texts: list[str]) -> dict:
    """``--define`` values by name; a name defined twice is an error."""
    from numeric._validation import InvalidArgumentError
    from numeric.user_check import parse_definition

    found: dict = {}
    for text in texts:
        record = parse_definition(text)
        if record.name in found:
            raise InvalidArgumentError("--define", text, f"{record.name} is defined twice",
                                       "give each definition its own name")
        found[record.name] = record
    return found


def run(args: argparse.Namespace) -> int:
    """Dispatch ``dsmw weighting ACTION``."""
    from numeric._io import strict_json

    if args.action == "list":
        from numeric.cli._format import format_weighting_list

        print(format_weighting_list())
        return EXIT_OK
    if args.action == "show":
        from numeric.cli._format import format_weighting_show
        from numeric.weighting_views import show_weighting

        shown = show_weighting(args.name, args.space, args.schedule,
                               sigma_data=args.sigma_data,
                               definitions=_definitions(args.definitions))
        print(strict_json(shown) if args.json else format_weighting_show(shown))
        return EXIT_OK
    if args.action == "check":
        from numeric.user_check import check_weight, format_weight_check

        verdict = check_weight(args.expression, args.space, args.schedule, args.name,
                               args.up_to_constant, sigma_data=args.sigma_data,
                               versus=args.versus, versus_space=args.versus_space,
                               definitions=_definitions(args.definitions))
        print(strict_json(verdict.to_dict()) if args.json else format_weight_check(verdict))
        return EXIT_OK if verdict.same else EXIT_FAILED
    if args.action == "plot":
        from numeric.weighting_views import plot_weightings

        path = plot_weightings(args.names, args.space, args.schedule, args.mixture, args.out)
        print(f"wrote {path}")
        return EXIT_OK
    from numeric._validation import InvalidArgumentError

    raise InvalidArgumentError("ACTION", args.action, "missing action",
                               "use show, check, plot or list")

"""``dsmw weighting show|check|plot|list``: one weighting in every parameterisation.

Formulas come from :mod:`derive` (the zoo records, ``k_X``, the density form); this
module parses, compares and prints. ``check`` judges a user's weight symbolically
first (SymPy on the schedule, as a function of ``t``), then numerically over a grid of
``lambda``; exit 0 same, 1 different, 2 bad input.
"""

from __future__ import annotations

import argparse
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["WeightCheck", "add_parser", "check_weight", "format_check", "run"]

EXIT_OK, EXIT_FAILED = 0, 1
#: Largest relative difference over the lambda grid that still counts as the same weight.
NUMERIC_TOLERANCE = 1e-9
_GRID = 401


def add_parser(sub: Any, handler: Any) -> None:
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
    check = actions.add_parser(
        "check", help="is your weight, written in one space, the named weighting?",
        description="Compare a weight written in --space on --schedule with the named "
        "weighting: SymPy first, then numerically over lambda. Vocabulary: sigma, alpha, snr "
        "(= alpha^2/sigma^2), lam (= log snr), t, sigma_data and the weighting's parameters. "
        "Exit 0 same, 1 different, 2 bad input.",
        epilog="example: dsmw weighting check 'min(snr, gamma)/snr' --space eps "
        "--schedule vp-cosine --as min-snr:5")
    check.add_argument("expression", metavar="EXPR", help="your weight, e.g. 'min(snr, 5)/snr'")
    check.add_argument("--space", required=True, help=f"{spaces} or lambda (density form)")
    check.add_argument("--schedule", required=True, help=schedules)
    check.add_argument("--as", dest="name", required=True, metavar="NAME",
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
    weighting.set_defaults(handler=handler)


def run(args: argparse.Namespace) -> int:
    """Dispatch ``dsmw weighting ACTION``."""
    from numeric._io import strict_json

    if args.action == "list":
        print(format_list())
        return EXIT_OK
    if args.action == "show":
        shown = show(args.name, args.space, args.schedule)
        print(strict_json(shown) if args.json else format_show(shown))
        return EXIT_OK
    if args.action == "check":
        verdict = check_weight(args.expression, args.space, args.schedule, args.name,
                               args.up_to_constant)
        print(strict_json(verdict.to_dict()) if args.json
              else format_check(verdict))
        return EXIT_OK if verdict.same else EXIT_FAILED
    if args.action == "plot":
        path = plot(args.names, args.space, args.schedule, args.mixture, args.out)
        print(f"wrote {path}")
        return EXIT_OK
    from numeric._validation import InvalidArgumentError

    raise InvalidArgumentError("ACTION", args.action, "missing action",
                               "use show, check, plot or list")


# ---------------------------------------------------------------- list / show
def _usage(record) -> str:
    from derive.weightings import _usage as usage

    return usage(record)


def format_list() -> str:
    """One line per weighting: usage, native space and formula, parameters, density."""
    import sympy as sp

    import derive

    lines = [f"{'name':<34} {'space':<9} {'native weight':<30} parameters (default)"]
    for w in derive.weightings():
        params = ", ".join(f"{s.name}" + (f"={d}" if d is not None else " (required)")
                           for s, d in w.parameters) or "-"
        lines.append(f"{_usage(w):<34} {w.space:<9} {sp.sstr(w.native):<30} {params}")
        lines.append(f"{'':<34} sampling: {w.density.text}; {w.paper}")
    return "\n".join(lines)


def show(text: str, space: str | None, schedule: str) -> dict[str, Any]:
    """The named weighting in ``space`` on ``schedule``, and its density form."""
    import sympy as sp

    import derive
    from derive.render_weightings import latex
    from numeric.weighting_eval import _bind_by_name, _check_schedule, _check_space

    record, values = derive.parse_weighting_name(text)
    _check_schedule(schedule)
    space = _check_space(space or ("eps" if record.space == "lambda" else record.space))
    if space == "lambda":
        space = "eps"
    variable = _display_variable(schedule)
    weight = record.in_space(space, schedule, variable=variable, values=values)
    density_variable = "t" if schedule == "vp-linear" else "lambda"
    density = record.density_form(schedule, variable=density_variable, values=values)
    sched = derive.schedule(schedule)
    general = None if record.space == "lambda" else record.general(space)
    if general is not None:
        general = _bind_by_name(general, values)
    return {
        "name": text, "title": record.title, "native_space": record.space,
        "native": sp.sstr(record.native), "parameters": {k: str(v) for k, v in values.items()},
        "sampling": record.density.text, "paper": record.paper, "code": record.code,
        "space": space, "schedule": schedule,
        "schedule_definition": {"alpha": sp.sstr(sched.alpha), "sigma": sp.sstr(sched.sigma),
                                "lambda": sp.sstr(sched.lam),
                                "t_range": [str(v) for v in sched.t_range]},
        "variable": variable,
        "weight": sp.sstr(weight), "weight_latex": latex(weight),
        "general_schedule": None if general is None else sp.sstr(general),
        "density_form_variable": density_variable,
        "density_form": sp.sstr(density), "density_form_latex": latex(density),
    }


def format_show(shown: dict[str, Any]) -> str:
    d = shown["schedule_definition"]
    lines = [f"{shown['title']} ({shown['name']}): native space {shown['native_space']}, "
             f"weight {shown['native']}",
             f"  parameters: {shown['parameters'] or '-'}; sampling: {shown['sampling']}",
             f"  source: {shown['paper']}; {shown['code']}",
             f"schedule {shown['schedule']}: alpha = {d['alpha']}, sigma = {d['sigma']}, "
             f"t in [{d['t_range'][0]}, {d['t_range'][1]}]",
             f"weight of the {shown['space']} loss, in {shown['variable']}:",
             f"  {shown['weight']}", f"  LaTeX: {shown['weight_latex']}"]
    if shown["general_schedule"] is not None:
        lines.append(f"  any schedule (alpha, sigma): {shown['general_schedule']}")
    lines += [f"density form W = p(t) w k |dt/dlambda|, in {shown['density_form_variable']}"
              + (f" (lambda = {d['lambda']})" if shown["density_form_variable"] == "t" else "")
              + ":", f"  {shown['density_form']}", f"  LaTeX: {shown['density_form_latex']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- check
@dataclass(frozen=True)
class WeightCheck:
    """Verdict of :func:`check_weight`."""

    expression: str
    parsed: str
    name: str
    space: str
    schedule: str
    reference: str
    up_to_constant: bool
    symbolic: str
    constant: float | None
    max_relative_difference: float
    worst_lambda: float | None
    worst_t: float | None
    worst_factor: float | None
    levels: int

    @property
    def same(self) -> bool:
        return self.max_relative_difference <= NUMERIC_TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        def finite(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else x

        return {"expression": self.expression, "parsed": self.parsed, "as": self.name,
                "space": self.space, "schedule": self.schedule, "reference": self.reference,
                "up_to_constant": self.up_to_constant, "symbolic": self.symbolic,
                "constant": finite(self.constant),
                "numeric": {"levels": self.levels, "tolerance": NUMERIC_TOLERANCE,
                            "max_relative_difference": finite(self.max_relative_difference),
                            "worst_lambda": finite(self.worst_lambda),
                            "worst_t": finite(self.worst_t),
                            "factor_there": finite(self.worst_factor)},
                "same": self.same}


def _vocabulary(record) -> dict[str, Any]:

    from derive.weightings import VOCABULARY

    return {**VOCABULARY, **{s.name: s for s, _ in record.parameters}}


def check_weight(expression: str, space: str, schedule: str, name: str,
                 up_to_constant: bool = False) -> WeightCheck:
    """Is ``expression``, a weight of the ``space`` loss on ``schedule``, the weighting
    ``name``? (``space="lambda"``: a density form.)

    Examples
    --------
    >>> check_weight("min(snr, gamma)/snr", "eps", "vp-cosine", "min-snr:5").same
    True
    >>> v = check_weight("min(snr, gamma)", "eps", "vp-cosine", "min-snr:5")
    >>> v.same, v.worst_factor > 1
    (False, True)
    """
    import sympy as sp

    import derive
    from derive import spaces
    from numeric.weighting_eval import (
        _bind_by_name,
        _check_schedule,
        _check_space,
        _function_of_t,
        level_grid,
        schedule_parameters,
    )

    record, values = derive.parse_weighting_name(name)
    _check_space(space)
    _check_schedule(schedule)
    vocabulary = _vocabulary(record)
    described = ", ".join(vocabulary)
    parsed = derive.parse_expression(expression.replace("min(", "Min(").replace(
        "max(", "Max("), {**vocabulary, "Min": sp.Min, "Max": sp.Max}, argument="EXPR",
        names=described + ", min, max")
    sched = derive.schedule(schedule)
    bound = {**schedule_parameters(schedule), **values, "sigma_data": values.get(
        "sigma_data", sp.Rational(1, 2))}
    ratio_of_snr = spaces.alpha**2 / derive.sigma**2
    user = parsed.subs({spaces.snr: ratio_of_snr, spaces.lam: sp.log(ratio_of_snr)})
    user = sched.at(user)
    user = _bind_by_name(user, bound)
    if space == "lambda":
        reference = record.density_form(schedule, variable="t", values=bound, simplify=False)
    else:
        reference = record.in_space(space, schedule, variable="t", values=bound,
                                    simplify=False)
    reference = _bind_by_name(reference, bound)
    symbolic, constant = _symbolic(user, reference, up_to_constant)
    t, lam = level_grid(schedule, _GRID)
    got = _function_of_t(user, schedule, bound)(t)
    expected = _function_of_t(reference, schedule, bound)(t)
    with np.errstate(all="ignore"):
        factor = got / expected
    ok = np.isfinite(factor) & (expected != 0)
    if not np.any(ok):
        difference, worst = math.inf, 0
    else:
        scale = float(np.median(factor[ok])) if up_to_constant else 1.0
        if up_to_constant and not scale > 0:
            scale = math.nan
        gap = np.where(ok, np.abs(factor / scale - 1.0), np.inf)
        worst = int(np.argmax(gap))
        difference = float(gap[worst]) if math.isfinite(scale) else math.inf
        if up_to_constant and constant is None and difference <= NUMERIC_TOLERANCE:
            constant = scale
    return WeightCheck(expression, sp.sstr(parsed), name, space, schedule,
                       sp.sstr(_tidy_reference(record, space, schedule, bound)),
                       up_to_constant, symbolic, constant, difference,
                       float(lam[worst]), float(t[worst]),
                       float(factor[worst]) if ok[worst] else math.nan, len(t))


def _display_variable(schedule: str) -> str:
    return {"ve": "sigma", "edm": "sigma", "vp-linear": "t"}.get(schedule, "lambda")


def _tidy_reference(record, space: str, schedule: str, values) -> Any:
    if space == "lambda":
        return record.density_form(schedule, variable="t" if schedule == "vp-linear"
                                   else "lambda", values=values)
    return record.in_space(space, schedule, variable=_display_variable(schedule),
                           values=values)


def _symbolic(user: Any, reference: Any, up_to_constant: bool) -> tuple[str, float | None]:
    """``proved`` when SymPy reduces the difference (or, up to a constant, the ratio's
    derivative in ``t``) to zero; ``not proved`` otherwise (the numeric comparison decides)."""
    import sympy as sp

    from derive.spaces import time

    try:
        if not up_to_constant:
            return ("proved" if sp.simplify(user - reference) == 0 else "not proved"), None
        ratio = sp.simplify(user / reference)
        if not ratio.has(time) and ratio.is_positive:
            return "proved", float(ratio)
        return "not proved", None
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return "not attempted (SymPy failed)", None


def format_check(v: WeightCheck) -> str:
    lines = [f"your weight   {v.parsed}   ({v.space} loss, schedule {v.schedule})",
             f"{v.name:<13} {v.reference}",
             f"symbolic      {v.symbolic}" + (f" (constant factor {v.constant:.6g})"
                                              if v.constant is not None else ""),
             f"numeric       max relative difference {v.max_relative_difference:.3g} over "
             f"{v.levels} levels (tolerance {NUMERIC_TOLERANCE:g})"]
    if not v.same:
        lines.append(f"              largest at lambda = {v.worst_lambda:.4g} "
                     f"(t = {v.worst_t:.4g}): yours / {v.name} = {v.worst_factor:.6g}")
    lines.append("SAME" + (" up to a constant" if v.up_to_constant else "") if v.same
                 else "DIFFERENT")
    return "\n".join(lines)


# ---------------------------------------------------------------- plot
def plot(names: list[str], space: str, schedule: str, mixture: str | None, out: str) -> str:
    """PNG of the named weightings (and ``E[W*]`` of a mixture) over ``lambda``."""
    from pathlib import Path

    import derive
    from numeric._io import atomic_write_bytes, check_output_dir, pyplot
    from numeric._validation import InvalidArgumentError
    from numeric.weighting_eval import (
        _check_schedule,
        _check_space,
        expected_optimal_curve,
        level_grid,
        weight_curve,
    )

    _check_space(space)
    _check_schedule(schedule)
    for text in names:
        derive.parse_weighting_name(text)
    if not str(out).endswith(".png"):
        raise InvalidArgumentError("--out", out, "not a .png file", "e.g. --out weights.png")
    target = Path(out)
    check_output_dir("--out", target.parent if str(target.parent) else ".")
    gm = None
    if mixture is not None:
        from numeric._validation import check_one_dimensional
        from numeric.examples import example

        gm = example(mixture)
        check_one_dimensional(gm, "E[W*] curves")
    plt = pyplot("--out", out)
    t, _ = level_grid(schedule, 241)
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=110)
    for text in names:
        curve = weight_curve(text, space, schedule, t)
        ax.plot(curve.lam, curve.values, label=text)
    if gm is not None:
        coarse_t, _ = level_grid(schedule, 61)
        curve = expected_optimal_curve(gm, space, schedule, coarse_t)
        ax.plot(curve.lam, curve.values, "k--", label=f"E[W*] ({mixture})")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\lambda = \log \mathrm{SNR}$")
    ylabel = "density form W(lambda)" if space == "lambda" else f"weight of the {space} loss"
    ax.set_ylabel(ylabel)
    ax.set_title(f"schedule {schedule}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    # fixed metadata: the same inputs give the same bytes
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(target, buffer.getvalue())
    return str(target)

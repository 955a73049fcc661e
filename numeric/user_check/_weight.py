"""A user's weight, written in one space on one schedule: is it the named weighting?
(``dsmw weighting check``; public as :func:`numeric.check_weight`.)

Formulas come from :mod:`derive` (the zoo records, ``k_X``, the density form). The weight
is judged symbolically first (SymPy on the schedule, as a function of ``t``), then
numerically over a grid of ``lambda``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from numeric.user_check._symbolic import SYMPY_FAILURES, compare
from numeric.weighting_curves import display_variable
from numeric.weighting_definitions import check_sigma_data, resolve_weighting, user_weighting

__all__ = ["NUMERIC_TOLERANCE", "WeightCheck", "check_weight", "format_weight_check"]

#: Largest relative difference over the lambda grid that still counts as the same weight.
NUMERIC_TOLERANCE = 1e-9
_GRID = 401


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
    #: warnings about the comparison itself (e.g. an ambiguous space on this schedule)
    notes: tuple[str, ...] = ()

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
                "notes": list(self.notes), "same": self.same}


def _vocabulary(record) -> dict[str, Any]:

    from derive.weightings import VOCABULARY

    return {**VOCABULARY, **{s.name: s for s, _ in record.parameters}}


def check_weight(expression: str, space: str, schedule: str, name: str | None = None,
                 up_to_constant: bool = False, *, sigma_data: Any = None,
                 versus: str | None = None, versus_space: str | None = None,
                 definitions: dict | None = None) -> WeightCheck:
    """Is ``expression``, a weight of the ``space`` loss on ``schedule``, the weighting
    ``name``? (``space="lambda"``: a density form.)

    Parameters
    ----------
    expression
        The weight, in ``sigma``, ``alpha``, ``snr``, ``lam``, ``t``, ``sigma_data`` and
        the weighting's parameters (``min``/``max`` allowed).
    space
        The loss space it weights (``score``, ``eps``, ``x0``, ``v``, ``velocity``, ``F``)
        or ``lambda`` (a density form).
    schedule
        The noise schedule (``ve``, ``vp-linear``, ``vp-cosine``, ``rectified-flow``,
        ``edm``).
    name
        The named weighting, with optional parameters (e.g. ``"min-snr:5"``).
    up_to_constant
        Accept a positive constant factor.
    sigma_data
        The data's standard deviation where a formula uses ``sigma_data`` (F space, EDM);
        default: the named weighting's own, else 1/2.
    versus, versus_space
        Instead of ``name``: a second weight of your own, written in ``versus_space``
        (default ``space``), to compare with.
    definitions
        Your weightings by name, usable as ``name``
        (:func:`numeric.weighting_definitions.parse_definition`).

    Returns
    -------
    WeightCheck
        SymPy's verdict and the numeric comparison over :data:`_GRID` levels of
        ``lambda``; ``.same`` is the verdict.

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
    from numeric._validation import InvalidArgumentError
    from numeric.weighting_curves import (
        bind_by_name,
        check_schedule_name,
        check_space_name,
        function_of_t,
        level_grid,
        schedule_parameters,
    )

    if (name is None) == (versus is None):
        raise InvalidArgumentError("--as", name, "give exactly one of --as NAME and --vs EXPR",
                                   "compare with a named weighting or with a second formula")
    if versus is not None:
        record = user_weighting("yours-2", versus, versus_space or space, argument="--vs")
        values: dict = {}
        name = "--vs weight"
    else:
        record, values = resolve_weighting(name, definitions)
    check_space_name(space)
    check_schedule_name(schedule)
    vocabulary = _vocabulary(record)
    described = ", ".join(vocabulary)
    parsed = derive.parse_expression(expression, vocabulary, argument="EXPR",
                                     names=described)
    sched = derive.schedule(schedule)
    chosen = (check_sigma_data(sigma_data) if sigma_data is not None
              else values.get("sigma_data", sp.Rational(1, 2)))
    bound = {**schedule_parameters(schedule), **values, "sigma_data": chosen}
    ratio_of_snr = spaces.alpha**2 / derive.sigma**2
    user = parsed.subs({spaces.snr: ratio_of_snr, spaces.lam: sp.log(ratio_of_snr)})
    user = sched.at(user)
    user = bind_by_name(user, bound)
    if space == "lambda":
        reference = record.density_form(schedule, variable="t", values=bound, simplify=False)
    else:
        reference = record.in_space(space, schedule, variable="t", values=bound,
                                    simplify=False)
    reference = bind_by_name(reference, bound)
    symbolic, constant = _symbolic(user, reference, up_to_constant)
    t, lam = level_grid(schedule, _GRID)
    got = function_of_t(user, schedule, bound)(t)
    expected = function_of_t(reference, schedule, bound)(t)
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
    notes = []
    spaces_used = {space, record.space, versus_space or space}
    if "v" in spaces_used and sched.normalisation != "alpha^2+sigma^2=1":
        notes.append(f"v = alpha eps - sigma x0 is taken literally on {schedule}, where "
                     "alpha^2 + sigma^2 != 1; a loss that is v-prediction by its "
                     "preconditioning is v of the VP-normalised input x_t/sqrt(alpha^2 + "
                     "sigma^2): compare it on a VP schedule (vp-cosine, vp-linear), where "
                     "the two agree")
    return WeightCheck(expression, sp.sstr(parsed), name, space, schedule,
                       sp.sstr(_tidy_reference(record, space, schedule, bound)),
                       up_to_constant, symbolic, constant, difference,
                       float(lam[worst]), float(t[worst]),
                       float(factor[worst]) if ok[worst] else math.nan, len(t),
                       tuple(notes))


def _tidy_reference(record, space: str, schedule: str, values) -> Any:
    if space == "lambda":
        return record.density_form(schedule, variable="t" if display_variable(schedule) == "t"
                                   else "lambda", values=values)
    return record.in_space(space, schedule, variable=display_variable(schedule),
                           values=values)


#: Seconds SymPy gets to compare a user's weight with the named one (user input: bounded).
WEIGHT_SYMBOLIC_SECONDS = 10.0


def _symbolic(user: Any, reference: Any, up_to_constant: bool) -> tuple[str, float | None]:
    """``proved`` when SymPy reduces the difference (or, up to a constant, the ratio's
    derivative in ``t``) to zero; ``not proved`` otherwise (the numeric comparison decides)."""
    from derive.spaces import time

    result = compare(user, reference, up_to_constant=up_to_constant, variable=time,
                     seconds=WEIGHT_SYMBOLIC_SECONDS, catch=SYMPY_FAILURES)
    if result.outcome == "failed":
        return "not attempted (SymPy failed)", None
    if result.outcome == "proved":
        return "proved", result.constant
    if "budget" in (result.reason or ""):   # the numeric comparison still decides
        return f"not proved ({result.reason})", None
    return "not proved", None


def format_weight_check(v: WeightCheck) -> str:
    """Human-readable report of a :class:`WeightCheck`."""
    lines = [f"your weight   {v.parsed}   ({v.space} loss, schedule {v.schedule})",
             f"{v.name:<13} {v.reference}",
             f"symbolic      {v.symbolic}" + (f" (constant factor {v.constant:.6g})"
                                              if v.constant is not None else ""),
             f"numeric       max relative difference {v.max_relative_difference:.3g} over "
             f"{v.levels} levels (tolerance {NUMERIC_TOLERANCE:g})"]
    if not v.same:
        lines.append(f"              largest at lambda = {v.worst_lambda:.4g} "
                     f"(t = {v.worst_t:.4g}): yours / {v.name} = {v.worst_factor:.6g}")
    lines.extend(f"note          {note}" for note in v.notes)
    lines.append("SAME" + (" up to a constant" if v.up_to_constant else "") if v.same
                 else "DIFFERENT")
    return "\n".join(lines)

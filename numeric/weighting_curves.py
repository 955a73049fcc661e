"""Numerical evaluation of the weighting zoo: weights in any space, density forms and the
expected optimal weight ``E[W*]`` of a mixture, on a grid of noise levels.

The formulas come from :mod:`derive` (``Weighting.in_space``, ``Weighting.density_form``,
``Schedule.time_of_lambda``) and are evaluated with NumPy; nothing here is a formula of
its own except ``E[W*]``, which is a quadrature over the exact mixture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from derive import spaces
from numeric._validation import InvalidArgumentError, check_choice, check_one_dimensional
from numeric.expectations import expected_optimal_weight
from numeric.mixture import GaussianMixture

__all__ = [
    "ALL_SPACES",
    "WeightingCurve",
    "density_curve",
    "expected_optimal_curve",
    "level_grid",
    "schedule_parameters",
    "time_of_lambda",
    "weight_curve",
]

Array = NDArray[np.float64]

#: Spaces a weight can be written in, plus ``lambda`` (the density form).
ALL_SPACES = (*spaces.SPACES, "lambda")


@dataclass(frozen=True)
class WeightingCurve:
    """A named weighting's values at noise levels ``t`` (with ``lam = lambda(t)``)."""

    label: str
    space: str
    schedule: str
    t: Array
    lam: Array
    values: Array


def check_space_name(space: object, with_lambda: bool = True) -> str:
    """A parameterisation name: one of derive's spaces, or ``lambda`` (a density form)
    unless ``with_lambda`` is false."""
    return check_choice("--space", space, ALL_SPACES if with_lambda else spaces.SPACES,
                        "space")


def check_schedule_name(schedule: object) -> str:
    """A schedule name: a family of :data:`derive.SCHEDULES` with its parameters and a
    shift (``ve:0.02:100``, ``vp-cosine:0.008``, ``rectified-flow:shift=3``)."""
    try:
        return spaces.schedule(schedule).name
    except derive.InvalidArgumentError as exc:
        raise InvalidArgumentError("--schedule", schedule, exc.problem, exc.fix) from None


def schedule_parameters(schedule: str) -> dict[str, sp.Expr]:
    """Default values of the schedule's parameters, by name."""
    return {s.name: v for s, v in spaces.schedule(check_schedule_name(schedule)).parameters}


def bind_by_name(expr: sp.Expr, values: dict) -> sp.Expr:
    """``expr`` with each free symbol whose name is a key of ``values`` replaced by its value
    (derive's symbols carry assumptions, so they are matched by name)."""
    return expr.subs({s: values[s.name] for s in expr.free_symbols if s.name in values})


def function_of_t(expr: sp.Expr, schedule: str, values: dict[str, sp.Expr]):
    bound = bind_by_name(expr, values)
    extra = bound.free_symbols - {spaces.time}
    if extra:
        raise InvalidArgumentError("weighting", sorted(s.name for s in extra),
                                   "parameters without values", "give every parameter")
    function = sp.lambdify(spaces.time, bound, modules="numpy")

    def evaluate(t: Array) -> Array:
        with np.errstate(all="ignore"):
            out = np.asarray(function(np.asarray(t, dtype=np.float64)), dtype=np.complex128)
        real = np.where(np.abs(out.imag) <= 1e-12 * np.abs(out.real), out.real, np.nan)
        return np.broadcast_to(real, np.shape(t)).astype(np.float64)

    return evaluate


def time_of_lambda(schedule: str, lam: Array) -> Array:
    """``t(lambda)`` of the schedule (derived by :mod:`derive`), evaluated."""
    inverse = spaces.schedule(check_schedule_name(schedule)).time_of_lambda()
    expr = inverse.subs(spaces.lam, sp.Symbol("t", positive=True))
    return function_of_t(expr, schedule, schedule_parameters(schedule))(lam)


def level_grid(schedule: str, n: int = 201, margin: float = 1e-3) -> tuple[Array, Array]:
    """``(t, lambda)`` on ``n`` levels equally spaced in ``lambda`` inside the schedule's
    ``t`` range (``margin`` of the range trimmed at each end, where ``lambda`` diverges)."""
    sched = spaces.schedule(check_schedule_name(schedule))
    low, high = (float(v) for v in sched.t_range)
    span = high - low
    lam_of_t = function_of_t(sched.lam, schedule, schedule_parameters(schedule))
    ends = lam_of_t(np.array([low + margin * span, high - margin * span]))
    lam = np.linspace(ends[1], ends[0], n)
    return time_of_lambda(schedule, lam), lam


def _named(text: str) -> tuple[derive.Weighting, dict[str, sp.Expr]]:
    from derive.weightings import parse_weighting_name

    return parse_weighting_name(text)


def weight_curve(text: str, space: str, schedule: str, t: Array) -> WeightingCurve:
    """The named weighting (``"min-snr:5"``) in ``space`` (or ``lambda``: the density
    form) on ``schedule`` at levels ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> c = weight_curve("min-snr:5", "eps", "vp-cosine", np.array([0.5]))
    >>> bool(np.isclose(c.values[0], 1.0))  # SNR = 1 < 5: min(SNR, 5)/SNR = 1
    True
    """
    record, values = _named(text)
    check_space_name(space)
    check_schedule_name(schedule)
    values = {**schedule_parameters(schedule), **values}
    if space == "lambda":
        expr = record.density_form(schedule, variable="t", simplify=False)
    else:
        expr = record.in_space(space, schedule, variable="t", simplify=False)
    t = np.asarray(t, dtype=np.float64)
    sched = spaces.schedule(schedule)
    lam = function_of_t(sched.lam, schedule, values)(t)
    return WeightingCurve(text, space, schedule, t, lam,
                          function_of_t(expr, schedule, values)(t))


def density_curve(text: str, schedule: str, t: Array) -> WeightingCurve:
    """The density form ``W(lambda)`` of the named weighting at levels ``t``."""
    return weight_curve(text, "lambda", schedule, t)


def expected_optimal_curve(mixture: GaussianMixture, space: str, schedule: str, t: Array
                           ) -> WeightingCurve:
    """``E[W*_X]`` of a 1-D mixture at levels ``t``: ``E[W*_eps] / k_X`` with
    ``E[W*_eps] = E[W*_VE](sigma_e) / sigma_e^2`` at ``sigma_e = sigma/alpha`` (the
    VE expectation by quadrature over the exact mixture). In ``lambda``: the density
    form of ``E[W*]`` with uniform ``t``."""
    check_one_dimensional(mixture, "E[W*] curves")
    check_space_name(space)
    sched = spaces.schedule(check_schedule_name(schedule))
    values = schedule_parameters(schedule)
    t = np.asarray(t, dtype=np.float64)
    alpha = function_of_t(sched.alpha, schedule, values)(t)
    sigma = function_of_t(sched.sigma, schedule, values)(t)
    level = sigma / alpha
    eps_weight = np.array([float(expected_optimal_weight(mixture, float(s)).value) / s**2
                           for s in level])
    if space == "lambda":
        low, high = (float(v) for v in sched.t_range)
        speed = function_of_t(-sp.diff(sched.lam, spaces.time), schedule, values)(t)
        out = eps_weight / (high - low) / speed
    else:
        factor = function_of_t(sched.at(spaces.conversion_factor(space)), schedule,
                                {**values, "sigma_data": sp.Rational(1, 2)})(t)
        out = eps_weight / factor
    lam = function_of_t(sched.lam, schedule, values)(t)
    return WeightingCurve("E[W*]", space, schedule, t, lam, out)


def display_variable(schedule: str) -> str:
    """The variable a weight on ``schedule`` is shown in: sigma where ``alpha = 1`` (ve,
    edm), t on the families of :data:`derive.spaces.SHOWN_IN_T`, else lambda."""
    sched = spaces.schedule(schedule)
    if sched.alpha == 1:
        return "sigma"
    return "t" if schedule.split(":")[0] in spaces.SHOWN_IN_T else "lambda"

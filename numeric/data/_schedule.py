"""Noise levels of ``dsmw data`` on any schedule, and the factor that moves ``E[W*]`` into
any space.

On a schedule ``x_t = alpha x0 + sigma eps`` the rescaled input ``x_t/alpha = x0 +
(sigma/alpha) eps`` is the data noised the variance-exploding way at ``sigma/alpha``, so
the exact VE posterior at ``sigma/alpha`` gives ``Cov[x0 | x_t]``. The optimal weight in a
space is the inverse conditional covariance of that space's target; every target's error
is ``c_X (eps_hat - eps)`` with ``c_X^2 = k_X`` (:func:`derive.spaces.conversion_factor`),
so ``W*_X = W*_score,VE(sigma/alpha) k_score,VE(sigma/alpha) / k_X``. That ratio is built
here from :mod:`derive` (nothing typed in) and is a scalar per level, which is why the
matrix ``W*`` converts like the one-dimensional one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError

__all__ = ["DEFAULT_LEVELS", "ScheduleLevels", "optimal_weight_factor", "schedule_levels"]

Array = NDArray[np.float64]

#: Levels per schedule when only ``--schedule`` is given (as many as the default sigma grid).
DEFAULT_LEVELS = 40


def _spaces():
    from derive import spaces

    return spaces


def check_schedule_name(name: Any) -> str:
    from numeric.weighting_curves import check_schedule_name as check

    return check(name)


def check_space_name(name: Any) -> str:
    """One of derive's spaces (not ``lambda``: the data curve is a weight, not a density)."""
    from numeric.weighting_curves import check_space_name as check

    return check(name, with_lambda=False)


def optimal_weight_factor(space: str) -> sp.Expr:
    """``W*_X / W*_score,VE(sigma/alpha)`` for a general schedule, from derive's ``k_X``.

    ``k_score`` at the VE level ``sigma/alpha`` (``alpha = 1``) over ``k_X`` at
    ``(alpha, sigma)``; in the plain symbols of :mod:`derive.spaces`.

    Examples
    --------
    >>> import derive
    >>> from derive import spaces
    >>> optimal_weight_factor("eps") == spaces.alpha**2 / derive.sigma**2   # SNR
    True
    >>> optimal_weight_factor("score") == spaces.alpha**2
    True
    """
    import derive

    spaces = _spaces()
    check_space_name(space)
    at_ve = spaces.conversion_factor("score").subs(
        {spaces.alpha: sp.Integer(1), derive.sigma: derive.sigma / spaces.alpha},
        simultaneous=True)
    return sp.factor(at_ve / spaces.conversion_factor(space))


def function_of_t(expr: sp.Expr, values: dict[str, Any]):
    from numeric.weighting_curves import function_of_t as evaluate

    return evaluate(expr, "", values)


@dataclass(frozen=True)
class ScheduleLevels:
    """Noise levels on a schedule: ``lambda``, ``t``, ``alpha``, ``sigma``, the VE level
    ``sigma/alpha`` the posterior is taken at, and the factor into ``space``."""

    schedule: str
    space: str
    lam: Array
    t: Array
    alpha: Array
    sigma: Array
    sigma_ve: Array
    factor: Array
    parameters: dict[str, float]

    @property
    def is_default(self) -> bool:
        """VE score space: the curve is today's ``tr E[W*](sigma)/d`` itself."""
        return self.schedule == "ve" and self.space == "score"

    def to_dict(self) -> dict[str, Any]:
        return {"lambda": self.lam.tolist(), "t": self.t.tolist(),
                "alpha": self.alpha.tolist(), "sigma": self.sigma.tolist(),
                "sigma_over_alpha": self.sigma_ve.tolist(),
                "factor_from_ve_score": self.factor.tolist(),
                "schedule_parameters": dict(self.parameters)}


def schedule_levels(schedule: str, space: str, sigma_data: float, *, levels: int | None = None,
                    sigmas: Array | None = None) -> ScheduleLevels:
    """The levels of ``dsmw data`` on ``schedule``, ascending in ``sigma/alpha``.

    ``levels``: that many levels equally spaced in ``lambda`` over the schedule's range
    (:func:`numeric.weighting_curves.level_grid`). ``sigmas``: levels given by
    ``sigma/alpha = exp(-lambda/2)`` (``sigma`` itself on ``ve`` and ``edm``). On ``ve``
    the geometric schedule runs between the ends of the levels (so ``t`` spans [0, 1]
    and the likelihood weighting is that of those ends).

    Examples
    --------
    >>> import numpy as np
    >>> lv = schedule_levels("vp-cosine", "eps", 1.0, sigmas=np.array([1.0]))
    >>> bool(np.allclose([lv.t[0], lv.alpha[0], lv.factor[0]], [0.5, np.sqrt(0.5), 1.0]))
    True
    """
    from numeric.weighting_curves import level_grid, schedule_parameters

    spaces = _spaces()
    check_schedule_name(schedule)
    check_space_name(space)
    if (levels is None) == (sigmas is None):
        raise InvalidArgumentError("--levels", levels, "give either a number of levels or "
                                   "the sigmas", "pass e.g. --levels 40")
    sched = spaces.schedule(schedule)
    if sigmas is None:
        if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 2:
            raise InvalidArgumentError("--levels", levels, "need at least 2 levels",
                                       "pass e.g. --levels 40")
        _, lam_grid = level_grid(schedule, int(levels))
        sigma_ve = np.exp(-lam_grid[::-1] / 2)
    else:
        sigma_ve = np.asarray(sigmas, dtype=np.float64)
    values: dict[str, Any] = dict(schedule_parameters(schedule))
    if schedule == "ve":
        values.update(sigma_min=float(sigma_ve.min()), sigma_max=float(sigma_ve.max()))
    lam = -2.0 * np.log(sigma_ve)
    inverse = sched.time_of_lambda().subs(spaces.lam, spaces.time)  # t(lambda), lambda as t
    if schedule == "ve" and sigma_ve.min() == sigma_ve.max():
        t = np.zeros_like(sigma_ve)
    else:
        t = function_of_t(inverse, values)(lam)
    low, high = (float(v) for v in sched.t_range)
    slack = 1e-9 * (high - low)  # rounding of t(lambda) at the ends of the range
    if not np.all(np.isfinite(t)) or np.any(t < low - slack) or np.any(t > high + slack):
        raise InvalidArgumentError("--sigmas", sigma_ve.tolist(),
                                   f"some levels lie outside the {schedule} schedule (t in "
                                   f"[{low:g}, {high:g}])", "use --levels N, or sigmas "
                                   "inside the schedule's range")
    t = np.clip(t, low, high)
    if sched.alpha == 1:
        # the level is sigma itself: keep the given numbers bit for bit
        alpha, sigma = np.ones_like(sigma_ve), sigma_ve.copy()
    else:
        alpha = function_of_t(sched.alpha, values)(t)
        sigma = function_of_t(sched.sigma, values)(t)
    numeric_values = {**values, "sigma_data": sp.nsimplify(float(sigma_data))}
    factor = function_of_t(sched.at(optimal_weight_factor(space)), numeric_values)(t)
    if not np.all(np.isfinite(factor) & (factor > 0)):
        raise InvalidArgumentError("--space", space, f"the conversion into {space} space "
                                   "is not finite and positive at every level",
                                   "use levels strictly inside the schedule")
    return ScheduleLevels(schedule, space, lam, np.asarray(t, dtype=np.float64), alpha, sigma,
                          sigma_ve, np.asarray(factor, dtype=np.float64),
                          {k: float(v) for k, v in values.items()})


def describe_invariance() -> str:
    """Why the verdict is the same in every space (stated in the output)."""
    return ("the verdict is the same in every space on this schedule: E[W*] and each "
            "weighting convert by the same factor k_X/k_Y at each level, so every log "
            "ratio, as is and up to a constant, is unchanged; it changes with the schedule "
            "and the levels")



def trace_weight_on_schedule(mixture: Any, x_t: Array, levels: ScheduleLevels, index: int
                             ) -> Array:
    """``tr W*_X(x_t)/d`` at level ``index`` of ``levels``, as the curve computes it: the
    VE statistic of ``x_t/alpha`` at ``sigma/alpha``, times the factor into the space.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric import GaussianMixture
    >>> gaussian = GaussianMixture([1.0], [[0.0]], [[[4.0]]])
    >>> lv = schedule_levels("vp-cosine", "eps", 2.0, sigmas=np.array([1.0]))
    >>> w = trace_weight_on_schedule(gaussian, np.array([[0.3]]), lv, 0)
    >>> bool(np.isclose(w[0], 1 + 1 / (1.0 * 4.0)))      # 1 + 1/(SNR s^2), SNR = 1
    True
    """
    from numeric.data._curve import trace_optimal_weight

    points = np.asarray(x_t, dtype=np.float64) / levels.alpha[index]
    return (trace_optimal_weight(mixture, points, float(levels.sigma_ve[index]))
            * levels.factor[index])

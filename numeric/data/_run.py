"""The whole pipeline of ``dsmw data``: load, prepare, fit, the curves, the comparison.

Every number the command prints is in the dictionary :func:`data_report` returns (and
in ``--json``), together with the fitted mixture, so the curve can be recomputed
independently.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError, check_rng, check_schedule
from numeric.data._curve import QUANTILES, expected_weight_curve
from numeric.data._fit import fit_mixture
from numeric.data._load import Dataset, prepare
from numeric.data._schedule import (
    DEFAULT_LEVELS,
    ScheduleLevels,
    check_schedule_name,
    check_space_name,
    describe_invariance,
    schedule_levels,
)
from numeric.data._zoo import zoo_weights

__all__ = ["DEFAULT_SIGMAS", "compare_weightings", "data_report"]

Array = NDArray[np.float64]

#: Default noise levels (in units of a standardised feature's spread).
DEFAULT_SIGMAS = tuple(float(s) for s in np.geomspace(0.01, 10.0, 40))
#: First-order prediction, as reported next to the zoo.
FIRST_ORDER = "first order sigma^2 + sigma^4 tr J/d"
#: EDM's weight with sigma_data^2 the harmonic mean of the data covariance's eigenvalues.
EDM_HARMONIC = "EDM, sigma_data^2 = d / tr Cov[X]^-1"
#: Relative standard error of the cheaper curves that show the floor's effect.
SENSITIVITY_REL_SE = 0.05


def compare_weightings(sigmas: Array, expected: Array,
                       candidates: dict[str, Array]) -> dict[str, dict[str, float]]:
    """Mean absolute log ratio of each candidate to ``expected`` over the levels.

    ``raw`` compares the weights as they are; ``scale_free`` after the best constant
    factor (the median log ratio, which minimises the mean absolute log ratio), since a
    loss weighting is defined up to a constant that only rescales the learning rate.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([0.1, 1.0])
    >>> out = compare_weightings(s, s**2, {"double": 2 * s**2})
    >>> bool(np.isclose(out["double"]["raw"], np.log(2)) and out["double"]["scale_free"] < 1e-12)
    True
    """
    out = {}
    reference = np.log(np.asarray(expected, dtype=np.float64))
    for name, weights in candidates.items():
        log_ratio = np.log(np.asarray(weights, dtype=np.float64)) - reference
        centre = float(np.median(log_ratio))
        out[name] = {"raw": float(np.mean(np.abs(log_ratio))),
                     "scale_free": float(np.mean(np.abs(log_ratio - centre))),
                     "best_scale": math.exp(-centre),
                     "max_abs_log_ratio": float(np.max(np.abs(log_ratio)))}
    return out


def _total_covariance(mixture: Any) -> Array:
    """``Cov[X]`` of a mixture: within plus between components."""
    w, mu = mixture.weights, mixture.means
    centre = w @ mu
    offsets = mu - centre
    return (np.einsum("k,kij->ij", w, mixture.covariances)
            + np.einsum("k,ki,kj->ij", w, offsets, offsets))


def _scaled_curve(curve: Any, factor: Array) -> dict[str, Any]:
    """``curve.to_dict()`` with every weight-valued entry of level ``i`` times
    ``factor[i]`` (the conversion out of VE score space; relative errors, draw counts
    and tail indices do not change)."""
    out = curve.to_dict()
    for level, f in zip(out["levels"], factor, strict=True):
        f = float(f)
        for key in ("mean", "se", "bernstein_halfwidth_95", "bound", "first_order",
                    "first_order_se"):
            level[key] = level[key] * f
        level["quantiles"] = {q: v * f for q, v in level["quantiles"].items()}
    return out


def _harmonic_edm(levels: ScheduleLevels, sigma_data: float, harmonic: float) -> Array:
    """EDM's weight with ``sigma_data = harmonic`` in the report's space; in ``F`` space
    through ``eps`` (``k_F`` keeps the data's ``sigma_data``)."""
    zoo = zoo_weights(levels.sigma, harmonic, levels.space if levels.space != "F" else "eps",
                      levels.schedule, levels.t, levels.parameters)["EDM"]
    if levels.space != "F":
        return zoo
    eps = schedule_levels(levels.schedule, "eps", sigma_data, sigmas=levels.sigma_ve)
    return zoo * levels.factor / eps.factor


def _neighbour_floors(chosen: float) -> tuple[float, ...]:
    return (chosen / 10.0, chosen * 10.0)


def data_report(dataset: Dataset, *, components: int | tuple[int, int] = 10,
                covariance_type: str = "full", floor: float | None = None,
                standardise: bool = True, sigmas: Array | None = None, seed: int = 0,
                schedule: str = "ve", space: str = "score", levels: int | None = None,
                rel_se: float = 0.01, max_draws: int = 1 << 16, sensitivity: bool = True,
                jobs: int = 1, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit a mixture to ``dataset`` and compute ``tr E[W*]/d`` against every weighting.

    Parameters
    ----------
    dataset : Dataset
        From :func:`load_dataset`.
    components, covariance_type, floor
        As in :func:`fit_mixture`.
    standardise : bool
        Standardise the kept features (zero-variance features are dropped either way).
    sigmas : array_like, optional
        Noise levels by ``sigma/alpha`` (``sigma`` on ``ve`` and ``edm``); default
        :data:`DEFAULT_SIGMAS` on ``ve``.
    schedule, space : str
        The schedule (``derive.spaces.SCHEDULES``) and the space of the weights
        (``derive.spaces.SPACES``); default VE score space, the curve of ``sigma``.
    levels : int, optional
        That many levels equally spaced in ``lambda`` over the schedule's range
        (default :data:`DEFAULT_LEVELS` on every schedule but ``ve``).
    seed : int
        Seeds the fit and every Monte Carlo draw.
    rel_se : float
        Target relative standard error of each level.
    jobs : int
        Worker processes over the noise levels (the result does not depend on it).
    sensitivity : bool
        Also refit at a tenth and ten times the chosen floor and report how the curve
        moves (cheaper curves, relative error :data:`SENSITIVITY_REL_SE`).

    Returns
    -------
    dict
        JSON-ready: the data set, its preparation, the fit (with the mixture), the curve,
        the zoo, the comparison, the verdict and the floor sensitivity.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidArgumentError("--seed", seed, "seeds are non-negative integers",
                                   "pass e.g. --seed 0")
    say = progress or (lambda message: None)
    check_schedule_name(schedule)
    check_space_name(space)
    if sigmas is not None and levels is not None:
        raise InvalidArgumentError("--levels", levels, "give either --levels or --sigmas",
                                   "drop one of them")
    if sigmas is None and levels is None:
        if schedule == "ve":
            sigmas = DEFAULT_SIGMAS
        else:
            levels = DEFAULT_LEVELS
    if sigmas is not None:
        sigmas = check_schedule(sigmas, "sigmas")
    elif isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 2:
        raise InvalidArgumentError("--levels", levels, "need at least 2 levels",
                                   "pass e.g. --levels 40")
    prepared = prepare(dataset, standardise)
    on = schedule_levels(schedule, space, prepared.sigma_data, levels=levels, sigmas=sigmas)
    levels_ve = check_schedule(on.sigma_ve, "sigmas")
    factor = on.factor
    say(f"fitting {components} component(s) to {prepared.data.shape} points x features")
    fit = fit_mixture(prepared.data, components, covariance_type, floor, int(seed))
    say(f"curve over {levels_ve.size} noise levels ({schedule}, {space} space)")
    rng = check_rng(int(seed))
    curve = expected_weight_curve(fit.mixture, levels_ve, rng, rel_se=rel_se, max_draws=max_draws,
                         jobs=jobs)
    mean = curve.mean * factor
    zoo = zoo_weights(on.sigma, prepared.sigma_data, space, schedule, on.t, on.parameters)
    # As sigma -> inf the posterior tends to the prior, so W* -> sigma^4 Cov[X]^-1 and
    # tr E[W*]/d ~ sigma^4 tr Cov[X]^-1 / d: EDM's form with sigma_data^2 = d / tr Cov^-1.
    total_cov = _total_covariance(fit.mixture)
    inverse_trace = float(np.trace(np.linalg.inv(total_cov))) / total_cov.shape[0]
    harmonic = _harmonic_edm(on, prepared.sigma_data, 1.0 / math.sqrt(inverse_trace))
    candidates = {**zoo, FIRST_ORDER: curve.first_order * factor, EDM_HARMONIC: harmonic}
    comparison = compare_weightings(levels_ve, mean, candidates)
    in_zoo = {name: comparison[name] for name in zoo}
    closest = min(in_zoo, key=lambda name: in_zoo[name]["raw"])
    closest_scaled = min(in_zoo, key=lambda name: in_zoo[name]["scale_free"])
    floors = []
    if sensitivity:
        for other in _neighbour_floors(fit.floor):
            say(f"sensitivity: floor {other:g}")
            refit = fit_mixture(prepared.data, fit.n_components, covariance_type, other,
                                int(seed))
            other_curve = expected_weight_curve(refit.mixture, levels_ve, rng,
                                                rel_se=SENSITIVITY_REL_SE,
                                                min_draws=256, max_draws=max_draws, jobs=jobs)
            ratio = other_curve.mean / curve.mean  # the same in every space
            floors.append({
                "floor": other, "log_likelihood_per_point": refit.log_likelihood_per_point,
                "fisher_trace_per_dim": float(other_curve.fisher.value),
                "ratio_to_chosen": ratio.tolist(),
                "ratio_relative_se": np.hypot(other_curve.se / other_curve.mean,
                                              curve.se / curve.mean).tolist(),
                "max_abs_log_ratio": float(np.max(np.abs(np.log(ratio))))})
    heavy = [lv.sigma for lv in curve.levels if lv.variance_looks_infinite]
    missed = [lv.sigma for lv in curve.levels if not lv.target_met]
    below = [lv.sigma for lv in curve.levels if lv.mean + 2 * lv.se < lv.sigma**2]
    return {
        "dataset": {"name": dataset.name, "source": dataset.source,
                    "n_points": dataset.n_points, "raw_features": dataset.dim,
                    "features": len(prepared.kept)},
        "preparation": prepared.to_dict(),
        "fit": fit.to_dict(),
        "seed": int(seed),
        "max_draws_per_level": int(max_draws),
        "schedule": schedule,
        "space": space,
        "levels": on.to_dict(),
        "sigmas": levels_ve.tolist(),
        "quantile_levels": list(QUANTILES),
        "curve": _scaled_curve(curve, factor),
        "zoo": {name: w.tolist() for name, w in zoo.items()},
        "large_sigma": {"inverse_covariance_trace_per_dim": inverse_trace,
                        "harmonic_sigma_data": 1.0 / math.sqrt(inverse_trace),
                        "edm_harmonic": harmonic.tolist()},
        "comparison": comparison,
        "verdict": {"metric": "mean absolute log ratio to tr E[W*]/d over the noise levels",
                    "space": space, "schedule": schedule, "in_every_space": describe_invariance(),
                    "closest": closest, "closest_value": in_zoo[closest]["raw"],
                    "closest_up_to_a_constant": closest_scaled,
                    "closest_up_to_a_constant_value": in_zoo[closest_scaled]["scale_free"],
                    "first_order_value": comparison[FIRST_ORDER]["raw"],
                    "edm_harmonic_value": comparison[EDM_HARMONIC]["raw"]},
        "levels_variance_looks_infinite": heavy,
        "levels_target_missed": missed,
        "levels_below_sigma_squared": below,
        "floor_sensitivity": floors,
        "timing": {"fit_seconds": fit.fit_seconds, "floor_selection_seconds":
                   fit.selection_seconds, "curve_seconds": curve.seconds,
                   "total_seconds": None},
    }


def timed_report(dataset: Dataset, **options: Any) -> dict[str, Any]:
    """:func:`data_report` with its wall time recorded."""
    start = time.perf_counter()
    report = data_report(dataset, **options)
    report["timing"]["total_seconds"] = time.perf_counter() - start
    return report

"""Fitting a Gaussian mixture to data with scikit-learn, and converting it.

The regularisation is a stated, data-relative choice: scikit-learn's ``reg_covar`` (added
to the diagonal of every fitted covariance, so every eigenvalue is at least that) is set
to ``floor`` times the data's mean per-feature variance. With ``floor=None`` the floor is
chosen from :data:`DEFAULT_FLOORS` by the log-likelihood per point of a held-out fifth of
the data (fitted on the other four fifths), and the chosen floor is then refitted on all
of it. With a range of component counts, the floor is chosen so for every ``K`` of the
range and ``K`` is then chosen by BIC (lowest), each ``K`` at its own floor. A best floor at an end
of the grid is followed outwards a decade at a time (at most :data:`EXTRA_DECADES`,
within ``[MIN_FLOOR, MAX_FLOOR]``); ``floor_at_grid_edge`` reports if it stayed there
(held-out likelihood still rising as the floor shrinks means the fit can collapse
components onto repeated points, as in ``iris``, whose rows repeat).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError, check_choice, check_rng
from numeric.data._load import sklearn
from numeric.mixture import GaussianMixture

__all__ = ["DEFAULT_FLOORS", "FittedMixture", "fit_mixture", "to_numeric_mixture"]

Array = NDArray[np.float64]

#: Candidate variance floors, relative to the data's mean per-feature variance.
DEFAULT_FLOORS = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1)
#: How far the floor search follows a best floor at an end of the grid, and its limits.
EXTRA_DECADES, MIN_FLOOR, MAX_FLOOR = 3, 1e-9, 10.0
#: Share of the points held out to choose the floor.
HELD_OUT_SHARE = 0.2


@dataclass(frozen=True)
class FittedMixture:
    """A fitted mixture with everything needed to judge and reproduce the fit."""

    mixture: GaussianMixture
    n_components: int
    covariance_type: str
    floor: float
    reg_covar: float
    log_likelihood_per_point: float
    bic: float
    converged: bool
    n_iterations: int
    fit_seconds: float
    selection_seconds: float
    held_out: dict[float, float] = field(default_factory=dict)
    bic_by_k: dict[int, float] = field(default_factory=dict)
    floor_by_k: dict[int, float] = field(default_factory=dict)

    @property
    def floor_at_grid_edge(self) -> bool:
        """The held-out likelihood was best at the smallest or largest floor tried."""
        return bool(self.held_out) and self.floor in (min(self.held_out), max(self.held_out))

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_components": self.n_components, "covariance_type": self.covariance_type,
            "floor": self.floor, "reg_covar": self.reg_covar,
            "floor_at_grid_edge": self.floor_at_grid_edge,
            "log_likelihood_per_point": self.log_likelihood_per_point, "bic": self.bic,
            "converged": self.converged, "n_iterations": self.n_iterations,
            "fit_seconds": self.fit_seconds, "selection_seconds": self.selection_seconds,
            "held_out_log_likelihood_by_floor": [
                {"floor": f, "held_out_log_likelihood_per_point": v}
                for f, v in self.held_out.items()],
            "bic_by_components": [{"components": k, "bic": v, "floor": self.floor_by_k.get(k)}
                                  for k, v in self.bic_by_k.items()],
            "smallest_eigenvalue": float(self.mixture.eigenvalues.min()),
            "mixture": self.mixture.to_dict(),
        }


def to_numeric_mixture(model: Any) -> GaussianMixture:
    """A fitted ``sklearn.mixture.GaussianMixture`` (``full``/``diag``/``spherical``/``tied``)
    as a :class:`numeric.GaussianMixture` (weights renormalised to sum to one exactly)."""
    weights = np.asarray(model.weights_, dtype=np.float64)
    means = np.asarray(model.means_, dtype=np.float64)
    k, d = means.shape
    kind = model.covariance_type
    cov = np.asarray(model.covariances_, dtype=np.float64)
    if kind == "full":
        full = cov
    elif kind == "diag":
        full = np.einsum("ki,ij->kij", cov, np.eye(d))
    elif kind == "spherical":
        full = cov[:, None, None] * np.eye(d)
    else:  # tied
        full = np.broadcast_to(cov, (k, d, d))
    full = 0.5 * (full + np.swapaxes(full, 1, 2))
    return GaussianMixture(weights / math.fsum(weights.tolist()), means, full)


def _fit_once(data: Array, k: int, covariance_type: str, reg_covar: float, seed: int) -> Any:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    model = SkGaussianMixture(n_components=k, covariance_type=covariance_type,
                              reg_covar=reg_covar, random_state=seed, max_iter=500)
    with warnings.catch_warnings():
        # non-convergence is reported in the result (converged = False), not raised
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data)
    return model


#: Components of the default fit: K = 10 for digits (BIC over a range is slow in d = 61),
#: otherwise BIC over 1..6, never more than half the number of points.
DEFAULT_COMPONENTS: dict[str, int | tuple[int, int]] = {"digits": 10}
DEFAULT_COMPONENT_RANGE = (1, 6)


def default_components(name: str, n_points: int) -> int | tuple[int, int]:
    """The components ``dsmw data`` fits when none are given, for a data set of
    ``n_points`` points named ``name``.

    Examples
    --------
    >>> default_components("iris", 150), default_components("points", 10)
    ((1, 6), (1, 5))
    """
    top = max(1, n_points // 2)
    chosen = DEFAULT_COMPONENTS.get(name, DEFAULT_COMPONENT_RANGE)
    if isinstance(chosen, int):
        return min(chosen, top)
    return (min(chosen[0], top), min(chosen[1], top))


def _components(components: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(components, int | np.integer) and not isinstance(components, bool):
        low = high = int(components)
    elif isinstance(components, tuple) and len(components) == 2:
        low, high = (int(c) for c in components)
    else:
        raise InvalidArgumentError("components", components, "expected K or a range (lo, hi)",
                                   "pass K, e.g. 10, or a range lo-hi, e.g. 1-8 "
                                   "(components=(1, 8) in Python)")
    if low < 1 or high < low:
        raise InvalidArgumentError("components", components,
                                   "need 1 <= K (or 1 <= lo <= hi)",
                                   "pass K, e.g. 10, or a range lo-hi, e.g. 1-8 "
                                   "(components=(1, 8) in Python)")
    return low, high


def _held_out_floors(train: Array, test: Array, k: int, kind: str, scale: float, seed: int,
                     floors: tuple[float, ...]) -> dict[float, float]:
    """Held-out log-likelihood per point of each floor (fitted on ``train``)."""
    held_out: dict[float, float] = {}

    def try_floor(candidate: float) -> None:
        model = _fit_once(train, k, kind, candidate * scale, seed)
        held_out[float(candidate)] = float(model.score(test))

    for candidate in floors:
        try_floor(candidate)
    # a best floor at an end of the grid is followed outwards, a decade at a time, up to
    # EXTRA_DECADES; if it is still at the end, floor_at_grid_edge says so
    for _ in range(EXTRA_DECADES):
        chosen = max(held_out, key=held_out.__getitem__)
        if chosen == min(held_out) and chosen / 10 >= MIN_FLOOR:
            try_floor(float(f"{chosen / 10:.12g}"))
        elif chosen == max(held_out) and chosen * 10 <= MAX_FLOOR:
            try_floor(float(f"{chosen * 10:.12g}"))
        else:
            break
    return dict(sorted(held_out.items()))


def fit_mixture(data: Array, components: int | tuple[int, int] = 10,
                covariance_type: str = "full", floor: float | None = None,
                seed: int = 0, floors: tuple[float, ...] = DEFAULT_FLOORS) -> FittedMixture:
    """Fit a Gaussian mixture to ``data`` (n, d) and convert it to :class:`GaussianMixture`.

    Parameters
    ----------
    data : ndarray, shape (n, d)
        Prepared data (see :func:`prepare`).
    components : int or (int, int)
        ``K``, or a range ``(lo, hi)`` from which BIC chooses ``K``.
    covariance_type : {"full", "diag"}
        Component covariances.
    floor : float, optional
        Variance floor relative to the data's mean per-feature variance; ``None``
        chooses it from ``floors`` by held-out log-likelihood.
    seed : int
        Seeds the held-out split and scikit-learn's initialisation.

    Returns
    -------
    FittedMixture

    Examples
    --------
    >>> import numpy as np
    >>> from numeric import GaussianMixture
    >>> truth = GaussianMixture.one_dimensional([0.5, 0.5], [-3.0, 3.0], [1.0, 1.0])
    >>> fit = fit_mixture(truth.sample(4000, 0), 2, floor=1e-6)
    >>> bool(np.allclose(np.sort(fit.mixture.means[:, 0]), [-3, 3], atol=0.1))
    True
    """
    points = np.asarray(data, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] < 3:
        raise InvalidArgumentError("data", points.shape, "expected (n, d) with n >= 3",
                                   "pass one point per row")
    kind = check_choice("covariance_type", covariance_type, ("full", "diag"))
    low, high = _components(components)
    if high > points.shape[0] // 2:
        raise InvalidArgumentError("components", components,
                                   f"too many components for {points.shape[0]} points",
                                   "pass K of at most half the number of points")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidArgumentError("seed", seed, "seeds are non-negative integers",
                                   "pass e.g. seed=0")
    sklearn("--components", components)
    if floor is not None and not (isinstance(floor, int | float) and 0 < floor < 1e3):
        raise InvalidArgumentError("floor", floor, "the variance floor must be > 0",
                                   "pass e.g. 1e-2 (relative to the data's variance)")
    scale = float(np.mean(np.var(points, axis=0)))
    order = check_rng(int(seed)).permutation(points.shape[0])
    cut = round(points.shape[0] * (1 - HELD_OUT_SHARE))
    train, test = points[order[:cut]], points[order[cut:]]
    selection = fitting = 0.0
    bic_by_k: dict[int, float] = {}
    found: dict[int, tuple[Any, float, dict[float, float]]] = {}
    for k in range(low, high + 1):
        start = time.perf_counter()
        held_out = ({} if floor is not None else
                    _held_out_floors(train, test, k, kind, scale, int(seed), floors))
        chosen = float(floor) if floor is not None else max(held_out, key=held_out.__getitem__)
        selection += time.perf_counter() - start
        start = time.perf_counter()
        model = _fit_once(points, k, kind, chosen * scale, int(seed))
        fitting += time.perf_counter() - start
        bic_by_k[k] = float(model.bic(points))
        found[k] = (model, chosen, held_out)
    best = min(bic_by_k, key=bic_by_k.__getitem__)
    model, chosen, held_out = found[best]
    reg = chosen * scale
    seconds = fitting
    return FittedMixture(
        mixture=to_numeric_mixture(model), n_components=best, covariance_type=kind,
        floor=chosen, reg_covar=reg, log_likelihood_per_point=float(model.score(points)),
        bic=bic_by_k[best], converged=bool(model.converged_), n_iterations=int(model.n_iter_),
        fit_seconds=seconds, selection_seconds=selection, held_out=held_out, bic_by_k=bic_by_k,
        floor_by_k={k: found[k][1] for k in found})

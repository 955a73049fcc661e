"""The expected optimal weight ``tr E[W*](sigma)/d`` of a Gaussian mixture by Monte Carlo.

At each noise level ``sigma`` the noisy input ``x~`` is drawn from ``p_sigma`` and the
*exact* posterior covariance ``Cov[X | x~]`` of the mixture is formed at every draw (no
posterior sampling); the optimal weight there is ``W*(x~) = sigma^4 Cov[X | x~]^-1``
(Gaussian noise, first order), and its normalised trace ``tr W*(x~)/d`` is the statistic
averaged. The draws are processed in chunks (memory bounded by the chunk, whatever the
number of draws) and each level stops once its standard error is at most ``rel_se`` of
its value or ``max_draws`` is reached.

Work per draw is ``O(K d^2)`` for the posterior, plus, where no closed form is exact to
:data:`CLOSED_FORM_TOLERANCE`, a ``d x d`` Cholesky factor and the norm of its inverse
(see :meth:`_Factors.trace_weight`): the components' eigenvectors are computed once and
serve every draw and every level (only the eigenvalues shift with ``sigma``), and every
operation is batched over draws and components.

The statistic is bounded: ``Cov[X | x~]`` dominates the smallest component posterior
covariance, whose eigenvalues are ``sigma^2 lambda / (lambda + sigma^2)``, so
``tr W*(x~)/d <= sigma^2 (1 + sigma^2 / lambda_min)`` with ``lambda_min`` the smallest
eigenvalue of any component covariance. Its variance is therefore finite, but when that
bound is many times the mean the draws can look heavy-tailed at any practical sample
size; each level reports a Hill estimate of the upper tail index, the ratio of standard
errors from half and all of the draws, and an empirical-Bernstein half-width that uses
the bound and holds without any tail assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_rng,
    check_sample_count,
    check_schedule,
)
from numeric._workers import can_fork, forked_pool
from numeric.mixture import GaussianMixture
from numeric.montecarlo import Estimate, streamed_mean

__all__ = [
    "QUANTILES",
    "ExpectedWeightCurve",
    "LevelResult",
    "expected_weight_curve",
    "fisher_trace",
    "hill_tail_index",
    "trace_optimal_weight",
]

Array = NDArray[np.float64]

#: Within-level quantiles of ``tr W*(x~)/d`` that are reported.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Draws per chunk: the largest arrays are ``(chunk, d, d)`` and ``(K, chunk, d)``.
DEFAULT_CHUNK = 1024
#: A Hill index below this says the draws look as if their variance were infinite.
INFINITE_VARIANCE_INDEX = 2.0


#: Relative error allowed for the closed form of ``tr W*`` at a draw (see trace_weight).
CLOSED_FORM_TOLERANCE = 1e-13
#: Size below which a triangular block is inverted by LAPACK directly.
_BLOCK = 16


def _squared_norm_of_lower_inverse(lower: Array) -> Array:
    """``||L^-1||_F^2 = tr (L L^T)^-1`` for a batch of lower-triangular ``L`` (n, m, m).

    Block recursion ``[[A, 0], [C, D]]^-1 = [[A^-1, 0], [-D^-1 C A^-1, D^-1]]``: about a
    third of the work of a general inverse, in batched matrix products.
    """
    return _lower_inverse(lower)[1]


def _lower_inverse(lower: Array) -> tuple[Array, Array]:
    m = lower.shape[-1]
    if m <= _BLOCK:
        inverse = np.linalg.inv(lower)
        return inverse, np.einsum("nij,nij->n", inverse, inverse)
    h = m // 2
    a, norm_a = _lower_inverse(lower[:, :h, :h])
    d, norm_d = _lower_inverse(lower[:, h:, h:])
    c = -np.matmul(np.matmul(d, lower[:, h:, :h]), a)
    inverse = np.zeros_like(lower)
    inverse[:, :h, :h] = a
    inverse[:, h:, h:] = d
    inverse[:, h:, :h] = c
    return inverse, norm_a + norm_d + np.einsum("nij,nij->n", c, c)


class _Factors:
    """The per-mixture pieces every level reuses: eigenvectors, eigenvalues, means."""

    def __init__(self, mixture: GaussianMixture) -> None:
        self.mixture = mixture
        self.dim = mixture.dim
        self.log_weights = mixture.log_weights
        self.weights = mixture.weights
        self.cumulative = np.cumsum(self.weights)[:-1] / np.sum(self.weights)
        self.means = mixture.means                       # (K, d)
        self.eigenvalues = mixture.eigenvalues           # (K, d)
        self.vectors = np.ascontiguousarray(mixture._eigenvectors)  # (K, d, d): C = U L U^T
        self.vectors_t = np.ascontiguousarray(np.swapaxes(self.vectors, 1, 2))
        self.lambda_min = float(self.eigenvalues.min())

    def draw_noisy(self, sigma: float, n: int, rng: np.random.Generator) -> Array:
        """``n`` draws of ``x~ ~ p_sigma``: component label, then ``mu + U sqrt(l + s^2) z``."""
        labels = self.cumulative.searchsorted(rng.random(n), side="right")
        z = rng.standard_normal((n, self.dim))
        out = np.empty((n, self.dim))
        roots = np.sqrt(self.eigenvalues + sigma * sigma)
        for k in np.unique(labels):  # K small products, each over its own draws only
            rows = labels == k
            out[rows] = (z[rows] * roots[k]) @ self.vectors_t[k] + self.means[k]
        return out

    def trace_weight(self, x_tilde: Array, sigma: float) -> Array:
        """``tr W*(x~)/d`` at each row of ``x_tilde`` (n, d)."""
        s2 = sigma * sigma
        lam = self.eigenvalues + s2                                   # (K, d)
        offsets = x_tilde[None, :, :] - self.means[:, None, :]        # (K, n, d)
        y = np.matmul(offsets, self.vectors)                          # U_k^T (x~ - mu_k)
        log_joint = (self.log_weights[:, None]
                     - 0.5 * (np.log(lam).sum(axis=1)[:, None] + (y * y / lam[:, None, :])
                              .sum(axis=2)))                          # (K, n)
        top = log_joint.max(axis=0)
        r = np.exp(log_joint - top)
        r /= r.sum(axis=0)
        shrink = self.eigenvalues / lam                               # lambda/(lambda + s^2)
        post_means = np.matmul(shrink[:, None, :] * y, self.vectors_t)  # minus mu_k
        post_means += self.means[:, None, :]
        mean = np.einsum("kn,knd->nd", r, post_means)
        post_means -= mean                                            # m_k - m
        spread = np.einsum("kn,knd,knd->n", r, post_means, post_means) / s2
        # Cov[X | x~]/s^2 = M = r_j P_j + E with P_k = U_k diag(shrink_k) U_k^T, j the
        # most responsible component and E = sum_{k != j} r_k P_k + between-component
        # spread / s^2 (positive semi-definite, ||E|| <= 1 - r_j + spread). So
        # r_j P_j <= M <= r_j P_j + ||E|| I and tr M^-1 is sum_i 1/(r_j shrink_ji) within a
        # relative ||E|| / (r_j min_i shrink_ji). Where that is below CLOSED_FORM_TOLERANCE
        # (most draws when the components are far apart) the closed form is used.
        best = r.argmax(axis=0)
        r_best = r[best, np.arange(r.shape[1])]
        slack = (1.0 - r_best) + spread
        closed = slack <= CLOSED_FORM_TOLERANCE * r_best * self._min_shrink(shrink)[best]
        trace = np.empty(r.shape[1])
        trace[closed] = (1.0 / shrink).sum(axis=1)[best[closed]] / r_best[closed]
        rest = np.flatnonzero(~closed)
        if rest.size:
            trace[rest] = self._trace_inverse(r[:, rest], shrink, post_means[:, rest], s2)
        return s2 * trace / self.dim

    @staticmethod
    def _min_shrink(shrink: Array) -> Array:
        return shrink.min(axis=1)

    def _trace_inverse(self, r: Array, shrink: Array, centred: Array, s2: float) -> Array:
        """``tr M^-1`` for ``M = sum_k r_k P_k + sum_k r_k c_k c_k^T / s^2``, by Cholesky."""
        d = self.dim
        component = np.einsum("kij,kj,klj->kil", self.vectors, shrink, self.vectors)
        cov = (r.T @ component.reshape(len(shrink), d * d)).reshape(-1, d, d)
        weighted = np.transpose(centred * np.sqrt(r / s2)[:, :, None], (1, 0, 2))  # (n, K, d)
        cov += np.matmul(np.swapaxes(weighted, 1, 2), weighted)
        return _squared_norm_of_lower_inverse(np.linalg.cholesky(cov))

    def bound(self, sigma: float) -> float:
        """Upper bound of ``tr W*(x~)/d`` over all ``x~``: ``sigma^2 (1 + sigma^2/lambda_min)``."""
        return sigma * sigma * (1.0 + sigma * sigma / self.lambda_min)


def trace_optimal_weight(mixture: GaussianMixture, x_tilde: Array, sigma: float) -> Array:
    """``tr W*(x~)/d`` with ``W* = Sigma_1^-1 = sigma^4 Cov[X | x~]^-1`` at each point.

    Parameters
    ----------
    mixture : GaussianMixture
        The data distribution ``p``.
    x_tilde : ndarray, shape (n, d)
        Noisy points.
    sigma : float
        Noise level.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.moments import optimal_weight
    >>> from numeric.examples import random_mixture
    >>> gm = random_mixture(np.random.default_rng(0), dim=3, n_components=4)
    >>> x = gm.noised(0.7).sample(5, 1)
    >>> direct = np.trace(optimal_weight(gm, x, 0.7), axis1=1, axis2=2) / 3
    >>> bool(np.allclose(trace_optimal_weight(gm, x, 0.7), direct, rtol=1e-9))
    True
    """
    from numeric._validation import check_points, check_sigma

    s = check_sigma(sigma)
    points = check_points("x_tilde", x_tilde, mixture.dim).reshape(-1, mixture.dim)
    return _Factors(mixture).trace_weight(points, s)


def hill_tail_index(values: Array, tail: int | None = None) -> float:
    """Hill estimate of the upper tail index of positive ``values``.

    Uses the ``tail`` largest values (default ``sqrt(n)``, at least 10):
    ``1 / mean(log(x_(i) / x_(tail+1)))``. An index below 2 is what a distribution
    with infinite variance would show; a large index (or ``inf`` for a flat top) means a
    light tail.

    Examples
    --------
    >>> import numpy as np
    >>> pareto = 1 + np.random.default_rng(0).pareto(1.5, 100_000)
    >>> bool(1.2 < hill_tail_index(pareto) < 1.8)
    True
    """
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    n = x.size
    k = tail if tail is not None else max(10, int(math.sqrt(n)))
    if n <= k + 1 or x[k] <= 0:
        return math.nan
    logs = np.log(x[:k] / x[k])
    mean = float(np.mean(logs))
    return math.inf if mean <= 0 else 1.0 / mean


@dataclass(frozen=True)
class LevelResult:
    """``tr E[W*]/d`` at one noise level, with its error and the within-level spread."""

    sigma: float
    mean: float
    se: float
    n_draws: int
    quantiles: tuple[float, ...]
    tail_index: float
    se_ratio_halves: float
    bernstein_halfwidth: float
    bound: float
    target_met: bool

    @property
    def relative_se(self) -> float:
        return self.se / self.mean if self.mean > 0 else math.inf

    @property
    def variance_looks_infinite(self) -> bool:
        """The draws' upper tail looks like that of an infinite-variance law (Hill < 2)."""
        return bool(self.tail_index < INFINITE_VARIANCE_INDEX)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sigma": self.sigma, "mean": self.mean, "se": self.se,
            "relative_se": self.relative_se, "n_draws": self.n_draws,
            "quantiles": dict(zip([f"{q:g}" for q in QUANTILES], self.quantiles, strict=True)),
            "tail_index": self.tail_index, "variance_looks_infinite":
                self.variance_looks_infinite, "se_ratio_halves": self.se_ratio_halves,
            "bernstein_halfwidth_95": self.bernstein_halfwidth, "bound": self.bound,
            "target_met": self.target_met,
        }


@dataclass(frozen=True)
class ExpectedWeightCurve:
    """``tr E[W*]/d`` over a schedule, the first-order prediction and ``tr J(p)/d``."""

    sigmas: Array
    levels: tuple[LevelResult, ...]
    fisher: Estimate            # tr J(p) / d
    rel_se: float
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mean(self) -> Array:
        return np.array([lv.mean for lv in self.levels])

    @property
    def se(self) -> Array:
        return np.array([lv.se for lv in self.levels])

    @property
    def first_order(self) -> Array:
        """``sigma^2 + sigma^4 tr J(p)/d``."""
        return self.sigmas**2 + self.sigmas**4 * float(self.fisher.value)

    @property
    def first_order_se(self) -> Array:
        return self.sigmas**4 * float(self.fisher.error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rel_se_target": self.rel_se,
            "fisher_trace_per_dim": float(self.fisher.value),
            "fisher_trace_per_dim_se": float(self.fisher.error),
            "fisher_draws": int(self.fisher.n),
            "seconds": self.seconds,
            "levels": [{**lv.to_dict(), "first_order": float(fo), "first_order_se": float(fe)}
                       for lv, fo, fe in zip(self.levels, self.first_order,
                                             self.first_order_se, strict=True)],
        }


def fisher_trace(mixture: GaussianMixture, n_draws: int, rng: np.random.Generator | int,
                 chunk: int = 8192) -> Estimate:
    """``tr J(p)/d = E_p[|grad log p|^2]/d`` by streamed Monte Carlo, with its error.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric import GaussianMixture
    >>> gaussian = GaussianMixture([1.0], [[0.0, 0.0]], [np.diag([2.0, 0.5])])
    >>> est = fisher_trace(gaussian, 20_000, 0)           # (1/2 + 2)/2 exactly
    >>> bool(abs(est.value - 1.25) < 5 * est.error)
    True
    """
    dim = mixture.dim

    def squared_score(g: np.random.Generator, m: int) -> Array:
        score = mixture.score(mixture.sample(m, g))
        return np.einsum("ni,ni->n", score, score) / dim

    return streamed_mean(squared_score, check_sample_count(n_draws, "n_draws"), check_rng(rng),
                         chunk_size=chunk, method="monte-carlo")


def _level(factors: _Factors, sigma: float, rng: np.random.Generator, rel_se: float,
           min_draws: int, max_draws: int, chunk: int) -> LevelResult:
    values: list[Array] = []
    count, mean, squares = 0, 0.0, 0.0
    while count < max_draws:
        m = min(chunk, max_draws - count)
        stats = factors.trace_weight(factors.draw_noisy(sigma, m, rng), sigma)
        values.append(stats)
        chunk_mean = float(stats.mean())
        delta = chunk_mean - mean
        total = count + m
        mean += delta * m / total
        squares += float(np.sum((stats - chunk_mean) ** 2)) + delta**2 * count * m / total
        count = total
        if count >= min_draws and math.sqrt(squares / (count - 1) / count) <= rel_se * mean:
            break
    draws = np.concatenate(values)
    se = math.sqrt(squares / (count - 1) / count)
    half = draws[: count // 2]
    se_half = (float(np.std(half, ddof=1) / math.sqrt(half.size)) if half.size >= 2
               else math.nan)
    variance = squares / (count - 1)
    bound = factors.bound(sigma)
    # empirical Bernstein (Maurer & Pontil 2009), two-sided 95%: range [0, bound]
    log_term = math.log(4.0 / 0.05)
    bernstein = math.sqrt(2 * variance * log_term / count) + 7 * bound * log_term / (
        3 * (count - 1))
    return LevelResult(
        sigma=float(sigma), mean=mean, se=se, n_draws=count,
        quantiles=tuple(float(q) for q in np.quantile(draws, QUANTILES)),
        tail_index=hill_tail_index(draws), se_ratio_halves=se_half / se if se > 0 else math.nan,
        bernstein_halfwidth=bernstein, bound=bound, target_met=bool(se <= rel_se * mean))


def _one_thread():
    # The per-draw products are small batched BLAS calls: on the shared 2-core machine a
    # second BLAS thread made the digits curve 2.6x slower (52 s against 20 s), so each
    # process uses one and --jobs spreads the levels over processes instead.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up only
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# Forked workers inherit the factors and settings through this slot and get level indices.
_FORKED: tuple[_Factors, Array, list[np.random.SeedSequence], tuple[Any, ...]] | None = None


def _run_level(index: int) -> tuple[int, LevelResult]:
    assert _FORKED is not None
    factors, levels, seeds, settings = _FORKED
    with _one_thread():
        return index, _level(factors, float(levels[index]), np.random.default_rng(seeds[index]),
                             *settings)


def _all_levels(factors: _Factors, levels: Array, seeds: list[np.random.SeedSequence],
                settings: tuple[Any, ...], jobs: int) -> tuple[LevelResult, ...]:
    global _FORKED

    _FORKED = (factors, levels, seeds, settings)
    try:
        if jobs == 1 or levels.size < 2 or not can_fork():
            return tuple(_run_level(i)[1] for i in range(levels.size))
        results: dict[int, LevelResult] = {}
        # largest sigmas first: they take the most draws and the full-inverse path
        order = list(range(levels.size))[::-1]
        with forked_pool(min(jobs, levels.size)) as pool:
            for index, result in pool.imap_unordered(_run_level, order):
                results[index] = result
        return tuple(results[i] for i in range(levels.size))
    finally:
        _FORKED = None


def expected_weight_curve(mixture: GaussianMixture, sigmas: Array,
                          rng: np.random.Generator | int, *,
                          rel_se: float = 0.01, min_draws: int = 1024,
                          max_draws: int = 1 << 16, fisher_draws: int = 1 << 17,
                          chunk: int = DEFAULT_CHUNK, jobs: int = 1) -> ExpectedWeightCurve:
    """``tr E[W*](sigma)/d`` at every level of ``sigmas``, with errors and spread.

    Parameters
    ----------
    mixture : GaussianMixture
        The data distribution (e.g. from :func:`fit_mixture`).
    sigmas : array_like
        Noise levels, ascending.
    rng : numpy.random.Generator or int
        The only source of randomness: each level draws from its own child generator,
        so the result does not depend on ``jobs``.
    rel_se : float
        Each level draws until its standard error is at most ``rel_se`` of its mean
        (at least ``min_draws``, at most ``max_draws``; ``target_met`` says which).
    fisher_draws : int
        Draws of ``x ~ p`` for ``tr J(p)/d`` (the first-order prediction).
    chunk : int
        Draws per batch; memory is ``O(chunk (d^2 + K d))`` per process.
    jobs : int
        Worker processes (forked) over the levels.

    Returns
    -------
    ExpectedWeightCurve

    Examples
    --------
    >>> import numpy as np
    >>> from numeric import GaussianMixture
    >>> gaussian = GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2) * 4.0])
    >>> curve = expected_weight_curve(gaussian, np.array([0.5, 2.0]), 0, min_draws=64, max_draws=64,
    ...                      fisher_draws=64)
    >>> bool(np.allclose(curve.mean, [0.25 * 4.25 / 4, 4 * 8 / 4]))   # C7: W* constant
    True
    """
    import time

    from numeric._validation import check_order

    levels = check_schedule(sigmas, "sigmas")
    generator = check_rng(rng)
    if not (isinstance(rel_se, int | float) and 0 < rel_se < 1):
        raise InvalidArgumentError("rel_se", rel_se, "must lie in (0, 1)", "pass e.g. 0.01")
    low = check_sample_count(min_draws, "min_draws")
    high = check_sample_count(max_draws, "max_draws")
    if low < 2 or high < low:
        raise InvalidArgumentError("max_draws", high, f"need 2 <= min_draws ({low}) <= "
                                   "max_draws", "raise max_draws")
    size = check_sample_count(chunk, "chunk")
    workers = check_order(jobs, minimum=1, name="jobs")
    start = time.perf_counter()
    factors = _Factors(mixture)
    seeds = np.random.SeedSequence(int(generator.integers(2**63))).spawn(levels.size)
    results = _all_levels(factors, levels, seeds, (float(rel_se), low, high, size), workers)
    with _one_thread():
        fisher = fisher_trace(mixture, fisher_draws, generator)
    return ExpectedWeightCurve(levels, results, fisher, float(rel_se), time.perf_counter() - start)

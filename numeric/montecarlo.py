"""Monte Carlo estimators that return a value *with* its error, and calibrated z-tests.

A z-test compares ``m`` estimates with their claimed values at a family-wise
false-alarm rate ``alpha`` (Bonferroni: each of the ``m`` two-sided tests is
run at level ``alpha / m``), so a correct formula is rejected with
probability at most ``alpha`` (asymptotically, by the central limit theorem)
and a formula off by several standard errors is rejected almost surely.

An estimate whose sampling distribution is skewed (the mean of ``(T_n - m_n)^2`` over
heavy-tailed draws) may carry the estimator's known skewness; the z-test then removes it
with Hall's monotone transformation before comparing with the normal threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_finite_array,
    check_rng,
    check_sample_count,
)

__all__ = [
    "DEFAULT_FALSE_ALARM_RATE",
    "Estimate",
    "ZTest",
    "concatenate",
    "deskewed",
    "mean_estimate",
    "moment_estimate",
    "streamed_mean",
    "z_test",
    "z_threshold",
]

#: Family-wise false-alarm rate of every Monte Carlo check unless told otherwise.
DEFAULT_FALSE_ALARM_RATE = 1e-4


@dataclass(frozen=True)
class Estimate:
    """A numerical estimate: ``value`` with standard ``error`` (same shape) and its ``method``.

    ``skewness`` (optional, same shape): the skewness of the estimator itself under the
    null hypothesis -- for a mean of ``N`` draws, the draws' skewness over ``sqrt(N)`` --
    when it is known exactly; :func:`z_test` corrects for it. ``None``: taken as 0.
    """

    value: NDArray[np.float64]
    error: NDArray[np.float64]
    method: str
    n: int = 0
    skewness: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", np.asarray(self.value, dtype=np.float64))
        object.__setattr__(self, "error", np.asarray(self.error, dtype=np.float64))
        if self.skewness is not None:
            skew = np.broadcast_to(np.asarray(self.skewness, dtype=np.float64),
                                   self.value.shape)
            object.__setattr__(self, "skewness", skew)


@dataclass(frozen=True)
class ZTest:
    """Outcome of a family-wise z-test: worst ``|z|`` against the Bonferroni threshold."""

    max_abs_z: float
    threshold: float
    n_tests: int
    alpha: float

    @property
    def passed(self) -> bool:
        return self.max_abs_z <= self.threshold


def mean_estimate(samples: ArrayLike, method: str = "monte-carlo") -> Estimate:
    """Sample mean over axis 0 with its standard error ``std / sqrt(n)``.

    Examples
    --------
    >>> import numpy as np
    >>> est = mean_estimate(np.random.default_rng(1).standard_normal((10_000, 2)))
    >>> bool(np.all(np.abs(est.value) < 5 * est.error))
    True
    """
    data = np.asarray(samples, dtype=np.float64)
    n = data.shape[0]
    if n < 2:
        raise InvalidArgumentError("samples", data.shape, "need at least 2 draws",
                                   "draw more samples")
    # Sums over the long axis as dot products (BLAS): numpy's reductions over axis 0 of
    # an (n, k) array with small k were ~30x slower at n = 10^6.
    flat = data.reshape(n, -1)
    if flat.shape[1] == 1:
        column = flat[:, 0]
        sums, squares = np.array([column.sum()]), np.array([column @ column])
    elif flat.flags.f_contiguous:   # contiguous columns: per-column pairwise sums
        sums = flat.sum(axis=0)
        squares = np.array([flat[:, j] @ flat[:, j] for j in range(flat.shape[1])])
    else:
        ones = np.ones(n)
        sums, squares = ones @ flat, ones @ (flat * flat)
    mean = sums / n
    # One pass for the squares: the rounding error of sum x^2 - n mean^2 is about
    # eps (1 + mean^2/var) relative, harmless for a standard error unless the mean is
    # 10^4 standard deviations away from zero; then (or if rounding left the variance
    # non-positive) the centred two-pass sum is used.
    variance = (squares - n * mean**2) / (n - 1)
    if np.any(~(variance > 1e-8 * mean**2)):
        centred = flat - mean
        variance = np.einsum("ij,ij->j", centred, centred) / (n - 1)
    shape = data.shape[1:]
    return Estimate(mean.reshape(shape), np.sqrt(variance / n).reshape(shape), method, n)


#: Draws per chunk of :func:`streamed_mean`: ~2 MB per scalar statistic.
DEFAULT_CHUNK_SIZE = 1 << 18


def streamed_mean(
    draw: Callable[[np.random.Generator, int], ArrayLike],
    n_draws: int,
    rng: np.random.Generator | int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    method: str = "monte-carlo (streamed)",
) -> Estimate:
    """Sample mean of ``n_draws`` i.i.d. statistics with its standard error, in constant memory.

    ``draw(rng, m)`` returns ``m`` statistics (shape ``(m, ...)``); they are drawn in
    chunks of at most ``chunk_size`` and folded into a running mean and sum of squared
    deviations (Chan et al.'s pairwise update, which does not lose the variance to
    cancellation the way ``E[x^2] - E[x]^2`` does). Memory is ``O(chunk_size)`` whatever
    ``n_draws`` is.

    Parameters
    ----------
    draw : callable
        ``draw(rng, m) -> array (m, ...)`` of i.i.d. statistics.
    n_draws : int
        Total number of draws, >= 2.
    rng : numpy.random.Generator or int
        The generator (or a seed); the only source of randomness.
    chunk_size : int
        Draws per chunk.

    Returns
    -------
    Estimate
        Mean over draws and its standard error ``std / sqrt(n)``.

    Examples
    --------
    >>> import numpy as np
    >>> est = streamed_mean(lambda g, m: g.standard_normal(m), 100_000, 1, chunk_size=4096)
    >>> bool(abs(est.value) < 5 * est.error and abs(est.error - 1 / np.sqrt(1e5)) < 1e-4)
    True
    >>> whole = mean_estimate(np.random.default_rng(1).standard_normal(10_000))
    >>> one_chunk = streamed_mean(lambda g, m: g.standard_normal(m), 10_000, 1)
    >>> bool(np.allclose([one_chunk.value, one_chunk.error], [whole.value, whole.error]))
    True
    """
    total = check_sample_count(n_draws, "n_draws")
    if total < 2:
        raise InvalidArgumentError("n_draws", total, "need at least 2 draws for an error",
                                   "pass n_draws >= 2")
    size = check_sample_count(chunk_size, "chunk_size")
    generator = check_rng(rng)
    count, mean, squares = 0, 0.0, 0.0
    while count < total:
        m = min(size, total - count)
        chunk = np.asarray(draw(generator, m), dtype=np.float64)
        if chunk.shape[:1] != (m,):
            raise InvalidArgumentError("draw", chunk.shape,
                                       f"draw(rng, {m}) must return {m} statistics along axis 0",
                                       "return an array of shape (m, ...)")
        chunk_mean = chunk.mean(axis=0)
        chunk_squares = np.sum((chunk - chunk_mean) ** 2, axis=0)
        delta = chunk_mean - mean
        combined = count + m
        mean = mean + delta * (m / combined)
        squares = squares + chunk_squares + delta**2 * (count * m / combined)
        count = combined
    error = np.sqrt(squares / (count - 1) / count)
    return Estimate(mean, error, method, count)


def moment_estimate(draws: ArrayLike, mean: ArrayLike) -> Estimate:
    """Estimates of the mean and of the covariance about a *known* ``mean``, flattened.

    With the mean known, the products ``(x - mean)(x - mean)^T`` are i.i.d. with
    expectation ``Cov``, so one sample mean (with its standard error) tests both.
    Compare with ``concatenate([mean, cov.ravel()])``.

    Examples
    --------
    >>> import numpy as np
    >>> est = moment_estimate(np.random.default_rng(2).standard_normal((20_000, 2)), [0.0, 0.0])
    >>> bool(np.all(np.abs(est.value - [0, 0, 1, 0, 0, 1]) < 5 * est.error))
    True
    """
    data = np.asarray(draws, dtype=np.float64)
    centred = data - np.asarray(mean, dtype=np.float64)
    products = np.einsum("ni,nj->nij", centred, centred).reshape(data.shape[0], -1)
    return mean_estimate(np.hstack([data, products]))


def concatenate(estimates: list[Estimate]) -> Estimate:
    """One flat estimate from several (values, errors and skewnesses side by side)."""
    skewed = any(e.skewness is not None for e in estimates)
    skewness = (np.concatenate([np.ravel(np.zeros_like(e.value) if e.skewness is None
                                         else e.skewness) for e in estimates])
                if skewed else None)
    return Estimate(np.concatenate([np.ravel(e.value) for e in estimates]),
                    np.concatenate([np.ravel(e.error) for e in estimates]),
                    estimates[0].method, min(e.n for e in estimates), skewness)


def deskewed(z: ArrayLike, skewness: ArrayLike) -> NDArray[np.float64]:
    """Signed z-scores with the estimator's skewness removed (Hall's transformation).

    A standardised mean with skewness ``k`` has quantiles ``u + k (u^2 - 1)/6`` to first
    order (Cornish-Fisher), so ``z + a (z^2 - 1) + a^2 z^3 / 3`` with ``a = -k/6`` is
    normal to that order. Hall (1992, *Ann. Statist.* 20, 1121) adds the cubic term to make
    the map increasing everywhere (its derivative is ``(1 + a z)^2``), so a large
    deviation can never be mapped back below the threshold.

    Examples
    --------
    >>> import numpy as np
    >>> bool(np.allclose(deskewed([-2.0, 0.5, 3.0], 0.0), [-2.0, 0.5, 3.0]))
    True
    >>> high, low = deskewed([3.0, -3.0], 0.3)   # right-skewed: a high z is less surprising
    >>> bool(high < 3.0 and low < -3.0)
    True
    """
    z = np.asarray(z, dtype=np.float64)
    a = -np.asarray(skewness, dtype=np.float64) / 6.0
    return z + a * (z**2 - 1.0) + a**2 * z**3 / 3.0


def z_threshold(alpha: float, n_tests: int) -> float:
    """Two-sided Bonferroni threshold: ``P(max |Z_i| > t) <= alpha`` for ``n_tests`` normals.

    Examples
    --------
    >>> from statistics import NormalDist
    >>> t = z_threshold(0.05, 1)
    >>> abs(2 * (1 - NormalDist().cdf(t)) - 0.05) < 1e-12
    True
    """
    if not 0 < alpha < 1:
        raise InvalidArgumentError("alpha", alpha, "false-alarm rate must lie in (0, 1)",
                                   "pass e.g. alpha=1e-4")
    return NormalDist().inv_cdf(1.0 - alpha / (2.0 * n_tests))


def z_test(
    estimate: Estimate, claimed: ArrayLike, alpha: float = DEFAULT_FALSE_ALARM_RATE
) -> ZTest:
    """Test every entry of ``estimate`` against ``claimed`` at family-wise rate ``alpha``."""
    target = check_finite_array("claimed", claimed)
    value, error = np.broadcast_arrays(estimate.value, estimate.error)
    target = np.broadcast_to(target, value.shape)
    # A zero standard error (e.g. a constant integrand) leaves only exact agreement.
    gap = value - target
    safe = np.where(error > 0, error, 1.0)
    if estimate.skewness is not None:
        gap = np.where(error > 0, deskewed(gap / safe, estimate.skewness) * safe, gap)
    gap = np.abs(gap)
    z = np.where(error > 0, gap / safe, np.where(gap == 0, 0.0, np.inf))
    m = int(z.size)
    return ZTest(float(np.max(z)) if m else 0.0, z_threshold(alpha, max(m, 1)), m, alpha)

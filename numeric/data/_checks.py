"""Checks of the data pipeline, each able to fail.

* :func:`quadrature_check` — in d = 1 the Monte Carlo ``E[W*]`` of :func:`expected_weight_curve`
  agrees, within its standard error, with Simpson quadrature of the exact weight (a
  different code path: closed-form 1-D posterior variance on a grid, no draws).
* :func:`slope_check` — the small-``sigma`` slope ``(tr E[W*]/d - sigma^2)/sigma^4`` agrees
  with ``tr J(p)/d``, estimated from independent draws of ``x ~ p`` (not ``p_sigma``).
* :func:`convergence_check` — on data sampled from a known mixture, the fitted curve
  approaches the true one as the sample grows: the log-log slope of the error against
  the sample size is measured, and the check asks for a decrease at a rate of at least
  ``n^-1/4`` (the parametric rate is ``n^-1/2``).

The two z-tests run at family-wise false-alarm rate ``alpha`` (Bonferroni over the
levels); passing ``claimed_factor != 1`` tests a deliberately wrong value instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numeric._validation import check_one_dimensional, check_rng, check_sigma
from numeric.data._curve import _Factors, expected_weight_curve, fisher_trace
from numeric.mixture import GaussianMixture
from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE, Estimate, ZTest, streamed_mean, z_test

__all__ = ["ConvergenceResult", "convergence_check", "quadrature_check", "slope_check"]

Array = NDArray[np.float64]

#: The convergence check passes if the error falls at least like n^RATE_BOUND.
RATE_BOUND = -0.25


def _quadrature_curve(mixture: GaussianMixture, sigmas: Array) -> tuple[Array, Array]:
    from numeric.expectations import expected_optimal_weight

    estimates = [expected_optimal_weight(mixture, float(s)) for s in sigmas]
    return (np.array([float(e.value) for e in estimates]),
            np.array([float(e.error) for e in estimates]))


def quadrature_check(mixture: GaussianMixture, sigmas: Array, rng: np.random.Generator | int,
                     n_draws: int = 20_000, alpha: float = DEFAULT_FALSE_ALARM_RATE,
                     claimed_factor: float = 1.0) -> tuple[ZTest, Estimate, Array]:
    """Monte Carlo ``E[W*]`` against quadrature in d = 1, as a z-test over the levels.

    Returns the test, the Monte Carlo estimate and the quadrature values (times
    ``claimed_factor``, which is 1 for the real check).

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> test, _, _ = quadrature_check(example("two-mode-1d"), np.array([0.3, 1.0]), 0,
    ...                               n_draws=4000)
    >>> test.passed
    True
    """
    check_one_dimensional(mixture, "the quadrature check")
    levels = np.asarray(sigmas, dtype=np.float64)
    curve = expected_weight_curve(mixture, levels, rng, min_draws=n_draws, max_draws=n_draws,
                         fisher_draws=16)
    exact, exact_error = _quadrature_curve(mixture, levels)
    estimate = Estimate(curve.mean, np.hypot(curve.se, exact_error), "monte-carlo",
                        n_draws)
    claimed = exact * claimed_factor
    return z_test(estimate, claimed, alpha), estimate, claimed


@dataclass(frozen=True)
class SlopeResult:
    """``(tr E[W*]/d - sigma^2)/sigma^4`` at a small ``sigma`` against ``tr J(p)/d``."""

    sigma: float
    slope: Estimate
    fisher: Estimate
    claimed: float
    test: ZTest

    @property
    def passed(self) -> bool:
        return self.test.passed


def slope_check(mixture: GaussianMixture, sigma: float, rng: np.random.Generator | int,
                n_draws: int = 50_000, fisher_draws: int = 50_000,
                alpha: float = DEFAULT_FALSE_ALARM_RATE,
                claimed_factor: float = 1.0) -> SlopeResult:
    """The small-``sigma`` slope of ``tr E[W*]/d`` against ``tr J(p)/d``.

    ``tr E[W*]/d = sigma^2 + sigma^4 tr J/d + O(sigma^8)``, so at a ``sigma`` well
    below the smallest component scale the per-draw statistic
    ``(tr W*(x~)/d - sigma^2)/sigma^4`` has mean ``tr J/d`` up to ``O(sigma^4)``; averaging
    it per draw (rather than differencing two means) keeps its error finite as
    ``sigma -> 0``. ``tr J/d`` comes from separate draws of ``x ~ p``.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import random_mixture
    >>> gm = random_mixture(np.random.default_rng(3), dim=2, n_components=3)
    >>> sigma = 0.02 * float(np.sqrt(gm.eigenvalues.min()))
    >>> slope_check(gm, sigma, 0, n_draws=20_000, fisher_draws=20_000).passed
    True
    """
    s = check_sigma(sigma)
    generator = check_rng(rng)
    factors = _Factors(mixture)

    def slope_draws(g: np.random.Generator, m: int) -> Array:
        values = factors.trace_weight(factors.draw_noisy(s, m, g), s)
        return (values - s * s) / s**4

    slope = streamed_mean(slope_draws, n_draws, generator, chunk_size=4096)
    fisher = fisher_trace(mixture, fisher_draws, generator)
    claimed = float(fisher.value) * claimed_factor
    combined = Estimate(slope.value, math.hypot(float(slope.error),
                                                float(fisher.error) * claimed_factor),
                        "monte-carlo")
    return SlopeResult(s, slope, fisher, claimed, z_test(combined, claimed, alpha))


@dataclass(frozen=True)
class ConvergenceResult:
    """Error of the fitted curve against the true one, by sample size, and its rate."""

    sizes: tuple[int, ...]
    errors: tuple[float, ...]
    replicate_errors: tuple[tuple[float, ...], ...]
    rate: float

    @property
    def passed(self) -> bool:
        """The error falls at least like ``n^RATE_BOUND``."""
        return bool(self.rate <= RATE_BOUND)

    def to_dict(self) -> dict[str, Any]:
        return {"sizes": list(self.sizes), "errors": list(self.errors), "rate": self.rate,
                "passed": self.passed}


def convergence_check(truth: GaussianMixture, sizes: tuple[int, ...], sigmas: Array,
                      seed: int = 0, replicates: int = 4, components: int | None = None,
                      floor: float = 1e-6) -> ConvergenceResult:
    """Fit mixtures to samples of ``truth`` of growing size and measure the curve's error.

    The error of one fit is ``max over sigma |log(E[W*]_fit / E[W*]_true)|``, both by
    quadrature (so no Monte Carlo noise enters); ``errors`` are its means over
    ``replicates`` samples per size, and ``rate`` is the least-squares slope of
    ``log error`` against ``log n``. ``components`` defaults to the true ``K``.
    """
    from numeric.data._fit import fit_mixture

    check_one_dimensional(truth, "the convergence check (quadrature curves)")
    levels = np.asarray(sigmas, dtype=np.float64)
    true_curve, _ = _quadrature_curve(truth, levels)
    k = truth.n_components if components is None else components
    generator = check_rng(seed)
    per_size = []
    for n in sizes:
        errors = []
        for _ in range(replicates):
            sample = truth.sample(int(n), generator)
            fit = fit_mixture(sample, k, floor=floor, seed=int(generator.integers(2**31)))
            fitted, _ = _quadrature_curve(fit.mixture, levels)
            errors.append(float(np.max(np.abs(np.log(fitted / true_curve)))))
        per_size.append(tuple(errors))
    means = np.array([np.mean(e) for e in per_size])
    rate = float(np.polyfit(np.log(np.asarray(sizes, dtype=float)), np.log(means), 1)[0])
    return ConvergenceResult(tuple(int(n) for n in sizes), tuple(means.tolist()),
                             tuple(per_size), rate)

"""Expectations over the noisy input ``X~ ~ p_sigma``, each returned *with* an error estimate.

* One dimension, Gaussian noise: ``p_sigma`` and every conditional moment are
  closed form, so ``E[f(X~)]`` is composite Simpson quadrature on a wide grid,
  doubled until two successive resolutions agree (their difference is the error).
* One dimension, any noise: a double-precision *grid quadrature* of the joint
  density ``p(x) q_sigma(x~ - x)``. The inner integral (over the data ``x``) uses
  Gauss-Legendre panels over the data's support, narrower than both the data
  and the noise scale; the outer one (over ``x~``) a sinh-mapped trapezoid rule,
  which handles the polynomial tails of Student-t noise. The grid is run at two
  resolutions, and their difference is the error estimate.
* ``d > 1``: Monte Carlo with its standard error (the generator is required).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import hermite_e
from numpy.typing import NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_one_dimensional,
    check_order,
    check_rng,
    check_sample_count,
    check_sigma,
)
from numeric.mixture import GaussianMixture
from numeric.moments import optimal_weight
from numeric.montecarlo import Estimate, streamed_mean
from numeric.quadrature import data_nodes, noise_functions

__all__ = [
    "ExpectedMoments",
    "expected_moments",
    "expected_optimal_weight",
    "expected_over_noisy",
    "fisher_information",
    "gauss_hermite_expectation",
]

Array = NDArray[np.float64]

#: Relative agreement of two successive Simpson resolutions that stops the doubling.
SIMPSON_TOLERANCE = 1e-13


def _one_dimensional(mixture: GaussianMixture, what: str) -> None:
    check_one_dimensional(mixture, what,
                          "use a one-dimensional mixture (or pass rng for Monte Carlo)")


def _simpson(noised: GaussianMixture, values: Callable[[Array], Array], n_nodes: int,
             width: float) -> float:
    sd = np.sqrt(noised.eigenvalues[:, 0])
    lo = float(np.min(noised.means[:, 0] - width * sd))
    hi = float(np.max(noised.means[:, 0] + width * sd))
    grid = np.linspace(lo, hi, n_nodes | 1)[:, None]
    integrand = np.exp(noised.logpdf(grid)) * values(grid)
    step = grid[1, 0] - grid[0, 0]
    simpson = np.ones(grid.shape[0])
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    return float(step / 3.0 * np.sum(simpson * integrand))


def expected_over_noisy(mixture: GaussianMixture, sigma: float,
                        values: Callable[[Array], Array], width: float = 12.0) -> Estimate:
    """``E[f(X~)]`` for ``X~ ~ p_sigma`` (d = 1, Gaussian noise) by Simpson quadrature.

    ``values`` maps points ``(N, 1)`` to ``(N,)``. The grid spans ``width``
    standard deviations around every component of ``p_sigma`` and is doubled from
    1025 nodes until two resolutions agree to :data:`SIMPSON_TOLERANCE`; the error
    is their difference.

    Examples
    --------
    >>> from numeric.examples import example
    >>> gm = example("two-mode-1d")
    >>> total = expected_over_noisy(gm, 0.5, lambda x: np.ones(len(x)))   # integral of p_sigma
    >>> bool(abs(total.value - 1) < 1e-12 and total.error < 1e-12)
    True
    """
    _one_dimensional(mixture, "Simpson quadrature over x~")
    return _doubled_simpson(mixture.noised(check_sigma(sigma)), values, width)


def _doubled_simpson(density: GaussianMixture, values: Callable[[Array], Array],
                     width: float = 12.0) -> Estimate:
    """``integral density * values`` by Simpson's rule, doubled from 1025 nodes until two
    resolutions agree to :data:`SIMPSON_TOLERANCE`; the error is their difference."""
    n, previous = 1025, _simpson(density, values, 1025, width)
    while True:
        n = 2 * n - 1
        current = _simpson(density, values, n, width)
        error = abs(current - previous)
        if error <= SIMPSON_TOLERANCE * max(abs(current), 1e-300) or n > 2**20:
            return Estimate(current, error, "quadrature", n)
        previous = current


def gauss_hermite_expectation(mixture: GaussianMixture, values: Callable[[Array], Array],
                              nodes: int = 32) -> Array:
    """``E[f(X)]`` for ``X`` drawn from ``mixture`` (any ``d``) by tensor-product
    Gauss-Hermite quadrature on each component (``nodes`` per axis, Cholesky factor).

    Exact for polynomials of degree ``< 2 nodes``; for smooth non-polynomial ``f``
    (weights, scores of a mixture) it converges as ``nodes`` grows: the checks that use
    it state the node count and compare two of them. ``values`` maps points
    ``(N, d)`` to ``(N, ...)``.

    Examples
    --------
    >>> from numeric.mixture import GaussianMixture
    >>> gm = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 2.0]], [np.eye(2), 2 * np.eye(2)])
    >>> second = gauss_hermite_expectation(gm, lambda x: x[:, :, None] * x[:, None, :], 4)
    >>> bool(np.allclose(second, [[2.0, 1.0], [1.0, 3.5]]))     # E[X X^T], exact
    True
    """
    count = check_order(nodes, name="nodes")
    z, w = hermite_e.hermegauss(count)
    w = w / math.sqrt(2 * math.pi)
    d = mixture.dim
    grid = np.array(list(itertools.product(z, repeat=d)))
    weights = np.prod(np.array(list(itertools.product(w, repeat=d))), axis=1)
    total = 0.0
    for log_w, mean, cov in zip(mixture.log_weights, mixture.means, mixture.covariances,
                                strict=True):
        factor = np.linalg.cholesky(cov)
        total = total + math.exp(log_w) * np.tensordot(weights, values(mean + grid @ factor.T),
                                                       axes=(0, 0))
    return np.asarray(total, dtype=np.float64)


def fisher_information(mixture: GaussianMixture, rng: np.random.Generator | None = None,
                       n_samples: int = 200_000) -> Estimate:
    """``J(p) = E_p[grad log p grad log p^T]``, shape ``(d, d)``, with its error.

    Simpson quadrature of the exact score in 1-D; Monte Carlo over ``n_samples``
    draws (standard error per entry) for ``d > 1``, which needs ``rng``.

    Examples
    --------
    >>> from numeric.examples import example
    >>> from numeric.mixture import GaussianMixture
    >>> gaussian = GaussianMixture([1.0], [[0.0]], [[[4.0]]])
    >>> bool(abs(fisher_information(gaussian).value[0, 0] - 1 / 4) < 1e-12)   # J = 1/s^2
    True
    """
    if mixture.dim == 1:
        # the data density itself is the sigma -> 0 case of the same rule
        est = _doubled_simpson(mixture, lambda x: mixture.score(x)[..., 0] ** 2)
        return Estimate(np.reshape(est.value, (1, 1)), np.reshape(est.error, (1, 1)),
                        est.method, est.n)
    generator = _required_rng(rng, "J(p) in d > 1")

    def outer_scores(g: np.random.Generator, m: int) -> Array:
        score = mixture.score(mixture.sample(m, g))
        return score[:, :, None] * score[:, None, :]

    # streamed, so n_samples = 1e8 runs in constant memory
    return streamed_mean(outer_scores, check_sample_count(n_samples, "n_samples"), generator,
                         method="monte-carlo")


def _required_rng(rng, what: str) -> np.random.Generator:
    if rng is None:
        raise InvalidArgumentError("rng", None, f"{what} is estimated by Monte Carlo",
                                   "pass a seeded numpy.random.Generator, "
                                   "e.g. rng=np.random.default_rng(0)")
    return check_rng(rng)


@dataclass(frozen=True)
class ExpectedMoments:
    """Expectations over ``X~ ~ p_sigma`` of the order-``n`` conditional moments.

    ``covariance = E[Sigma_n(X~)]``, ``ratio_square = E[m_n(X~)^2]`` (``J(p_sigma)``
    for ``n = 1``), ``weight = E[1/Sigma_n(X~)]`` and ``mass = integral p_sigma``
    (1 up to the quadrature error: a self-check of the grid).
    """

    covariance: Estimate
    ratio_square: Estimate
    weight: Estimate
    mass: Estimate


def expected_moments(mixture: GaussianMixture, sigma: float, order: int = 1,
                     noise: str = "gaussian", resolution: float = 1.0) -> ExpectedMoments:
    """Grid quadrature (d = 1, any noise) of the expected conditional moments of ``T_n``.

    The conditional variance uses the noise route (``T_n = q^(n)(E)/(q(E) sigma^n)``
    integrated against the posterior), ``m_n`` the data route (derivatives on the
    mixture density), so the two never share an integrand. Cost grows like
    ``1/min(sigma, data sd)``.

    Examples
    --------
    >>> from numeric.examples import example
    >>> r = expected_moments(example("two-mode-1d"), 1.0, noise="logistic")
    >>> bool(abs(r.mass.value - 1) < 1e-9)
    True
    """
    _one_dimensional(mixture, "grid quadrature over x~")
    s = check_sigma(sigma)
    n = check_order(order)
    if not (isinstance(resolution, int | float) and resolution >= 0.5):
        raise InvalidArgumentError("resolution", resolution, "must be a number >= 0.5",
                                   "leave the default 1.0 (0.5: 4x faster, coarser)")
    coarse = _grid_moments(mixture, s, n, noise, resolution)
    fine = _grid_moments(mixture, s, n, noise, 2 * resolution)

    def estimate(key: str) -> Estimate:
        return Estimate(fine[key], abs(fine[key] - coarse[key]), "quadrature",
                        int(fine["nodes"]))

    return ExpectedMoments(estimate("covariance"), estimate("ratio_square"),
                           estimate("weight"), estimate("mass"))


def _grid_moments(mixture: GaussianMixture, sigma: float, n: int, noise: str,
                  resolution: float) -> dict[str, float]:
    functions = noise_functions(noise)
    log_q, ratio = functions.numpy("log_density"), functions.numpy(n)
    mu, sd = mixture.means[:, 0], np.sqrt(mixture.eigenvalues[:, 0])
    # Inner nodes: Gauss-Legendre panels over the data support (p < 1e-31 p_max outside).
    x, w_in = data_nodes(mixture, sigma, resolution)
    log_p = mixture.logpdf(x[:, None])
    data_ratio = mixture.derivative_ratio(x[:, None], n)
    # Outer nodes: x~ = c + L sinh(t); the Jacobian L cosh(t) tames polynomial tails.
    centre = float(mixture.weights @ mu)
    scale = float(np.sqrt(mixture.weights @ (sd**2 + (mu - centre) ** 2))) + sigma
    step = 0.05 / resolution
    t = np.arange(-33.0, 33.0 + step / 2, step)
    x_tilde = centre + scale * np.sinh(t)
    w_out = step * scale * np.cosh(t)
    sums = dict.fromkeys(("covariance", "ratio_square", "mass"), 0.0)
    weight_integrand: list[Array] = []
    for chunk in np.array_split(np.arange(t.size), max(1, t.size * x.size // 2_000_000)):
        e = (x_tilde[chunk, None] - x[None, :]) / sigma
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            log_kernel = log_p[None, :] + log_q(e) - math.log(sigma)
            top = np.max(log_kernel, axis=1, keepdims=True)
            finite = np.isfinite(top[:, 0])
            kernel = np.where(np.isfinite(log_kernel), np.exp(log_kernel - top), 0.0) * w_in
            mass = kernel.sum(axis=1)
            target = np.where(kernel > 0, ratio(e), 0.0) / sigma**n
        with np.errstate(under="ignore"):
            density = np.where(finite, np.exp(np.where(finite, top[:, 0], 0.0)) * mass, 0.0)
        valid = finite & (mass > 0)
        kernel, target, mass = kernel[valid], target[valid], mass[valid]
        mean = np.einsum("ij,ij->i", kernel, target) / mass
        variance = np.einsum("ij,ij->i", kernel, (target - mean[:, None]) ** 2) / mass
        m_n = kernel @ data_ratio / mass
        weight = w_out[chunk][valid] * density[valid]
        sums["covariance"] += float(np.sum(weight * variance))
        sums["ratio_square"] += float(np.sum(weight * m_n**2))
        sums["mass"] += float(np.sum(weight))
        # 1/Sigma_n needs the variance resolved above the rounding floor of its centred
        # sum; elsewhere the contribution is unknown (NaN) and judged by _tail_checked_sum.
        second = np.einsum("ij,ij->i", kernel, target**2) / mass
        resolved = variance > 1e-10 * second
        integrand = np.zeros(valid.shape)
        integrand[np.flatnonzero(valid)] = np.where(
            resolved, weight / np.where(resolved, variance, 1.0), np.nan)
        weight_integrand.append(integrand)
    values = np.concatenate(weight_integrand)
    sums["weight"] = _tail_checked_sum(values)
    return {**sums, "nodes": x.size * t.size}


def _tail_checked_sum(integrand: Array) -> float:
    """Sum of the outer-node contributions to ``E[W*]``, or ``inf`` where it diverges.

    Under non-Gaussian noise ``1/Var[T_n | x~]`` can grow faster in the tails than
    ``p_sigma`` decays (logistic noise: ``Var[psi(E) | x~] ~ exp(-2|x~|/sigma)`` against
    ``p_sigma ~ exp(-|x~|/sigma)``), so ``E[W*] = inf``. Where the variance is below
    the rounding floor (NaN) nothing is known; the sum is finite only if the
    integrand has decayed to ``1e-10`` of the total at every edge of the resolved
    region, and is ``inf`` otherwise.
    """
    known = ~np.isnan(integrand)
    total = float(np.sum(integrand[known]))
    if total <= 0:
        return math.inf
    inside = np.flatnonzero(known)
    edges = inside[(inside == 0) | (inside == integrand.size - 1)
                   | ~np.pad(known, 1)[inside] | ~np.pad(known, 1)[inside + 2]]
    for edge in edges:
        window = integrand[max(edge - 10, 0): edge + 11]
        if float(np.nanmax(window)) > 1e-10 * total:
            return math.inf
    return total


def expected_optimal_weight(mixture: GaussianMixture, sigma: float, order: int = 1,
                            noise: str = "gaussian", rng: np.random.Generator | None = None,
                            n_samples: int = 100_000) -> Estimate:
    """``E[W*_n(X~)]`` over ``X~ ~ p_sigma``, with its error estimate.

    d = 1: Simpson quadrature of the exact weight (Gaussian noise) or the grid
    quadrature of :func:`expected_moments` (any noise). d > 1 (Gaussian noise,
    order 1): Monte Carlo mean of ``Sigma_1(X~)^-1`` over ``n_samples`` draws,
    shape ``(d, d)``, which needs ``rng``.
    """
    s = check_sigma(sigma)
    n = check_order(order)
    if mixture.dim == 1:
        if noise == "gaussian":
            return expected_over_noisy(mixture, s, lambda x: optimal_weight(mixture, x, s, n))
        return expected_moments(mixture, s, n, noise).weight
    generator = _required_rng(rng, "E[W*] in d > 1")
    noised = mixture.noised(s)
    return streamed_mean(lambda g, m: optimal_weight(mixture, noised.sample(m, g), s, n, noise),
                         check_sample_count(n_samples, "n_samples"), generator,
                         method="monte-carlo")

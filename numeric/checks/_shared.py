"""Settings and helpers that several claims' checks share: the mixtures and noise levels
of the sweeps, the non-Gaussian quadrature table, Simpson grids over ``p_sigma`` and the
exact expectations of ``W*`` and ``Sigma_1``."""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

import derive
from numeric.checks._records import relative_error
from numeric.examples import example
from numeric.expectations import expected_over_noisy
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance
from numeric.quadrature import QUADRATURE_TOLERANCE, posterior_grid

__all__ = [
    "EXACT_TOL",
    "MULTI_D",
    "NOISES",
    "ONE_D",
    "QUAD_TOL",
    "SIGMAS",
    "exact_sweep",
    "expected_covariance",
    "expected_weight",
    "gaussian_2d",
    "grid_error",
    "in_table",
    "noise_grid",
    "noise_table",
    "points",
    "simpson_grid",
    "two_mode_2d",
]

#: Exact-vs-exact tolerance: both routes are double precision; the Hermite-moment
#: route loses up to ~1e-11 to cancellation at small sigma and order 6, so 1e-8
#: leaves three digits of margin while a wrong coefficient is off by O(1).
EXACT_TOL = 1e-8


ONE_D = ("two-mode-1d", "three-mode-1d")


MULTI_D = ("anisotropic-2d", "two-mode-3d")


SIGMAS = (0.1, 0.6, 2.0)


#: Non-Gaussian noise families checked by quadrature (d = 1).
NOISES = ("logistic", "student_t:5")


#: Quadrature-vs-quadrature tolerance: both routes are resolved to QUADRATURE_TOLERANCE.
QUAD_TOL = 10 * QUADRATURE_TOLERANCE


def points(name: str) -> np.ndarray:
    gm = example(name)
    lo, hi = gm.means.min() - 2.0, gm.means.max() + 2.0
    return np.linspace(lo, hi, 9)[:, None]


def two_mode_2d() -> GaussianMixture:
    # well-conditioned components, so tensor Gauss-Hermite converges fast (C4, C6 in d = 2)
    return GaussianMixture([0.6, 0.4], [[0.0, 0.0], [2.0, -1.0]],
                           [[[1.0, 0.3], [0.3, 0.5]], 0.4 * np.eye(2)])


def gaussian_2d() -> GaussianMixture:
    # correlated Gaussian data in d = 2: Sigma_1 constant, Jensen gap 0 (C2, C6)
    return GaussianMixture([1.0], [[0.5, -1.0]], [[[2.0, 0.4], [0.4, 1.0]]])


def exact_sweep(orders, rng, one_d, multi_d) -> float:
    """Worst relative error of ``one_d(gm, x, sigma, n)`` over the 1-D mixtures, noise levels
    and ``orders``, and of ``multi_d(gm, x, sigma)`` (order 1) on the d = 2, 3 mixtures.

    Each callback returns ``(formula, reference, floor)`` for :func:`relative_error`.
    """
    errors = []
    for name in ONE_D:
        gm, x = example(name), points(name)
        for sigma in SIGMAS:
            errors += [relative_error(*one_d(gm, x, sigma, n)) for n in orders]
    for name in MULTI_D:
        gm = example(name)
        x = gm.sample(20, rng)
        errors += [relative_error(*multi_d(gm, x, sigma)) for sigma in SIGMAS]
    return max(errors)


# -- non-Gaussian noise: one double-precision posterior grid per setting -----------------
@cache
def noise_table(noise: str, sigma: float, top: int, n_points: int) -> dict[str, np.ndarray]:
    """Posterior quadrature on ``two-mode-1d`` (numeric's own noise densities; nothing from
    derive, so memoising it cannot hide a swapped derive formula)."""
    x = np.linspace(-3.0, 2.5, n_points)
    orders = tuple(range(1, top + 3))  # m_k beyond n: formulas may (wrongly) use them
    grid = posterior_grid(example("two-mode-1d"), x, sigma, noise, range(1, top + 1), orders)
    table = {"psi_prime": grid.psi_prime, "x": x}
    for n in range(1, top + 1):
        table[f"mean{n}"], table[f"var{n}"] = grid.mean[n], grid.variance[n]
    for k in orders:
        table[f"m{k}"] = grid.ratio[k]
    return table


def in_table(expr: sp.Expr, table: dict[str, np.ndarray], sigma: float) -> np.ndarray:
    """Evaluate a formula in ``sigma`` and ``m_k`` on the quadrature table's ``m_k`` columns."""
    variables = sorted(expr.free_symbols, key=lambda v: v.name)
    values = [np.full_like(table["m1"], sigma) if v == derive.sigma else table[v.name]
              for v in variables]
    return np.broadcast_to(sp.lambdify(variables, expr)(*values), table["m1"].shape)


def noise_grid(sigmas: tuple[float, ...]) -> tuple[tuple[str, float], ...]:
    """Every non-Gaussian noise family of the checks at every level in ``sigmas``."""
    return tuple((noise, s) for noise in NOISES for s in sigmas)


def simpson_grid(gm: GaussianMixture, sigma: float, nodes: int = 4097
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``(N, 1)`` and weights ``(N,)`` with ``weights @ f(nodes) ~ E[f(X~)]``,
    ``X~ ~ p_sigma`` (1-D): composite Simpson over 12 sd around every component.

    For the smooth integrands of the checks 2049 and 4097 nodes agree with the
    doubling :func:`numeric.expectations.expected_over_noisy` to ~1e-12 (relative);
    every check that uses the grid reports the 2049/4097 difference of its own
    quantities as its quadrature error.
    """
    noised = gm.noised(sigma)
    sd, mu = np.sqrt(noised.eigenvalues[:, 0]), noised.means[:, 0]
    x = np.linspace(float(np.min(mu - 12 * sd)), float(np.max(mu + 12 * sd)), nodes)[:, None]
    rule = np.ones(nodes)
    rule[1:-1:2], rule[2:-1:2] = 4.0, 2.0
    return x, rule * (x[1, 0] - x[0, 0]) / 3 * np.exp(noised.logpdf(x))


def grid_error(values_on: callable, gm: GaussianMixture, sigma: float) -> float:
    """Relative difference of ``values_on(x, w)`` between 4097 and 2049 Simpson nodes."""
    fine, coarse = (values_on(*simpson_grid(gm, sigma, n)) for n in (4097, 2049))
    return relative_error(coarse, fine, np.max(np.abs(fine)))


def expected_weight(gm, sigma):
    return expected_over_noisy(gm, sigma,
                               lambda x: 1.0 / conditional_covariance(gm, x, sigma)).value


def expected_covariance(gm, sigma):
    return expected_over_noisy(gm, sigma, lambda x: conditional_covariance(gm, x, sigma)).value

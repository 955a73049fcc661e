"""C5: the expected conditional covariance is ``E[Sigma_1] = I_q/sigma^2 - J(p_sigma)``
(and its order-n form ``expected_covariance(n)``).

Checks, by method:

* quadrature -- ``E[Sigma_n]`` of the exact ``Sigma_n`` against derive's
  ``expected_covariance(n)`` in ``E[m_n^2]`` (Gaussian noise, Simpson over ``p_sigma``);
  ``E[Sigma_1]`` under logistic and Student-t noise (grid quadrature of the joint density);
* monte-carlo -- ``E[(T_n - m_n(X~))^2]`` over joint draws ``(X, X~)``, n = 1..3.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from numeric.checks._derived import derived, in_sigma_and_one
from numeric.checks._draws import noised_with_target
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import NOISES, ONE_D, SIGMAS, grid_error, simpson_grid
from numeric.examples import example
from numeric.expectations import expected_moments
from numeric.moments import conditional_covariance, target_central_moments
from numeric.montecarlo import Estimate, concatenate, z_test

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE"]

ID = "C5"
TITLE = "Expected conditional covariance I_q/sigma^2 - J"
CONSUMES = ("expected_covariance",)


def _c5_orders_quadrature(top: int):
    orders = range(1, top + 1)

    def run(rng, alpha) -> Check:
        errors, grid_errors = [], []
        claimed_by_order = {n: in_sigma_and_one(derived("expected_covariance")(n))
                            for n in orders}
        for name in ONE_D:
            gm = example(name)
            for sigma in SIGMAS:
                noised = gm.noised(sigma)
                for n in orders:
                    claimed_at = claimed_by_order[n]

                    def moments(x, wts, n=n, sigma=sigma, noised=noised, gm=gm):
                        return np.array([wts @ conditional_covariance(gm, x, sigma, n),
                                         wts @ noised.derivative_ratio(x, n) ** 2])

                    lhs, ratio_square = moments(*simpson_grid(gm, sigma))
                    grid_errors.append(grid_error(moments, gm, sigma))
                    floor = float(sp.factorial(n)) * sigma ** (-2 * n)
                    errors.append(relative_error(lhs, float(claimed_at(sigma, ratio_square)),
                                                 floor))
        err = max(errors)
        return Check("E[Sigma_n] = expected_covariance(n), Gaussian noise, orders 1..n",
                     "quadrature", err, 1e-9, err <= 1e-9,
                     f"n <= {max(orders)}; Simpson quadrature (4097 nodes, 2049-node "
                     f"difference {max(grid_errors):.1e}) of the exact Sigma_n and of m_n^2")
    return run


def _c5_noise(mixtures: tuple[str, ...], sigmas: tuple[float, ...], resolution: float):
    def run(rng, alpha) -> Check:
        errors, worst_error = [], 0.0
        for name in mixtures:
            gm = example(name)
            for noise in NOISES:
                # I_q/sigma^2 - J(p_sigma)
                claimed_at = in_sigma_and_one(derived("expected_covariance")(1, noise))
                for sigma in sigmas:
                    r = expected_moments(gm, sigma, 1, noise, resolution)
                    value = float(claimed_at(sigma, r.ratio_square.value))
                    errors.append(abs(r.covariance.value - value) * sigma**2)
                    worst_error = max(worst_error, (r.covariance.error
                                                    + r.ratio_square.error) * sigma**2)
        err = max(errors)
        tol = max(1e-9, 10 * worst_error)
        return Check("E[Sigma_1] = I_q/sigma^2 - J(p_sigma), logistic/Student-t noise",
                     "quadrature", err, tol, err <= tol,
                     "grid quadrature of the joint density; error relative to 1/sigma^2, "
                     f"grid error estimate {worst_error:.1e}")
    return run


def _c5_monte_carlo(draws: int, mixtures: tuple[str, ...]):
    count = draws

    def run(rng, alpha) -> Check:
        estimates = []
        for name in mixtures:
            gm = example(name)
            for n in (1, 2, 3):
                claimed_at = in_sigma_and_one(derived("expected_covariance")(n))
                for sigma in (0.5, 1.5):
                    x_tilde, target = noised_with_target(gm.sample_grouped(count, rng), sigma,
                                                          n, rng)
                    ratio = gm.noised(sigma).derivative_ratio(x_tilde, n)
                    # mean of (T - m_n)^2 is E[Sigma_n]; claimed is linear in E[m_n^2]
                    scale = sigma ** (2 * n)
                    rows = ((target - ratio) ** 2 - claimed_at(sigma, ratio**2)) * scale
                    mu2, mu4 = target_central_moments(gm, x_tilde, sigma, n, (2, 4))
                    variance = (np.mean(np.maximum(mu4 - mu2**2, 0)) + np.var(mu2 + ratio**2)
                                ) * scale**2
                    estimates.append(Estimate(rows.mean(), np.sqrt(variance / count),
                                              "monte-carlo", count))
        test = z_test(concatenate(estimates), 0.0, alpha)
        return Check.from_z_test(
            "E[(T_n - m_n(X~))^2] = expected_covariance(n) over joint draws (X, X~)", test,
            f"{test.n_tests} z-tests, n = 1..3, {count} draws each, standard errors "
            f"from exact central moments, family-wise rate {alpha:.2g}")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("expected covariance, order n", "quadrature", _c5_orders_quadrature,
             quick={"top": 3}, full={"top": 4}),
    # resolution 0.5 and 1 in a quick run (their difference is the error estimate, ~1e-15
    # here), 1 and 2 in a full one
    TaskSpec("expected covariance, any noise", "quadrature", _c5_noise,
             quick={"mixtures": ("two-mode-1d",), "sigmas": (0.5,), "resolution": 0.5},
             full={"mixtures": ONE_D, "sigmas": (0.3, 1.0, 3.0), "resolution": 1.0}),
    TaskSpec("expected covariance by joint draws", "monte-carlo", _c5_monte_carlo,
             quick={"draws": 40_000, "mixtures": ("two-mode-1d",)},
             full={"draws": 400_000, "mixtures": ONE_D}),
)

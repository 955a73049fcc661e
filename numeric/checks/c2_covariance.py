"""C2: the conditional covariance ``Sigma_n(x~)`` of the target is heteroskedastic.

Checks, by method:

* exact -- derive's ``conditional_covariance(n)`` (1-D) and
  ``conditional_covariance_matrix(d)`` (d = 2, 3) against the exact posterior moments;
  ``conditional_covariance_matrix(d, 2)`` (the order-2 target, ``d^2 x d^2``) fed with
  the mixture's ratio tensors against the posterior cubature of ``T_2`` itself;
  the derived ``Sigma_1`` varies with ``x~`` on mixtures and is constant for Gaussian data;
* monte-carlo -- the variance of ``T_n`` over exact posterior draws (1-D), and the
  covariance matrix of ``T_1`` over posterior draws (d = 2, 3), and the variance of
  ``<S, T_2>`` over posterior draws (d = 2, 3, random symmetric ``S``);
* quadrature -- ``Cov[psi(E) | x~]/sigma^2 = h - E[psi'(E) | x~]/sigma^2`` under logistic
  and Student-t noise (the noise route against the data route);
* exact -- the Hermite linearisation behind the order-n formula: derive's
  ``square_linearisation(n)`` coefficients, summed with numpy's ``hermeval``, against
  ``He_n(x)^2`` from numpy.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from numpy.polynomial import hermite_e as herme

from numeric.checks._derived import (
    derived,
    evaluate_matrix,
    evaluate_tensor_formula,
    in_sigma_and_one,
)
from numeric.checks._draws import MAX_POSTERIOR_DRAWS, MAX_SKEWNESS, posterior_draws_task
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import (
    EXACT_TOL,
    NOISES,
    QUAD_TOL,
    SIGMAS,
    exact_sweep,
    gaussian_2d,
    noise_grid,
    noise_table,
    two_mode_2d,
)
from numeric.examples import example
from numeric.formula import evaluate
from numeric.matrix_targets import (
    derivative_ratio_tensors,
    posterior_expectation,
    target_covariance,
    target_values,
)
from numeric.moments import conditional_covariance
from numeric.montecarlo import Estimate, concatenate, moment_estimate, z_test

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE"]

ID = "C2"
TITLE = "Heteroskedastic conditional covariance"
CONSUMES = ("conditional_covariance", "conditional_covariance_matrix", "curvature_in_ratios",
            "square_linearisation")


def _c2_exact(top: int):
    orders = range(1, top + 1)

    def one_d(gm, x, sigma, n):
        return (evaluate(derived("conditional_covariance")(n), gm, x, sigma),
                conditional_covariance(gm, x, sigma, n),
                float(sp.factorial(n)) * sigma ** (-2 * n))

    def multi_d(gm, x, sigma):
        formula = evaluate_matrix(derived("conditional_covariance_matrix")(gm.dim), gm, x,
                                   sigma)
        return formula, conditional_covariance(gm, x, sigma), sigma**-2

    def run(rng, alpha) -> Check:
        err = exact_sweep(orders, rng, one_d, multi_d)
        return Check(f"Sigma_n vs exact posterior moments, n <= {max(orders)}; d = 2, 3 matrix",
                     "exact", err, EXACT_TOL, err <= EXACT_TOL,
                     "1-D conditional_covariance(n); d = 2, 3 conditional_covariance_matrix")
    return run


def _c2_heteroskedastic():
    def run(rng, alpha) -> Check:
        spreads, flats = [], []
        for dim, mixture, gaussian in (
                (1, example("two-mode-1d"), example("gaussian-1d")),
                (2, two_mode_2d(), gaussian_2d())):
            for sigma in SIGMAS:
                values = []
                for gm in (mixture, gaussian):
                    x = gm.sample(15, rng)
                    if dim == 1:
                        cov = evaluate(derived("conditional_covariance")(1), gm, x, sigma)
                    else:
                        cov = evaluate_matrix(derived("conditional_covariance_matrix")(dim),
                                               gm, x, sigma)
                    values.append(sigma**2 * cov.reshape(len(x), -1))
                spreads.append(float(np.max(np.ptp(values[0], axis=0))))
                flats.append(float(np.max(np.ptp(values[1], axis=0))))
        ok = min(spreads) > 1e-3 and max(flats) < 1e-12
        return Check("derived Sigma_1 varies with x~ (mixtures), constant for Gaussian data",
                     "exact", max(flats), 1e-12, ok,
                     f"d = 1, 2; min range of sigma^2 Sigma_1 over x~ on mixtures "
                     f"{min(spreads):.3g} (must be > 1e-3)")
    return run


def _c2_curvature():
    def run(rng, alpha) -> Check:
        curvature, _ = derived("curvature_in_ratios")()
        errors = []
        for gm in (example("two-mode-1d"), example("gaussian-1d")):
            for sigma in SIGMAS:
                noised = gm.noised(sigma)
                x = noised.sample(25, rng)
                hessian = noised.hessian(x)[:, 0, 0]   # closed form of the mixture
                score = noised.score(x)[:, 0]
                # m_2 - m_1^2 cancels down to h: measured against the terms that cancel
                errors.append(relative_error(evaluate(curvature, gm, x, sigma), hessian,
                                             floor=score**2))
        err = max(errors)
        return Check("h = (log p_sigma)'' in ratios (curvature_in_ratios) = the mixture's "
                     "Hessian of log p_sigma", "exact", err, EXACT_TOL, err <= EXACT_TOL,
                     "two-mode and Gaussian data, random x~, sigma over the check levels")
    return run


def _c2_multi_d_draws(draws: int):
    count = draws

    def run(rng, alpha) -> Check:
        estimates, claimed = [], []
        for gm in (two_mode_2d(), example("two-mode-3d")):
            formula = derived("conditional_covariance_matrix")(gm.dim)
            for sigma in (0.5, 1.5):
                for x in gm.sample(2, rng):
                    draws = gm.sample_posterior(x, sigma, count, rng)
                    target = (draws - x) / sigma**2          # T_1 = -E/sigma
                    mean, _ = gm.posterior_moments(x, sigma)
                    estimates.append(moment_estimate(target, (mean - x) / sigma**2))
                    cov = evaluate_matrix(formula, gm, x[None], sigma)[0]
                    claimed.append(np.concatenate([(mean - x) / sigma**2, cov.ravel()]))
        test = z_test(concatenate(estimates), np.concatenate(claimed), alpha)
        return Check.from_z_test(
            "d = 2, 3: covariance of T_1 over posterior draws = derived matrix", test,
            f"{test.n_tests} z-tests, {count} draws each (sample errors; light "
            f"tails at order 1), family-wise rate {alpha:.2g}")
    return run


def _order_two_mixtures():
    return (two_mode_2d(), example("two-mode-3d"))


def _c2_order_two_exact():
    def run(rng, alpha) -> Check:
        errors = []
        for gm in _order_two_mixtures():
            formula = derived("conditional_covariance_matrix")(gm.dim, 2)
            x = gm.sample(10, rng)
            for sigma in SIGMAS:
                _, reference = target_covariance(gm, x, sigma, 2)
                got = evaluate_tensor_formula(formula, gm, x, sigma)
                # the 1/sigma^4 term sets the scale of entries that cancel to 0
                errors.append(relative_error(got, reference, floor=2 * sigma**-4))
        err = max(errors)
        return Check("order 2, d = 2, 3: Sigma_2 (d^2 x d^2) vs the posterior cubature of "
                     "T_2 = (E E^T - I)/sigma^2", "exact", err, EXACT_TOL, err <= EXACT_TOL,
                     "conditional_covariance_matrix(d, 2) fed with the mixture's ratio "
                     "tensors m2, m4; reference: tensor Gauss-Hermite over the exact posterior "
                     "(exact for degree 4), 10 random x~ per mixture and noise level")
    return run


def _symmetric_direction(dim: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((dim, dim))
    s = a + a.T
    return (s / np.linalg.norm(s)).ravel()


def _c2_order_two_draws(draws: int):
    count = draws

    def run(rng, alpha) -> Check:
        estimates, claimed, most = [], [], count
        for gm in _order_two_mixtures():
            formula = derived("conditional_covariance_matrix")(gm.dim, 2)
            for sigma in (0.5, 1.5):
                for x in gm.sample(2, rng):
                    s = _symmetric_direction(gm.dim, rng)
                    m2 = derivative_ratio_tensors(gm.noised(sigma), x[None], 2)[1][0].ravel()
                    mean_claim = float(s @ m2)
                    cov = evaluate_tensor_formula(formula, gm, x[None], sigma)[0]
                    # null moments of u = <S, T_2> from the posterior cubature (exact)
                    centred = posterior_expectation(
                        gm, x[None], sigma, lambda e, s=s, sigma=sigma, mu=mean_claim: np.stack(
                            [(target_values(e, sigma, 2) @ s - mu) ** k for k in (2, 3, 4, 6)],
                            axis=-1), 12)[0]
                    second, third, fourth, sixth = centred
                    variance = np.array([second, max(fourth - second**2, 0.0)])
                    third_central = np.array([third, sixth - 3 * second * fourth
                                              + 2 * second**3])
                    skew = np.where(variance > 0, third_central / np.sqrt(variance**3), 0.0)
                    n = max(count, min(int(np.ceil((np.max(np.abs(skew)) / MAX_SKEWNESS) ** 2)),
                                       MAX_POSTERIOR_DRAWS))
                    most = max(most, n)
                    noise = (x - gm.sample_posterior(x, sigma, n, rng)) / sigma
                    u = target_values(noise, sigma, 2) @ s
                    estimates.append(Estimate(
                        [float(np.mean(u)), float(np.mean((u - mean_claim) ** 2))],
                        np.sqrt(variance / n), "monte-carlo", n, skew / np.sqrt(n)))
                    claimed.append([mean_claim, float(s @ cov @ s)])
        test = z_test(concatenate(estimates), np.concatenate(claimed), alpha)
        return Check.from_z_test(
            "order 2, d = 2, 3: mean and variance of <S, T_2> over posterior draws = m2 and "
            "S^T Sigma_2 S (derived)", test,
            f"{test.n_tests} z-tests, {count} to {most} draws each, random symmetric S; "
            f"standard errors and skewness known under the null (posterior cubature), "
            f"family-wise rate {alpha:.2g}")
    return run


def _c2_quadrature(top: int, n_points: int, sigmas: tuple[float, ...]):
    def run(rng, alpha) -> Check:
        errors = []
        for noise, sigma in noise_grid(sigmas):
            table = noise_table(noise, sigma, top, n_points)
            claimed = in_sigma_and_one(derived("conditional_covariance")(1, noise))
            # formula: Cov[psi(E) | x~]/sigma^2 (T_1 = psi(E)/sigma, so Var[psi] = sigma^2 Var[T_1])
            formula = claimed(sigma, table["var1"] * sigma**2)
            # reference: C1 at n = 2 with T_2 = T_1^2 + psi'(E)/sigma^2 gives
            # Sigma_1 = h - E[psi'(E) | x~]/sigma^2, h = m_2 - m_1^2 from the data route.
            reference = table["m2"] - table["m1"] ** 2 - table["psi_prime"] / sigma**2
            errors.append(relative_error(formula, reference, sigma**-2))
        err = max(errors)
        return Check("Cov[psi(E)|x~]/sigma^2 = h - E[psi'(E)|x~]/sigma^2, non-Gaussian noise",
                     "quadrature", err, QUAD_TOL, err <= QUAD_TOL,
                     f"{', '.join(NOISES)}; variance by the noise route, h by the data route")
    return run


def _c2_linearisation(top: int):
    grid = np.linspace(-4.0, 4.0, 17)

    def run(rng, alpha) -> Check:
        errors = []
        for n in range(1, top + 1):
            coefficients, _ = derived("square_linearisation")(n)
            series = np.zeros(2 * n + 1)
            for degree, value in coefficients.items():
                series[int(degree)] = float(value)
            unit = np.zeros(n + 1)
            unit[n] = 1.0
            square = herme.hermeval(grid, unit) ** 2  # numpy's He_n, not derive's
            errors.append(float(np.max(np.abs(herme.hermeval(grid, series) - square)
                                       / (1 + square))))
        err = max(errors)
        return Check(f"He_n^2 = sum_k C(n,k)^2 k! He_(2n-2k), n <= {top}", "exact", err,
                     EXACT_TOL, err <= EXACT_TOL,
                     "derive's coefficients in numpy's He basis vs numpy's He_n^2 on "
                     "[-4, 4]")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("covariance vs exact", "exact", _c2_exact, quick={"top": 3}, full={"top": 5}),
    TaskSpec("heteroskedasticity", "exact", _c2_heteroskedastic),
    TaskSpec("curvature in ratios", "exact", _c2_curvature),
    TaskSpec("Hermite linearisation", "exact", _c2_linearisation, quick={"top": 6},
             full={"top": 10}),
    TaskSpec("covariance vs posterior draws", "monte-carlo", posterior_draws_task,
             quick={"which": "variance", "draws": 20_000},
             full={"which": "variance", "draws": 100_000}),
    TaskSpec("matrix covariance vs posterior draws", "monte-carlo", _c2_multi_d_draws,
             quick={"draws": 20_000}, full={"draws": 100_000}),
    TaskSpec("order-2 matrix covariance vs exact", "exact", _c2_order_two_exact),
    TaskSpec("order-2 matrix covariance vs posterior draws", "monte-carlo",
             _c2_order_two_draws, quick={"draws": 20_000}, full={"draws": 100_000}),
    TaskSpec("covariance under non-Gaussian noise", "quadrature", _c2_quadrature,
             quick={"top": 3, "n_points": 5, "sigmas": (0.5,)},
             full={"top": 4, "n_points": 9, "sigmas": (0.3, 1.0)}, shares="noise-table"),
)

"""The numerical checks of claims C1–C7: ``derive``'s SymPy results against references
that share no code with them (exact posterior moments, Simpson/mpmath quadrature,
Monte Carlo on exact posterior draws)."""

from __future__ import annotations

import numpy as np
import sympy as sp

import derive
from numeric._checking import Check, CheckTask, relative_error
from numeric.examples import example
from numeric.formula import evaluate
from numeric.mixture import hermite_e
from numeric.moments import (
    conditional_covariance,
    conditional_mean,
    expected_over_noisy,
    fisher_information,
)
from numeric.montecarlo import concatenate, moment_estimate, z_test

__all__ = ["CLAIM_TITLES", "claim_tasks"]

CLAIM_TITLES = {
    "C1": "Conditional mean of the order-n target",
    "C2": "Heteroskedastic conditional covariance",
    "C3": "Optimal weight = inverse covariance (Cauchy-Schwarz)",
    "C4": "Heuristic = first-order Taylor term of E[W*]",
    "C5": "Expected conditional covariance I_q/sigma^2 - J",
    "C6": "Jensen: E[W*] >= 1/E[Sigma_1]",
    "C7": "EDM weight = optimal weight for Gaussian data",
}

#: Exact-vs-exact tolerance: both routes are double precision; the Hermite-moment
#: route loses up to ~1e-11 to cancellation at small sigma and order 6, so 1e-8
#: leaves three digits of margin while a wrong coefficient is off by O(1).
EXACT_TOL = 1e-8
ONE_D = ("two-mode-1d", "three-mode-1d")
MULTI_D = ("anisotropic-2d", "two-mode-3d")
SIGMAS = (0.1, 0.6, 2.0)


def _points(name: str) -> np.ndarray:
    gm = example(name)
    lo, hi = gm.means.min() - 2.0, gm.means.max() + 2.0
    return np.linspace(lo, hi, 9)[:, None]


def _exact_sweep(orders, rng, one_d, multi_d) -> float:
    """Worst relative error of ``one_d(gm, x, sigma, n)`` over the 1-D mixtures, noise levels
    and ``orders``, and of ``multi_d(gm, x, sigma)`` (order 1) on the d = 2, 3 mixtures.

    Each callback returns ``(formula, reference, floor)`` for :func:`relative_error`.
    """
    errors = []
    for name in ONE_D:
        gm, x = example(name), _points(name)
        for sigma in SIGMAS:
            errors += [relative_error(*one_d(gm, x, sigma, n)) for n in orders]
    for name in MULTI_D:
        gm = example(name)
        x = gm.sample(20, rng)
        errors += [relative_error(*multi_d(gm, x, sigma)) for sigma in SIGMAS]
    return max(errors)


def _c1_exact(quick: bool):
    orders = range(1, 5 if quick else 7)

    def one_d(gm, x, sigma, n):
        return (evaluate(derive.conditional_mean(n), gm, x, sigma),
                conditional_mean(gm, x, sigma, n), sigma ** (-n))

    def multi_d(gm, x, sigma):
        # E[T_1 | x~] = score of p_sigma vs (E[X|x~] - x~)/sigma^2.
        return gm.noised(sigma).score(x), conditional_mean(gm, x, sigma), 1 / sigma

    def run(rng, alpha) -> Check:
        err = _exact_sweep(orders, rng, one_d, multi_d)
        return Check(f"m_n vs exact posterior Hermite moments, n <= {max(orders)}", "exact",
                     err, EXACT_TOL, err <= EXACT_TOL, "1-D any order; d = 2, 3 order 1")
    return run


def _target_draws(gm, x, sigma, n, count, rng) -> np.ndarray:
    draws = gm.sample_posterior(x, sigma, count, rng)[:, 0]
    noise = (x[0] - draws) / sigma
    return (-1) ** n * hermite_e(n, noise) / sigma**n


def _c1_c2_monte_carlo(quick: bool):
    count = 20_000 if quick else 100_000
    orders = (1, 2, 3)

    def run(rng, alpha) -> Check:
        estimates, claimed = [], []
        gm = example("two-mode-1d")
        for sigma in (0.3, 1.0):
            for x in _points("two-mode-1d")[::3]:
                for n in orders:
                    t_n = _target_draws(gm, x, sigma, n, count, rng)
                    mean = float(evaluate(derive.conditional_mean(n), gm, x[None], sigma)[0])
                    cov = float(evaluate(derive.conditional_covariance(n), gm, x[None],
                                         sigma)[0])
                    estimates.append(moment_estimate(t_n[:, None], [mean]))
                    claimed += [mean, cov]
        test = z_test(concatenate(estimates), claimed, alpha)
        return Check("T_n draws: mean m_n and variance Sigma_n", "monte-carlo", test.max_abs_z,
                     test.threshold, test.passed,
                     f"{test.n_tests} z-tests, {count} exact posterior draws each, "
                     f"family-wise rate {alpha:.2g}")
    return run


def _c2_exact(quick: bool):
    orders = range(1, 4 if quick else 6)

    def one_d(gm, x, sigma, n):
        return (evaluate(derive.conditional_covariance(n), gm, x, sigma),
                conditional_covariance(gm, x, sigma, n),
                float(sp.factorial(n)) * sigma ** (-2 * n))

    def multi_d(gm, x, sigma):
        return (np.eye(gm.dim) / sigma**2 + gm.noised(sigma).hessian(x),
                conditional_covariance(gm, x, sigma), sigma**-2)

    def run(rng, alpha) -> Check:
        err = _exact_sweep(orders, rng, one_d, multi_d)
        return Check(f"Sigma_n vs exact posterior moments, n <= {max(orders)}", "exact", err,
                     EXACT_TOL, err <= EXACT_TOL, "1-D any order; I/sigma^2 + H in d = 2, 3")
    return run


def _c2_heteroskedastic(quick: bool):
    def run(rng, alpha) -> Check:
        gm = example("two-mode-1d")
        sigma2_sigma = [s**2 * conditional_covariance(gm, _points("two-mode-1d"), s)
                        for s in SIGMAS]
        spread = min(float(np.ptp(v)) for v in sigma2_sigma)
        flat = float(np.ptp(0.6**2 * conditional_covariance(
            example("gaussian-1d"), _points("gaussian-1d"), 0.6)))
        ok = spread > 1e-3 and flat < 1e-12
        return Check("Sigma_1 varies with x~ (mixture), constant for Gaussian data", "exact",
                     flat, 1e-12, ok, f"min range of sigma^2 Sigma_1 over x~: {spread:.3g}")
    return run


def _c3_cauchy_schwarz(quick: bool):
    def run(rng, alpha) -> Check:
        worst = -np.inf
        for _ in range(200 if quick else 2000):
            size = int(rng.integers(2, 12))
            jac = rng.standard_normal(size)
            cov = np.exp(rng.normal(0, 1.5, size))
            w = np.exp(rng.normal(0, 1.5, size))
            variance = np.sum(w**2 * jac**2 * cov) / np.sum(w * jac**2) ** 2
            optimal = 1.0 / np.sum(jac**2 / cov)
            worst = max(worst, (optimal - variance) / optimal)
        return Check("B/A^2 >= 1/sum(J^2/Sigma) on random finite supports", "exact",
                     max(worst, 0.0), 1e-12, worst <= 1e-12,
                     "random weights never beat w = 1/Sigma")
    return run


def _expected_weight(gm, sigma):
    return expected_over_noisy(gm, sigma, lambda x: 1.0 / conditional_covariance(gm, x, sigma))


def _c4_rate(quick: bool):
    def run(rng, alpha) -> Check:
        slopes, limits = [], []
        for name in ONE_D:
            gm = example(name)
            fisher = fisher_information(gm)
            sigmas = np.geomspace(0.03, 0.12, 5)
            residual = np.array([_expected_weight(gm, s) - s**2 - s**4 * fisher
                                 for s in sigmas])
            slopes.append(np.polyfit(np.log(sigmas), np.log(np.abs(residual)), 1)[0])
            s0 = sigmas[0]
            limits.append(abs((_expected_weight(gm, s0) - s0**2) / s0**4 - fisher) / fisher)
        err = max(abs(s - 8.0) for s in slopes)
        return Check("E[W*] - sigma^2 - sigma^4 J(p) shrinks like sigma^8 (fitted rate)", "rate",
                     err, 0.5, err <= 0.5,
                     f"fitted exponents {', '.join(f'{s:.2f}' for s in slopes)}; "
                     f"(E[W*]-sigma^2)/sigma^4 within {max(limits):.1e} of J(p) at sigma=0.03")
    return run


def _c4_heuristic_orders(quick: bool):
    def run(rng, alpha) -> Check:
        gm, x = example("two-mode-1d"), _points("two-mode-1d")
        errors = []
        for n in range(1, 4 if quick else 6):
            leading = float(derive.heuristic_weight(n).subs(derive.sigma, 1))  # 1/n!
            ratios = [np.max(np.abs(1.0 / conditional_covariance(gm, x, s, n)
                                    / (leading * s ** (2 * n)) - 1)) for s in (1e-2, 2e-2)]
            # the relative correction is O(sigma^2): halving sigma must divide it by ~4
            errors.append(abs(np.log2(ratios[1] / ratios[0]) - 2.0))
        err = max(errors)
        return Check("W*_n / (sigma^(2n)/n!) - 1 = O(sigma^2), n <= 5", "rate", err, 0.2,
                     err <= 0.2, "fitted exponent of the relative correction vs 2")
    return run


def _c5_expected_covariance(quick: bool):
    def run(rng, alpha) -> Check:
        errors = []
        for name in ONE_D:
            gm = example(name)
            for sigma in SIGMAS:
                noised = gm.noised(sigma)
                lhs = expected_over_noisy(gm, sigma,
                                          lambda x, s=sigma, g=gm: conditional_covariance(g, x, s))
                fisher = expected_over_noisy(gm, sigma,
                                             lambda x, n=noised: n.score(x)[..., 0] ** 2)
                i_q = float(derive.fisher_information_of_noise("gaussian"))
                errors.append(relative_error(lhs, i_q / sigma**2 - fisher, sigma**-2))
        err = max(errors)
        return Check("E[Sigma_1] = I_q/sigma^2 - J(p_sigma), Gaussian noise", "quadrature",
                     err, 1e-9, err <= 1e-9, "Simpson quadrature of posterior variances")
    return run


def _c6_jensen(quick: bool):
    def run(rng, alpha) -> Check:
        gaps, equal = [], []
        for name in (*ONE_D, "gaussian-1d"):
            gm = example(name)
            for sigma in SIGMAS:
                ew = _expected_weight(gm, sigma)
                ecov = expected_over_noisy(gm, sigma,
                                           lambda x, s=sigma, g=gm: conditional_covariance(g, x, s))
                (equal if name == "gaussian-1d" else gaps).append((ew - 1 / ecov) * ecov)
        ok = min(gaps) > 0 and max(abs(g) for g in equal) < 1e-9
        return Check("E[W*] > 1/E[Sigma_1] (mixtures), = for Gaussian data", "quadrature",
                     max(abs(g) for g in equal), 1e-9, ok,
                     f"smallest relative gap on mixtures {min(gaps):.3g}")
    return run


def _c7_edm(quick: bool):
    def run(rng, alpha) -> Check:
        gm = example("gaussian-1d")
        variance = float(gm.covariances[0, 0, 0])
        weight = derive.gaussian_data_optimal_weight()[0]
        s_d = sp.Symbol("s_d", positive=True)
        errors = []
        for sigma in (1e-3, *SIGMAS, 50.0):
            value = float(weight.subs({s_d: np.sqrt(variance), derive.sigma: sigma}))
            x = gm.noised(sigma).sample(25, rng)
            errors.append(relative_error(1.0 / conditional_covariance(gm, x, sigma), value))
        err = max(errors)
        return Check("W* of N(mu, s^2) data = sigma^2 (sigma^2 + s^2)/s^2 everywhere", "exact",
                     err, 1e-12, err <= 1e-12, "random x~, sigma from 1e-3 to 50")
    return run


_FACTORIES = {
    "C1": [("mean vs exact", "exact", _c1_exact),
           ("mean and variance vs Monte Carlo", "monte-carlo", _c1_c2_monte_carlo)],
    "C2": [("covariance vs exact", "exact", _c2_exact),
           ("heteroskedasticity", "exact", _c2_heteroskedastic)],
    "C3": [("Cauchy-Schwarz", "exact", _c3_cauchy_schwarz)],
    "C4": [("expected-weight rate", "rate", _c4_rate),
           ("order-n heuristic", "rate", _c4_heuristic_orders)],
    "C5": [("expected covariance", "quadrature", _c5_expected_covariance)],
    "C6": [("Jensen", "quadrature", _c6_jensen)],
    "C7": [("EDM", "exact", _c7_edm)],
}


def claim_tasks(claim: str, quick: bool) -> list[CheckTask]:
    """The tasks of one claim (``C1`` .. ``C7``)."""
    return [CheckTask(claim, name, method, make(quick)) for name, method, make in
            _FACTORIES[claim]]

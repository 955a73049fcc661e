"""Monte Carlo estimates shared by several claims' checks (and by the false-alarm
experiments of :mod:`numeric.audit`): the order-n target over exact posterior draws and
over joint draws ``(X, X~)``, with standard errors known under the null hypothesis."""

from __future__ import annotations

import numpy as np

import derive
from numeric.checks._derived import derived
from numeric.checks._records import Check
from numeric.checks._shared import points
from numeric.examples import example
from numeric.formula import evaluate
from numeric.mixture import hermite_e
from numeric.moments import target_central_moments
from numeric.montecarlo import Estimate, concatenate, mean_estimate, moment_estimate, z_test

__all__ = [
    "JOINT_DRAWS_QUICK",
    "MAX_POSTERIOR_DRAWS",
    "MAX_SKEWNESS",
    "joint_draw_estimate",
    "noised_with_target",
    "posterior_draw_estimate",
    "posterior_draws_task",
]


#: Largest skewness of a posterior-draw mean the check accepts before drawing more.
MAX_SKEWNESS = 0.2
#: At most this many posterior draws per z-test however skewed the rows are.
MAX_POSTERIOR_DRAWS = 2_000_000


def posterior_draw_estimate(gm, x: np.ndarray, sigma: float, n: int, claimed_mean: float,
                            count: int, rng: np.random.Generator, errors: str = "known"
                            ) -> Estimate:
    """Means of ``T_n`` and of ``(T_n - claimed_mean)^2`` over exact posterior draws.

    ``errors="known"`` (the check's choice): standard errors known under the null
    hypothesis, from the exact central moments of the posterior, and so are the means'
    skewnesses (from the third and sixth central moments). ``count`` is then the least
    number of draws: more are drawn until each mean's skewness is at most
    :data:`MAX_SKEWNESS` (at most :data:`MAX_POSTERIOR_DRAWS`), and :func:`z_test`
    removes what is left. With a fixed 20000 draws the mean of ``(T_3 - m_3)^2`` in the
    tail of the example mixture had skewness 0.77, and the variance check rejected true
    formulas at 2.7% for a nominal 1% (``notes/reliability.md``).
    ``errors="estimated"``: ``count`` draws and their own sample standard errors, kept
    only to measure that they are *not* calibrated -- estimating them from the same
    heavy-tailed draws inflated the false-alarm rate (8% at a nominal 5%).
    """
    if errors != "estimated":
        second, third, fourth, sixth = (
            float(m[0]) for m in target_central_moments(gm, x[None], sigma, n, (2, 3, 4, 6)))
        # the rows T and (T - m)^2: their variances and third central moments under the null
        variance = np.array([second, max(fourth - second**2, 0.0)])
        third_central = np.array([third, sixth - 3 * second * fourth + 2 * second**3])
        with np.errstate(divide="ignore", invalid="ignore"):
            row_skewness = np.where(variance > 0, third_central / np.sqrt(variance**3), 0.0)
        needed = int(np.ceil(np.max(np.abs(row_skewness)) / MAX_SKEWNESS) ** 2)
        count = max(count, min(needed, MAX_POSTERIOR_DRAWS))
    draws = gm.sample_posterior(x, sigma, count, rng)[:, 0]
    target = (-1) ** n * hermite_e(n, (x[0] - draws) / sigma) / sigma**n
    if errors == "estimated":
        return moment_estimate(target[:, None], [claimed_mean])
    values = [float(np.mean(target)), float(np.mean((target - claimed_mean) ** 2))]
    return Estimate(values, np.sqrt(variance / count), "monte-carlo", count,
                    row_skewness / np.sqrt(count))


def noised_with_target(x: np.ndarray, sigma: float, n: int, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``X~ = X + sigma E`` for data draws ``x`` (``(N, 1)``), and ``T_n`` at the same ``E``.

    The target from its definition, ``T_n = d^n/dx~^n q_sigma / q_sigma`` (Hermite for
    Gaussian ``q``), so the joint draws ``(X, X~)`` share no formula with derive.
    """
    noise = rng.standard_normal(x.shape)
    return x + sigma * noise, (-1) ** n * hermite_e(n, noise[:, 0]) / sigma**n


def joint_residuals(gm, sigma: float, n: int, count: int, rng) -> tuple[np.ndarray, ...]:
    """Joint draws ``(X, X~)``: ``T_n``, the derived ``m_n(X~)`` and ``Sigma_n(X~)``."""
    x_tilde, target = noised_with_target(gm.sample(count, rng), sigma, n, rng)
    mean = evaluate(derived("conditional_mean")(n), gm, x_tilde, sigma)
    cov = evaluate(derived("conditional_covariance")(n), gm, x_tilde, sigma)
    return x_tilde[:, 0], target, mean, cov


def test_functions(x_tilde: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Bounded bumps ``g_j(x~)``: ``E[(T_n - m_n) g_j] = 0`` for all j is C1 localised."""
    return np.column_stack([np.ones_like(x_tilde),
                            *(np.exp(-((x_tilde - c) ** 2)) for c in centres)])


#: Joint draws (X, X~) per setting of the joint-draw check (quick run).
JOINT_DRAWS_QUICK = 50_000


def joint_draw_estimate(gm, sigma: float, n: int, count: int, rng: np.random.Generator,
                        errors: str = "known") -> Estimate:
    """Means of ``(T_n - m_n(X~)) g(X~) sigma^n`` and ``((T_n - m_n)^2 - Sigma_n) g`` over
    joint draws ``(X, X~)``, with ``m_n``, ``Sigma_n`` from the derived formulas.

    ``errors="known"`` (the check's choice): standard errors under the null hypothesis,
    ``E[mu_2(X~) g^2]`` and ``E[(mu_4 - mu_2^2) g^2]`` with the exact central moments
    ``mu_k`` of ``T_n`` given ``x~`` (:func:`numeric.moments.target_central_moments`),
    averaged over the drawn ``X~``; ``errors="estimated"``: the products' own sample
    errors (over-rejected at a nominal 1%, see ``notes/reliability.md``).
    """
    centres = np.linspace(gm.means.min() - 1, gm.means.max() + 1, 4)
    x_tilde, target, mean, cov = joint_residuals(gm, sigma, n, count, rng)
    g = test_functions(x_tilde, centres)
    residual = (target - mean)[:, None]
    # scaled by sigma^n so every row of the test has a comparable size
    rows = np.hstack([residual * g * sigma**n, (residual**2 - cov[:, None]) * g])
    if errors == "estimated":
        return mean_estimate(rows)
    second, fourth = (m[:, None] for m in
                      target_central_moments(gm, x_tilde[:, None], sigma, n, (2, 4)))
    variance = np.hstack([np.mean(second * g * g, axis=0) * sigma ** (2 * n),
                          np.mean(np.maximum(fourth - second**2, 0.0) * g * g, axis=0)])
    return Estimate(rows.mean(axis=0), np.sqrt(variance / count), "monte-carlo", count)
def posterior_draws_task(which: str, draws: int):
    """C1 (``which="mean"``) or C2 (``"variance"``): T_n over ``draws`` exact posterior
    draws at each point, for n = 1, 2, 3."""
    count = draws
    orders = (1, 2, 3)

    def run(rng, alpha) -> Check:
        estimates, claimed = [], []
        gm = example("two-mode-1d")
        most = count
        for sigma in (0.3, 1.0):
            for x in points("two-mode-1d")[::3]:
                for n in orders:
                    mean = float(evaluate(derived("conditional_mean")(n) if which == "mean"
                                          else derive.m(n), gm, x[None], sigma)[0])
                    est = posterior_draw_estimate(gm, x, sigma, n, mean, count, rng)
                    most = max(most, est.n)
                    if which == "mean":
                        estimates.append(Estimate(est.value[:1], est.error[:1], est.method,
                                                  est.n, est.skewness[:1]))
                        claimed.append(mean)
                    else:
                        cov = float(evaluate(derived("conditional_covariance")(n), gm,
                                             x[None], sigma)[0])
                        estimates.append(Estimate(est.value[1:], est.error[1:], est.method,
                                                  est.n, est.skewness[1:]))
                        claimed.append(cov)
        test = z_test(concatenate(estimates), claimed, alpha)
        what = "mean m_n" if which == "mean" else "variance Sigma_n (about the exact m_n)"
        return Check.from_z_test(
            f"T_n over exact posterior draws: {what}", test,
            f"{test.n_tests} z-tests, {count} to {most} draws each (more where the rows "
            f"are skewed), standard errors and skewness known under the null, family-wise "
            f"rate {alpha:.2g}")
    return run

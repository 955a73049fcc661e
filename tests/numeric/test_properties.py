"""Property-based tests (Hypothesis) of claims C1-C7 on fuzzed mixtures, points and orders.

Tolerances are derived, never tuned per example: a quantity computed in double
precision as a sum of terms has rounding error at most ``c * u * sum |terms|``
(``u = 2^-53``). Each test bounds ``sum |terms|`` for *both* sides (the SymPy
formula fed with ``m_k``, and the exact posterior-Hermite reference) by
replacing every signed sum by the same sum of absolute values -- including the
standardised offsets, whose subtraction ``x~ - mu`` is bounded by
``(|x~| + |mu|)/s`` -- and allows ``c = 2^12`` for the O(n) recursions and
log-sum-exp steps behind each term.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st
from numpy.polynomial import hermite_e as herme

import derive
from numeric.checks import posterior_draw_estimate
from numeric.formula import evaluate
from numeric.moments import (
    _noise_posterior,
    _normal_moments,
    conditional_covariance,
    conditional_mean,
    optimal_weight,
)
from numeric.montecarlo import z_test
from numeric.strategies import mixtures, noise_levels, orders, points

UNIT_ROUNDOFF = 2.0**-53
SAFETY = 2.0**12


def _absolute_hermite(j: int, z: np.ndarray) -> np.ndarray:
    """``He_j`` with every coefficient made positive, at ``z >= 0``: bounds ``|He_j|`` and
    the propagated error ``|He_j'| dz`` of its evaluation."""
    coeffs = np.abs(herme.herme2poly(np.eye(j + 1)[j]))
    return sum(c * z**k for k, c in enumerate(coeffs))


def _ratio_magnitudes(gm, x, sigma, top):
    """``A_j = sum_c r_c He+_j((|x~| + |mu_c|)/s_c) / s_c^j``: bounds the terms of ``m_j``."""
    noised = gm.noised(sigma)
    r = noised.responsibilities(x)[0]
    sd = np.sqrt(noised.eigenvalues[:, 0])
    z = (abs(x[0, 0]) + np.abs(noised.means[:, 0])) / sd
    return [float(np.sum(r * _absolute_hermite(j, z) / sd**j)) for j in range(top + 1)]


def _reference_magnitude(gm, x, sigma, n, square):
    """Absolute-value bound of the Hermite-moment reference (``E[He_n]`` or ``E[He_n^2]``)."""
    r, _, b = _noise_posterior(gm, x, sigma)
    _, means, _ = gm.posterior_parts(x, sigma)
    a = (abs(x[0, 0]) + np.abs(means[..., 0])) / sigma
    coeffs = herme.herme2poly(np.eye(n + 1)[n])
    if square:
        coeffs = np.convolve(coeffs, coeffs)
    moments = _normal_moments(a, np.broadcast_to(b, a.shape), len(coeffs) - 1)
    return float(np.sum(r * sum(abs(c) * moments[j] for j, c in enumerate(coeffs))))


@given(data=st.data(), gm=mixtures(dims=(1, 1)), sigma=noise_levels(), n=orders(6))
def test_c1_derived_mean_equals_the_exact_posterior_mean(data, gm, sigma, n) -> None:
    x = data.draw(points(gm, sigma))
    got = float(evaluate(derive.conditional_mean(n), gm, x, sigma)[0])
    exact = float(conditional_mean(gm, x, sigma, n)[0])
    magnitude = (_ratio_magnitudes(gm, x, sigma, n)[n]
                 + _reference_magnitude(gm, x, sigma, n, False) / sigma**n)
    tol = SAFETY * UNIT_ROUNDOFF * magnitude
    note(f"got {got!r}, exact {exact!r}, tol {tol:.3g}")
    assert abs(got - exact) <= tol


@given(data=st.data(), gm=mixtures(dims=(1, 1)), sigma=noise_levels(), n=orders(6))
def test_c2_derived_covariance_equals_the_exact_posterior_variance(data, gm, sigma, n) -> None:
    x = data.draw(points(gm, sigma))
    got = float(evaluate(derive.conditional_covariance(n), gm, x, sigma)[0])
    exact = float(conditional_covariance(gm, x, sigma, n)[0])
    a = _ratio_magnitudes(gm, x, sigma, 2 * n)
    formula_terms = sum(math.comb(n, k) ** 2 * math.factorial(k) * sigma ** (-2 * k)
                        * a[2 * n - 2 * k] for k in range(n + 1)) + a[n] ** 2
    reference_terms = (_reference_magnitude(gm, x, sigma, n, True)
                       + _reference_magnitude(gm, x, sigma, n, False) ** 2) / sigma ** (2 * n)
    tol = SAFETY * UNIT_ROUNDOFF * (formula_terms + reference_terms)
    note(f"got {got!r}, exact {exact!r}, tol {tol:.3g}")
    assert abs(got - exact) <= tol


@given(data=st.data(), gm=mixtures(), sigma=noise_levels())
def test_covariance_is_symmetric_positive_definite(data, gm, sigma) -> None:
    x = data.draw(points(gm, sigma))
    cov = np.atleast_2d(np.squeeze(conditional_covariance(gm, x, sigma)))
    assert np.all(np.isfinite(cov))
    assert np.allclose(cov, cov.T, rtol=1e-12, atol=0)
    # Cholesky succeeds exactly when the matrix is (numerically) positive definite.
    np.linalg.cholesky(cov)


@given(data=st.data(), gm=mixtures(components=(1, 1)), sigma=noise_levels())
def test_log_concave_data_weight_is_at_least_the_heuristic(data, gm, sigma) -> None:
    # One Gaussian component is log-concave: Cov[X | x~] <= sigma^2 I (Brascamp-Lieb),
    # i.e. W* >= sigma^2 I. Relative rounding of the eigen-solve is a few ulps.
    x = data.draw(points(gm, sigma))
    weight = np.atleast_2d(np.squeeze(optimal_weight(gm, x, sigma)))
    eigen = np.linalg.eigvalsh(weight / sigma**2 - np.eye(gm.dim))
    assert eigen.min() >= -SAFETY * UNIT_ROUNDOFF * gm.dim


@given(data=st.data(), gm=mixtures())
def test_sigma2_sigma1_tends_to_identity(data, gm) -> None:
    # sigma^2 Sigma_1 - I = sigma^2 H_sigma; pick sigma so sigma^2 |H| <= 1e-4 in the bulk,
    # |H| <= (1 + 9 cond) / lambda_min within 3 sd of a component.
    lam = gm.eigenvalues
    cond = float(lam.max() / lam.min())
    sigma = math.sqrt(1e-4 * float(lam.min()) / (1 + 9 * cond))
    k = data.draw(st.integers(0, gm.n_components - 1))
    offset = data.draw(st.lists(st.floats(-1.0, 1.0), min_size=gm.dim, max_size=gm.dim))
    x = (gm.means[k] + np.sqrt(lam[k].max()) * np.array(offset))[None, :]
    scaled = np.atleast_2d(np.squeeze(sigma**2 * conditional_covariance(gm, x, sigma)))
    assert np.max(np.abs(scaled - np.eye(gm.dim))) <= 1e-3


@given(gm=mixtures(dims=(1, 1), components=(1, 4), max_condition=1e3),
       sigma=noise_levels(0.05, 5.0), n=orders(2), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_monte_carlo_check_passes_on_true_values(gm, sigma, n, seed, data) -> None:
    # Stated rate: each example rejects the true mean and variance with probability <= 1e-6
    # (asymptotically), so 1000 thorough examples fail with probability <= 1e-3.
    x = data.draw(points(gm, sigma, tail=6.0))
    rng = np.random.default_rng(seed)
    mean = float(conditional_mean(gm, x, sigma, n)[0])
    variance = float(conditional_covariance(gm, x, sigma, n)[0])
    estimate = posterior_draw_estimate(gm, x[0], sigma, n, mean, 20_000, rng)
    test = z_test(estimate, [mean, variance], 1e-6)
    assert test.passed, test

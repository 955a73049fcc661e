"""Posterior quadrature (any noise, d = 1) and expectations over x~ with error estimates."""

from __future__ import annotations

import math

import numpy as np
import pytest

import derive
from numeric import InvalidArgumentError
from numeric.examples import example
from numeric.expectations import (
    expected_moments,
    expected_optimal_weight,
    expected_over_noisy,
    fisher_information,
)
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, conditional_mean
from numeric.quadrature import QUADRATURE_TOLERANCE, quadrature_moments

POINTS = np.array([[-3.0], [0.1], [2.0], [7.0]])


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("sigma", [0.02, 0.5, 3.0])
def test_quadrature_matches_exact_moments_for_gaussian_noise(order, sigma) -> None:
    # Two unrelated routes: mpmath quadrature of the posterior vs posterior Hermite moments.
    gm = example("three-mode-1d")
    r = quadrature_moments(gm, POINTS, sigma, order, "gaussian")
    exact_mean = conditional_mean(gm, POINTS, sigma, order)
    exact_var = conditional_covariance(gm, POINTS, sigma, order)
    scale = sigma ** (-order)
    # the exact Hermite route loses ~1e-13 to cancellation at sigma = 0.02
    assert np.max(np.abs(r["mean"] - exact_mean)) <= 1e-11 * scale * math.factorial(order)
    assert np.max(np.abs(r["ratio"] - exact_mean)) <= 1e-11 * scale * math.factorial(order)
    assert np.max(np.abs(r["variance"] / exact_var - 1)) <= 1e-11


@pytest.mark.parametrize("noise", ["logistic", "student_t:5", "student_t:1"])
def test_c1_holds_under_non_gaussian_noise(noise) -> None:
    gm = example("two-mode-1d")
    for order in (1, 2):
        r = quadrature_moments(gm, POINTS[:3], 0.7, order, noise)
        assert np.max(np.abs(r["mean"] - r["ratio"])) <= QUADRATURE_TOLERANCE * 0.7**-order
        # and a wrong sign is far outside that tolerance
        assert np.min(np.abs(-r["mean"] - r["ratio"])) > 1e3 * QUADRATURE_TOLERANCE


def test_public_moments_dispatch_to_quadrature_for_non_gaussian_noise() -> None:
    gm = example("two-mode-1d")
    cov = conditional_covariance(gm, POINTS[:2], 0.4, 1, "logistic")
    assert cov.shape == (2,) and np.all(cov > 0)
    # Var[T_1 | x~] <= E[T_1^2] is finite; for logistic noise |psi| < 1 so sigma^2 Var <= 1
    assert np.all(0.4**2 * cov <= 1.0)


def test_non_gaussian_noise_needs_one_dimension() -> None:
    with pytest.raises(InvalidArgumentError, match="mixture"):
        conditional_mean(example("anisotropic-2d"), np.zeros((1, 2)), 0.5, 1, "logistic")


@pytest.mark.parametrize("noise", ["laplace", "student_t:-1", "logistic:3", 5])
def test_unknown_noise_is_named(noise) -> None:
    with pytest.raises(InvalidArgumentError, match="noise"):
        conditional_covariance(example("two-mode-1d"), POINTS, 0.5, 1, noise)


def test_simpson_expectation_reports_its_error() -> None:
    gm = example("two-mode-1d")
    est = expected_over_noisy(gm, 0.5, lambda x: x[..., 0] ** 2)
    # E[X~^2] = E[X^2] + sigma^2, from the mixture's moments
    second = float(gm.weights @ (gm.means[:, 0] ** 2 + gm.covariances[:, 0, 0])) + 0.25
    assert abs(est.value - second) <= max(10 * est.error, 1e-12)


def test_fisher_information_one_d_and_monte_carlo() -> None:
    gaussian = GaussianMixture([1.0], [[1.0]], [[[0.5]]])
    assert abs(fisher_information(gaussian).value[0, 0] - 2.0) < 1e-12
    # d = 2: J(N(mu, C)) = C^-1, checked against the Monte Carlo estimate's own error.
    cov = np.array([[2.0, 0.3], [0.3, 0.5]])
    est = fisher_information(GaussianMixture([1.0], [[0.0, 0.0]], [cov]),
                             np.random.default_rng(3), 100_000)
    z = np.abs(est.value - np.linalg.inv(cov)) / est.error
    assert est.method == "monte-carlo" and np.max(z) < 5.0   # false alarm < 1e-5 per entry


def test_monte_carlo_expectations_require_a_generator() -> None:
    with pytest.raises(InvalidArgumentError, match="rng"):
        fisher_information(example("anisotropic-2d"))
    with pytest.raises(InvalidArgumentError, match="rng"):
        expected_optimal_weight(example("anisotropic-2d"), 0.5)


def test_expected_weight_multivariate_monte_carlo_matches_edm_for_gaussian_data() -> None:
    # Gaussian data N(0, s^2 I): W* = sigma^2 (sigma^2 + s^2)/s^2 I everywhere (C7).
    s2, sigma = 1.5, 0.7
    gm = GaussianMixture([1.0], [[0.0, 0.0]], [s2 * np.eye(2)])
    est = expected_optimal_weight(gm, sigma, rng=np.random.default_rng(0), n_samples=1000)
    assert np.allclose(est.value, sigma**2 * (sigma**2 + s2) / s2 * np.eye(2), rtol=1e-12)


@pytest.mark.parametrize("sigma", [0.1, 0.5, 2.0])
def test_grid_quadrature_agrees_with_closed_form_for_gaussian_noise(sigma) -> None:
    gm = example("two-mode-1d")
    r = expected_moments(gm, sigma)
    cov = expected_over_noisy(gm, sigma, lambda x: conditional_covariance(gm, x, sigma))
    weight = expected_optimal_weight(gm, sigma)
    assert abs(r.mass.value - 1) < 1e-12
    assert abs(r.covariance.value / cov.value - 1) < 1e-10
    assert abs(r.weight.value / weight.value - 1) < 1e-10


@pytest.mark.parametrize("noise", ["logistic", "student_t:5"])
def test_c5_holds_under_non_gaussian_noise_and_rejects_the_gaussian_i_q(noise) -> None:
    gm = example("two-mode-1d")
    r = expected_moments(gm, 0.8, 1, noise)
    i_q = float(derive.fisher_information_of_noise(noise))
    gap = abs(r.covariance.value - (i_q / 0.8**2 - r.ratio_square.value))
    wrong = abs(r.covariance.value - (1 / 0.8**2 - r.ratio_square.value))
    assert gap < 1e-10 / 0.8**2
    assert wrong > 0.1


def test_expected_weight_under_logistic_noise_diverges() -> None:
    # Var[psi(E) | x~] ~ exp(-2|x~|/sigma) while p_sigma ~ exp(-|x~|/sigma): E[W*] = inf.
    est = expected_optimal_weight(example("two-mode-1d"), 0.5, noise="logistic")
    assert math.isinf(float(est.value))
    finite = expected_optimal_weight(example("two-mode-1d"), 0.3, noise="student_t:9")
    assert math.isfinite(float(finite.value)) and float(finite.error) < 1e-6 * float(finite.value)

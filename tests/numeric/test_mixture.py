"""GaussianMixture against independent 40-digit mpmath references, and its robustness."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import GaussianMixture, InvalidArgumentError
from numeric.checks import relative_error
from numeric.examples import example, random_mixture
from numeric.montecarlo import mean_estimate, moment_estimate, z_test
from numeric.reference import (
    reference_derivative_ratio,
    reference_hessian,
    reference_logpdf,
    reference_posterior_moments,
    reference_score,
)

RTOL = 1e-10  # the accuracy the mixture promises against the 40-digit references


def _mixture(dim: int, k: int) -> GaussianMixture:
    return random_mixture(np.random.default_rng(1000 * dim + k), dim, k, max_condition=20.0)


def _points(gm: GaussianMixture) -> np.ndarray:
    rng = np.random.default_rng(7)
    spread = np.sqrt(np.max(gm.eigenvalues))
    bulk = gm.sample(3, rng)
    tail = gm.means[0] + 50.0 * spread * np.eye(gm.dim)[0]
    return np.vstack([bulk, tail])


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_density_score_hessian_match_mpmath(dim: int, k: int) -> None:
    gm = _mixture(dim, k)
    # Differences below these floors are cancellation in the reference's own scale.
    scale = 1.0 / np.sqrt(np.min(gm.eigenvalues))
    for x in _points(gm):
        assert relative_error(gm.logpdf(x), float(reference_logpdf(gm, x)), 1.0) < RTOL
        assert relative_error(gm.score(x), np.array(reference_score(gm, x), float), scale) < RTOL
        ref_h = np.array(reference_hessian(gm, x), float)
        assert relative_error(gm.hessian(x), ref_h, scale**2) < RTOL


def test_batched_shapes_agree_with_pointwise() -> None:
    gm = _mixture(2, 3)
    x = gm.sample(12, 3).reshape(3, 4, 2)
    assert gm.logpdf(x).shape == (3, 4)
    assert gm.score(x).shape == (3, 4, 2)
    assert gm.hessian(x).shape == (3, 4, 2, 2)
    np.testing.assert_allclose(gm.hessian(x)[1, 2], gm.hessian(x[1, 2]), rtol=1e-14)
    mean, cov = gm.posterior_moments(x, 0.4)
    assert mean.shape == (3, 4, 2) and cov.shape == (3, 4, 2, 2)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_derivative_ratio_matches_mpmath_diff_up_to_order_12(k: int) -> None:
    gm = _mixture(1, k)
    scale = 1.0 / np.sqrt(np.min(gm.eigenvalues))
    for x in _points(gm)[:, 0]:
        for n in range(13):
            ref = float(reference_derivative_ratio(gm, float(x), n))
            got = gm.derivative_ratio(np.array([x]), n)
            assert relative_error(got, ref, scale**n) < RTOL, (x, n)


def test_derivative_ratio_far_in_the_tail_where_p_underflows() -> None:
    gm = example("two-mode-1d")
    x = np.array([1.5 + 50.0 * np.sqrt(0.5)])
    assert gm.logpdf(x) < -700  # exp(logpdf) underflows to 0 in double precision
    for n in (1, 6, 12):
        ref = float(reference_derivative_ratio(gm, float(x[0]), n))
        assert relative_error(gm.derivative_ratio(x, n), ref) < RTOL


@pytest.mark.parametrize(("dim", "k"), [(1, 1), (1, 3), (2, 2), (3, 4)])
@pytest.mark.parametrize("sigma", [1e-3, 0.5, 20.0])
def test_posterior_moments_match_independent_reference(dim: int, k: int, sigma: float) -> None:
    # 1-D: mpmath quadrature of Bayes' rule; d > 1: information (precision) form.
    gm = _mixture(dim, k)
    for x in _points(gm)[[0, -1]]:
        mean, cov = gm.posterior_moments(x, sigma)
        ref_mean, ref_cov = reference_posterior_moments(gm, x, sigma)
        spread = np.max(np.abs(ref_cov))
        assert relative_error(mean, ref_mean, np.sqrt(spread)) < RTOL
        assert relative_error(cov, ref_cov, spread) < RTOL


def test_posterior_density_is_bayes_rule() -> None:
    gm = _mixture(2, 3)
    sigma, x_tilde = 0.8, np.array([0.3, -1.2])
    post = gm.posterior(x_tilde, sigma)
    x = gm.sample(5, 11)
    noise = GaussianMixture([1.0], [x_tilde], [sigma**2 * np.eye(2)])
    # log p(x | x~) = log p(x) + log N(x~; x, sigma^2 I) - log p_sigma(x~)
    expected = gm.logpdf(x) + noise.logpdf(x) - gm.noised(sigma).logpdf(x_tilde)
    np.testing.assert_allclose(post.logpdf(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["two-mode-1d", "anisotropic-2d", "two-mode-3d"])
def test_finite_and_positive_definite_over_eight_decades_of_sigma(name: str) -> None:
    gm = example(name)
    spread = np.sqrt(np.max(gm.eigenvalues))
    x = np.vstack([gm.means, gm.means[0] + 1e3 * spread * np.ones(gm.dim)])
    for sigma in np.logspace(-4, 4, 17):
        mean, cov = gm.posterior_moments(x, sigma)
        assert np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))
        np.testing.assert_array_equal(cov, np.swapaxes(cov, -1, -2))
        assert np.all(np.linalg.eigvalsh(cov) > 0)
        noised = gm.noised(sigma)
        assert np.all(np.isfinite(noised.hessian(x))) and np.all(np.isfinite(noised.score(x)))
        if gm.dim == 1:
            assert np.all(np.isfinite(noised.derivative_ratio(x, 8)))


def test_posterior_covariance_has_the_right_limits() -> None:
    gm = example("anisotropic-2d")
    x = gm.means[1]
    _, cov_small = gm.posterior_moments(x, 1e-4)
    np.testing.assert_allclose(cov_small, 1e-8 * np.eye(2), rtol=1e-3, atol=1e-14)
    mean_big, cov_big = gm.posterior_moments(x, 1e4)
    prior_mean = gm.weights @ gm.means
    between = np.einsum("k,ki,kj->ij", gm.weights, gm.means - prior_mean, gm.means - prior_mean)
    prior_cov = np.einsum("k,kij->ij", gm.weights, gm.covariances) + between
    np.testing.assert_allclose(cov_big, prior_cov, rtol=1e-6)
    np.testing.assert_allclose(mean_big, prior_mean, atol=1e-6)


ALPHA = 1e-4  # family-wise false-alarm rate of the Monte Carlo tests below


def _posterior_z(gm, x, sigma, n, rng, shift_cov: float = 1.0):
    mean, cov = gm.posterior_moments(x, sigma)
    est = moment_estimate(gm.sample_posterior(x, sigma, n, rng), mean)
    return z_test(est, np.concatenate([mean, shift_cov * cov.ravel()]), ALPHA)


@pytest.mark.parametrize("name", ["two-mode-1d", "anisotropic-2d", "two-mode-3d"])
def test_posterior_draws_match_posterior_moments(name: str, rng: np.random.Generator) -> None:
    gm = example(name)
    x = gm.weights @ gm.means + 0.3
    assert _posterior_z(gm, x, 0.9, 100_000, rng).passed


def test_posterior_draw_test_rejects_a_two_percent_wrong_covariance(rng) -> None:
    # Calibration: the same test must catch a covariance 2% too large.
    gm = example("anisotropic-2d")
    x = gm.weights @ gm.means + 0.3
    assert not _posterior_z(gm, x, 0.9, 100_000, rng, shift_cov=1.02).passed


@pytest.mark.parametrize("name", ["two-mode-1d", "two-mode-3d"])
def test_batched_posterior_draws_match_each_points_posterior(name: str, rng) -> None:
    # One call draws at several points; each point's draws must follow its own posterior
    # (Bonferroni over the points keeps the family-wise false-alarm rate at ALPHA).
    gm = example(name)
    centre = gm.weights @ gm.means
    points = centre + np.array([-1.5, 0.0, 0.7])[:, None] * np.ones(gm.dim)
    draws = gm.sample_posterior(points, 0.9, 60_000, rng)
    assert draws.shape == (3, 60_000, gm.dim)
    for point, point_draws in zip(points, draws, strict=True):
        mean, cov = gm.posterior_moments(point, 0.9)
        target = np.concatenate([mean, cov.ravel()])
        assert z_test(moment_estimate(point_draws, mean), target, ALPHA / 3).passed
    # Calibration: the draws of one point do not pass for another point's posterior.
    mean, cov = gm.posterior_moments(points[0], 0.9)
    wrong = z_test(moment_estimate(draws[2], mean), np.concatenate([mean, cov.ravel()]), ALPHA)
    assert not wrong.passed


def test_sample_matches_mixture_moments(rng: np.random.Generator) -> None:
    gm = example("two-mode-3d")
    n = 200_000
    draws = gm.sample(n, rng)
    mean = gm.weights @ gm.means
    assert z_test(mean_estimate(draws), mean, ALPHA).passed
    assert not z_test(mean_estimate(draws), mean + 0.02, ALPHA).passed


def test_sampling_is_reproducible_and_needs_an_explicit_generator() -> None:
    gm = example("two-mode-1d")
    np.testing.assert_array_equal(gm.sample(5, 3), gm.sample(5, np.random.default_rng(3)))
    with pytest.raises(InvalidArgumentError, match="rng"):
        gm.sample(5, None)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"weights": [0.5, 0.6]}, "weights"),
        ({"weights": [-0.5, 1.5]}, "weights"),
        ({"weights": [0.5, float("nan")]}, "weights"),
        ({"means": [[0.0], [1.0], [2.0]]}, "means"),
        ({"covariances": [[[1.0]], [[-1.0]]]}, "covariances[1]"),
        ({"covariances": [[[1.0, 0.0], [0.0, 1.0]], [[1.0]]]}, "covariances"),
    ],
)
def test_bad_construction_names_the_argument(kwargs: dict, argument: str) -> None:
    base = {"weights": [0.5, 0.5], "means": [[0.0], [1.0]], "covariances": [[[1.0]], [[1.0]]]}
    base.update(kwargs)
    with pytest.raises(InvalidArgumentError) as info:
        GaussianMixture(**base)
    assert info.value.name == argument
    assert argument in str(info.value)


def test_non_symmetric_covariance_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="not symmetric"):
        GaussianMixture([1.0], [[0.0, 0.0]], [[[1.0, 0.5], [0.0, 1.0]]])


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf"), "abc"])
def test_bad_sigma_is_rejected(sigma) -> None:
    with pytest.raises(InvalidArgumentError, match="sigma"):
        example("two-mode-1d").noised(sigma)


def test_bad_points_and_orders_are_rejected() -> None:
    gm1, gm2 = example("two-mode-1d"), example("anisotropic-2d")
    with pytest.raises(InvalidArgumentError, match="x="):
        gm2.score(np.zeros(3))
    with pytest.raises(InvalidArgumentError, match="NaN"):
        gm1.logpdf([float("nan")])
    with pytest.raises(InvalidArgumentError, match="d = 1"):
        gm2.derivative_ratio(np.zeros(2), 2)
    with pytest.raises(InvalidArgumentError, match="n="):
        gm1.derivative_ratio([0.0], -1)
    with pytest.raises(InvalidArgumentError, match="single point"):
        gm2.posterior(np.zeros((2, 2)), 1.0)

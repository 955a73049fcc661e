"""numeric.matrix_targets against references built another way: finite differences of
the density, the mixture's own posterior moments, mpmath, and posterior draws."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import InvalidArgumentError
from numeric.examples import random_mixture
from numeric.matrix_targets import (
    derivative_ratio_tensors,
    posterior_expectation,
    target_covariance,
)
from numeric.montecarlo import mean_estimate, z_test
from numeric.reference import reference_derivative_ratio, reference_hessian, reference_score


def _mixture(dim: int, seed: int = 0):
    return random_mixture(np.random.default_rng(100 + seed), dim, 3, max_condition=10.0)


@pytest.mark.parametrize("dim", [2, 3])
def test_first_two_ratio_tensors_match_mpmath(dim) -> None:
    gm = _mixture(dim)
    x = gm.sample(2, np.random.default_rng(1))
    d1, d2 = derivative_ratio_tensors(gm, x, top=2)
    for point, first, second in zip(x, d1, d2, strict=True):
        score = np.array(reference_score(gm, list(point)), dtype=float)
        hessian = np.array(reference_hessian(gm, list(point)), dtype=float)
        np.testing.assert_allclose(first, score, rtol=1e-10, atol=1e-12)
        # D^2 p / p = Hess log p + s s^T
        np.testing.assert_allclose(second, hessian + np.outer(score, score),
                                   rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dim", [2, 3])
def test_each_ratio_tensor_is_the_derivative_of_the_one_below(dim) -> None:
    # D^(n+1) p / p = (d/dx_k)(D^n p) / p, by central differences of p * (D^n p / p)
    gm = _mixture(dim, seed=1)
    x = gm.sample(1, np.random.default_rng(2))[0]
    h = 1e-4
    tensors = derivative_ratio_tensors(gm, x, top=4)
    for n in (1, 2, 3):
        for k in range(dim):
            step = np.zeros(dim)
            step[k] = h
            up, down = (derivative_ratio_tensors(gm, x + sign * step, top=n)[n - 1]
                        * np.exp(gm.logpdf(x + sign * step) - gm.logpdf(x))
                        for sign in (1.0, -1.0))
            np.testing.assert_allclose((up - down) / (2 * h), tensors[n][..., k],
                                       rtol=1e-6, atol=1e-6)


def test_one_dimension_agrees_with_mpmath_ratios() -> None:
    gm = _mixture(1, seed=2)
    x = 0.37
    tensors = derivative_ratio_tensors(gm, [x], top=4)
    for n, tensor in enumerate(tensors, start=1):
        assert tensor.shape == (1,) * n
        expected = float(reference_derivative_ratio(gm, x, n))
        assert abs(tensor.ravel()[0] - expected) <= 1e-9 * max(1.0, abs(expected))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_cubature_reproduces_the_posterior_moments(dim) -> None:
    gm = _mixture(dim, seed=3)
    x_tilde, sigma = gm.sample(3, np.random.default_rng(4)), 0.6
    mean, cov = gm.posterior_moments(x_tilde, sigma)
    first = posterior_expectation(gm, x_tilde, sigma, lambda e: e, 1)
    second = posterior_expectation(gm, x_tilde, sigma,
                                   lambda e: e[..., :, None] * e[..., None, :], 2)
    centred = (x_tilde - mean) / sigma
    np.testing.assert_allclose(first, centred, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(second, centred[..., :, None] * centred[..., None, :]
                               + cov / sigma**2, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("dim", [2, 3])
def test_order_two_covariance_agrees_with_posterior_draws(dim) -> None:
    # second moments of vec T_2 are degree-4 polynomials of the noise: draws test them
    gm, sigma = _mixture(dim, seed=4), 0.8
    x_tilde = gm.noised(sigma).sample(1, np.random.default_rng(5))[0]
    mean, cov = target_covariance(gm, x_tilde, sigma, order=2)
    draws = gm.sample_posterior(x_tilde, sigma, 200_000, np.random.default_rng(6))
    noise = (x_tilde - draws) / sigma
    t = ((noise[:, :, None] * noise[:, None, :] - np.eye(dim)) / sigma**2).reshape(-1, dim**2)
    centred = t - mean
    values = np.concatenate([t, (centred[:, :, None] * centred[:, None, :])
                             .reshape(len(t), -1)], axis=1)
    test = z_test(mean_estimate(values), np.concatenate([mean, cov.ravel()]), 1e-3)
    assert test.passed, test.max_abs_z


def test_draws_reject_a_wrong_covariance() -> None:
    gm, sigma, dim = _mixture(2, seed=4), 0.8, 2
    x_tilde = gm.noised(sigma).sample(1, np.random.default_rng(5))[0]
    mean, cov = target_covariance(gm, x_tilde, sigma, order=2)
    draws = gm.sample_posterior(x_tilde, sigma, 200_000, np.random.default_rng(6))
    noise = (x_tilde - draws) / sigma
    t = ((noise[:, :, None] * noise[:, None, :] - np.eye(dim)) / sigma**2).reshape(-1, 4)
    centred = t - mean
    products = (centred[:, :, None] * centred[:, None, :]).reshape(len(t), -1)
    wrong = cov.copy()
    wrong[0, 0] -= 2 / sigma**4  # drop the sigma^-4 pairing of one diagonal entry
    assert not z_test(mean_estimate(products), wrong.ravel(), 1e-3).passed


def test_bad_inputs_name_the_argument() -> None:
    gm = _mixture(2)
    with pytest.raises(InvalidArgumentError, match="top"):
        derivative_ratio_tensors(gm, [0.0, 0.0], top=5)
    with pytest.raises(InvalidArgumentError, match="order"):
        target_covariance(gm, [0.0, 0.0], 1.0, order=3)
    with pytest.raises(InvalidArgumentError, match="sigma"):
        target_covariance(gm, [0.0, 0.0], -1.0, order=2)
    with pytest.raises(InvalidArgumentError, match="x"):
        derivative_ratio_tensors(gm, [0.0, 0.0, 0.0])

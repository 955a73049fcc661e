"""numeric's own noise densities, the double-precision posterior grid and grouped draws."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from numeric._validation import InvalidArgumentError
from numeric.examples import example
from numeric.montecarlo import mean_estimate
from numeric.noise_reference import reference_noise
from numeric.quadrature import noise_functions, posterior_grid, posterior_integrals

SPECS = ("gaussian", "logistic", "student_t:5", "student_t:5/2")


@pytest.mark.parametrize("spec", SPECS)
def test_ratios_are_derivatives_of_the_density(spec: str) -> None:
    # q^(n)/q from the chain-rule recurrences against mpmath's numerical derivative
    noise = reference_noise(spec)
    with mpmath.workdps(40):
        for e in (mpmath.mpf("-2.3"), mpmath.mpf("0.4"), mpmath.mpf("5.1")):
            density = noise.density(e, True)
            for n in range(1, 6):
                numeric_ratio = mpmath.diff(lambda t: noise.density(t, True), e, n) / density
                assert abs(noise.ratio(n, e, True) - numeric_ratio) < 1e-20 * (
                    1 + abs(numeric_ratio))


@pytest.mark.parametrize(("spec", "fisher"), [("gaussian", 1.0), ("logistic", 1 / 3),
                                              ("student_t:5", 6 / 8),
                                              ("student_t:5/2", 3.5 / 5.5)])
def test_normalisation_and_the_textbook_fisher_information(spec: str, fisher: float) -> None:
    noise = reference_noise(spec)
    assert abs(noise.normalisation() - 1) < 1e-12
    assert abs(noise.fisher_information() - fisher) < 1e-12   # (nu + 1)/(nu + 3), 1/3


@pytest.mark.parametrize("spec", SPECS)
def test_numpy_and_mpmath_agree(spec: str) -> None:
    noise = reference_noise(spec)
    e = np.linspace(-7, 7, 15)
    for n in range(4):
        mp_values = [float(noise.ratio(n, mpmath.mpf(float(v)), True)) for v in e]
        np.testing.assert_allclose(noise.ratio(n, e), mp_values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(noise.log_density(e),
                               [float(noise.log_density(mpmath.mpf(float(v)), True)) for v in e],
                               rtol=1e-13)


@pytest.mark.parametrize("spec", ("logistic", "student_t:5"))
def test_draws_have_the_density_s_variance(spec: str, rng: np.random.Generator) -> None:
    noise = reference_noise(spec)
    draws = noise.sample(200_000, rng)
    variance = noise.expectation(lambda e: e**2)
    est = mean_estimate(draws**2)
    assert abs(est.value - variance) < 6 * est.error


@pytest.mark.parametrize("spec", ["laplace", "student_t", "student_t:-1", "logistic:3", 3])
def test_unknown_families_are_rejected(spec) -> None:
    with pytest.raises(InvalidArgumentError, match="noise"):
        reference_noise(spec)


@pytest.mark.parametrize("noise", ("logistic", "student_t:5"))
def test_posterior_grid_agrees_with_mpmath(noise: str) -> None:
    gm, fns = example("two-mode-1d"), noise_functions(noise)
    for sigma, x in ((0.05, -2.0), (1.0, 0.3)):
        grid = posterior_grid(gm, [x], sigma, noise, (1,), (2,))
        with mpmath.workdps(20):
            r = posterior_integrals(gm, x, sigma, noise,
                                    (fns.ratio(1), lambda e: fns.ratio(1)(e) ** 2), (2,))
            mean = r.expectation(0)
            variance = (r.expectation(1) - mean**2) / sigma**2
            assert abs(grid.mean[1][0] - float(mean / sigma)) < 1e-11 / sigma
            assert abs(grid.variance[1][0] - float(variance)) < 1e-11 * float(variance)
            assert abs(grid.ratio[2][0] - float(r.derivative_ratio(2))) < 1e-11 / sigma**2


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_grouped_draws_have_the_mixture_s_moments(dim: int, rng: np.random.Generator) -> None:
    from numeric.examples import random_mixture

    gm = random_mixture(np.random.default_rng(dim), dim=dim, n_components=3)
    draws = gm.sample_grouped(400_000, rng)
    mean = gm.weights @ gm.means
    est = mean_estimate(draws)
    assert np.all(np.abs(est.value - mean) < 6 * est.error)
    centred = draws - mean
    second = np.einsum("k,kij->ij", gm.weights,
                       gm.covariances + np.einsum("ki,kj->kij", gm.means - mean, gm.means - mean))
    products = mean_estimate(np.einsum("ni,nj->nij", centred, centred).reshape(len(draws), -1))
    assert np.all(np.abs(products.value - second.ravel()) < 6 * products.error)


def test_mean_estimate_falls_back_to_the_centred_sum_far_from_zero() -> None:
    x = 1e7 + np.random.default_rng(0).standard_normal(10_000)
    est = mean_estimate(x)
    assert abs(est.error - np.std(x, ddof=1) / 100) < 1e-6 * est.error

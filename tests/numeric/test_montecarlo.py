"""Streamed Monte Carlo: the chunked running mean/variance equals the one-pass estimate."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from numeric import InvalidArgumentError
from numeric.montecarlo import (
    Estimate,
    deskewed,
    mean_estimate,
    streamed_mean,
    z_test,
    z_threshold,
)


def _replay(data: np.ndarray):
    # a "generator" that hands out consecutive slices of fixed data, to compare chunkings
    position = [0]

    def draw(_rng, m):
        start = position[0]
        position[0] += m
        return data[start:start + m]

    return draw


@pytest.mark.parametrize("chunk_size", [2, 7, 1000, 50_000])
def test_chunked_mean_and_error_equal_the_one_pass_values(chunk_size: int) -> None:
    # a large offset makes E[x^2] - E[x]^2 lose every digit; the pairwise update must not
    data = 1e6 + np.random.default_rng(3).standard_normal((20_000, 2)) * [1.0, 1e-3]
    whole = mean_estimate(data)
    streamed = streamed_mean(_replay(data), data.shape[0], 0, chunk_size=chunk_size)
    np.testing.assert_allclose(streamed.value, whole.value, rtol=1e-14)
    np.testing.assert_allclose(streamed.error, whole.error, rtol=1e-6)
    assert streamed.n == data.shape[0]


def test_streamed_estimate_is_calibrated(rng: np.random.Generator) -> None:
    # exponential draws: mean 1; the z-test passes at the truth and rejects 1.01
    est = streamed_mean(lambda g, m: g.exponential(size=m), 400_000, rng, chunk_size=65_536)
    assert z_test(est, 1.0).passed
    assert not z_test(est, 1.01).passed


def test_streamed_mean_names_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="n_draws"):
        streamed_mean(lambda g, m: g.random(m), 1, 0)
    with pytest.raises(InvalidArgumentError, match="chunk_size"):
        streamed_mean(lambda g, m: g.random(m), 10, 0, chunk_size=0)
    with pytest.raises(InvalidArgumentError, match="draw"):
        streamed_mean(lambda g, m: g.random(m + 1), 10, 0)


def _inverse_deskewed(value: float, skewness: float) -> float:
    # deskewed is increasing, so bisection finds the z it maps to ``value``
    low, high = -60.0, 60.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if deskewed(middle, skewness) < value else (low, middle)
    return low


def test_deskewing_makes_the_tail_error_of_a_skewed_mean_shrink_like_one_over_n() -> None:
    # the mean of N unit exponentials is Gamma(N, 1/N) exactly, with skewness 2/sqrt(N):
    # the upper tail beyond the 1e-3 normal quantile, computed exactly, is off by
    # O(1/sqrt(N)) without the correction and by O(1/N) with it (the rates, not values)
    tail = 1e-3
    threshold = z_threshold(2 * tail, 1)
    sizes = np.array([50, 200, 800, 3200])
    errors = {}
    for corrected in (False, True):
        found = []
        for size in sizes:
            skew = 2 / np.sqrt(size) if corrected else 0.0
            z = _inverse_deskewed(threshold, skew)
            exact = mpmath.gammainc(int(size), size + z * np.sqrt(size), mpmath.inf,
                                    regularized=True)
            found.append(abs(float(exact) / tail - 1))
        errors[corrected] = np.polyfit(np.log(sizes), np.log(found), 1)[0]
    assert abs(errors[False] + 0.5) < 0.1 and abs(errors[True] + 1.0) < 0.1


def test_a_skewed_estimate_is_still_rejected_far_from_the_truth() -> None:
    # Hall's map is increasing and cubic: no skewness maps a large deviation back inside
    assert np.all(np.diff(deskewed(np.linspace(-40, 40, 2001), 0.8)) > 0)
    skewed = Estimate(np.array([1.0]), np.array([0.01]), "monte-carlo", 100, np.array([0.8]))
    assert not z_test(skewed, 1.5).passed and not z_test(skewed, 0.5).passed
    assert z_test(skewed, 1.0).passed

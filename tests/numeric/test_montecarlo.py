"""Streamed Monte Carlo: the chunked running mean/variance equals the one-pass estimate."""

from __future__ import annotations

import numpy as np
import pytest

from numeric import InvalidArgumentError
from numeric.montecarlo import mean_estimate, streamed_mean, z_test


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

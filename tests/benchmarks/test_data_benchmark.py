"""Benchmarks of `dsmw data` (issue 16). Not run by default; the figures go into the
"Data sets" section of notes/performance.md:

    pip install -e '.[test,bench,data]'
    pytest tests/benchmarks/test_data_benchmark.py -o addopts="" -p no:cacheprovider -s

Target: digits (61 non-constant features), K = 10 full covariances, 40 noise levels,
standard error <= 1% of the value at every level: under 30 s on 2 cores, excluding the
fit. Printed, not asserted.
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

from numeric import GaussianMixture
from numeric.data import expected_weight_curve, fit_mixture, load_dataset, prepare
from numeric.data._curve import _Factors

SIGMAS = np.geomspace(0.01, 10.0, 40)


@pytest.fixture(scope="module")
def digits_fit():
    data = prepare(load_dataset("digits")).data
    start = time.perf_counter()
    fit = fit_mixture(data, 10, "full", floor=None, seed=0)
    return fit, time.perf_counter() - start


@pytest.mark.parametrize("jobs", [1, 2])
def test_digits_curve_40_levels(benchmark, digits_fit, jobs) -> None:
    fit, fit_seconds = digits_fit
    curve = benchmark.pedantic(expected_weight_curve, args=(fit.mixture, SIGMAS, 0),
                               kwargs={"rel_se": 0.01, "jobs": jobs}, rounds=1)
    met = sum(lv.target_met for lv in curve.levels)
    draws = sum(lv.n_draws for lv in curve.levels)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    benchmark.extra_info.update(fit_seconds=fit_seconds, fit_only=fit.fit_seconds,
                                floor_selection=fit.selection_seconds, draws=draws,
                                levels_met=met, peak_rss_mb=peak)
    print(f"\ndigits, K = 10 full, floor {fit.floor:g}: floor selection "
          f"{fit.selection_seconds:.1f} s + fit {fit.fit_seconds:.1f} s; curve "
          f"{curve.seconds:.1f} s with jobs={jobs} ({draws} draws, SE <= 1% at {met}/40 "
          f"levels, flagged {[lv.sigma for lv in curve.levels if lv.variance_looks_infinite]}"
          f"); peak RSS {peak:.0f} MB")


def _random_mixture(dim: int, k: int, rng: np.random.Generator) -> GaussianMixture:
    # fitted-like: well-separated means, eigenvalues over two decades
    means = rng.normal(scale=3.0, size=(k, dim))
    covs = []
    for _ in range(k):
        q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
        covs.append(q @ np.diag(10.0 ** rng.uniform(-2, 0, dim)) @ q.T)
    return GaussianMixture(np.full(k, 1 / k), means, np.array(covs))


def per_draw_seconds(dim: int, k: int, sigma: float, draws: int = 2048,
                     full: bool = False) -> float:
    """Best-of-5 seconds per draw of tr W*(x~)/d (one BLAS thread); ``full`` forces the
    Cholesky path at every draw (the worst case), else draws take the closed form where
    it is exact to CLOSED_FORM_TOLERANCE."""
    import numeric.data._curve as curve_module
    from numeric.data._curve import _one_thread

    gm = _random_mixture(dim, k, np.random.default_rng(dim * 100 + k))
    factors = _Factors(gm)
    rng = np.random.default_rng(0)
    x = factors.draw_noisy(sigma, draws, rng)
    best = np.inf
    saved = curve_module.CLOSED_FORM_TOLERANCE
    curve_module.CLOSED_FORM_TOLERANCE = -1.0 if full else saved
    try:
        with _one_thread():
            for _ in range(5):
                start = time.perf_counter()
                for chunk in np.array_split(x, draws // 1024):
                    factors.trace_weight(chunk, sigma)
                best = min(best, time.perf_counter() - start)
    finally:
        curve_module.CLOSED_FORM_TOLERANCE = saved
    return best / draws


@pytest.mark.parametrize("regime, full", [("closed form where exact (sigma = 0.01)", False),
                                          ("Cholesky at every draw (forced)", True)])
def test_cost_growth_with_d_and_k(benchmark, regime, full) -> None:
    dims, ks = (8, 16, 32, 64, 128), (2, 5, 10, 20, 40)
    sigma = 0.01

    def run():
        by_dim = [per_draw_seconds(d, 10, sigma, full=full) for d in dims]
        by_k = [per_draw_seconds(32, k, sigma, full=full) for k in ks]
        return by_dim, by_k

    by_dim, by_k = benchmark.pedantic(run, rounds=1)
    d_exp = np.polyfit(np.log(dims[2:]), np.log(by_dim[2:]), 1)[0]
    k_exp = np.polyfit(np.log(ks[1:]), np.log(by_k[1:]), 1)[0]
    benchmark.extra_info.update(d_exponent=float(d_exp), k_exponent=float(k_exp))
    print(f"\n{regime}: us/draw by d (K = 10) "
          + ", ".join(f"{d}: {t * 1e6:.1f}" for d, t in zip(dims, by_dim, strict=True))
          + f"; exponent (d >= 32) {d_exp:.2f}\n  by K (d = 32) "
          + ", ".join(f"{k}: {t * 1e6:.1f}" for k, t in zip(ks, by_k, strict=True))
          + f"; exponent (K >= 5) {k_exp:.2f}")

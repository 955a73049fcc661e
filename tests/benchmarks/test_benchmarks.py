"""Performance benchmarks (pytest-benchmark). Not run by default; see notes/performance.md:

    pip install -e '.[test,bench]'
    OPENBLAS_NUM_THREADS=1 pytest tests/benchmarks -o addopts="" -p no:cacheprovider \
        --benchmark-columns=mean,stddev

(one BLAS thread, as ``dsmw verify`` runs: on the shared 2-core machine threaded BLAS
made a 10^6-element dot product 30x slower under load).

Targets are checked as *ratios measured in the same run* where possible and reported;
they are not timing asserts, except the speed-up and growth figures that define the
targets of issue 8, which are printed for the note.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from numeric.examples import random_mixture


def _mixture(dim: int):
    return random_mixture(np.random.default_rng(0), dim=dim, n_components=5)


@pytest.mark.parametrize("dim", [1, 3])
def test_posterior_draws(benchmark, dim) -> None:
    # 1000 draws from one posterior p(x | x~) (the mixture built once): the target's ratio
    gm, rng = _mixture(dim), np.random.default_rng(1)
    posterior = gm.posterior(gm.sample(1, rng)[0], 0.5)
    benchmark(posterior.sample, 1000, rng)


@pytest.mark.parametrize("dim", [1, 3])
def test_posterior_draws_including_the_posterior(benchmark, dim) -> None:
    # the same, building p(x | x~) in the call
    gm, rng = _mixture(dim), np.random.default_rng(1)
    benchmark(gm.sample_posterior, gm.sample(1, rng)[0], 0.5, 1000, rng)


@pytest.mark.parametrize("dim", [1, 3])
def test_posterior_draws_at_1000_points(benchmark, dim) -> None:
    # one draw at each of 1000 points: responsibilities at every point dominate
    gm, rng = _mixture(dim), np.random.default_rng(1)
    benchmark(gm.sample_posterior, gm.sample(1000, rng), 0.5, 1, rng)


def test_streamed_monte_carlo_1e8_draws_memory(benchmark) -> None:
    # peak RSS of a fresh interpreter that streams 10^8 mixture draws through streamed_mean
    script = (
        "import resource, numpy as np\n"
        "from numeric.examples import random_mixture\n"
        "from numeric.montecarlo import streamed_mean\n"
        "gm = random_mixture(np.random.default_rng(0), dim=1, n_components=5)\n"
        "streamed_mean(lambda g, m: gm.sample(m, g)[:, 0], 10**8, np.random.default_rng(1))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )

    def run() -> float:
        out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                             text=True)
        return int(out.stdout.strip()) / 1024.0  # ru_maxrss is in KiB on Linux

    peak = benchmark.pedantic(run, rounds=1)
    benchmark.extra_info["peak_rss_mb"] = peak
    print(f"\n10^8 streamed draws: peak RSS {peak:.0f} MB")


@pytest.mark.parametrize("dim", [1, 3])
def test_standard_normal_reference(benchmark, dim) -> None:
    rng = np.random.default_rng(1)
    benchmark(rng.standard_normal, (1000, dim))


@pytest.mark.parametrize("dim", [1, 3])
def test_standard_normal_10e6(benchmark, dim) -> None:
    # the reference rate of issue 13's target: raw standard normals, 10^6 draws of dimension d
    rng = np.random.default_rng(1)
    benchmark(rng.standard_normal, (10**6, dim))


@pytest.mark.parametrize("dim", [1, 3])
def test_monte_carlo_moment_estimate_10e6(benchmark, dim) -> None:
    # a Monte Carlo moment estimate (mean with its standard error) of 10^6 mixture draws,
    # grouped by component (one multinomial draw, contiguous blocks)
    from numeric.montecarlo import mean_estimate

    gm, rng = _mixture(dim), np.random.default_rng(1)
    benchmark(lambda: mean_estimate(gm.sample_grouped(10**6, rng)))


@pytest.mark.parametrize("dim", [1, 3])
def test_monte_carlo_rate_ratio(benchmark, dim) -> None:
    # the two side by side, interleaved, best of 15: estimate rate / standard_normal rate
    import timeit

    from numeric.montecarlo import mean_estimate

    gm, rng = _mixture(dim), np.random.default_rng(1)

    def measure() -> dict[str, float]:
        raw, grouped, draws_only = [], [], []
        for _ in range(15):
            raw.append(timeit.timeit(lambda: rng.standard_normal((10**6, dim)), number=1))
            grouped.append(timeit.timeit(lambda: mean_estimate(gm.sample_grouped(10**6, rng)),
                                         number=1))
            draws_only.append(timeit.timeit(lambda: gm.sample_grouped(10**6, rng), number=1))
        return {"estimate_ratio": min(raw) / min(grouped),
                "draws_ratio": min(raw) / min(draws_only),
                "iid_sample_ratio": min(raw) / timeit.timeit(lambda: gm.sample(10**6, rng),
                                                             number=1)}

    ratios = benchmark.pedantic(measure, rounds=1)
    benchmark.extra_info.update(ratios)
    print(f"\nd = {dim}: moment estimate at {ratios['estimate_ratio']:.0%} of the "
          f"standard_normal rate (grouped draws alone {ratios['draws_ratio']:.0%}, i.i.d. "
          f"sample() {ratios['iid_sample_ratio']:.0%})")


def test_posterior_grid_vs_mpmath_one_point(benchmark) -> None:
    # the double-precision posterior quadrature the checks use, at 100 points
    from numeric.quadrature import posterior_grid

    gm = _mixture(1)
    benchmark(posterior_grid, gm, np.linspace(-3, 3, 100), 0.5, "logistic", (1, 2), (1, 2))


def test_exact_covariance_10k_points(benchmark) -> None:
    from numeric.moments import conditional_covariance

    gm = _mixture(1)
    x = np.linspace(-5, 5, 10_000)[:, None]
    benchmark(conditional_covariance, gm, x, 0.5, 1)


def test_quadrature_covariance_one_point(benchmark) -> None:
    from numeric.quadrature import quadrature_moments

    gm = _mixture(1)
    benchmark.pedantic(quadrature_moments, args=(gm, np.array([[0.3]]), 0.5, 1), rounds=3)


def test_derive_series_orders_1_to_10(benchmark) -> None:
    import derive

    def run():
        times = []
        for n in range(1, 11):
            start = time.perf_counter()
            derive.conditional_covariance(n)
            derive.taylor_expansion(n, 3)
            times.append(time.perf_counter() - start)
        return times

    times = benchmark.pedantic(run, rounds=1)
    n = np.arange(1, 11)
    exponent = np.polyfit(np.log(n[3:]), np.log(times[3:]), 1)[0]
    benchmark.extra_info.update(total=sum(times), exponent=float(exponent))
    print(f"\nderive n=1..10: total {sum(times):.2f} s, fitted growth exponent {exponent:.2f}")


@pytest.mark.parametrize("argv", [["--help"], ["verify", "--quick"],
                                  ["verify", "--quick", "--jobs", "1"],
                                  ["check", "1/sigma**2 + h"],
                                  ["study", "gradients", "--quick"],
                                  ["study", "training", "--quick"]])
def test_cli_wall_time(benchmark, argv) -> None:
    def run():
        subprocess.run([sys.executable, "-m", "numeric.cli", *argv], check=False,
                       capture_output=True)

    benchmark.pedantic(run, rounds=1 if argv[0] in ("verify", "study") else 3)

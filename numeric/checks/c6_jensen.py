"""C6: Jensen: ``E[W*] >= E[Sigma_1]^-1`` (Loewner order for d > 1), equality for
Gaussian data.

Checks, by method:

* quadrature -- derive's ``jensen_gap`` at the exact ``E[W*]`` and ``E[Sigma_1]``: > 0 on
  mixtures, 0 for Gaussian data (Simpson in d = 1, tensor Gauss-Hermite in d = 2, 3);
* monte-carlo -- the gap at Monte Carlo estimates is > 0 and consistent with quadrature
  (delta-method standard errors).
"""

from __future__ import annotations

import numpy as np

from numeric.checks._derived import derived, matrix_function, scalar_function
from numeric.checks._records import Check, TaskSpec
from numeric.checks._shared import (
    ONE_D,
    SIGMAS,
    expected_covariance,
    expected_weight,
    gaussian_2d,
    two_mode_2d,
)
from numeric.examples import example
from numeric.expectations import gauss_hermite_expectation
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, optimal_weight
from numeric.montecarlo import Estimate, z_test

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE"]

ID = "C6"
TITLE = "Jensen: E[W*] >= E[Sigma_1]^-1"
CONSUMES = ("jensen_gap",)


def _c6_quadrature():
    def run(rng, alpha) -> Check:
        gap_1d = scalar_function(derived("jensen_gap")(1), ("EW", "ESigma"))
        gaps, equal = [], []
        for name in (*ONE_D, "gaussian-1d"):
            gm = example(name)
            for sigma in SIGMAS:
                ew = expected_weight(gm, sigma)
                gap = float(gap_1d(EW=ew, ESigma=expected_covariance(gm, sigma))) / ew
                (equal if name == "gaussian-1d" else gaps).append(gap)
        # Loewner form in d = 2, 3, tensor Gauss-Hermite over p_sigma
        cases = (
            (two_mode_2d(), gaussian_2d(), 40),
            (example("two-mode-3d"), GaussianMixture([1.0], [[0.0, 1.0, -1.0]],
                                                     [[[1.0, 0.3, 0.0], [0.3, 0.5, 0.1],
                                                       [0.0, 0.1, 0.8]]]), 14),
        )
        for mixture, gaussian, nodes in cases:
            gap_fn = matrix_function(derived("jensen_gap")(mixture.dim), ("EW", "ESigma"),
                                      mixture.dim)
            for gm in (mixture, gaussian):
                for sigma in (0.3, 1.0):
                    noised = gm.noised(sigma)
                    ew = gauss_hermite_expectation(noised, lambda x, g=gm, s=sigma:
                                                   optimal_weight(g, x, s), nodes)
                    ecov = gauss_hermite_expectation(noised, lambda x, g=gm, s=sigma:
                                                     conditional_covariance(g, x, s), nodes)
                    gap = np.asarray(gap_fn(ew, ecov), dtype=float)
                    smallest = float(np.min(np.linalg.eigvalsh((gap + gap.T) / 2)))
                    size = float(np.max(np.abs(ew)))
                    if gm is gaussian:
                        equal.append(float(np.max(np.abs(gap))) / size)
                    else:
                        gaps.append(smallest / size)
        ok = min(gaps) > 1e-6 and max(abs(g) for g in equal) < 1e-9
        return Check("jensen_gap >= 0: > 0 on mixtures (d = 1; Loewner, d = 2, 3), 0 for "
                     "Gaussian data", "quadrature", max(abs(g) for g in equal), 1e-9, ok,
                     f"smallest relative gap (eigenvalue for d > 1) on mixtures {min(gaps):.3g} "
                     "(must be > 1e-6); Simpson in d = 1, tensor Gauss-Hermite (40^2, 14^3 "
                     "nodes per component) in d = 2, 3")
    return run


def _c6_monte_carlo(draws: int):
    count = draws

    def run(rng, alpha) -> Check:
        gap_fn = scalar_function(derived("jensen_gap")(1), ("EW", "ESigma"))
        z_consistent, z_positive = [], []
        for name in ONE_D:
            gm = example(name)
            for sigma in (0.3, 1.0):
                x_tilde = gm.noised(sigma).sample_grouped(count, rng)
                cov = conditional_covariance(gm, x_tilde, sigma)
                weight = 1.0 / cov
                ew, es = float(np.mean(weight)), float(np.mean(cov))
                gap = float(gap_fn(EW=ew, ESigma=es))
                # delta method: numerical gradient of the derived gap at the estimates
                step_w, step_s = 1e-6 * abs(ew), 1e-6 * abs(es)
                d_w = (float(gap_fn(EW=ew + step_w, ESigma=es))
                       - float(gap_fn(EW=ew - step_w, ESigma=es))) / (2 * step_w)
                d_s = (float(gap_fn(EW=ew, ESigma=es + step_s))
                       - float(gap_fn(EW=ew, ESigma=es - step_s))) / (2 * step_s)
                error = float(np.std(d_w * weight + d_s * cov) / np.sqrt(count))
                reference = float(gap_fn(EW=expected_weight(gm, sigma),
                                         ESigma=expected_covariance(gm, sigma)))
                z_consistent.append(abs(gap - reference) / error)
                z_positive.append(gap / error)
        test = z_test(Estimate(np.array(z_consistent), np.ones(len(z_consistent)),
                               "monte-carlo", count), 0.0, alpha)
        return Check.from_z_test(
            "Monte Carlo Jensen gap > 0, consistent with quadrature", test,
            f"{test.n_tests} z-tests of MC vs quadrature gap, {count} draws x~ ~ "
            f"p_sigma each (delta-method errors); smallest gap/SE {min(z_positive):.3g} "
            f"(must exceed {test.threshold:.3g}); family-wise rate {alpha:.2g}",
            detect=min(z_positive))
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("Jensen by quadrature", "quadrature", _c6_quadrature),
    TaskSpec("Jensen by Monte Carlo", "monte-carlo", _c6_monte_carlo,
             quick={"draws": 100_000}, full={"draws": 400_000}),
)

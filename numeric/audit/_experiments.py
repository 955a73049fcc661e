"""Single false-alarm experiments kept beside the per-check measurement: the C1/C2
posterior-draw and joint-draw checks with *known* against *estimated* standard errors
(why the checks use known ones), the C8 study's Monte Carlo cross-check, and the
Hypothesis search for a point where the heuristic over-weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from numeric.audit._calibration import wilson_interval
from numeric.examples import example
from numeric.moments import conditional_covariance, conditional_mean, optimal_weight
from numeric.montecarlo import concatenate, z_test

__all__ = ["FalseAlarmResult", "false_alarm_rate", "find_weight_below_heuristic",
           "joint_false_alarm_rate", "study_false_alarm_rate"]


@dataclass(frozen=True)
class FalseAlarmResult:
    nominal: float
    repetitions: int
    rejections: int
    tests_per_run: int
    draws: int
    low: float
    high: float
    errors: str = "known"

    @property
    def observed(self) -> float:
        return self.rejections / self.repetitions

    @property
    def consistent(self) -> bool:
        """Bonferroni is conservative: consistent when the interval reaches the nominal rate."""
        return self.low <= self.nominal

    def to_dict(self) -> dict[str, Any]:
        return {"nominal": self.nominal, "repetitions": self.repetitions,
                "rejections": self.rejections, "observed": self.observed,
                "interval": [self.low, self.high], "tests_per_run": self.tests_per_run,
                "draws": self.draws, "errors": self.errors, "consistent": self.consistent}


def false_alarm_rate(repetitions: int = 1000, alpha: float = 0.05, seed: int = 0,
                     draws: int = 4000, errors: str = "known") -> FalseAlarmResult:
    """Run the posterior-draw z-test of C1/C2 on true values ``repetitions`` times.

    ``errors="known"`` is the check as ``dsmw verify`` runs it (standard errors from
    the exact central moments); ``errors="estimated"`` uses the draws' own sample
    standard errors, kept for comparison because it is *not* calibrated.
    """
    from numeric.checks import posterior_draw_estimate

    gm = example("two-mode-1d")
    points = np.array([[-2.5], [-0.2], [1.5]])
    cases = [(x, sigma, n) for x in points for sigma in (0.3, 1.0) for n in (1, 2)]
    truth = [(float(conditional_mean(gm, x[None], s, n)[0]),
              float(conditional_covariance(gm, x[None], s, n)[0])) for x, s, n in cases]
    root = np.random.SeedSequence(seed)
    rejections = 0
    for child in root.spawn(repetitions):
        rng = np.random.default_rng(child)
        estimates, claimed = [], []
        for (x, sigma, n), (mean, variance) in zip(cases, truth, strict=True):
            estimates.append(posterior_draw_estimate(gm, x, sigma, n, mean, draws, rng, errors))
            claimed += [mean, variance]
        rejections += not z_test(concatenate(estimates), claimed, alpha).passed
    low, high = wilson_interval(rejections, repetitions)
    return FalseAlarmResult(alpha, repetitions, rejections, 2 * len(cases), draws, low, high,
                            errors)


def joint_false_alarm_rate(repetitions: int = 1000, alpha: float = 0.05, seed: int = 0,
                           errors: str = "known") -> FalseAlarmResult:
    """Run C1/C2's joint-draw check (``dsmw verify --quick``'s configuration) on true values.

    The check tests ``E[(T_n - m_n(X~)) g(X~)] = 0`` and its variance analogue with
    bounded test functions ``g``; ``errors`` as in
    :func:`numeric.checks.joint_draw_estimate`.
    """
    from numeric.checks import JOINT_DRAWS_QUICK, joint_draw_estimate

    gm = example("two-mode-1d")
    rejections, tests = 0, 0
    for child in np.random.SeedSequence([seed, 1]).spawn(repetitions):
        rng = np.random.default_rng(child)
        estimate = concatenate([joint_draw_estimate(gm, sigma, n, JOINT_DRAWS_QUICK, rng,
                                                    errors)
                                for sigma in (0.3, 1.0) for n in (1, 2)])
        test = z_test(estimate, 0.0, alpha)
        rejections += not test.passed
        tests = test.n_tests
    low, high = wilson_interval(rejections, repetitions)
    return FalseAlarmResult(alpha, repetitions, rejections, tests, JOINT_DRAWS_QUICK, low,
                            high, f"{errors}, joint draws")


def study_false_alarm_rate(repetitions: int = 1000, alpha: float = 0.05, seed: int = 0,
                           model: str = "features", errors: str = "known",
                           draws: int = 20_000) -> FalseAlarmResult:
    """The C8 study's Monte Carlo cross-check of ``E[g g^T]`` (heuristic and oracle) on
    true values, repeated: the two-mode example mixture, 8 levels from 0.2 to 2, ``model`` either
    ``"means"`` (well-specified, light tails) or ``"features"`` (heavy tails)."""
    from numeric.study import (
        ComponentMeansModel,
        FeatureModel,
        best_fit,
        gradient_moments,
        quadrature_grid,
        second_moment_variance,
        second_moment_z_test,
        weighting_zoo,
    )

    gm = example("two-mode-1d")
    schedule = np.geomspace(0.2, 2.0, 8)
    grids = [quadrature_grid(gm, s) for s in schedule]
    zoo = [w for w in weighting_zoo(gm, schedule) if w.name in ("heuristic sigma^2",
                                                                 "oracle W*")]
    score_model = (ComponentMeansModel(gm) if model == "means"
                   else FeatureModel(gm, (0.2, 2.0)))
    cases = []
    for w in zoo:
        theta = (score_model.true_parameters() if model == "means"
                 else best_fit(score_model, grids, w))
        cases.append((w, theta, gradient_moments(score_model, theta, grids, w).second_moment,
                      second_moment_variance(score_model, theta, grids, w)))
    rejections, tests = 0, 0
    for child in np.random.SeedSequence([seed, 2]).spawn(repetitions):
        rng = np.random.default_rng(child)
        rejected, tests = False, 0
        for w, theta, exact, variance in cases:
            test = second_moment_z_test(score_model, theta, gm, schedule, w, exact, variance,
                                        draws, rng, alpha / len(cases), errors)
            rejected |= not test.passed
            tests += test.n_tests
        rejections += rejected
    low, high = wilson_interval(rejections, repetitions)
    label = "component means" if model == "means" else "Hermite features"
    return FalseAlarmResult(alpha, repetitions, rejections, tests, draws, low, high,
                            f"{errors}, C8 E[gg^T], {label}")


def find_weight_below_heuristic(seed: int = 0) -> dict[str, float]:
    """Hypothesis search on the two-mode example mixture for ``W*(x~) < sigma^2``."""
    from hypothesis import find, settings
    from hypothesis import strategies as st

    gm = example("two-mode-1d")

    def below(case: tuple[float, float]) -> bool:
        x, sigma = case
        return float(optimal_weight(gm, np.array([[x]]), sigma)[0]) < sigma**2

    found = find(st.tuples(st.floats(-4.0, 4.0), st.floats(0.05, 3.0)), below,
                 settings=settings(database=None, derandomize=True, max_examples=2000),
                 random=None)
    x, sigma = found
    weight = float(optimal_weight(gm, np.array([[x]]), sigma)[0])
    curvature = float(gm.noised(sigma).hessian(np.array([[x]]))[0, 0, 0])
    return {"x_tilde": x, "sigma": sigma, "weight": weight, "heuristic": sigma**2,
            "curvature": curvature, "seed": seed}

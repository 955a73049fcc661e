"""The per-check false-alarm measurement: it covers every Monte Carlo check, judges one
run at several rates exactly, and tells a calibrated check from a miscalibrated one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numeric.audit import check_rates
from numeric.checks import (
    CLAIM_MODULES,
    CalibrationTask,
    Check,
    CheckTask,
    calibration_tasks,
    tasks,
)
from numeric.montecarlo import Estimate, z_test, z_threshold


def _normal_check(inflate: float, tests: int = 3):
    """A Monte Carlo check whose z-scores are ``inflate`` times standard normals: exactly
    calibrated at 1 (independent z-tests, Bonferroni nearly exact), over-rejecting above."""

    def run(rng: np.random.Generator, alpha: float) -> Check:
        z = inflate * rng.standard_normal(tests)
        test = z_test(Estimate(z, np.ones(tests), "monte-carlo", 1), 0.0, alpha)
        return Check.from_z_test("synthetic", test, "")

    return run


def _entry(run, name: str = "synthetic") -> CalibrationTask:
    return CalibrationTask(CheckTask("T", name, "monte-carlo", run), "quick", 1, 1)


def test_every_monte_carlo_check_of_verify_is_measured() -> None:
    quick = {(t.claim, t.name) for t in tasks(quick=True) if t.method == "monte-carlo"}
    full = {(t.claim, t.name) for t in tasks(quick=False) if t.method == "monte-carlo"}
    measured = {(c.task.claim, c.task.name) for c in calibration_tasks("quick")}
    assert quick <= measured and measured == full
    rows = sum(spec.method == "monte-carlo" for m in CLAIM_MODULES for spec in m.TASKS)
    assert len(measured) == rows
    # the full configurations are the rows whose full run has more than more draws
    for entry in calibration_tasks("full"):
        assert entry.configuration == "full" and entry.draws < entry.verify_draws


def test_one_run_is_judged_at_every_rate_as_a_run_at_that_rate_would_be() -> None:
    chosen = [t for t in tasks(["C4"], quick=True) if t.method == "monte-carlo"]
    assert chosen
    for task in chosen:
        for seed in range(3):
            at_05 = task.run(np.random.default_rng(seed), 0.05)
            for alpha in (0.2, 0.05, 0.01, 1e-4):
                again = task.run(np.random.default_rng(seed), alpha)
                assert at_05.passes_at(alpha) == again.passed, task.name
                assert math.isclose(again.tolerance, z_threshold(alpha, at_05.tests))


def test_a_detection_demand_fails_below_the_threshold() -> None:
    test = z_test(Estimate(np.zeros(2), np.ones(2), "monte-carlo", 1), 0.0, 0.05)
    weak = Check.from_z_test("gap", test, "", detect=test.threshold - 0.1)
    assert not weak.passed and weak.passes_at(0.2) and not weak.passes_at(0.05)
    with pytest.raises(ValueError, match="not a Monte Carlo check"):
        Check("x", "exact", 0.0, 1.0, True).passes_at(0.05)


def test_a_calibrated_check_is_calibrated_and_an_inflated_one_over_rejects() -> None:
    calibrated, inflated = check_rates([_entry(_normal_check(1.0), "exact"),
                                        _entry(_normal_check(1.3), "inflated")],
                                       3000, seed=1, rates=(0.05,))
    assert calibrated.verdict == "calibrated" and calibrated.passed
    assert calibrated.low <= 0.05 <= calibrated.high
    assert inflated.verdict == "over-rejects" and not inflated.passed
    # many strongly correlated z-tests: Bonferroni is conservative, and says so
    def correlated(rng, alpha):
        z = np.full(50, rng.standard_normal())
        return Check.from_z_test("c", z_test(Estimate(z, np.ones(50), "monte-carlo", 1),
                                             0.0, alpha), "")
    (conservative,) = check_rates([_entry(correlated)], 2000, seed=2, rates=(0.05,))
    assert conservative.verdict == "conservative" and conservative.passed


def test_the_rates_do_not_depend_on_the_number_of_workers() -> None:
    entries = [_entry(_normal_check(1.0), "a"), _entry(_normal_check(1.1), "b")]
    serial = check_rates(entries, 120, seed=3)
    forked = check_rates(entries, 120, seed=3, jobs=2)
    assert [r.to_dict() for r in serial] == [r.to_dict() for r in forked]


def test_a_crashing_check_is_reported_not_counted_as_calibrated() -> None:
    def crash(rng, alpha):
        raise RuntimeError("boom")

    (rate,) = check_rates([_entry(crash)], 5, seed=0, rates=(0.05,))
    assert rate.crashes == 5 and rate.verdict == "crashed" and not rate.passed

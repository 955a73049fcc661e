"""The Monte Carlo check's false-alarm rate, measured; the between-mode finding."""

from __future__ import annotations

import pytest

from numeric.audit import false_alarm_rate, find_weight_below_heuristic, wilson_interval


@pytest.mark.slow
def test_false_alarm_rate_is_consistent_with_the_nominal_rate() -> None:
    # 1000 seeded repetitions at a nominal family-wise rate of 5%: the Wilson interval of the
    # observed rate must reach the nominal rate (Bonferroni may only be conservative).
    result = false_alarm_rate(1000, 0.05, seed=1)
    assert result.consistent, result.to_dict()
    assert result.high >= 0.005  # and the test does reject sometimes: it is not vacuous


def test_wilson_interval_covers_the_proportion() -> None:
    low, high = wilson_interval(0, 100)
    assert low == 0.0 and 0.0 < high < 0.05
    low, high = wilson_interval(30, 100)
    assert low < 0.3 < high


def test_hypothesis_finds_a_point_where_the_heuristic_overweights() -> None:
    found = find_weight_below_heuristic()
    assert found["weight"] < found["heuristic"] and found["curvature"] > 0


@pytest.mark.slow
def test_joint_draw_check_false_alarm_rate_is_calibrated() -> None:
    # 1000 repetitions of the joint-draw check (known errors) on true formulas at a
    # nominal 1%, where sample standard errors had over-rejected (~4 minutes)
    from numeric.audit import joint_false_alarm_rate

    result = joint_false_alarm_rate(1000, 0.01, seed=11)
    assert result.consistent, result


@pytest.mark.slow
def test_study_cross_check_false_alarm_rate_is_calibrated_with_known_errors() -> None:
    # the C8 cross-check on the heavy-tailed feature model, 1000 repetitions at 5% (~1 minute)
    from numeric.audit import study_false_alarm_rate

    result = study_false_alarm_rate(1000, 0.05, seed=12, model="features", errors="known")
    assert result.consistent, result


def test_refreshing_the_mutant_table_keeps_the_measured_rates() -> None:
    from numeric.audit import MUTANTS, MutantResult, refresh_mutant_section

    text = ("# Reliability\n\n## Measured false-alarm rate\n\n| a measured row |\n\n"
            "## Mutants: deliberately wrong formulas\n\nold table\n\n## Where next\n\nrest\n")
    results = [MutantResult(m, True, ("exact",), ("x",), 0.1) for m in MUTANTS[:2]]
    new = refresh_mutant_section(text, results)
    assert "| a measured row |" in new and "old table" not in new
    assert f"`{MUTANTS[1].name}`" in new and "2 of 2 mutants caught." in new
    assert new.endswith("## Where next\n\nrest\n")


def _fake_run(verdict_low: float = 0.02, quick: bool = False):
    from numeric.audit import MUTANTS, CheckRate, MutantResult, ReliabilityRun, reliability_plan

    plan = reliability_plan(1000, 7, quick=quick)
    rates = [CheckRate("C4", "expected weight by Monte Carlo", "quick", nominal, 1000, 40, 6,
                       50_000, 50_000, verdict_low, 0.07, 0.999)
             for nominal in (0.05, 0.01)]
    mutants = [MutantResult(m, True, ("exact",), ("x",), 0.1) for m in MUTANTS[:2]]
    finding = {"x_tilde": 0.1, "sigma": 1.0, "weight": 0.5, "heuristic": 1.0,
               "curvature": 0.2, "seed": 7}
    return ReliabilityRun(plan, rates, mutants, finding)


def test_the_note_shows_every_row_and_flags_an_over_rejecting_one() -> None:
    run = _fake_run()
    text = run.notes()
    assert ("| C4 | expected weight by Monte Carlo | quick | 50000 (50000) | 6 | 1000 | 0.05 |"
            in text)
    # at 0.01 the interval [0.02, 0.07] lies above the nominal rate: miscalibrated
    assert "**OVER-REJECTS**" in text and not run.passed
    assert [r.nominal for r in run.miscalibrated] == [0.01]
    assert "2 of 2 mutants caught." in text and "seed 7" in text
    assert "1 in 5 of the repetitions" in text
    assert "--quick" in _fake_run(quick=True).notes()


def test_the_plan_checks_its_arguments_and_sizes_the_stages() -> None:
    from numeric.audit import QUICK_REPETITIONS, reliability_plan
    from numeric.checks import DEFAULT_SEED

    assert reliability_plan(quick=True).stages() == [("quick", QUICK_REPETITIONS)]
    assert reliability_plan().seed == DEFAULT_SEED
    assert reliability_plan(10, 0).stages() == [("quick", 10), ("full", 2)]
    for bad in ({"repetitions": 0}, {"repetitions": True}, {"seed": -1}, {"jobs": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            reliability_plan(**bad)

"""The false-alarm rate of every Monte Carlo check of ``dsmw verify``, measured.

Each check is run ``repetitions`` times on the *true* formulas, each time on a generator
of its own; a run that fails is a false alarm. A check's z-scores do not depend on the
rate it is run at, only its Bonferroni threshold does
(:meth:`numeric.checks.Check.passes_at`), so one run gives the outcome at every nominal
rate. The observed rates get Wilson intervals that hold *simultaneously* over all rows
of a table (each at confidence ``1 - 0.05 / rows``), so a calibrated verifier passes the
whole table with probability at least 95%, not each row separately.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from numeric._workers import can_fork, forked_pool
from numeric.checks import CalibrationTask, CheckTask

__all__ = ["SIMULTANEOUS_CONFIDENCE", "CheckRate", "check_rates", "wilson_interval"]

#: Confidence with which all the intervals of one rate table hold together.
SIMULTANEOUS_CONFIDENCE = 0.95


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Examples
    --------
    >>> low, high = wilson_interval(50, 1000)
    >>> low < 0.05 < high
    True
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    centre = (p + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CheckRate:
    """The measured false-alarm rate of one Monte Carlo check at one nominal rate."""

    claim: str
    name: str
    configuration: str
    nominal: float
    repetitions: int
    rejections: int
    tests: int
    draws: int
    verify_draws: int
    low: float
    high: float
    confidence: float
    crashes: int = 0

    @property
    def observed(self) -> float:
        return self.rejections / self.repetitions

    @property
    def verdict(self) -> str:
        """``"over-rejects"`` when the interval lies above the nominal rate (miscalibrated:
        the run fails), ``"conservative"`` when it lies below (Bonferroni over correlated
        z-tests rejects less often than its bound: power lost, no false alarm gained),
        ``"calibrated"`` when it covers the nominal rate, ``"crashed"`` when a run raised."""
        if self.crashes:
            return "crashed"
        if self.low > self.nominal:
            return "over-rejects"
        if self.high < self.nominal:
            return "conservative"
        return "calibrated"

    @property
    def passed(self) -> bool:
        return self.verdict in ("calibrated", "conservative")

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "check": self.name, "configuration": self.configuration,
                "nominal": self.nominal, "repetitions": self.repetitions,
                "rejections": self.rejections, "observed": self.observed,
                "interval": [self.low, self.high], "confidence": self.confidence,
                "tests": self.tests, "draws": self.draws,
                "verify_draws": self.verify_draws, "crashes": self.crashes,
                "verdict": self.verdict}


def repetition_rng(seed: int, task: CheckTask, repetition: int) -> np.random.Generator:
    """The generator of one repetition: fixed by the seed, the check and the repetition
    alone, so the measured rates do not depend on the number of workers."""
    key = zlib.crc32(f"{task.claim}/{task.name}".encode())
    return np.random.default_rng(np.random.SeedSequence([seed, key, repetition, 3]))


def _outcomes(task: CheckTask, seed: int, repetitions: range, rates: Sequence[float]
              ) -> tuple[list[int], int, int]:
    """Rejections at each rate, crashes and z-tests per run over ``repetitions``."""
    run_at = max(rates)
    rejections, crashes, tests = [0] * len(rates), 0, 0
    for repetition in repetitions:
        try:
            check = task.run(repetition_rng(seed, task, repetition), run_at)
        except Exception:
            crashes += 1
            continue
        # the reconstruction must agree with the verdict the check itself gave
        assert check.passes_at(run_at) == check.passed, check
        tests = check.tests
        for i, rate in enumerate(rates):
            rejections[i] += not check.passes_at(rate)
    return rejections, crashes, tests


# Tasks are closures (not picklable): forked workers inherit them through this slot.
_FORKED: tuple[Sequence[CheckTask], int, tuple[float, ...]] | None = None


def _run_unit(unit: tuple[int, int, int]) -> tuple[int, list[int], int, int]:
    assert _FORKED is not None
    tasks, seed, rates = _FORKED
    index, start, stop = unit
    return (index, *_outcomes(tasks[index], seed, range(start, stop), rates))


def check_rates(
    calibration: Sequence[CalibrationTask],
    repetitions: int,
    seed: int,
    rates: Sequence[float] = (0.05, 0.01),
    jobs: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[CheckRate]:
    """Run each Monte Carlo task ``repetitions`` times on the true formulas.

    Returns one :class:`CheckRate` per task and rate (tasks in order, rates in order),
    with intervals simultaneous over all of them (``calibration`` is
    :func:`numeric.checks.calibration_tasks`); ``jobs > 1`` forks that many workers.
    """
    global _FORKED
    rates = tuple(rates)
    tasks = [c.task for c in calibration]
    block = max(1, min(repetitions, 50))
    units = [(i, start, min(start + block, repetitions)) for i in range(len(tasks))
             for start in range(0, repetitions, block)]
    totals = {i: ([0] * len(rates), 0, 0) for i in range(len(tasks))}

    def add(index: int, rejected: list[int], crashed: int, tests: int) -> None:
        old = totals[index]
        totals[index] = ([a + b for a, b in zip(old[0], rejected, strict=True)],
                         old[1] + crashed, tests or old[2])

    fork = can_fork()
    if jobs > 1 and fork and len(units) > 1:
        _FORKED = (tasks, seed, rates)
        try:
            with forked_pool(min(jobs, len(units))) as pool:
                for done, (index, *result) in enumerate(pool.imap_unordered(_run_unit, units),
                                                        start=1):
                    add(index, *result)
                    if progress is not None:
                        progress(done, len(units), _label(tasks[index]))
        finally:
            _FORKED = None
    else:
        for done, (index, start, stop) in enumerate(units, start=1):
            add(index, *_outcomes(tasks[index], seed, range(start, stop), rates))
            if progress is not None:
                progress(done, len(units), _label(tasks[index]))
    confidence = 1 - (1 - SIMULTANEOUS_CONFIDENCE) / max(1, len(tasks) * len(rates))
    found = []
    for index, entry in enumerate(calibration):
        rejected, crashed, tests = totals[index]
        done_runs = repetitions - crashed
        for i, rate in enumerate(rates):
            low, high = (wilson_interval(rejected[i], done_runs, confidence) if done_runs
                         else (math.nan, math.nan))
            found.append(CheckRate(entry.task.claim, entry.task.name, entry.configuration,
                                   rate, repetitions, rejected[i], tests, entry.draws,
                                   entry.verify_draws, low, high, confidence, crashed))
    return found


def _label(task: CheckTask) -> str:
    return f"{task.claim} {task.name}"

"""The records of the verification layer: a check, a task, a claim's result, a run.

A *task* is one named comparison (a formula against one independent reference, by
one method). Running it gives a :class:`Check`; the checks of one claim form a
:class:`ClaimResult`; a run is a :class:`VerifyReport`. Each claim's module lists its
tasks as :class:`TaskSpec` rows, with the run sizes of a quick and of a full run as
data. Results are values: the CLI and the notes render them, nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "METHODS",
    "Check",
    "CheckTask",
    "ClaimResult",
    "TaskSpec",
    "VerifyReport",
    "relative_error",
]

#: The methods a check can use, in the order reports list them.
METHODS = ("symbolic", "exact", "quadrature", "monte-carlo", "rate")


@dataclass(frozen=True)
class Check:
    """One comparison: ``error`` against ``tolerance``.

    For ``monte-carlo`` checks ``error`` is the largest ``|z|`` and ``tolerance`` the threshold.
    """

    name: str
    method: str
    error: float
    tolerance: float
    passed: bool
    detail: str = ""
    crashed: bool = False
    #: ``monte-carlo`` checks: the number of z-tests sharing the check's rate (Bonferroni)
    tests: int = 0
    #: ``monte-carlo`` checks that also demand a detection (e.g. C6's gap > 0): the
    #: smallest z-score that must exceed the threshold (``inf``: no such demand)
    detect: float = math.inf

    def __post_init__(self) -> None:
        # Plain Python scalars, so reports serialise to JSON as they are.
        object.__setattr__(self, "error", float(self.error))
        object.__setattr__(self, "tolerance", float(self.tolerance))
        object.__setattr__(self, "passed", bool(self.passed) and not self.crashed)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: a non-finite error or tolerance becomes ``null`` (strict JSON)."""
        return {"name": self.name, "method": self.method, "error": _finite_or_none(self.error),
                "tolerance": _finite_or_none(self.tolerance), "passed": self.passed,
                "crashed": self.crashed, "detail": self.detail}

    @classmethod
    def from_z_test(cls, name: str, test: Any, detail: str, detect: float = math.inf
                    ) -> Check:
        """A ``monte-carlo`` check from a :func:`numeric.montecarlo.z_test` result: the
        error is its largest ``|z|``, the tolerance its threshold. ``detect`` is a z-score
        that must also *exceed* the threshold, where a check asks for more than agreement
        (C6: the gap must be significantly positive)."""
        return cls(name, "monte-carlo", test.max_abs_z, test.threshold,
                   test.passed and detect > test.threshold, detail, tests=test.n_tests,
                   detect=detect)

    def passes_at(self, alpha: float) -> bool:
        """Would this Monte Carlo check pass at false-alarm rate ``alpha``? Its z-scores do
        not depend on the rate, only the Bonferroni threshold does, so one run answers for
        every rate (``dsmw reliability`` measures two at once this way)."""
        from numeric.montecarlo import z_threshold

        if self.method != "monte-carlo" or self.tests < 1:
            raise ValueError(f"{self.name!r} is not a Monte Carlo check built by from_z_test")
        threshold = z_threshold(alpha, self.tests)
        return not self.crashed and self.error <= threshold and self.detect > threshold


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class CheckTask:
    """A check not yet run: ``run(rng, alpha)`` returns its :class:`Check`.

    ``alpha`` is the false-alarm rate given to this task (used by Monte Carlo
    tasks only); ``rng`` is a generator seeded from the run's seed and the
    task's name, so a task's result does not depend on which others run.
    Tasks with the same non-empty ``shares`` key reuse a memoised intermediate
    result, so a parallel run keeps them in one worker.
    """

    claim: str
    name: str
    method: str
    run: Callable[[np.random.Generator, float], Check]
    shares: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """One row of a claim's task table: ``make(**size)`` builds the task's ``run``.

    ``quick`` and ``full`` are the keyword arguments of ``make`` in a quick and in a full
    run (the run sizes, as data); ``quick=None`` leaves the task out of a quick run.
    """

    name: str
    method: str
    make: Callable[..., Callable[[np.random.Generator, float], Check]]
    quick: Mapping[str, Any] | None = field(default_factory=dict)
    full: Mapping[str, Any] = field(default_factory=dict)
    shares: str = ""

    def task(self, claim: str, quick: bool) -> CheckTask:
        """The :class:`CheckTask` of this row at the quick or full size."""
        size = self.quick if quick else self.full
        assert size is not None, f"{self.name} is not part of a quick run"
        return CheckTask(claim, self.name, self.method, self.make(**size), self.shares)

    def in_run(self, quick: bool) -> bool:
        return not quick or self.quick is not None


@dataclass(frozen=True)
class ClaimResult:
    """All checks of one claim."""

    id: str
    title: str
    checks: tuple[Check, ...]
    #: derive's computed proof status ("" for the self-checks MIX and NOISE)
    proof: str = ""
    #: the instance range of "proved for instances" ("" otherwise)
    instances: str = ""
    #: "step text: why" of every derivation step SymPy refuted (a refuted claim fails)
    refuted: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks) and not self.refuted

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    @property
    def methods(self) -> tuple[str, ...]:
        used = {c.method for c in self.checks}
        return tuple(m for m in METHODS if m in used)

    def worst(self) -> Check:
        """The check closest to (or furthest past) its tolerance."""
        return max(self.checks, key=lambda c: (not c.passed, _ratio(c)))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "proof": self.proof or None, "instances": self.instances or None,
                "refuted_steps": list(self.refuted),
                "checks": [c.to_dict() for c in self.checks]}


@dataclass(frozen=True)
class VerifyReport:
    """A whole run: the claims' results, the seed, the family-wise rate and the time taken."""

    claims: tuple[ClaimResult, ...]
    seed: int
    alpha: float
    seconds: float
    monte_carlo_tasks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.claims)

    def to_dict(self) -> dict[str, Any]:
        return {"claims": [c.to_dict() for c in self.claims], "passed": self.passed,
                "seconds": self.seconds, "seed": self.seed,
                "false_alarm_rate": self.alpha, "monte_carlo_checks": self.monte_carlo_tasks,
                **self.extra}


def _ratio(check: Check) -> float:
    if check.tolerance > 0:
        return check.error / check.tolerance
    return 0.0 if check.error == 0 else float("inf")


def relative_error(got: ArrayLike, reference: ArrayLike, floor: ArrayLike = 0.0) -> float:
    """``max |got - reference| / (|reference| + floor)``; ``inf`` if anything is not finite.

    ``floor`` sets the scale below which differences count as absolute, e.g. the
    magnitude of the terms that cancel in ``reference``.

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0 + 2e-12]) < 1e-11
    True
    """
    g = np.asarray(got, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(r))):
        return float("inf")
    denominator = np.abs(r) + np.asarray(floor, dtype=np.float64)
    gap = np.abs(g - r)
    ratio = np.where(denominator > 0, gap / np.where(denominator > 0, denominator, 1.0),
                     np.where(gap == 0, 0.0, np.inf))
    return float(np.max(ratio)) if ratio.size else 0.0

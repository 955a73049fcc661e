"""The check records and the runner shared by every claim's checks.

A *task* is one named comparison (a formula against one independent
reference, by one method). Running it gives a :class:`Check` record; the
records of one claim form a :class:`ClaimResult`. Results are values: the CLI
and the notes render them, nothing here prints.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from numeric._validation import InvalidArgumentError, check_order, check_seed
from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

__all__ = [
    "METHODS",
    "Check",
    "CheckTask",
    "ClaimResult",
    "VerifyReport",
    "relative_error",
    "run_tasks",
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


def task_rng(seed: int, name: str) -> np.random.Generator:
    """A generator determined by the run's ``seed`` and the task's ``name`` alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


@contextlib.contextmanager
def swapped(owner: Any, attribute: str, factory: Callable[[Callable], Callable],
            forget: Callable[[], None]) -> Iterator[None]:
    """``owner.<attribute>`` replaced by ``factory(original)`` while the block runs (a
    mutant); ``forget`` empties the memos built on it, after the swap and after the restore."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, factory(original))
    forget()
    try:
        yield
    finally:
        setattr(owner, attribute, original)
        forget()


@dataclass(frozen=True)
class Mutant:
    """A wrong formula: ``attribute`` of :mod:`derive` replaced by ``factory(original)``."""

    name: str
    claims: tuple[str, ...]
    attribute: str
    description: str
    factory: Callable[[Callable], Callable]

    def substituted(self) -> contextlib.AbstractContextManager[None]:
        """``derive.<attribute>`` replaced while the block runs."""
        import derive
        from numeric import claim_checks

        return swapped(derive, self.attribute, self.factory, claim_checks.clear_caches)


def _run_one(task: CheckTask, seed: int, alpha: float) -> Check:
    """Run a task on its own generator (:func:`task_rng`).

    A check that raises fails, marked ``crashed``: it established nothing, so the
    mutation runner never counts a crash as a caught mutant.
    """
    try:
        return task.run(task_rng(seed, f"{task.claim}/{task.name}"), alpha)
    except Exception as exc:
        return Check(task.name, task.method, math.inf, math.nan, False,
                     f"crashed: {type(exc).__name__}: {exc}"[:300], crashed=True)


def run_tasks(
    tasks: Sequence[CheckTask],
    titles: dict[str, str],
    seed: int,
    alpha: float = DEFAULT_FALSE_ALARM_RATE,
    progress: Callable[[int, int, CheckTask], None] | None = None,
    extra: dict[str, Any] | None = None,
    jobs: int = 1,
) -> VerifyReport:
    """Run ``tasks``; the Monte Carlo ones share the family-wise rate ``alpha`` equally.

    ``jobs > 1`` runs them in that many forked worker processes. Every task draws
    from its own generator (:func:`task_rng`), so the report is the same for any
    ``jobs``, only faster.
    """
    if not 0 < alpha < 1:
        raise InvalidArgumentError("alpha", alpha, "false-alarm rate must lie in (0, 1)",
                                   "pass e.g. 1e-4")
    seed = check_seed(seed)
    workers = check_order(jobs, minimum=1, name="jobs")
    n_mc = sum(t.method == "monte-carlo" for t in tasks)
    per_task_alpha = alpha / max(n_mc, 1)
    start = time.perf_counter()
    checks: dict[int, Check] = {}
    if progress is not None and tasks:
        progress(0, len(tasks), tasks[0])
    for done, (index, check) in enumerate(_each_result(tasks, seed, per_task_alpha, workers)):
        checks[index] = check
        if progress is not None:
            progress(done + 1, len(tasks), tasks[index])
    by_claim: dict[str, list[Check]] = {}
    for index, task in enumerate(tasks):
        by_claim.setdefault(task.claim, []).append(checks[index])
    results = tuple(ClaimResult(cid, titles[cid], tuple(found)) for cid, found in
                    by_claim.items())
    return VerifyReport(results, seed, alpha, time.perf_counter() - start, n_mc, extra or {})


# The tasks are closures (not picklable), so forked workers inherit them through this
# module-level slot and receive only indices.
_FORKED_TASKS: tuple[Sequence[CheckTask], int, float] | None = None


def _run_indices(indices: list[int]) -> list[tuple[int, Check]]:
    assert _FORKED_TASKS is not None
    tasks, seed, alpha = _FORKED_TASKS
    return [(i, _run_one(tasks[i], seed, alpha)) for i in indices]


def _units(tasks: Sequence[CheckTask]) -> list[list[int]]:
    # tasks sharing a memoised result form one unit; shared units (the heavy ones) go first
    shared: dict[str, list[int]] = {}
    alone: list[list[int]] = []
    for index, task in enumerate(tasks):
        if task.shares:
            shared.setdefault(task.shares, []).append(index)
        else:
            alone.append([index])
    return [*shared.values(), *alone]


def _each_result(
    tasks: Sequence[CheckTask], seed: int, alpha: float, workers: int
) -> Iterator[tuple[int, Check]]:
    global _FORKED_TASKS
    fork = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or len(tasks) < 2 or not fork:
        for index, task in enumerate(tasks):
            yield index, _run_one(task, seed, alpha)
        return
    _FORKED_TASKS = (tasks, seed, alpha)
    try:
        units = _units(tasks)
        context = multiprocessing.get_context("fork")
        with context.Pool(min(workers, len(units))) as pool:
            for finished in pool.imap_unordered(_run_indices, units):
                yield from finished
    finally:
        _FORKED_TASKS = None

"""The runner: every task on a generator of its own, serially or in forked workers.

Each task draws from :func:`task_rng` (seeded from the run's seed and the task's name),
so a task's result does not depend on which other tasks run, nor on how many workers
run them. A task that raises fails, marked ``crashed``.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from numeric._validation import InvalidArgumentError, check_order, check_seed
from numeric._workers import can_fork, forked_pool
from numeric.checks._records import Check, CheckTask, ClaimResult, VerifyReport
from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

__all__ = ["run_tasks", "task_rng"]


def task_rng(seed: int, name: str) -> np.random.Generator:
    """A generator determined by the run's ``seed`` and the task's ``name`` alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


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
    fork = can_fork()
    if workers == 1 or len(tasks) < 2 or not fork:
        for index, task in enumerate(tasks):
            yield index, _run_one(task, seed, alpha)
        return
    _FORKED_TASKS = (tasks, seed, alpha)
    try:
        units = _units(tasks)
        with forked_pool(min(workers, len(units))) as pool:
            for finished in pool.imap_unordered(_run_indices, units):
                yield from finished
    finally:
        _FORKED_TASKS = None

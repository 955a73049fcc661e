"""``verify``: the claims' task tables, run, with derive's computed proof status.

The claims are the modules of :data:`CLAIM_MODULES`, in report order; each lists its
tasks in a ``TASKS`` table (:class:`numeric.checks.TaskSpec`), which is all the runner
reads. Nothing registers itself at import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType

from numeric._validation import InvalidArgumentError
from numeric.checks import (
    c1_mean,
    c2_covariance,
    c3_optimal,
    c4_taylor,
    c5_expected,
    c6_jensen,
    c7_edm,
    mix,
    noise,
    p1_spaces,
)
from numeric.checks._records import CheckTask, ClaimResult, VerifyReport
from numeric.checks._runner import run_tasks
from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE

__all__ = ["CLAIM_MODULES", "CLAIM_TITLES", "CONSUMES", "DEFAULT_SEED", "CalibrationTask",
           "calibration_tasks",
           "claim_ids", "tasks", "verify"]

#: Seed of ``dsmw verify`` when none is given (reported in every run).
DEFAULT_SEED = 20250803

#: One module per claim, in report order (mirroring ``derive/_claims/``).
CLAIM_MODULES: tuple[ModuleType, ...] = (mix, noise, c1_mean, c2_covariance, c3_optimal,
                                         c4_taylor, c5_expected, c6_jensen, c7_edm, p1_spaces)

CLAIM_TITLES: dict[str, str] = {module.ID: module.TITLE for module in CLAIM_MODULES}

#: Claim -> the public derive functions its checks consume (the README's table; a wrong
#: version of each must make a check of that claim fail: tests/numeric/checks/test_contract.py).
CONSUMES: dict[str, tuple[str, ...]] = {module.ID: module.CONSUMES for module in CLAIM_MODULES
                                        if module.CONSUMES}

_BY_ID = {module.ID: module for module in CLAIM_MODULES}


def claim_ids() -> tuple[str, ...]:
    """Ids ``dsmw verify`` knows, in report order."""
    return tuple(CLAIM_TITLES)


def tasks(claims: Iterable[str] | None = None, quick: bool = False) -> list[CheckTask]:
    """The tasks of the selected claims (all by default), in report order, at the quick or
    the full size of each claim's ``TASKS`` table."""
    return [spec.task(cid, quick) for cid in _select(claims)
            for spec in _BY_ID[cid].TASKS if spec.in_run(quick)]


@dataclasses.dataclass(frozen=True)
class CalibrationTask:
    """A Monte Carlo check as ``dsmw reliability`` runs it: the task, the draws it makes
    (``draws``) and the draws the verify run it stands for makes (``verify_draws``)."""

    task: CheckTask
    configuration: str
    draws: int
    verify_draws: int


def calibration_tasks(configuration: str = "quick") -> list[CalibrationTask]:
    """Every Monte Carlo check a ``dsmw verify`` run makes, as ``dsmw reliability``
    measures its false-alarm rate.

    ``"quick"``: each check in the configuration of ``verify --quick`` at its quick size,
    and the checks only the full run makes (``quick=None`` rows) in their full
    configuration at the quick draw count of their claim. ``"full"``: the checks whose
    full-run configuration differs in more than draws (more mixtures, orders, schedules),
    in that configuration at the quick draw count. Only the number of draws is reduced:
    the normal approximation behind each z-test is, if anything, worse at fewer draws, and
    measuring every check at its full size would take about 8 hours per 1000 repetitions.
    """
    if configuration not in ("quick", "full"):
        raise InvalidArgumentError("configuration", configuration, "unknown configuration",
                                   "pass 'quick' or 'full'")
    selected = []
    for module in CLAIM_MODULES:
        rows = [spec for spec in module.TASKS if spec.method == "monte-carlo"]
        quick_draws = [spec.quick["draws"] for spec in rows
                       if spec.quick is not None and "draws" in spec.quick]
        for spec in rows:
            if configuration == "quick" and spec.quick is not None:
                size, verify_size = dict(spec.quick), spec.quick
            elif (configuration == "full") == (spec.quick is not None
                                               and _more_than_draws(spec)):
                size, verify_size = dict(spec.full), spec.full
                if "draws" in size and quick_draws:
                    own = spec.quick.get("draws") if spec.quick is not None else None
                    size["draws"] = own if own is not None else min(quick_draws)
            else:
                continue
            task = CheckTask(module.ID, spec.name, spec.method, spec.make(**size), spec.shares)
            selected.append(CalibrationTask(task, "quick" if verify_size is spec.quick
                                            else "full", int(size.get("draws", 0)),
                                            int(verify_size.get("draws", 0))))
    return selected


def _more_than_draws(spec) -> bool:
    """Does the full run's configuration of ``spec`` differ from the quick one in more
    than the number of draws?"""
    assert spec.quick is not None
    return ({k: v for k, v in spec.full.items() if k != "draws"}
            != {k: v for k, v in spec.quick.items() if k != "draws"})


def _select(claims: Iterable[str] | None) -> Sequence[str]:
    if claims is None:
        return claim_ids()
    wanted = [c.strip().upper() for c in claims if c.strip()]
    unknown = [c for c in wanted if c not in CLAIM_TITLES]
    if unknown or not wanted:
        raise InvalidArgumentError("claims", ",".join(unknown) or "", "unknown claim id",
                                   f"choose from {', '.join(claim_ids())}")
    return [c for c in claim_ids() if c in wanted]


def verify(
    claims: Iterable[str] | None = None,
    seed: int = DEFAULT_SEED,
    quick: bool = False,
    alpha: float = DEFAULT_FALSE_ALARM_RATE,
    progress: Callable[[int, int, CheckTask], None] | None = None,
    jobs: int = 1,
) -> VerifyReport:
    """Run every check of the selected claims and return the report.

    The Monte Carlo checks share the family-wise false-alarm rate ``alpha``
    (Bonferroni), so a run over correct formulas fails with probability at most
    ``alpha``.
    """
    selected = tasks(claims, quick)
    report = run_tasks(selected, CLAIM_TITLES, seed, alpha, progress,
                       extra={"quick": quick}, jobs=jobs)
    return dataclasses.replace(report, claims=tuple(_with_proof_status(c)
                                                    for c in report.claims))


def _with_proof_status(result: ClaimResult) -> ClaimResult:
    """Attach derive's computed proof status (``derive.claim``, cached on disk)."""
    import derive

    if result.id not in derive.PROOF_IDS:
        return result
    claim = derive.claim(result.id)
    refuted = tuple(f"{step.text}: {step.detail}" if step.detail else step.text
                    for step in claim.refuted_steps)
    return dataclasses.replace(result, proof=claim.status, instances=claim.instances,
                               refuted=refuted)

"""Running the mutants: each wrong formula through the checks of the claims it touches.

A mutant is *caught* when at least one check fails without crashing (a check that raised
established nothing); the result says which methods and which claims caught it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from numeric.audit._catalogue import MUTANTS
from numeric.audit._swap import Mutant
from numeric.checks import CLAIM_TITLES, run_tasks
from numeric.checks import tasks as claim_tasks

__all__ = ["MutantResult", "run_mutants", "substituted"]


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    caught: bool
    caught_by: tuple[str, ...]
    failed_checks: tuple[str, ...]
    seconds: float
    crashed_checks: tuple[str, ...] = ()
    #: the claims whose checks caught it
    caught_in: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.mutant.name, "claims": list(self.mutant.claims),
                "attribute": self.mutant.attribute,
                "description": self.mutant.description, "caught": self.caught,
                "caught_by": list(self.caught_by), "failed_checks": list(self.failed_checks),
                "caught_in": list(self.caught_in), "crashed_checks": list(self.crashed_checks),
                "seconds": self.seconds}


@contextlib.contextmanager
def substituted(mutant: Mutant) -> Iterator[None]:
    """Replace ``derive.<attribute>`` (``derive.spaces.<attribute>`` for claim P1) by the
    mutant while the block runs."""
    with mutant.substituted():
        yield


def run_mutants(seed: int, quick: bool = True, alpha: float = 1e-4,
                mutants: tuple[Mutant, ...] = MUTANTS,
                progress: Callable[[int, int, Mutant], None] | None = None
                ) -> list[MutantResult]:
    """Run every mutant through the checks of the claims it touches."""
    results = []
    for i, mutant in enumerate(mutants):
        start = time.perf_counter()
        with substituted(mutant):
            tasks = claim_tasks(mutant.claims, quick)
            report = run_tasks(tasks, CLAIM_TITLES, seed, alpha)
        # a crashed check established nothing: it never counts as catching the mutant
        failed = [c for claim in report.claims for c in claim.checks
                  if not c.passed and not c.crashed]
        crashed = [c.name for claim in report.claims for c in claim.checks if c.crashed]
        caught_in = tuple(claim.id for claim in report.claims
                          if any(not c.passed and not c.crashed for c in claim.checks))
        results.append(MutantResult(
            mutant, bool(failed), tuple(sorted({c.method for c in failed})),
            tuple(c.name for c in failed), time.perf_counter() - start, tuple(crashed),
            caught_in))
        if progress is not None:
            progress(i + 1, len(mutants), mutant)
    return results

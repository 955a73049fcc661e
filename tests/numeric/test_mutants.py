"""Every deliberately wrong formula is caught by the checks of `dsmw verify`."""

from __future__ import annotations

import derive
from numeric.checks import DEFAULT_SEED
from numeric.mutants import MUTANTS, run_mutants, substituted


def test_catalogue_covers_every_kind_of_mistake() -> None:
    assert len(MUTANTS) >= 12
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert {c for m in MUTANTS for c in m.claims} >= {"C1", "C2", "C3", "C4", "C5", "C7"}


def test_every_mutant_is_caught() -> None:
    results = run_mutants(DEFAULT_SEED, quick=True)
    survivors = [r.mutant.name for r in results if not r.caught]
    assert not survivors


def test_substitution_is_undone() -> None:
    original = derive.conditional_covariance
    with substituted(MUTANTS[0]):
        assert derive.conditional_covariance is not original
    assert derive.conditional_covariance is original

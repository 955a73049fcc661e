"""The mutation catalogue: shape, substitution, and that a crash never counts as caught.

That every mutant is caught (after a verify, and in a fresh process) is tested in
``test_contract.py``.
"""

from __future__ import annotations

import derive
from numeric.audit import MUTANTS, Mutant, run_mutants, substituted
from numeric.checks import DEFAULT_SEED


def test_catalogue_covers_every_claim_statement() -> None:
    assert len(MUTANTS) >= 20
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert {c for m in MUTANTS for c in m.claims} >= {"NOISE", *(f"C{i}" for i in range(1, 8))}
    # the wrong edits named in issue 13
    names = {m.name for m in MUTANTS}
    assert {"expected-covariance-order-n-power", "jensen-flipped",
            "edm-zoo-entry-missing-sigma^2", "noise-logistic-scale-2"} <= names


def test_substitution_is_undone() -> None:
    original = derive.conditional_covariance
    with substituted(MUTANTS[0]):
        assert derive.conditional_covariance is not original
    assert derive.conditional_covariance is original


def test_a_crash_is_not_a_catch() -> None:
    def explodes(original):
        def raising(*args, **kwargs):
            raise RuntimeError("this formula cannot even be built")
        return raising

    crash = Mutant("crash", ("C6",), "jensen_gap", "raises instead of returning", explodes)
    (result,) = run_mutants(DEFAULT_SEED, quick=True, mutants=(crash,))
    assert not result.caught and result.crashed_checks

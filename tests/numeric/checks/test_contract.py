"""The contract between derive and numeric: every derive function a claim's checks consume
is *checked* by them.

For each claim and each public derive function listed in
:data:`numeric.checks.CONSUMES`, replacing the function by a wrong one (a mutant of
:data:`numeric.audit.MUTANTS`, installed with ``setattr(derive, name, wrong)``) makes at
least one check of that claim fail without crashing -- in a fresh interpreter, and in a
process where ``numeric.checks.verify`` already ran (no stale caches).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from numeric.audit import MUTANTS, run_mutants
from numeric.checks import CONSUMES, DEFAULT_SEED, verify

PAIRS = [(claim, name) for claim, names in CONSUMES.items() for name in names]
ROOT = Path(__file__).resolve().parents[3]


def _mutants_of(name: str):
    return [m for m in MUTANTS if m.attribute == name]


def test_every_consumed_function_is_public_and_has_a_mutant() -> None:
    for claim, name in PAIRS:
        assert callable(getattr(derive, name)), name
        assert any(claim in m.claims for m in _mutants_of(name)), (claim, name)


def test_every_claim_statement_has_a_mutant() -> None:
    assert {c for m in MUTANTS for c in m.claims} >= set(CONSUMES)


@pytest.fixture(scope="module")
def after_a_verify():
    """Mutants run in a process where a full quick verify already ran."""
    first = verify(quick=True, seed=DEFAULT_SEED)
    assert first.passed
    return run_mutants(DEFAULT_SEED, quick=True)


def test_every_mutant_is_caught_after_a_verify(after_a_verify) -> None:
    survivors = [r.mutant.name for r in after_a_verify if not r.caught]
    assert not survivors
    assert not [r.mutant.name for r in after_a_verify if r.crashed_checks]


def test_contract_in_process_after_a_verify(after_a_verify) -> None:
    uncovered = [(claim, name) for claim, name in PAIRS
                 if not any(r.mutant.attribute == name and claim in r.caught_in
                            for r in after_a_verify)]
    assert not uncovered


_FRESH = """
import json, sys
import derive
from numeric.audit import MUTANTS, run_mutants
wanted = [m for m in MUTANTS if m.attribute == sys.argv[1] and sys.argv[2] in m.claims]
mutant = wanted[0]
narrowed = type(mutant)(mutant.name, (sys.argv[2],), mutant.attribute, mutant.description,
                        mutant.factory)
(result,) = run_mutants(int(sys.argv[3]), quick=True, mutants=(narrowed,))
print(json.dumps(result.to_dict()))
"""


def _fresh(claim: str, name: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _FRESH, name, claim, str(DEFAULT_SEED)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(proc.stdout)


# the three wrong edits that passed `dsmw verify` before the checks read derive
@pytest.mark.parametrize(("claim", "name"), [("C5", "expected_covariance"),
                                             ("C6", "jensen_gap"), ("C7", "weightings")])
def test_contract_in_a_fresh_process(claim: str, name: str) -> None:
    result = _fresh(claim, name)
    assert result["caught"] and claim in result["caught_in"], result


@pytest.mark.slow
@pytest.mark.parametrize(("claim", "name"), PAIRS)
def test_contract_in_a_fresh_process_every_pair(claim: str, name: str) -> None:
    result = _fresh(claim, name)
    assert result["caught"] and claim in result["caught_in"], result


def test_readme_table_lists_what_the_checks_consume() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (NOISE|C\d) \| (.+?) \|$", text, flags=re.M))
    assert set(rows) == set(CONSUMES)
    for claim, names in CONSUMES.items():
        assert re.findall(r"`(\w+)`", rows[claim]) == list(names), claim


#: Public derive callables that state no formula of their own (README, below the table).
NOT_MATHEMATICS = {"claim", "claims", "custom_noise", "m", "parse_expression",
                   "parse_weighting_name", "ratio_symbols", "ratio_tensor",
                   *(f"derive_c{i}" for i in range(1, 8))}
#: What P1's checks read from the facade (its README row; its mutants are in MUTANTS).
P1_READS = {"weightings", "weighting", "conversion_factor", "convert", "schedule",
            "optimal_weight_in_space", "schedule_conversion_factor"}


def test_every_public_derive_function_is_checked_or_declared_vocabulary() -> None:
    public = {name for name in derive.__all__ if callable(getattr(derive, name))
              and not isinstance(getattr(derive, name), type)}
    consumed = {name for names in CONSUMES.values() for name in names}
    assert public - consumed - P1_READS - NOT_MATHEMATICS == set()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in NOT_MATHEMATICS - {f"derive_c{i}" for i in range(2, 7)}:
        assert f"`{name}`" in readme, name
    for name in P1_READS - {"convert", "schedule"}:
        assert any(m.attribute == name for m in MUTANTS) or name in (
            "weightings", "weighting"), name

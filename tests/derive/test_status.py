"""Proof status: computed from the steps, able to fail, and reported by `dsmw derive`."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive import _cache
from derive.claim import Claim, Step, confirm, confirm_sign, define
from derive.symbols import m, sigma

ROOT = Path(__file__).resolve().parents[2]


def test_confirm_is_three_valued() -> None:
    a = sp.Symbol("a", real=True)
    f = sp.Function("f")
    assert confirm((a + 1) ** 2, a**2 + 2 * a + 1, "true").status == "confirmed"
    wrong = confirm((a + 1) ** 2, a**2 + 1, "false")
    assert wrong.status == "refuted" and wrong.confirmed is False and "a = " in wrong.detail
    # Cauchy-Schwarz as an equality of integrals of an abstract function: SymPy cannot
    # decide it (it is false in general, but not by an exact evaluation), so neither.
    x = sp.Symbol("x", real=True)
    unknown = confirm(sp.Integral(f(x) ** 2, (x, 0, 1)), sp.Integral(f(x), (x, 0, 1)) ** 2,
                      "abstract")
    assert unknown.status == "unconfirmed" and unknown.confirmed is None
    assert not Claim("X", "t", a, (unknown,)).status.startswith("proved")


def test_identities_of_abstract_functions_are_refuted_by_a_concrete_function() -> None:
    x = sp.Symbol("x", real=True)
    p = sp.Function("p")(x)
    log_p = sp.log(p)
    true = confirm(p * sp.diff(log_p, x, 2), sp.diff(p, x, 2) - p * sp.diff(log_p, x) ** 2, "ok")
    assert true.status == "confirmed"
    wrong = confirm(p * sp.diff(log_p, x, 2), sp.diff(p, x, 2) + p * sp.diff(log_p, x) ** 2,
                    "sign slip in the by-parts identity")
    assert wrong.status == "refuted" and "p = exp(" in wrong.detail


def test_matrix_expressions_of_fixed_size_are_decided() -> None:
    a, b = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    assert confirm(a + b, b + a, "commutes").status == "confirmed"
    assert confirm(a * b, b * a, "does not commute").status == "refuted"
    assert confirm(derive.sandwich_covariance(2).subs({a: b}), b.inverse(), "A = B").status \
        == "confirmed"


def test_sign_steps_can_be_refuted() -> None:
    y = sp.Symbol("y", positive=True)
    assert confirm_sign(y, ">= 0", "ok").status == "confirmed"
    assert confirm_sign(-y, "> 0", "bad").status == "refuted"
    assert confirm_sign(sp.Symbol("z", real=True), ">= 0", "unknown").status == "unconfirmed"


def test_claim_status_is_computed_from_the_steps() -> None:
    a = sp.Symbol("a")
    n = sp.Symbol("n", integer=True, positive=True)
    good = confirm(a, a, "identity").carrying()
    bad = confirm(a, a + 1, "false identity")
    general = Claim("X", "t", a, (confirm(a**n, a**n, "any n").carrying(),),
                    parameters=("n",))
    assert general.status == "proved" and general.instances == ""
    # a hand-typed "any" is not backed by the expression: it does not count
    assert Claim("X", "t", a, (good.at(n="any"),), parameters=("n",)).status == \
        "checked numerically only"
    some = Claim("X", "t", a, (good.at(n=1), good.at(n=2), good.at(n=3), good.at(n=5)),
                 parameters=("n",))
    assert some.status == "proved for instances" and some.instances == "n = 1..3, 5"
    assert Claim("X", "t", a, (good, bad)).status == "refuted"
    assert Claim("X", "t", a, (define("only a definition", a),)).status == \
        "checked numerically only"


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSMW_NO_CACHE", "1")


def test_a_false_identity_is_refuted_and_fails_the_claim(no_cache: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from derive._claims import c2_covariance

    # A wrong kernel: He_2 off by a constant, as a slip in a Hermite table would be. The
    # conditional moments of E (from C1) then disagree with the linearisation.
    true_hermite = c2_covariance.hermite_e

    def wrong_hermite(n: int) -> sp.Expr:
        return true_hermite(n) + (1 if n == 2 else 0)

    c2_covariance._gaussian_covariance.cache_clear()
    c2_covariance._conditional_noise_moments.cache_clear()
    monkeypatch.setattr(c2_covariance, "hermite_e", wrong_hermite)
    try:
        claim = c2_covariance.derive_c2(2)
    finally:
        monkeypatch.undo()
        c2_covariance._gaussian_covariance.cache_clear()
        c2_covariance._conditional_noise_moments.cache_clear()
    assert claim.status == "refuted" and claim.instances == ""
    assert any(s.text.startswith("E[T_2^2 | x~]") for s in claim.refuted_steps)
    assert all(s.text.startswith("E[T_") for s in claim.refuted_steps)
    assert c2_covariance.derive_c2(2).status == "proved"


def test_dsmw_derive_fails_naming_the_refuted_step(tmp_path: Path) -> None:
    # A fresh process whose derivation has one false identity (the EDM weight without a
    # sigma^2): dsmw derive must exit 1, name the step, and print no traceback.
    script = (
        "import sys, sympy as sp\n"
        "import derive.weightings\n"
        "w = sys.modules['derive.weightings']\n"
        "from derive.symbols import sigma, sigma_data\n"
        "original = w.weightings\n"
        "def wrong():\n"
        "    class Scaled:\n"
        "        def __init__(self, x): self.x = x\n"
        "        def __getattr__(self, name): return getattr(self.x, name)\n"
        "        score_space = property(lambda self: self.x.score_space / sigma**2)\n"
        "    return tuple(Scaled(x) if x.name == 'edm' else x for x in original())\n"
        "w.weightings = wrong\n"
        "from numeric.cli import main\n"
        f"sys.exit(main(['derive', '--order', '1', '--out', {str(tmp_path)!r}]))\n")
    env = {**os.environ, "DSMW_NO_CACHE": "1"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stderr
    assert "C7 refuted" in run.stderr and "EDM entry of weightings()" in run.stderr
    assert "Traceback" not in run.stderr
    assert "refuted" in (tmp_path / "index.md").read_text(encoding="utf-8")


def test_check_names_missing_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Notes that do not exist are "missing", never "would change"; a folder with no notes at
    # all is a usage problem (exit 2, tested in tests/test_cli_robustness.py).
    from numeric.cli import main

    (tmp_path / "index.md").write_text("an old index\n", encoding="utf-8")
    assert main(["derive", "--check", "--order", "1", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"missing: {tmp_path / 'C1.md'}" in out
    assert f"would change: {tmp_path / 'index.md'}" in out
    assert "would change: " + str(tmp_path / "C1.md") not in out


def test_claim_lookup_and_bad_id() -> None:
    assert derive.claim("c6").id == "C6"
    with pytest.raises(derive.InvalidArgumentError, match="cid"):
        derive.claim("C9")


def test_cache_is_keyed_reused_and_survives_corruption(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSMW_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("DSMW_NO_CACHE", raising=False)
    _cache._memory.clear()
    calls: list[int] = []

    def build() -> tuple[int, ...]:
        calls.append(1)
        return (1, 2, 3)

    assert _cache.cached("probe", build) == (1, 2, 3)
    (path,) = tmp_path.glob("probe-*.pickle")
    assert _cache.source_key() in path.name
    _cache._memory.clear()
    assert _cache.cached("probe", build) == (1, 2, 3) and len(calls) == 1  # read from disk
    path.write_bytes(b"not a pickle")
    _cache._memory.clear()
    assert _cache.cached("probe", build) == (1, 2, 3) and len(calls) == 2  # rebuilt
    assert pickle.loads(path.read_bytes()) == (1, 2, 3)
    assert not list(tmp_path.glob("*.tmp"))
    monkeypatch.setenv("DSMW_NO_CACHE", "1")
    _cache.cached("probe", build)
    assert len(calls) == 3


def test_an_unwritable_cache_only_costs_time(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("DSMW_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("DSMW_NO_CACHE", raising=False)
    _cache._memory.clear()
    assert _cache.cached("probe", lambda: 42) == 42
    _cache._memory.clear()


def test_render_names_refuted_and_undecided_steps() -> None:
    from derive.render import render_claim, render_index

    a = sp.Symbol("a", real=True)
    x = sp.Symbol("x", real=True)
    f = sp.Function("f")
    steps = (confirm(a, a + 1, "a slip").at(n=1),
             confirm(sp.Integral(f(x) ** 2, (x, 0, 1)), sp.Integral(f(x), (x, 0, 1)) ** 2,
                     "undecidable"))
    claim = Claim("CX", "test", sp.Eq(a, a, evaluate=False), steps, parameters=("n",))
    text = render_claim(claim)
    assert "**Status:** refuted." in text and "## Refuted steps" in text and "a slip" in text
    assert "## Steps SymPy could not decide" in text and "undecidable" in text
    assert "| refuted |" in render_index((claim,), 1)


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DSMW_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_dir() == tmp_path / "dsm-weighting"
    monkeypatch.setenv("DSMW_CACHE_DIR", str(tmp_path / "x"))
    assert _cache.cache_dir() == tmp_path / "x"


def test_claims_round_trip_through_pickle() -> None:
    claim = derive.claim("C2", max_order=2)
    again = pickle.loads(pickle.dumps(claim))
    assert again.status == claim.status
    assert [(s.text, s.status) for s in again.steps] == [(s.text, s.status) for s in claim.steps]


def test_new_public_functions_are_the_derived_statements() -> None:
    m1, m2 = derive.ratio_symbols(3)
    assert derive.conditional_covariance_matrix(3) == sp.eye(3) / sigma**2 + m2 - m1 * m1.T
    h = m(2) - m(1) ** 2
    assert sp.simplify(derive.weight_excess(1) + sigma**4 * h / (1 + sigma**2 * h)) == 0
    expansion, steps = derive.expected_trace_expansion(3)
    assert expansion == 3 * sigma**2 + sigma**4 * sp.Symbol("trJ", positive=True)
    assert all(s.status != "refuted" for s in steps)
    a, b, f = (sp.MatrixSymbol(n, 2, 2) for n in "ABF")
    assert derive.sandwich_covariance(2) == a.inverse() * b * a.inverse()
    assert derive.optimal_sandwich(2) == f.inverse()
    assert derive.jensen_gap(1) == sp.Symbol("EW") - 1 / sp.Symbol("ESigma")
    assert derive.jensen_gap(2) == (sp.MatrixSymbol("EW", 2, 2)
                                    - sp.MatrixSymbol("ESigma", 2, 2).inverse())


def test_step_statuses_are_validated() -> None:
    with pytest.raises(ValueError, match="status"):
        Step("x", sp.Integer(0), "maybe")

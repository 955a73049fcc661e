"""Generality is computed from a step's expression, the chain decides the status, every
confirmed identity has a second witness, and every SymPy call has a budget."""

from __future__ import annotations

import importlib
import json
import time

import pytest
import sympy as sp

from derive.claim import Claim, confirm, define

# the module, not the facade's function of the same name
decide_module = importlib.import_module("derive._decide")

n = sp.Symbol("n", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
a = sp.Symbol("a", positive=True)
sigma_ = sp.Symbol("sigma", positive=True)


def _claim(*steps) -> Claim:
    return Claim("T", "test", sp.Eq(a, a), tuple(steps), parameters=("n", "d"))


def test_a_hand_typed_any_without_a_symbol_is_dropped() -> None:
    concrete = confirm((a + 1) ** 3, a**3 + 3 * a**2 + 3 * a + 1, "n = 3 only",
                       method="expand").at(n="any", d="any").carrying()
    assert concrete.generality(("n", "d")) == {}
    assert _claim(concrete).status == "checked numerically only"
    tagged = concrete.at(n=3, d=1)
    assert _claim(tagged).status == "proved for instances"
    assert _claim(tagged).instances == "n = 3 for d = 1"


def test_a_step_symbolic_in_every_parameter_proves_the_claim() -> None:
    A = sp.MatrixSymbol("A", d, d)
    general = confirm(sp.Trace(A**n + sp.Identity(d)), sp.Trace(A**n) + d, "any n, any d")
    assert general.status == "confirmed"
    assert general.generality(("n", "d")) == {"n": "any", "d": "any"}
    assert _claim(general.carrying()).status == "proved"
    # the same step outside the chain proves nothing: side cancellations do not count
    side = confirm(a / a, sp.Integer(1), "cancellation").at(n=2, d=1).carrying()
    assert _claim(general, side).status == "proved for instances"


def test_multi_index_orders_and_matrix_shapes_count_as_symbolic() -> None:
    n0, n1 = sp.symbols("n0 n1", integer=True, nonnegative=True)
    f = sp.Function("f")
    x, y = sp.symbols("x y", real=True)
    step = define("mixed partial", sp.Eq(sp.Derivative(f(x, y), (x, n0), (y, n1)), 0))
    assert step.symbolic_in("n") and not step.symbolic_in("d")
    real_d = sp.Symbol("d", real=True)  # not an integer: not a dimension
    assert not define("real d", sp.Eq(real_d, 0)).symbolic_in("d")
    assert define("shape", sp.Eq(sp.MatrixSymbol("B", 2, d).T, 0 * sp.MatrixSymbol(
        "B", 2, d).T)).symbolic_in("d")


def test_symbolic_size_identities_are_decided_and_refuted_at_concrete_sizes() -> None:
    Y, C = sp.MatrixSymbol("Y", d, d), sp.MatrixSymbol("C", d, d)
    lhs = Y.inverse() - C.inverse() + C.inverse() * (Y - C) * C.inverse()
    right = (C.inverse() - Y.inverse()) * Y * (C.inverse() - Y.inverse())
    good = confirm(lhs, right, "Jensen identity", method="expand")
    assert good.status == "confirmed" and good.witnesses >= 1
    wrong = confirm(lhs, (C.inverse() - Y.inverse()) * Y * (C.inverse() + Y.inverse()),
                    "wrong sign", method="expand")
    assert wrong.status == "refuted" and "size 2" in wrong.detail


def test_a_simplification_bug_is_caught_by_the_second_witness(monkeypatch) -> None:
    # SymPy "reduces" a false identity to zero: the evaluation at rational points refutes it
    monkeypatch.setattr(decide_module, "_reduce", lambda difference, method: sp.Integer(0))
    step = confirm(sp.sin(a) ** 2, 1 - sp.cos(a) ** 2 + a / 100, "wrong, reduced to 0")
    assert step.status == "refuted" and "SymPy reduced lhs - rhs to 0" in step.detail
    right = confirm(sp.sin(a) ** 2, 1 - sp.cos(a) ** 2, "right, reduced to 0")
    assert right.status == "confirmed" and right.witnesses == decide_module.WITNESS_POINTS


def test_a_hanging_simplification_leaves_the_step_unconfirmed_in_time(monkeypatch) -> None:
    def hang(expr, *args, **kwargs):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(decide_module, "REDUCE_SECONDS", 0.5)
    monkeypatch.setattr(decide_module, "POINT_SECONDS", 0.2)
    monkeypatch.setattr(sp, "simplify", hang)
    start = time.monotonic()
    step = confirm(sp.exp(a) * sp.exp(-a), sp.Integer(2), "hangs")
    assert time.monotonic() - start < 5
    assert step.status == "unconfirmed" and "budget" in step.detail


def test_the_proof_record_is_plain_data_that_parses_back() -> None:
    step = confirm((a + 1) ** 2, a**2 + 2 * a + 1, "square", method="expand").at(n=1, d=1)
    record = _claim(step.carrying()).to_dict()
    text = json.dumps(record)
    back = json.loads(text)["steps"][0]
    assert back["status"] == "confirmed" and back["chain"] is True
    assert back["generality"] == {"n": 1, "d": 1}
    assert sp.parse_expr(back["lhs_srepr"], evaluate=False) == (a + 1) ** 2 or sp.sympify(
        back["lhs_srepr"]) == (a + 1) ** 2


@pytest.mark.parametrize(("cid", "expected"), [("C1", "any n for d = 1..3"),
                                               ("C3", ""), ("C6", ""), ("C7", "")])
def test_the_claims_chains_carry_their_generality(cid: str, expected: str) -> None:
    import derive

    record = derive.claim(cid)
    assert record.chain, f"{cid} names no chain"
    assert expected in record.instances
    if not expected:
        assert record.status == "proved"
        # proved means a chain step symbolic in every parameter
        assert any(all(v == "any" for v in s.generality(record.parameters).values())
                   and len(s.generality(record.parameters)) == len(record.parameters)
                   for s in record.chain)


def test_a_scope_is_proved_only_when_every_part_is_covered() -> None:
    A = sp.MatrixSymbol("A", d, d)
    any_d = confirm(sp.Trace(A + sp.Identity(d)), sp.Trace(A) + d, "n = 1, any d").at(
        n=1).carrying()
    any_n = confirm((1 + a) ** n * (1 + a), (1 + a) ** (n + 1), "any n, d = 1").at(
        d=1).carrying()
    parts = ((1, "any"), ("any", 1))

    def scoped(*steps) -> Claim:
        return Claim("T", "test", sp.Eq(a, a), tuple(steps), parameters=("n", "d"),
                     scope=parts)
    assert scoped(any_d, any_n).status == "proved"
    assert scoped(any_d, any_n).instances == "n = 1 for any d; any n for d = 1"
    # one part missing: instances only, and the missing part is absent from the range
    assert scoped(any_d).status == "proved for instances"
    assert scoped(any_d).instances == "n = 1 for any d"
    # a concrete d where the part needs any d does not cover it
    two = confirm(sp.Matrix([[a, 1], [0, a]]).trace(), 2 * a, "n = 1, d = 2").at(
        n=1, d=2).carrying()
    assert scoped(two, any_n).status == "proved for instances"
    assert scoped(two, any_n).instances == "any n for d = 1; n = 1 for d = 2"
    record = scoped(any_d, any_n).to_dict()
    assert record["scope"] == [[1, "any"], ["any", 1]]


def test_c4_any_dimension_chain_is_symbolic_in_d_and_a_wrong_step_is_refuted() -> None:
    from derive._claims import _trace_any_dimension as any_d

    result, steps = any_d.expected_trace_any_dimension()
    chain = [s for s in steps if s.carries]
    assert len(chain) >= 4 and all(s.status == "confirmed" for s in chain)
    assert all(s.generality(("n", "d")).get("d") == "any" for s in chain)
    assert all(s.witnesses > 0 for s in chain)
    assert result == any_d.DIMENSION * sigma_**2 + sigma_**4 * sp.Symbol("trJ", positive=True)
    H = sp.MatrixSymbol("H", any_d.DIMENSION, any_d.DIMENSION)
    identity = sp.Identity(any_d.DIMENSION)
    neumann = sigma_**2 * (identity - sigma_**2 * H + sigma_**4 * H**2)
    # a sign slip in the matrix series, and the pair identity without its p l_ik^2 term
    assert confirm((identity / sigma_**2 + H) * neumann, identity - sigma_**6 * H**3,
                   "wrong", method="expand").status == "refuted"
    pair, flux = any_d._pair_flux(True)
    xi, xk = sp.symbols("x_i x_k", real=True)
    ell = sp.Function("ell")(xi, xk)
    assert confirm(pair - sp.exp(ell) * sp.diff(ell, xi, xk) ** 2, flux, "wrong",
                   method="expand").status == "refuted"

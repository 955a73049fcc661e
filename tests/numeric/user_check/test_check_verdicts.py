"""Fuzzing the verdicts of `dsmw check` themselves: every algebraically equivalent form of
a true formula HOLDS, every slight perturbation of it is REFUTED."""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from numeric.user_check import check_formula

sigma, h = derive.sigma, derive.h
m = derive.m

# (quantity, order, a true formula) written in sigma, h and m_k, as a user would.
TRUE_FORMULAS = [
    ("covariance", 1, 1 / sigma**2 + h),
    ("weight", 1, sigma**2 / (1 + sigma**2 * h)),
    ("covariance", 2, m(4) + 4 * m(2) / sigma**2 + 2 / sigma**4 - m(2) ** 2),
    ("mean", 3, m(3)),
    ("mean", 1, derive.s),
]

# Nonzero factors and terms built from positive quantities and the m_k.
FACTORS = [1 + sigma**2, sigma**3, 2 + m(1) ** 2, sp.Rational(7, 3), 1 + sigma**2 * m(2) ** 2]
TERMS = [m(1), sigma**2 * m(2), h / sigma, sp.Rational(5, 2), m(1) * m(2)]


def _equivalent(expr: sp.Expr, how: str, factor: sp.Expr, term: sp.Expr, power: int
                ) -> sp.Expr:
    """``expr`` rewritten without changing its value."""
    if how == "expand":
        return sp.expand(expr)
    if how == "factor":
        return sp.factor(expr)
    if how == "together":
        return sp.together(expr)
    if how == "times-over":
        return sp.Mul(expr, factor, evaluate=False) / factor
    if how == "plus-minus":
        return sp.Add(expr, term, evaluate=False) - term
    if how == "positive-power":
        # (1 + sigma^2)^k / sqrt((1 + sigma^2)^(2k)) = 1, with the root left unexpanded, so
        # SymPy cannot cancel it at once: the verdict must come from the numeric cases.
        base = sp.expand((1 + sigma**2) ** (2 * power))
        return expr * (1 + sigma**2) ** power / sp.sqrt(base)
    raise AssertionError(how)


HOWS = ["expand", "factor", "together", "times-over", "plus-minus", "positive-power"]


@settings(max_examples=30)
@given(formula=st.sampled_from(TRUE_FORMULAS), how=st.sampled_from(HOWS),
       factor=st.sampled_from(FACTORS), term=st.sampled_from(TERMS),
       power=st.integers(1, 3))
def test_equivalent_forms_of_a_true_formula_hold(formula, how, factor, term, power) -> None:
    quantity, order, expr = formula
    text = sp.sstr(_equivalent(expr, how, factor, term, power))
    verdict = check_formula(text, quantity, order, alternatives=False)
    assert verdict.holds, (text, verdict.symbolic, verdict.counterexample)
    assert not verdict.symbolic.startswith("disproved")
    assert verdict.status in ("proved", "undecided")


@settings(max_examples=30)
@given(formula=st.sampled_from(TRUE_FORMULAS), how=st.sampled_from(HOWS),
       factor=st.sampled_from(FACTORS), term=st.sampled_from(TERMS), power=st.integers(1, 3),
       kind=st.sampled_from(["m", "sigma"]), index=st.integers(1, 4),
       numerator=st.integers(1, 9).map(lambda k: k if k % 2 else -k),
       denominator=st.sampled_from([10, 100, 1000]))
def test_slight_perturbations_are_refuted(formula, how, factor, term, power, kind, index,
                                          numerator, denominator) -> None:
    quantity, order, expr = formula
    c = sp.Rational(numerator, denominator)
    extra = c * (m(index) if kind == "m" else sigma ** (index - 2))
    text = sp.sstr(_equivalent(expr, how, factor, term, power) + extra)
    verdict = check_formula(text, quantity, order, alternatives=False)
    assert not verdict.holds, (text, verdict.symbolic)
    assert verdict.status == "disproved"


def test_abs_and_sqrt_of_a_positive_quantity_hold() -> None:
    # SymPy cannot drop Abs/sqrt without knowing the covariance is positive: undecided,
    # and the numeric cases (all agree) decide.
    for text in ("Abs(1/sigma**2 + h)", "sqrt((1/sigma**2 + h)**2)"):
        verdict = check_formula(text)
        assert verdict.holds and verdict.symbolic.startswith("undecided"), text


def test_refuted_as_one_quantity_but_holding_as_another_is_said() -> None:
    verdict = check_formula("sigma**2/(1 + sigma**2*h)", "covariance")
    assert not verdict.holds and verdict.holds_as == ("weight",)
    assert check_formula("sigma**2 - sigma**4*h", "weight").holds_as == ()

"""Exact symbolic tests of derive/, each paired with a numeric spot check against an
independent computation (exact posterior moments from numeric/)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import derive
from derive import InvalidArgumentError, m, sigma
from numeric.examples import example
from numeric.formula import evaluate
from numeric.moments import conditional_covariance as exact_covariance


def test_every_claim_has_a_computed_status_and_no_step_fails() -> None:
    claims = derive.claims(3)
    assert [c.id for c in claims] == [f"C{i}" for i in range(1, 8)]
    for claim in claims:
        assert claim.status in ("proved", "proved for instances"), (claim.id, claim.status)
        assert not claim.refuted_steps and not claim.unconfirmed_steps, claim.id
        assert any(step.confirmed for step in claim.steps), claim.id
        # a claim proved in every part of its scope names the parts; otherwise "proved"
        # has no instance range
        assert (claim.instances == "") == (claim.status == "proved" and not claim.scope), \
            claim.id
    by_id = {c.id: c for c in claims}
    # computed from the chains' expressions (tests/derive/test_generality.py)
    assert by_id["C1"].instances == "any n for d = 1..3"
    # C2's two parts (n = 1 in any d, any n in d = 1) and C4's (n = 1 in any d)
    assert by_id["C2"].instances == "n = 1 for any d; any n for d = 1"
    assert by_id["C4"].instances == "n = 1 for any d"
    assert {c.id for c in claims if c.status == "proved"} == {"C2", "C3", "C4", "C5", "C6",
                                                              "C7"}


def test_order_two_covariance_is_the_hermite_expression() -> None:
    expected = m(4) + 4 * m(2) / sigma**2 + 2 / sigma**4 - m(2) ** 2
    assert sp.expand(derive.conditional_covariance(2) - expected) == 0


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_covariance_matches_exact_posterior_numerically(order: int) -> None:
    gm = example("three-mode-1d")
    x = np.linspace(-4, 4, 7)[:, None]
    formula = evaluate(derive.conditional_covariance(order), gm, x, 0.7)
    np.testing.assert_allclose(formula, exact_covariance(gm, x, 0.7, order), rtol=1e-10)


def test_a_wrong_covariance_fails_the_numeric_spot_check() -> None:
    # Calibration: dropping the k! factor must be visible numerically.
    gm = example("three-mode-1d")
    x = np.linspace(-4, 4, 7)[:, None]
    wrong = m(4) + 4 * m(2) / sigma**2 + 1 / sigma**4 - m(2) ** 2
    assert not np.allclose(evaluate(wrong, gm, x, 0.7), exact_covariance(gm, x, 0.7, 2),
                           rtol=1e-6)


def test_taylor_series_of_the_weight_has_the_heuristic_as_leading_term() -> None:
    for n in range(1, 6):
        assert derive.heuristic_weight(n) == sigma ** (2 * n) / sp.factorial(n)
    h = m(2) - m(1) ** 2
    assert sp.expand(derive.taylor_expansion(1, 3) - (sigma**2 - sigma**4 * h
                                                      + sigma**6 * h**2)) == 0


def test_gaussian_data_expected_weight_has_zero_sigma6_term() -> None:
    weight, _ = derive.gaussian_data_optimal_weight()
    series = sp.expand(sp.series(weight, sigma, 0, 12).removeO())
    assert series.coeff(sigma, 6) == 0 and series.coeff(sigma, 8) == 0
    assert series.coeff(sigma, 2) == 1


def test_expected_weight_expansion_is_sigma2_plus_sigma4_fisher() -> None:
    result, steps = derive.expected_weight_expansion()
    assert all(s.confirmed is not False for s in steps)
    assert sp.Poly(result, sigma).degree() == 4


def test_noise_fisher_information_by_integration() -> None:
    nu = sp.Symbol("nu", positive=True)
    assert derive.fisher_information_of_noise("gaussian") == 1
    assert derive.fisher_information_of_noise("logistic") == sp.Rational(1, 3)
    assert sp.simplify(derive.fisher_information_of_noise("student_t") - (nu + 1) / (nu + 3)) == 0
    assert derive.noise_family("student_t:5").fisher_information() == sp.Rational(3, 4)


@pytest.mark.parametrize("n", range(1, 7))
def test_gaussian_score_moments_are_factorials(n: int) -> None:
    assert derive.noise_family("gaussian").score_moment(n) == sp.factorial(n)


def test_lagrange_gap_is_a_sum_of_squares() -> None:
    gap, squares, steps = derive.lagrange_gap(4)
    assert all(s.confirmed for s in steps)
    assert sp.expand(sp.numer(sp.together(gap - squares))) == 0


def test_bad_orders_and_noise_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="order"):
        derive.conditional_covariance(0)
    with pytest.raises(InvalidArgumentError, match="noise"):
        derive.noise_family("cauchy-ish")
    with pytest.raises(InvalidArgumentError, match="student_t:5"):
        derive.noise_family("student_t:-1")
    with pytest.raises(InvalidArgumentError, match="integrates to"):
        derive.custom_noise("exp(-E**2)")


@pytest.mark.parametrize(("text", "named"), [
    ("1e400*sigma", "the float literal 1e400 is beyond double precision"),
    ("1.0e999", "the float literal 1.0e999"),
    ("-1E309 + sigma", "the float literal 1E309"),
    ("1e200*1e200*sigma", "the constant 1e200 * 1e200 exceeds double precision"),
    ("1e308 + 1e308", "exceeds double precision"),
])
def test_parser_refuses_constants_beyond_double_precision(text, named) -> None:
    with pytest.raises(InvalidArgumentError, match=r"1\.8e308") as info:
        derive.parse_expression(text, {"sigma": sigma})
    assert named in str(info.value) and "use constants below" in str(info.value)


@pytest.mark.parametrize(("text", "named"), [
    ("sqrt(-1)*sigma", "the constant sqrt(-1) is complex"),
    ("log(-2)*sigma", "the constant log(-2) is complex"),
    ("I*sigma", "the imaginary unit I"),
    ("1j*sigma", "the complex constant 1j"),
    ("2J + sigma", "the complex constant 2J"),
    ("(-1)**(1/2)", "is complex"),
    ("(-8)**(1/3)*sigma", "is complex"),
    ("(-1)**0.5*sigma", "is complex"),
    ("sqrt(-sigma)", "complex (I*sqrt(sigma))"),
])
def test_parser_refuses_complex_constants(text, named) -> None:
    with pytest.raises(InvalidArgumentError, match="a formula must be real") as info:
        derive.parse_expression(text, {"sigma": sigma})
    assert named in str(info.value)


def test_parser_keeps_real_constants_and_finite_floats() -> None:
    vocabulary = {"sigma": sigma}
    assert derive.parse_expression("(-2)**2*sigma", vocabulary) == 4 * sigma
    assert derive.parse_expression("sqrt(4) + log(1)", vocabulary) == 2
    assert derive.parse_expression("1e308*sigma", vocabulary) == sp.Float("1e308") * sigma
    assert derive.parse_expression("(-1)**(-3)*sigma", vocabulary) == -sigma


def test_parser_rejects_code() -> None:
    vocabulary = {"sigma": sigma}
    for text in ["__import__('os').system('true')", "sigma.__class__", "lambda: 1",
                 "open('x')", "sigma; 1"]:
        with pytest.raises(InvalidArgumentError):
            derive.parse_expression(text, vocabulary)

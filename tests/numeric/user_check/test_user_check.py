"""`dsmw check`: judges meaning, not spelling, and refutes the listed wrong formulas."""

from __future__ import annotations

import json

import pytest

from numeric.cli import main
from numeric.user_check import check_formula


@pytest.mark.parametrize(
    ("expression", "quantity", "order"),
    [
        ("1/sigma**2 + h", "covariance", 1),
        ("(sigma^2*(m2 - s^2) + 1)/sigma^2", "covariance", 1),
        ("m2 - m1**2 + sigma**(-2)", "covariance", 1),
        ("sigma**2/(1 + sigma**2*h)", "weight", 1),
        ("m4 + 4*m2/sigma**2 + 2/sigma**4 - m2**2", "covariance", 2),
        ("m3", "mean", 3),
    ],
)
def test_equivalent_forms_hold(expression, quantity, order) -> None:
    verdict = check_formula(expression, quantity, order)
    assert verdict.holds and verdict.symbolic == "proved" and verdict.failures == 0


@pytest.mark.parametrize(
    ("expression", "quantity", "order"),
    [
        ("1/sigma + h", "covariance", 1),                             # 1/sigma for 1/sigma^2
        ("1/sigma**2 - h", "covariance", 1),                          # sign of h flipped
        ("m4 + 4*m2/sigma**2 + 1/sigma**4 - m2**2", "covariance", 2),  # k! dropped
        ("sigma**4", "weight", 2),                                    # sigma^(2n) as exact
        ("sigma**6", "weight", 3),
        ("sigma**2 - sigma**4*h", "weight", 1),                       # first-order truncation
    ],
)
def test_listed_wrong_formulas_are_refuted_with_a_counterexample(expression, quantity,
                                                                 order) -> None:
    verdict = check_formula(expression, quantity, order)
    assert not verdict.holds and verdict.symbolic == "disproved"
    assert verdict.failures > 0 and verdict.counterexample is not None
    c = verdict.counterexample
    assert abs(c["got"] - c["expected"]) > verdict.tolerance * abs(c["expected"])


def test_counterexample_is_the_simplest_failing_case() -> None:
    # 1/sigma = 1/sigma^2 at sigma = 1, so the first failure is the standard normal at 0.5.
    c = check_formula("1/sigma + h").counterexample
    assert c["mixture"]["weights"] == [1.0] and c["x_tilde"] == 0.0 and c["sigma"] == 0.5


def test_non_gaussian_noise_is_checked_by_quadrature() -> None:
    assert check_formula("m1", "mean", 1, "logistic", random_cases=0).holds
    wrong = check_formula("1/sigma**2 + h", "covariance", 1, "logistic", random_cases=0)
    assert not wrong.holds and wrong.symbolic.startswith("not attempted")


def test_cli_exit_codes_and_json(capsys) -> None:
    assert main(["check", "1/sigma**2 + h"]) == 0
    assert main(["check", "sigma**2 - sigma**4*h", "--quantity", "weight"]) == 1
    capsys.readouterr()
    assert main(["check", "1/sigma**2 + h", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["holds"] and report["symbolic"] == "proved"
    assert set(report["numeric"]) == {"cases", "failures", "worst_error", "tolerance"}


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "1/sigma**"],                       # unparsable
        ["check", "x + sigma"],                       # unknown symbol
        ["check", "__import__('os').system('true')"],  # dunder
        ["check", "sigma.real"],                      # attribute
        ["check", "sigma", "--order", "0"],           # order < 1
        ["check", "m1", "--noise", "laplace"],        # unknown noise family
    ],
)
def test_bad_input_exits_2_without_traceback(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dsmw check: error: invalid") and "Traceback" not in err


def test_a_weight_check_whose_simplification_hangs_is_decided_numerically(monkeypatch) -> None:
    # user input reaches SymPy: past its budget the symbolic verdict says so, and the
    # numeric comparison on the grid still decides
    import importlib
    import time

    weight_module = importlib.import_module("numeric.user_check._weight")

    def hang(*args, **kwargs):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(weight_module, "WEIGHT_SYMBOLIC_SECONDS", 0.5)
    monkeypatch.setattr("numeric.user_check._symbolic._compare", hang)
    start = time.monotonic()
    verdict = weight_module.check_weight("min(snr, gamma)/snr + 0*t", "eps", "vp-cosine",
                                         "min-snr:5", up_to_constant=True)
    assert time.monotonic() - start < 30
    assert "budget" in verdict.symbolic and verdict.same

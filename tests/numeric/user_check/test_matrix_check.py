"""`dsmw check --dim 2|3`: entries in index notation, judged against the derivation and
against the posterior cubature of the targets' definitions."""

from __future__ import annotations

import json

import pytest

from numeric.cli import main
from numeric.user_check import check_formula, check_matrix_formula

ORDER_TWO = ("m4(i, j, k, l) + (delta(i, k)*m2(j, l) + delta(i, l)*m2(j, k)"
             " + delta(j, k)*m2(i, l) + delta(j, l)*m2(i, k))/sigma**2"
             " + (delta(i, k)*delta(j, l) + delta(i, l)*delta(j, k))/sigma**4"
             " - m2(i, j)*m2(k, l)")


@pytest.mark.parametrize(
    ("expression", "quantity", "order", "dim"),
    [
        ("delta(i, j)/sigma**2 + H(i, j)", "covariance", 1, 2),
        ("delta(i, j)/sigma**2 + m2(i, j) - s(i)*s(j)", "covariance", 1, 3),
        ("m1(i)", "mean", 1, 2),
        ("m2(i, j)", "mean", 2, 3),
        (ORDER_TWO, "covariance", 2, 2),
        (ORDER_TWO, "covariance", 2, 3),
    ],
)
def test_true_entries_hold_symbolically_and_numerically(expression, quantity, order,
                                                        dim) -> None:
    verdict = check_matrix_formula(expression, quantity, order, dim)
    assert verdict.holds and verdict.symbolic == "proved" and verdict.failures == 0
    assert verdict.dim == dim


@pytest.mark.parametrize(
    ("expression", "quantity", "order"),
    [
        ("delta(i, j)/sigma**2 - H(i, j)", "covariance", 1),        # sign of H
        ("delta(i, j)/sigma + H(i, j)", "covariance", 1),           # 1/sigma for 1/sigma^2
        ("-m1(i)", "mean", 1),
        ("m2(i, j) - delta(i, j)/sigma**2", "mean", 2),
        (ORDER_TWO.replace("delta(i, l)*delta(j, k)", "0"), "covariance", 2),  # one pairing
        (ORDER_TWO.replace(" - m2(i, j)*m2(k, l)", ""), "covariance", 2),      # no mean term
        ("sigma**2*delta(i, j)", "weight", 1),                      # leading term as exact
    ],
)
def test_wrong_entries_are_refuted_with_a_counterexample(expression, quantity,
                                                         order) -> None:
    verdict = check_matrix_formula(expression, quantity, order, 2)
    assert not verdict.holds and verdict.failures > 0
    assert verdict.symbolic in ("disproved", "undecided")
    assert verdict.counterexample is not None
    assert len(verdict.counterexample["x_tilde"]) == 2


def test_check_formula_dispatches_on_the_dimension() -> None:
    verdict = check_formula("delta(i, j)/sigma**2 + H(i, j)", "covariance", 1, dim=3)
    assert verdict.holds and verdict.to_dict()["dim"] == 3
    assert check_formula("1/sigma**2 + h", "covariance", 1).to_dict()["dim"] == 1


def test_cli_dim_exit_codes_and_json(capsys) -> None:
    assert main(["check", "delta(i,j)/sigma**2 + H(i,j)", "--dim", "2"]) == 0
    assert main(["check", "delta(i,j)/sigma**2 - H(i,j)", "--dim", "2"]) == 1
    capsys.readouterr()
    assert main(["check", "m2(i,j)", "--quantity", "mean", "--order", "2", "--dim", "3",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["holds"] and payload["dim"] == 3


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["check", "H(i,j)", "--dim", "4"], "dim"),
        (["check", "H(i,j)", "--dim", "0"], "dim"),
        (["check", "H(i,j)", "--dim", "2", "--noise", "logistic"], "noise"),
        (["check", "H(i,j)", "--dim", "2", "--order", "3"], "order"),
        (["check", "m2(i)", "--dim", "2"], "m2 takes 2 indices"),
        (["check", "H(i,k)", "--dim", "2"], "index k"),
        (["check", "m1(3)", "--quantity", "mean", "--dim", "2"], "out of 0..1"),
        (["check", "H(i,j", "--dim", "2"], "expression"),
    ],
)
def test_bad_matrix_input_exits_2_naming_the_problem(argv, named, capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert named in captured.err and "Traceback" not in captured.err


def test_a_formula_over_several_lines_parses_and_the_entry_is_named(capsys) -> None:
    text = ORDER_TWO.replace(" + (delta(i, k)*delta", "\n    + (delta(i, k)*delta")
    assert "\n" in text and check_matrix_formula(text, "covariance", 2, 2).holds
    assert main(["check", "--order", "2", "--dim", "3", "m2(i,j)*m2(k,l)"]) == 1
    assert "entry i = 2, j = 2, k = 2, l = 2" in capsys.readouterr().out

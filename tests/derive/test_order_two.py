"""The order-2 target in d dimensions: Sigma_2 by two routes, the weight series, and the
generality each step earns from its expression."""

from __future__ import annotations

import importlib

import pytest
import sympy as sp

import derive
from derive.claim import confirm

order_two = importlib.import_module("derive._claims._order_two")
PARAMETERS = ("n", "d")


def test_every_step_of_the_index_notation_route_is_confirmed() -> None:
    steps = order_two.order_two_covariance_steps()
    assert steps and all(s.status in ("confirmed", "definition", "assumption") for s in steps)
    carrying = [s for s in steps if s.carries]
    assert len(carrying) == 1
    assert carrying[0].generality(PARAMETERS) == {"n": 2, "d": "any"}
    # the link to the one-dimensional C2 is an instance, and says so
    assert any(s.generality(PARAMETERS) == {"n": 2, "d": 1} for s in steps)


@pytest.mark.parametrize("dim", [2, 3])
def test_the_moment_route_gives_the_closed_form(dim) -> None:
    steps = order_two.order_two_covariance_steps(dim)
    confirmed = [s for s in steps if s.status == "confirmed"]
    assert confirmed and all(s.generality(PARAMETERS) == {"n": 2, "d": dim} for s in confirmed)
    moment = derive.conditional_covariance_matrix(dim, order=2)
    assert moment.shape == (dim * dim, dim * dim)
    assert sp.simplify(moment - order_two._closed_covariance(dim)) == sp.zeros(dim**2, dim**2)


def test_a_wrong_closed_form_is_refuted() -> None:
    right = derive.conditional_covariance_matrix(2, order=2)
    wrong = right - sp.ImmutableMatrix(4, 4, lambda p, q: sp.KroneckerDelta(p, q)
                                       / derive.sigma**4)
    assert confirm(right, wrong, "one pairing dropped").status == "refuted"


def test_the_matrix_series_in_one_dimension_is_the_scalar_taylor_series() -> None:
    for order in (1, 2):
        matrices = derive.optimal_weight_matrix_series(1, order)
        scalar = derive.taylor_coefficients(order)
        by_name = {str(v): v for e in scalar.values() for v in sp.sympify(e).free_symbols}
        assert set(matrices) == set(scalar)
        for power, matrix in matrices.items():
            assert matrix.shape == (1, 1)
            entry = matrix[0, 0]
            rename = {v: by_name.get(str(v).split("_")[0], v) for v in entry.free_symbols}
            assert sp.simplify(entry.xreplace(rename) - scalar[power]) == 0


@pytest.mark.parametrize("dim", [2, 3])
def test_the_leading_weight_is_half_the_symmetriser(dim) -> None:
    series = derive.optimal_weight_matrix_series(dim, 2)
    swap = sp.ImmutableMatrix(dim**2, dim**2, lambda p, q: int(
        q == (p % dim) * dim + p // dim))
    projector = (sp.eye(dim**2) + swap) / 2
    assert series[4] == projector / 2
    # every coefficient lives on the range of the projector: W* is a pseudo-inverse
    for matrix in series.values():
        assert sp.simplify(projector * matrix - matrix) == sp.zeros(dim**2, dim**2)
    assert all(s.status == "confirmed" for s in order_two.weight_series_steps(dim, 2))


def test_the_symbolic_dimension_weight_steps_carry_their_assumption() -> None:
    steps = order_two.symbolic_weight_steps()
    assert any(s.status == "assumption" for s in steps)
    assert any(s.generality(PARAMETERS) == {"n": 2, "d": "any"} for s in steps)
    assert all(s.status in ("confirmed", "assumption") for s in steps)


def test_bad_dimension_or_order_is_rejected() -> None:
    with pytest.raises(derive.InvalidArgumentError, match="order"):
        derive.optimal_weight_matrix_series(2, 3)
    with pytest.raises(derive.InvalidArgumentError):
        derive.conditional_covariance_matrix(0, order=2)

"""A user's formula for a matrix quantity in d = 2, 3 dimensions (``dsmw check --dim``).

The formula is one *entry* in index notation: the indices are ``i`` (order 1: entry ``i``
of the mean, ``(i, j)`` of the covariance and weight) and ``i, j`` / ``i, j, k, l``
(order 2: entry ``(i, j)`` of the mean ``E[T_2 | x~]``, ``((i, j), (k, l))`` of
``Sigma_2`` and of ``W*_2 = pinv(Sigma_2)``). Vocabulary: ``sigma``, the indices,
``delta(a, b)`` (Kronecker), the derivative ratios ``m1(a)``, ``m2(a, b)``,
``m3(a, b, c)``, ``m4(a, b, c, d)`` of ``p_sigma`` at ``x~``, ``s(a)`` (= ``m1(a)``, the
score) and ``H(a, b)`` (= ``m2(a, b) - m1(a) m1(b)``, the Hessian of ``log p_sigma``).

The matrix the entry defines at ``d`` is compared (1) symbolically with
:mod:`derive`'s matrix (*proved* / *disproved*; the weight by ``Sigma W = Pi``, its
defining property, within a budget) and (2) numerically with the exact posterior
cubature of the target's own definition (:mod:`numeric.matrix_targets`) on simple and
random ``d``-dimensional Gaussian mixtures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np
import sympy as sp

import derive
from numeric._validation import InvalidArgumentError, check_seed
from numeric.examples import random_mixture
from numeric.matrix_targets import derivative_ratio_tensors, target_covariance
from numeric.mixture import GaussianMixture
from numeric.user_check._symbolic import compare

__all__ = ["DIMENSIONS", "check_matrix_formula", "index_vocabulary"]

#: The dimensions ``dsmw check --dim`` accepts besides 1.
DIMENSIONS = (2, 3)
#: Relative tolerance (with the Gaussian scale as floor) of the numeric comparison.
CHECK_TOLERANCE = 1e-8
SYMBOLIC_SECONDS = 10.0
_INDICES = sp.symbols("i j k l", integer=True, nonnegative=True)
_FUNCTIONS = {name: sp.Function(name) for name in ("m1", "m2", "m3", "m4", "s", "H")}


def index_vocabulary() -> dict[str, Any]:
    """The names a matrix formula may use (see the module docstring)."""
    return {"sigma": derive.sigma, **{str(v): v for v in _INDICES},
            "delta": sp.KroneckerDelta, **_FUNCTIONS}


def _shape(quantity: str, order: int, dim: int) -> tuple[tuple[int, int], int]:
    """``(rows, cols)`` of the quantity and how many indices its entry uses."""
    size = dim**order
    if quantity == "mean":
        return ((dim, 1), 1) if order == 1 else ((dim, dim), 2)
    return (size, size), 2 * order


def _concrete(entry: sp.Expr, values: tuple[int, ...], dim: int) -> sp.Expr:
    """The entry at concrete indices, in derive's ratio-tensor symbols."""
    at = entry.subs(dict(zip(_INDICES, values, strict=False)), simultaneous=True)
    def tensor(order: int) -> Callable:
        array = derive.ratio_tensor(dim, order)

        def lookup(*index):
            if len(index) != order:
                raise InvalidArgumentError("expression", str(entry),
                                           f"m{order} takes {order} indices, got {len(index)}",
                                           f"write m{order}(" + ", ".join("ijkl"[:order]) + ")")
            if any(not (a.is_Integer and 0 <= int(a) < dim) for a in map(sp.sympify, index)):
                raise InvalidArgumentError("expression", str(entry),
                                           f"an index of m{order} is out of 0..{dim - 1} or "
                                           "not one of i, j, k, l", "index with i, j, k, l")
            return array[tuple(int(a) for a in index)]
        return lookup

    replaced = at
    for order in (1, 2, 3, 4):
        replaced = replaced.replace(_FUNCTIONS[f"m{order}"], tensor(order))
    replaced = replaced.replace(_FUNCTIONS["s"], tensor(1))
    replaced = replaced.replace(_FUNCTIONS["H"], lambda a, b: tensor(2)(a, b)
                                - tensor(1)(a) * tensor(1)(b))
    return replaced


def _indices(quantity: str, order: int, dim: int, p: int, q: int) -> tuple[int, ...]:
    """The values of ``i, j, ...`` at row ``p``, column ``q`` (row-major ``vec``)."""
    if quantity == "mean":
        return (p,) if order == 1 else (p, q)
    if order == 1:
        return (p, q)
    return (p // dim, p % dim, q // dim, q % dim)


def _matrix(entry: sp.Expr, quantity: str, order: int, dim: int) -> sp.Matrix:
    (rows, cols), _ = _shape(quantity, order, dim)
    return sp.Matrix(rows, cols, lambda p, q: _concrete(
        entry, _indices(quantity, order, dim, p, q), dim))


def _derived(quantity: str, order: int, dim: int) -> sp.Matrix:
    if quantity == "mean":
        if order == 1:
            return sp.Matrix(derive.ratio_tensor(dim, 1).tolist())
        return sp.Matrix(derive.ratio_tensor(dim, 2).tolist())
    return sp.Matrix(derive.conditional_covariance_matrix(dim, order))


def _symbolic(user: sp.Matrix, quantity: str, order: int, dim: int) -> str:
    reference = _derived(quantity, order, dim)
    if quantity == "weight":
        # W is the weight iff Sigma W = Pi (the projector onto the symmetric matrices for
        # order 2, I for order 1) and W = Pi W: the pseudo-inverse's defining equations
        size = reference.shape[0]
        if order == 1:
            projector = sp.eye(size)
        else:
            swap = sp.Matrix(size, size, lambda p, q: int(q == (p % dim) * dim + p // dim))
            projector = (sp.eye(size) + swap) / 2
        user, reference = (sp.Matrix.vstack(reference * user, projector * user),
                           sp.Matrix.vstack(projector, user))
    outcomes = []
    for got, expected in zip(user, reference, strict=True):
        result = compare(got, expected, seconds=SYMBOLIC_SECONDS / user.rows)
        if result.outcome == "disproved":
            return "disproved"
        outcomes.append(result)
    undecided = [r for r in outcomes if r.outcome != "proved"]
    if not undecided:
        return "proved"
    return f"undecided ({undecided[0].reason})"


def _cases(rng: np.random.Generator, dim: int, count: int
           ) -> list[tuple[GaussianMixture, np.ndarray, float]]:
    """A standard normal and a symmetric pair first, then random mixtures."""
    simple = [GaussianMixture([1.0], [np.zeros(dim)], [np.eye(dim)]),
              GaussianMixture([0.5, 0.5], [-np.eye(dim)[0], np.eye(dim)[0]],
                              [0.25 * np.eye(dim)] * 2)]
    cases = [(gm, x, s) for gm in simple for x in (np.zeros(dim), np.full(dim, 0.5))
             for s in (1.0, 0.5, 2.0)]
    for _ in range(count):
        gm = random_mixture(rng, dim=dim, n_components=int(rng.integers(1, 4)))
        sigma = float(np.exp(rng.uniform(np.log(0.2), np.log(3.0))))
        cases.append((gm, gm.noised(sigma).sample(1, rng)[0], sigma))
    return cases


def _reference(gm: GaussianMixture, x: np.ndarray, sigma: float, quantity: str,
               order: int) -> np.ndarray:
    mean, covariance = target_covariance(gm, x[None], sigma, order)
    if quantity == "mean":
        return mean[0].reshape(-1, 1) if order == 1 else mean[0].reshape(gm.dim, gm.dim)
    if quantity == "covariance":
        return covariance[0]
    return np.linalg.pinv(covariance[0], rcond=1e-10, hermitian=True)


def _values(gm: GaussianMixture, x: np.ndarray, sigma: float) -> dict:
    values = {derive.sigma: sigma}
    for n, tensor in enumerate(derivative_ratio_tensors(gm.noised(sigma), x[None], 4), 1):
        symbols = derive.ratio_tensor(gm.dim, n)
        for index in product(range(gm.dim), repeat=n):
            values[symbols[index]] = float(tensor[(0, *index)])
    return values


def check_matrix_formula(expression: str, quantity: str, order: int, dim: int,
                         seed: int = 0, random_cases: int = 20,
                         progress: Callable | None = None):
    """Check a matrix formula (one entry in index notation) for ``quantity`` of the
    order-``order`` target in ``dim`` dimensions; returns a ``FormulaVerdict``.

    Examples
    --------
    >>> check_matrix_formula("delta(i, j)/sigma**2 + H(i, j)", "covariance", 1, 2).holds
    True
    >>> check_matrix_formula("delta(i, j)/sigma**2 - H(i, j)", "covariance", 1, 2).holds
    False
    """
    from numeric.user_check._formula import FormulaVerdict

    if dim not in DIMENSIONS:
        raise InvalidArgumentError("dim", dim, f"matrix formulas are checked in d = "
                                   f"{', '.join(map(str, DIMENSIONS))}",
                                   "pass --dim 2 or --dim 3 (or leave it out for d = 1)")
    if order not in (1, 2):
        raise InvalidArgumentError("order", order, "in d > 1 the targets of orders 1 and 2 "
                                   "are derived", "pass --order 1 or --order 2")
    seed = check_seed(seed, name="seed")
    parsed = derive.parse_expression(
        expression, index_vocabulary(),
        names="sigma, i, j, k, l, delta(a, b), m1(a), m2(a, b), m3(a, b, c), m4(a, b, c, d), "
        "s(a), H(a, b)")
    _, count = _shape(quantity, order, dim)
    unused = [str(v) for v in _INDICES[count:] if v in parsed.free_symbols]
    if unused:
        raise InvalidArgumentError("expression", expression,
                                   f"uses the index {', '.join(unused)}, but an entry of the "
                                   f"order-{order} {quantity} has {count} "
                                   f"({', '.join(map(str, _INDICES[:count]))})",
                                   "write the entry with those indices only")
    user = _matrix(parsed, quantity, order, dim)
    symbolic = _symbolic(user, quantity, order, dim)
    symbols = sorted(set().union(*(e.free_symbols for e in user)), key=str)
    function = sp.lambdify(symbols, user, modules="numpy")
    cases = _cases(np.random.default_rng(seed), dim, random_cases)
    failures, worst, counterexample = 0, 0.0, None
    for done, (gm, x, sigma) in enumerate(cases, start=1):
        reference = _reference(gm, x, sigma, quantity, order)
        values = _values(gm, x, sigma)
        with np.errstate(all="ignore"):
            try:
                got = np.asarray(function(*(values[v] for v in symbols)), dtype=np.float64)
            except (ArithmeticError, TypeError, ValueError):
                got = np.full(reference.shape, math.inf)
        scale = {"mean": sigma ** -order, "covariance": sigma ** (-2 * order),
                 "weight": sigma ** (2 * order)}[quantity]
        difference = np.abs(got - reference)
        error = (float(np.max(difference / (np.abs(reference) + scale)))
                 if np.all(np.isfinite(got)) else math.inf)
        worst = max(worst, error)
        if progress is not None:
            progress(done, len(cases), f"case {done} (sigma = {sigma:.3g})")
        if not error <= CHECK_TOLERANCE:
            failures += 1
            if counterexample is None:
                where = np.unravel_index(int(np.nanargmax(np.where(
                    np.isfinite(difference), difference, np.inf))), reference.shape)
                counterexample = {"mixture": gm.to_dict(), "x_tilde": x.tolist(),
                                  "sigma": sigma, "entry": list(_indices(
                                      quantity, order, dim, *map(int, where))),
                                  "expected": float(reference[where]),
                                  "got": float(got[where]), "relative_error": error}
    derived_text = ("pinv of " if quantity == "weight" else "") + str(
        _derived("covariance" if quantity == "weight" else quantity, order, dim).tolist())
    return FormulaVerdict(expression, quantity, order, "gaussian", str(parsed), derived_text,
                          symbolic, len(cases), failures, worst, CHECK_TOLERANCE,
                          counterexample, dim=dim)

"""Evaluating :mod:`derive`'s formulas with NumPy, the formula looked up when it is used.

``derived(name)`` is ``derive.<name>`` read at call time, never bound at import, so a
formula swapped on the :mod:`derive` module (a mutant) is the one that gets evaluated.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

import derive
from numeric.matrix_targets import derivative_ratio_tensors
from numeric.mixture import GaussianMixture

__all__ = [
    "derived",
    "evaluate_matrix",
    "evaluate_tensor_formula",
    "in_sigma_and_one",
    "matrix_function",
    "one_symbol",
    "ratio_values",
    "scalar_function",
]


def derived(name: str):
    """``derive.<name>``, looked up now (never bound at import: mutants must be seen)."""
    return getattr(derive, name)


def one_symbol(expr: sp.Expr, besides: set) -> sp.Symbol:
    """The one free symbol of a derived formula besides ``besides`` (``J``, ``trJ``...)."""
    (symbol,) = expr.free_symbols - besides
    return symbol


def in_sigma_and_one(expr: sp.Expr):
    """``f(sigma, value)``: a derived formula in ``sigma`` and one other symbol, lambdified."""
    return sp.lambdify((derive.sigma, one_symbol(expr, {derive.sigma})), expr)


def ratio_values(gm: GaussianMixture, x: np.ndarray, sigma: float) -> dict:
    """``m1_i``, ``m2_i_j`` of ``p_sigma`` at ``x`` (closed form of the mixture)."""
    dim = gm.dim
    m1, m2 = derived("ratio_symbols")(dim)
    noised = gm.noised(sigma)
    score, hess = noised.score(x), noised.hessian(x)
    second = hess + score[..., :, None] * score[..., None, :]
    values = {m1[i]: score[..., i] for i in range(dim)}
    values.update({m2[i, j]: second[..., i, j] for i in range(dim) for j in range(dim)})
    return values


def evaluate_matrix(matrix: sp.Matrix, gm: GaussianMixture, x: np.ndarray, sigma: float
                     ) -> np.ndarray:
    """A d x d formula in ``sigma``, ``m1_i``, ``m2_i_j`` at every point: ``(N, d, d)``."""
    values = {derive.sigma: np.full(x.shape[:-1], sigma), **ratio_values(gm, x, sigma)}
    matrix = sp.ImmutableMatrix(matrix)
    variables, function = _matrix_function(matrix)
    unknown = [v for v in variables if v not in values]
    if unknown:
        raise ValueError(f"formula uses unknown symbols {unknown}")
    entries = function(*(values[v] for v in variables))
    out = np.empty((*x.shape[:-1], gm.dim, gm.dim))
    for position, value in enumerate(entries):
        row, col = divmod(position, gm.dim)
        out[..., row, col] = np.broadcast_to(value, x.shape[:-1])
    return out


def tensor_values(gm: GaussianMixture, x: np.ndarray, sigma: float) -> dict:
    """``m{n}_i_j..`` of ``p_sigma`` at ``x`` for ``n = 1..4`` (Hermite tensors of the
    mixture, :func:`numeric.matrix_targets.derivative_ratio_tensors`)."""
    values = {}
    for n, tensor in enumerate(derivative_ratio_tensors(gm.noised(sigma), x, 4), start=1):
        symbols = derived("ratio_tensor")(gm.dim, n)
        for index in np.ndindex(*symbols.shape):
            values[symbols[index]] = tensor[(..., *index)]
    return values


@lru_cache(maxsize=64)
def _matrix_function(matrix: sp.ImmutableMatrix) -> tuple[tuple[sp.Symbol, ...], object]:
    """One lambdified function of every entry (one ``lambdify`` call: each costs ~10 ms)."""
    entries = [sp.sympify(entry) for entry in matrix]
    variables = tuple(sorted(set().union(*(e.free_symbols for e in entries)),
                             key=lambda v: v.name))
    return variables, sp.lambdify(variables, entries, "numpy")


def evaluate_tensor_formula(matrix: sp.Matrix, gm: GaussianMixture, x: np.ndarray,
                            sigma: float) -> np.ndarray:
    """A matrix formula in ``sigma`` and the ratio tensors of orders 1..4 at every point of
    ``x`` (``(N, d)``): ``(N, rows, cols)``. Unknown symbols are an error."""
    values = {derive.sigma: np.full(x.shape[:-1], sigma), **tensor_values(gm, x, sigma)}
    matrix = sp.ImmutableMatrix(matrix)
    variables, function = _matrix_function(matrix)
    unknown = [v for v in variables if v not in values]
    if unknown:
        raise ValueError(f"formula uses unknown symbols {unknown}")
    entries = function(*(values[v] for v in variables))
    out = np.empty((*x.shape[:-1], *matrix.shape))
    for position, value in enumerate(entries):
        row, col = divmod(position, matrix.shape[1])
        out[..., row, col] = np.broadcast_to(value, x.shape[:-1])
    return out


def matrix_function(expr, names: tuple[str, ...], dim: int):
    """Lambdify a matrix expression in ``MatrixSymbol``s named ``names`` (NumPy matrices)."""
    symbols = [sp.MatrixSymbol(n, dim, dim) for n in names]
    return sp.lambdify(symbols, expr, "numpy")


def scalar_function(expr, names: tuple[str, ...]):
    symbols = sorted(expr.free_symbols, key=lambda v: v.name)
    if {s.name for s in symbols} - set(names):
        raise ValueError(f"{expr} uses symbols other than {names}")
    fn = sp.lambdify(symbols, expr, "numpy")
    return lambda **kw: fn(*(kw[s.name] for s in symbols))

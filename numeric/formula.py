"""Evaluate a SymPy formula of ``derive`` on a mixture: lambdify, feed it ``sigma``,
the derivative ratios ``m_k``, the score ``s`` and the curvature ``h`` of ``p_sigma``."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike, NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_one_dimensional,
    check_points,
    check_sigma,
)
from numeric.mixture import GaussianMixture

__all__ = ["evaluate", "formula_symbols"]

_RATIO = re.compile(r"^m(\d+)$")


def formula_symbols(expr: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The free symbols of ``expr``, sorted by name; each must be sigma, s, h or m<k>."""
    names = sorted(expr.free_symbols, key=lambda v: v.name)
    for v in names:
        if v.name not in {"sigma", "s", "h"} and not _RATIO.match(v.name):
            raise InvalidArgumentError("formula", str(expr), f"unknown symbol '{v.name}'",
                                       "use sigma, s, h and m1, m2, ...")
    return tuple(names)


@cache
def _compiled(expr: sp.Expr):
    variables = formula_symbols(expr)
    return variables, sp.lambdify(variables, expr, modules="numpy")


def evaluate(expr: sp.Expr, mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float
             ) -> NDArray[np.float64]:
    """Value of ``expr`` at each ``x~`` (shape ``(..., 1)``) for ``p_sigma`` of ``mixture``."""
    s = check_sigma(sigma)
    points = check_points("x_tilde", x_tilde, mixture.dim)
    check_one_dimensional(mixture, "evaluating formulas in m_k")
    variables, function = _compiled(expr)
    noised = mixture.noised(s)
    args = []
    for v in variables:
        if v.name == "sigma":
            args.append(np.full(points.shape[:-1], s))
        elif v.name == "s":
            args.append(noised.score(points)[..., 0])
        elif v.name == "h":
            args.append(noised.hessian(points)[..., 0, 0])
        else:
            args.append(noised.derivative_ratio(points, int(v.name[1:])))
    value = function(*args)
    return np.broadcast_to(np.asarray(value, dtype=np.float64), points.shape[:-1]).copy()

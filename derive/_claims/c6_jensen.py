"""C6 — Jensen: ``E[W*] >= 1/E[Sigma_1]``, with equality iff ``Sigma_1`` is constant.

``x -> 1/x`` is convex on ``(0, oo)`` (second derivative ``2/x^3 > 0``). For a
two-point law the gap is an explicit non-negative fraction, zero iff the two
covariances are equal; the general (matrix) case is operator convexity of the
inverse and is checked numerically.
"""

from __future__ import annotations

import sympy as sp

from derive.claim import Claim, confirm, define

__all__ = ["derive_c6", "jensen_gap"]


def jensen_gap() -> tuple[sp.Expr, sp.Expr]:
    """Two-point gap ``w/a + (1-w)/b - 1/(w a + (1-w) b)`` and its factored form."""
    a, b = sp.symbols("Sigma_a Sigma_b", positive=True)
    w = sp.Symbol("w", positive=True)
    gap = w / a + (1 - w) / b - 1 / (w * a + (1 - w) * b)
    return gap, sp.factor(sp.together(gap))


def derive_c6() -> Claim:
    y = sp.Symbol("y", positive=True)
    a, b = sp.symbols("Sigma_a Sigma_b", positive=True)
    w = sp.Symbol("w", positive=True)
    gap, factored = jensen_gap()
    steps = (
        confirm(sp.diff(1 / y, y, 2), 2 / y**3, "1/y is convex: (1/y)'' = 2/y^3 > 0"),
        define("two-point law: the Jensen gap, factored by SymPy", sp.Eq(gap, factored)),
        confirm(factored, w * (1 - w) * (a - b) ** 2 / (a * b * (w * a + (1 - w) * b)),
                "gap = w (1-w) (a-b)^2 / (a b (w a + (1-w) b)) >= 0, zero iff a = b",
                method="together"),
    )
    return Claim(
        id="C6",
        title="Jensen: the expected optimal weight dominates the inverse expected covariance",
        statement=sp.GreaterThan(sp.Symbol(r"\mathbb{E}[W^*]"),
                                 sp.Symbol(r"\mathbb{E}[\Sigma_1]^{-1}"), evaluate=False),
        steps=steps,
        proved=True,
        assumptions=("scalar and two-point case symbolically; general laws and the matrix "
                     "(Loewner) form checked numerically",),
        numeric=("E[W*] >= 1/E[Sigma_1] on mixtures, equality for Gaussian data (numeric)",),
    )

"""C6 — Jensen: ``E[W*] >= E[Sigma_1]^-1`` (Loewner order), equality iff ``Sigma_1`` is constant.

Proof for any law and any dimension. For positive-definite ``Y`` and ``C``, in the
free (non-commutative) algebra with ``Y Y^-1 = C C^-1 = I``:

``Y^-1 - C^-1 + C^-1 (Y - C) C^-1 = (C^-1 - Y^-1) Y (C^-1 - Y^-1)  >= 0``,

zero iff ``Y = C``. Put ``Y = Sigma_1(X~)``, ``C = E[Sigma_1]`` and take expectations:
the middle term has expectation ``C^-1 (E[Y] - C) C^-1 = 0``, so
``E[Sigma_1^-1] - E[Sigma_1]^-1 = E[(C^-1 - Y^-1) Y (C^-1 - Y^-1)] >= 0``. With
``W* = Sigma_1^-1`` (C3) this is C6. In one dimension the identity is the tangent-line
bound of the convex ``1/y``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._validation import check_order
from derive.claim import Claim, Step, assume, confirm, confirm_sign, define

__all__ = ["derive_c6", "jensen_gap"]


def jensen_gap(dim: int = 1) -> sp.Expr | sp.MatrixExpr:
    """The C6 statement's gap ``E[W*] - E[Sigma_1]^-1``, claimed positive semidefinite.

    ``dim == 1``: an expression in ``Symbol("EW")`` and ``Symbol("ESigma")``;
    ``dim > 1``: a matrix expression in ``MatrixSymbol("EW", d, d)`` and
    ``MatrixSymbol("ESigma", d, d)``. The gap is zero iff ``Sigma_1`` is constant in ``x~``.

    Parameters
    ----------
    dim : int, default 1
        The dimension ``d >= 1``.

    Returns
    -------
    sympy.Expr or sympy.MatrixExpr
        ``EW - ESigma^-1``; C6 (proved in the record) says it is positive semidefinite.

    Examples
    --------
    >>> jensen_gap(1) == sp.Symbol("EW") - 1 / sp.Symbol("ESigma")
    True
    >>> jensen_gap(2) == sp.MatrixSymbol("EW", 2, 2) - sp.MatrixSymbol("ESigma", 2, 2).inverse()
    True
    """
    d = check_order(dim, name="dim")
    if d == 1:
        return sp.Symbol("EW") - 1 / sp.Symbol("ESigma")
    return sp.MatrixSymbol("EW", d, d) - sp.MatrixSymbol("ESigma", d, d).inverse()


def _two_point_gap() -> tuple[sp.Expr, sp.Expr]:
    """Two-point law: gap ``w/a + (1-w)/b - 1/(w a + (1-w) b)`` and its factored form."""
    a, b = sp.symbols("Sigma_a Sigma_b", positive=True)
    w = sp.Symbol("w", positive=True)
    gap = w / a + (1 - w) / b - 1 / (w * a + (1 - w) * b)
    return gap, sp.factor(sp.together(gap))


@cache
def _jensen_steps() -> tuple[Step, ...]:
    """The steps of the proof (any law, any dimension) and two checks of it."""
    y_, c_ = sp.symbols("Y C", positive=True)
    scalar_gap = 1 / y_ - 1 / c_ + (y_ - c_) / c_**2
    steps: list[Step] = [
        confirm(sp.diff(1 / y_, y_, 2), 2 / y_**3, "1/y is convex: (1/y)'' = 2/y^3 > 0"),
        confirm(scalar_gap, (y_ - c_) ** 2 / (y_ * c_**2),
                "d = 1: 1/Y - 1/C + (Y - C)/C^2 = (Y - C)^2/(Y C^2) (tangent line of 1/y)",
                method="together"),
        confirm_sign((y_ - c_) ** 2 / (y_ * c_**2), ">= 0",
                     "d = 1: the tangent-line remainder is >= 0 for Y, C > 0"),
    ]
    d = sp.Symbol("d", integer=True, positive=True)
    y, c = sp.MatrixSymbol("Y", d, d), sp.MatrixSymbol("C", d, d)
    lhs = y.inverse() - c.inverse() + c.inverse() * (y - c) * c.inverse()
    square = (c.inverse() - y.inverse()) * y * (c.inverse() - y.inverse())
    steps.append(confirm(lhs, square,
                         "any d: Y^-1 - C^-1 + C^-1 (Y - C) C^-1 = (C^-1 - Y^-1) Y (C^-1 - Y^-1) "
                         "for d x d matrices, d symbolic (SymPy's matrix algebra), >= 0 for "
                         "Y > 0 and zero iff Y = C", method="expand").carrying())
    steps.append(assume("expectation is linear and monotone in the Loewner order, and "
                        "E[Sigma_1] and E[Sigma_1^-1] are finite",
                        sp.Symbol(r"\mathbb{E}[D Y D] \succeq 0")))
    expected_y = sp.MatrixSymbol(r"\mathbb{E}[Y]", d, d)
    middle = sp.MatMul(c.inverse(), expected_y - c, c.inverse(), evaluate=False)
    steps.append(confirm(middle.subs(expected_y, c), sp.ZeroMatrix(d, d),
                         "any d: with C = E[Y] the middle term has expectation "
                         "C^-1 (E[Y] - C) C^-1 = 0, so E[Y^-1] - E[Y]^-1 = "
                         "E[(C^-1 - Y^-1) Y (C^-1 - Y^-1)] >= 0", method="expand",
                         shown=sp.Eq(middle, sp.ZeroMatrix(d, d), evaluate=False)).carrying())
    # Checks of the identity: an exact rational 2 x 2 instance and the two-point law.
    y_m, c_m = sp.Matrix([[3, 1], [1, 2]]), sp.Matrix([[2, -1], [-1, 4]])
    steps.append(confirm(y_m.inv() - c_m.inv() + c_m.inv() * (y_m - c_m) * c_m.inv(),
                         (c_m.inv() - y_m.inv()) * y_m * (c_m.inv() - y_m.inv()),
                         "exact rational instance of the identity (d = 2)", method="expand"))
    gap, factored = _two_point_gap()
    a, b = sp.symbols("Sigma_a Sigma_b", positive=True)
    w = sp.Symbol("w", positive=True)
    steps.append(define("two-point law: the Jensen gap, factored by SymPy", sp.Eq(gap, factored)))
    steps.append(confirm(factored, w * (1 - w) * (a - b) ** 2 / (a * b * (w * a + (1 - w) * b)),
                         "two-point law: gap = w (1-w) (a-b)^2 / (a b (w a + (1-w) b)) >= 0, "
                         "zero iff a = b", method="together"))
    # The public statement is the same gap: E[W*] - E[Sigma]^-1 with E[W*] = E[Sigma^-1].
    statement = jensen_gap(1).subs({sp.Symbol("EW"): 1 / y_, sp.Symbol("ESigma"): y_})
    steps.append(confirm(statement, 0, "jensen_gap(1) vanishes for a constant Sigma_1 = Y",
                         method="together",
                         shown=sp.Eq(sp.Symbol(r"\mathrm{jensen\_gap}(1)|_{\Sigma_1 = Y}"),
                                     statement, evaluate=False)))
    return tuple(steps)


def derive_c6() -> Claim:
    """C6 in the Loewner order, any law and any dimension."""
    return Claim(
        id="C6",
        title="Jensen: the expected optimal weight dominates the inverse expected covariance",
        statement=sp.GreaterThan(sp.Symbol(r"\mathbb{E}[W^*]"),
                                 sp.Symbol(r"\mathbb{E}[\Sigma_1]^{-1}"), evaluate=False),
        steps=_jensen_steps(),
        parameters=("d",),
        assumptions=("W* = Sigma_1^-1 (C3), Sigma_1 positive definite; E[Sigma_1] and "
                     "E[Sigma_1^-1] finite; the inequality is in the Loewner order",),
        numeric=("Jensen by quadrature", "Jensen by Monte Carlo"),
        results={"gap": jensen_gap(1)},
    )

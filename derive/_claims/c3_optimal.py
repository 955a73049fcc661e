"""C3 — the optimal weight is the inverse conditional covariance.

For a one-parameter model with per-point sensitivity ``J_i`` (the Jacobian of
the model output) on a finite support with covariances ``Sigma_i``, the
weighted M-estimator's asymptotic variance is ``B / A^2`` with
``A = sum w_i J_i^2`` and ``B = sum w_i^2 J_i^2 Sigma_i``. Lagrange's identity
with ``a_i = w_i J_i sqrt(Sigma_i)`` and ``b_i = J_i / sqrt(Sigma_i)`` gives

``B * sum J_i^2/Sigma_i - A^2``
``= sum_{i<j} J_i^2 J_j^2 (w_i Sigma_i - w_j Sigma_j)^2 / (Sigma_i Sigma_j)``,

a sum of squares that vanishes iff ``w_i Sigma_i`` is constant, i.e. ``w ∝ 1/Sigma``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._claims.c2_covariance import conditional_covariance
from derive._validation import check_order
from derive.claim import Claim, Step, confirm, define

__all__ = ["derive_c3", "lagrange_gap", "optimal_weight"]


def optimal_weight(order: int = 1, noise: str = "gaussian") -> sp.Expr:
    """``W*_n = 1 / Sigma_n`` (d = 1), in ``sigma`` and the ratios ``m_k``.

    Examples
    --------
    >>> from derive.symbols import m, sigma
    >>> import sympy as sp
    >>> sp.simplify(optimal_weight(1) - sigma**2 / (1 + sigma**2 * (m(2) - m(1)**2))) == 0
    True
    """
    return 1 / conditional_covariance(order, noise)


def lagrange_gap(size: int) -> tuple[sp.Expr, sp.Expr, list[Step]]:
    """The Cauchy–Schwarz gap on a support of ``size`` points, and its sum of squares."""
    n = check_order(size, name="size", minimum=2)
    w = sp.symbols(f"w1:{n + 1}", positive=True)
    jac = sp.symbols(f"J1:{n + 1}", real=True)
    cov = sp.symbols(f"Sigma1:{n + 1}", positive=True)
    a_curv = sum(w[i] * jac[i] ** 2 for i in range(n))
    b_meat = sum(w[i] ** 2 * jac[i] ** 2 * cov[i] for i in range(n))
    efficient = sum(jac[i] ** 2 / cov[i] for i in range(n))
    a = [w[i] * jac[i] * sp.sqrt(cov[i]) for i in range(n)]
    b = [jac[i] / sp.sqrt(cov[i]) for i in range(n)]
    lagrange = sum((a[i] * b[j] - a[j] * b[i]) ** 2 for i in range(n) for j in range(i + 1, n))
    sum_of_squares = sum(
        jac[i] ** 2 * jac[j] ** 2 * (w[i] * cov[i] - w[j] * cov[j]) ** 2 / (cov[i] * cov[j])
        for i in range(n) for j in range(i + 1, n))
    gap = b_meat * efficient - a_curv**2
    steps = [
        confirm(sum(x**2 for x in a) * sum(y**2 for y in b) - sum(x * y for x, y in
                zip(a, b, strict=True)) ** 2, lagrange,
                f"N = {n}: Lagrange's identity for a_i = w_i J_i sqrt(Sigma_i), "
                "b_i = J_i / sqrt(Sigma_i)", method="together"),
        confirm(gap, sum_of_squares,
                f"N = {n}: B sum J^2/Sigma - A^2 = sum_(i<j) J_i^2 J_j^2 (w_i Sigma_i - "
                "w_j Sigma_j)^2 / (Sigma_i Sigma_j) >= 0", method="together"),
        confirm(gap.subs({w[i]: 1 / cov[i] for i in range(n)}), 0,
                f"N = {n}: the gap vanishes at w = 1/Sigma", method="together"),
        confirm((b_meat / a_curv**2).subs({w[i]: 1 / cov[i] for i in range(n)}),
                1 / efficient, f"N = {n}: at w = 1/Sigma the variance B/A^2 is "
                "1/sum(J^2/Sigma), the smallest", method="together"),
    ]
    return gap, sum_of_squares, steps


@cache
def aitken_steps() -> tuple[Step, ...]:
    """Matrix case, 3 observations and 2 parameters, diagonal W and Sigma:
    ``A^-1 B A^-1 - (J^T Sigma^-1 J)^-1 = D^T Sigma D`` with
    ``D = W J A^-1 - Sigma^-1 J (J^T Sigma^-1 J)^-1`` (positive semi-definite)."""
    jac = sp.Matrix(3, 2, sp.symbols("J1:7", real=True))
    w = sp.diag(*sp.symbols("w1:4", positive=True))
    cov = sp.diag(*sp.symbols("Sigma1:4", positive=True))
    a = jac.T * w * jac
    b = jac.T * w * cov * w * jac
    efficient = jac.T * cov.inv() * jac
    d = w * jac * a.inv() - cov.inv() * jac * efficient.inv()
    lhs = a.inv() * b * a.inv() - efficient.inv()
    rhs = d.T * cov * d
    return (confirm(lhs, rhs, "matrix case (N = 3, 2 parameters): A^-1 B A^-1 - "
                    "(J^T Sigma^-1 J)^-1 = D^T Sigma D, D = W J A^-1 - Sigma^-1 J "
                    "(J^T Sigma^-1 J)^-1", method="together_matrix"),)


def derive_c3(max_support: int = 6) -> Claim:
    """C3: Lagrange identity for supports of size ``2..max_support`` and the matrix case."""
    top = check_order(max_support, name="max_support", minimum=2)
    steps: list[Step] = [define("optimal weight = inverse conditional covariance",
                                sp.Eq(sp.Symbol("W^*_n"), sp.Symbol(r"1/\Sigma_n")))]
    for size in range(2, top + 1):
        steps.extend(lagrange_gap(size)[2])
    steps.extend(aitken_steps())
    return Claim(
        id="C3",
        title="The optimal weighting is the inverse conditional covariance",
        statement=sp.Eq(sp.Symbol("W^*_n(\\tilde{x})"),
                        sp.Symbol(r"\Sigma_n(\tilde{x})^{-1}")),
        steps=tuple(steps),
        proved=all(s.confirmed is not False for s in steps),
        assumptions=(
            "correctly specified model: the true parameter makes f_theta = m_n",
            f"scalar case confirmed for supports of N = 2..{top} points (a finite-support "
            "expectation); the matrix (Aitken) identity for N = 3, two parameters",
        ),
        numeric=("the sandwich covariance is no larger with W* (studies, C8)",),
    )

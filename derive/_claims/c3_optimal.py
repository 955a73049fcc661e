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

__all__ = ["derive_c3", "lagrange_gap", "optimal_sandwich", "optimal_weight",
           "sandwich_covariance"]


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


def sandwich_covariance(params: int) -> sp.MatrixExpr:
    """C3's asymptotic covariance ``A^-1 B A^-1`` (times ``N``) of the weighted M-estimator.

    ``A = E[J^T W J]`` and ``B = E[J^T W Sigma W J]`` are ``MatrixSymbol("A", p, p)`` and
    ``MatrixSymbol("B", p, p)`` for ``p = params`` parameters.

    Parameters
    ----------
    params : int
        Number of model parameters ``p >= 1``.

    Returns
    -------
    sympy.MatrixExpr
        ``A^-1 B A^-1``.

    Examples
    --------
    >>> sandwich_covariance(2)
    A**(-1)*B*A**(-1)
    """
    p = check_order(params, name="params")
    a, b = sp.MatrixSymbol("A", p, p), sp.MatrixSymbol("B", p, p)
    return a.inverse() * b * a.inverse()


def optimal_sandwich(params: int) -> sp.MatrixExpr:
    """The sandwich at ``W = Sigma^-1``: ``F^-1`` with ``F = E[J^T Sigma^-1 J]``
    (``MatrixSymbol("F", p, p)``); C3 says it is the Loewner-smallest sandwich.

    Parameters
    ----------
    params : int
        Number of model parameters ``p >= 1``.

    Returns
    -------
    sympy.MatrixExpr
        ``F^-1``.

    Examples
    --------
    >>> optimal_sandwich(2)
    F**(-1)
    """
    p = check_order(params, name="params")
    return sp.MatrixSymbol("F", p, p).inverse()


@cache
def _sandwich_steps() -> tuple[Step, ...]:
    """The public sandwich at the optimal weight reduces to the public optimal sandwich."""
    steps: list[Step] = []
    # Pointwise, with W = optimal_weight(1) and Sigma = conditional_covariance(1):
    # W Sigma W = W, so the meat B equals the bread A and both equal F.
    weight, covariance = optimal_weight(1), conditional_covariance(1)
    steps.append(confirm(weight * covariance * weight, weight,
                         "W* Sigma_1 W* = W* pointwise (W* = optimal_weight(1)), so "
                         "B = E[J^T W* Sigma W* J] = E[J^T W* J] = A = F", method="together"))
    # Any number of parameters p and observations k: matrix symbols of symbolic sizes.
    # With W = Sigma^-1 the bread and the meat are both F = J^T Sigma^-1 J.
    k, p = sp.symbols("k p", integer=True, positive=True)
    jac, cov = sp.MatrixSymbol("J", k, p), sp.MatrixSymbol("Sigma", k, k)
    bread = jac.T * cov.inverse() * jac
    meat = sp.MatMul(jac.T, cov.inverse(), cov, cov.inverse(), jac, evaluate=False)
    steps.append(confirm(sp.MatMul(bread.inverse(), meat, bread.inverse(), evaluate=False),
                         bread.inverse(),
                         "any p: at W = Sigma^-1, A = J^T Sigma^-1 J = F and B = J^T Sigma^-1 "
                         "Sigma Sigma^-1 J = F, so A^-1 B A^-1 = F^-1 (J: k x p, Sigma: k x k, "
                         "k and p symbolic)", method="expand").carrying())
    # The public expressions: sandwich_covariance(p) at A = B = F is optimal_sandwich(p),
    # entry by entry for a generic symmetric F.
    for size in (1, 2):
        entries = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"F_{min(i, j)}{max(i, j)}"))
        a_sym, b_sym = sp.MatrixSymbol("A", size, size), sp.MatrixSymbol("B", size, size)
        f_sym = sp.MatrixSymbol("F", size, size)
        explicit = sandwich_covariance(size).subs({a_sym: entries, b_sym: entries})
        claimed = optimal_sandwich(size).subs(f_sym, entries)
        steps.append(confirm(sp.Matrix(explicit.doit()), sp.Matrix(claimed.doit()),
                             f"p = {size}: sandwich_covariance(p) at A = B = F equals "
                             "optimal_sandwich(p) = F^-1 (generic symmetric F)",
                             method="together_matrix").at(p=size))
    return tuple(steps)


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
                f"N = {n}: the gap vanishes at w = 1/Sigma", method="together",
                shown=sp.Eq(sp.Symbol(r"\mathrm{gap}|_{w_i = 1/\Sigma_i}"),
                            gap.subs({w[i]: 1 / cov[i] for i in range(n)}), evaluate=False)),
        confirm((b_meat / a_curv**2).subs({w[i]: 1 / cov[i] for i in range(n)}),
                1 / efficient, f"N = {n}: at w = 1/Sigma the variance B/A^2 is "
                "1/sum(J^2/Sigma), the smallest", method="together"),
    ]
    return gap, sum_of_squares, steps


@cache
def _aitken_steps() -> tuple[Step, ...]:
    """Matrix case, any dimension: ``A^-1 B A^-1 - (J^T Sigma^-1 J)^-1 = D^T Sigma D`` with
    ``D = W J A^-1 - Sigma^-1 J (J^T Sigma^-1 J)^-1``, proved in the free algebra of
    non-commuting symbols (so for every number of observations and parameters), then
    confirmed on an exact rational instance (3 observations, 2 parameters)."""
    k, p = sp.symbols("k p", integer=True, positive=True)
    jac, w, cov = (sp.MatrixSymbol("J", k, p), sp.MatrixSymbol("W", k, k),
                   sp.MatrixSymbol("Sigma", k, k))
    a = jac.T * w * jac
    b = jac.T * w * cov * w * jac
    e = jac.T * cov.inverse() * jac
    d = w * jac * a.inverse() - cov.inverse() * jac * e.inverse()
    # the transpose, with W, Sigma, A and E symmetric
    d_t = a.inverse() * jac.T * w - e.inverse() * jac.T * cov.inverse()
    expanded = sp.expand(d_t * cov * d)
    steps = [
        define("definitions: A = J^T W J, B = J^T W Sigma W J, E = J^T Sigma^-1 J, "
               "D = W J A^-1 - Sigma^-1 J E^-1 (J: k x p; W, Sigma: k x k; k, p symbolic)",
               sp.Eq(sp.Symbol("D"), d)),
        confirm(expanded, a.inverse() * b * a.inverse() - e.inverse(),
                "expanding D^T Sigma D, SymPy's matrix algebra cancels A^-1 A = E^-1 E = "
                "Sigma^-1 Sigma = I and leaves A^-1 B A^-1 - E^-1 (any k, p), so "
                "A^-1 B A^-1 - E^-1 = D^T Sigma D >= 0", method="expand",
                shown=sp.Eq(sp.MatMul(d_t, cov, d, evaluate=False),
                            a.inverse() * b * a.inverse() - e.inverse(), evaluate=False))
        .carrying(),
    ]
    jac_m = sp.Matrix([[1, 2], [0, 1], [3, -1]])
    w_m, cov_m = sp.diag(1, 2, 3), sp.diag(2, 1, 5)
    a_m, e_m = jac_m.T * w_m * jac_m, jac_m.T * cov_m.inv() * jac_m
    d_m = w_m * jac_m * a_m.inv() - cov_m.inv() * jac_m * e_m.inv()
    steps.append(confirm(a_m.inv() * (jac_m.T * w_m * cov_m * w_m * jac_m) * a_m.inv()
                         - e_m.inv(), d_m.T * cov_m * d_m,
                         "exact rational instance (N = 3, 2 parameters)", method="expand"))
    return tuple(steps)


def derive_c3(max_support: int = 6) -> Claim:
    """C3: Lagrange identity for supports of size ``2..max_support`` and the matrix case."""
    top = check_order(max_support, name="max_support", minimum=2)
    steps: list[Step] = [define("optimal weight = inverse conditional covariance",
                                sp.Eq(sp.Symbol("W^*_n"), sp.Symbol(r"1/\Sigma_n")))]
    for size in range(2, top + 1):
        steps.extend(lagrange_gap(size)[2])
    steps.extend(_aitken_steps())
    steps.extend(_sandwich_steps())
    return Claim(
        id="C3",
        title="The optimal weighting is the inverse conditional covariance",
        statement=sp.Eq(sp.Symbol("W^*_n(\\tilde{x})"),
                        sp.Symbol(r"\Sigma_n(\tilde{x})^{-1}")),
        steps=tuple(steps),
        parameters=("p",),
        assumptions=(
            "correctly specified model: the true parameter makes f_theta = m_n; W, Sigma "
            "symmetric positive definite, A = E[J^T W J] and E = E[J^T Sigma^-1 J] invertible",
            f"scalar case confirmed for supports of N = 2..{top} points (a finite-support "
            "expectation); the matrix (Aitken) identity with matrix symbols of symbolic sizes "
            "(any number of parameters p and observations k) and on an exact rational "
            "instance",
        ),
        numeric=("sandwich by quadrature", "weighted gradient by Monte Carlo"),
    )

"""Probabilists' Hermite polynomials, derived from the Gaussian density.

Small kernels (``hermite_e``, ``linearisation``) and one checking wrapper
(``square_linearisation``) that confirms the closed form of the coefficients.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._validation import check_order
from derive.claim import Step, confirm
from derive.symbols import E

__all__ = ["hermite_e", "linearisation", "square_linearisation"]


@cache
def hermite_e(n: int) -> sp.Expr:
    """``He_n(E)`` by Rodrigues' formula ``(-1)^n e^(E^2/2) d^n/dE^n e^(-E^2/2)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from derive.symbols import E
    >>> sp.expand(hermite_e(3) - (E**3 - 3 * E)) == 0
    True
    >>> all(sp.expand(hermite_e(k) - sp.hermite_prob(k, E)) == 0 for k in range(8))
    True
    """
    n = check_order(n, name="n", minimum=0)
    gauss = sp.exp(-(E**2) / 2)
    return sp.expand(sp.simplify((-1) ** n * sp.diff(gauss, E, n) / gauss))


def linearisation(poly: sp.Expr) -> dict[int, sp.Expr]:
    """Coefficients ``c_j`` of ``poly(E) = sum_j c_j He_j(E)`` (change of basis).

    Works from the top degree down: ``He_j`` is monic of degree ``j``, so the
    leading coefficient of what remains is the next ``c_j``.

    Examples
    --------
    >>> from derive.symbols import E
    >>> linearisation(E**2)
    {2: 1, 0: 1}
    """
    remainder = sp.Poly(sp.expand(poly), E)
    coefficients: dict[int, sp.Expr] = {}
    while not remainder.is_zero:
        degree = remainder.degree()
        lead = remainder.LC()
        coefficients[degree] = lead
        remainder = remainder - sp.Poly(lead * hermite_e(degree), E)
    return coefficients


@cache
def square_linearisation(n: int) -> tuple[dict[int, sp.Expr], tuple[Step, ...]]:
    """``He_n^2 = sum_k C(n,k)^2 k! He_(2n-2k)``: coefficients computed, closed form confirmed.

    Returns the coefficients ``{2n - 2k: C(n, k)^2 k!}`` found by change of basis,
    and the steps in which SymPy confirms (i) that they reproduce ``He_n^2`` and
    (ii) that they equal the closed form.

    Examples
    --------
    >>> coefficients, steps = square_linearisation(2)
    >>> coefficients
    {4: 1, 2: 4, 0: 2}
    >>> all(step.confirmed for step in steps)
    True
    """
    n = check_order(n, name="n", minimum=0)
    square = sp.expand(hermite_e(n) ** 2)
    found = linearisation(square)
    rebuilt = sum((c * hermite_e(j) for j, c in found.items()), sp.Integer(0))
    closed = {2 * n - 2 * k: sp.binomial(n, k) ** 2 * sp.factorial(k) for k in range(n + 1)}
    steps = [
        confirm(square, rebuilt, f"He_{n}^2 re-expanded in the Hermite basis", method="expand"),
    ]
    for j in sorted(closed, reverse=True):
        k = (2 * n - j) // 2
        steps.append(confirm(found.get(j, sp.Integer(0)), closed[j],
                             f"coefficient of He_{j} equals C({n},{k})^2 {k}!", method="expand"))
    extra = set(found) - set(closed)
    if extra:  # odd-degree terms would break the closed form
        steps.append(confirm(sum(found[j] for j in extra), 0, "no other Hermite terms"))
    return found, tuple(steps)

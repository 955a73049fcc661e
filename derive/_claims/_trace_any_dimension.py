"""C4 for a symbolic dimension ``d``: ``tr E[W*] = d sigma^2 + sigma^4 tr J(p) + O(sigma^8)``.

The same argument as in one dimension, with every step symbolic in ``d``:

* ``Sigma_1 = I/sigma^2 + H`` (``T_1 T_1^T = T_2 + I/sigma^2`` for ``d x 1`` matrix symbols, and
  C1 at orders 1 and 2), and ``W* = Sigma_1^-1 = sigma^2 I - sigma^4 H + sigma^6 H^2 +
  O(sigma^8)`` in the algebra of a ``d x d`` matrix symbol ``H``;
* ``E[tr H] = -tr J(p)``: the one-dimensional integration by parts in each coordinate,
  summed over ``i = 0..d-1``;
* along the heat flow ``p_t = Lap p / 2`` the time derivative of ``p |grad log p|^2`` is,
  by linearity, a sum over pairs ``(i, k)`` of the variation of ``p (d_i log p)^2`` in the
  direction ``d_k^2 p / 2``; for each pair SymPy finds a flux in the coordinates
  ``x_i, x_k`` alone (``i != k``) or ``x_i`` (``i = k``), so summed over the pairs
  ``d tr J(p_t)/dt = -E[||H_t||_F^2] = -E[tr H_t^2]``.

The pair identities are stated for a generic pair of coordinates: the functions depend on
``x_i`` and ``x_k`` only, the other coordinates being held fixed, which is what a partial
derivative does. The double sum over ``i, k`` in ``0..d-1`` then carries ``d``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._cache import disk_cached
from derive.claim import Step, confirm, define
from derive.symbols import sigma, t

__all__ = ["expected_trace_any_dimension"]

DIMENSION = sp.Symbol("d", integer=True, positive=True)


def _pair_flux(two: bool) -> tuple[sp.Expr, sp.Expr]:
    """``(variation + p l_ik^2, div F)`` for the pair ``(i, k)`` (``two``) or ``i = k``,
    with the flux ``F`` solved for by SymPy from a cubic ansatz in the jets of ``l``."""
    xi, xk = sp.symbols("x_i x_k", real=True)
    coords = (xi, xk) if two else (xi,)
    ell = sp.Function("ell" if two else "l")(*coords)  # log p, in the coordinates it uses
    p = sp.exp(ell)
    eps = sp.Symbol("epsilon")
    along = sp.diff(p, coords[-1], 2) / 2  # d_k^2 p / 2, the pair's share of Lap p / 2
    perturbed = p + eps * along
    variation = sp.diff(sp.diff(perturbed, xi) ** 2 / perturbed, eps).subs(eps, 0)
    lhs = variation + p * sp.diff(ell, xi, coords[-1]) ** 2
    first = [sp.diff(ell, c) for c in coords]
    second = [sp.diff(ell, a, b) for a in coords for b in coords]
    monomials = sorted({a * b for a in first for b in second}
                       | {a * b * c for a in first for b in first for c in first},
                       key=sp.default_sort_key)
    unknowns = [sp.symbols(f"c{j}_0:{len(monomials)}") for j in range(len(coords))]
    flux = [p * sum(c * m for c, m in zip(cs, monomials, strict=True)) for cs in unknowns]
    residual = sp.expand(sp.simplify((lhs - sum(sp.diff(f, c) for f, c in
                                                zip(flux, coords, strict=True))) / p))
    jets = sorted(residual.atoms(sp.Derivative), key=sp.default_sort_key, reverse=True)
    generic = sp.symbols(f"j0:{len(jets)}")
    poly = sp.Poly(residual.subs(dict(zip(jets, generic, strict=True))), *generic)
    flat = [c for cs in unknowns for c in cs]
    solutions = sp.solve(poly.coeffs(), flat, dict=True)
    if not solutions:
        return lhs, sp.S.Zero  # no flux: the confirm below then refutes the step
    chosen = {c: 0 for c in flat} | {c: v.subs({u: 0 for u in flat})
                                     for c, v in solutions[0].items()}
    found = [f.subs(chosen) for f in flux]
    return lhs, sum(sp.diff(f, c) for f, c in zip(found, coords, strict=True))


@cache
@disk_cached
def expected_trace_any_dimension() -> tuple[sp.Expr, tuple[Step, ...]]:
    """``tr E[W*] = d sigma^2 + sigma^4 tr J(p) + O(sigma^8)`` for a symbolic ``d``
    (Gaussian noise, n = 1): the expansion in ``Symbol("d")``, ``sigma`` and
    ``Symbol("trJ", positive=True)``, and its steps.

    Examples
    --------
    >>> result, steps = expected_trace_any_dimension()
    >>> sorted(map(str, result.free_symbols))
    ['d', 'sigma', 'trJ']
    """
    from derive._claims.c4_taylor import _moments_from_heat_flow, _term_by_term

    d = DIMENSION
    identity = sp.Identity(d)
    noise = sp.MatrixSymbol("E", d, 1)
    hess = sp.MatrixSymbol("H", d, d)
    t_1, t_2 = -noise / sigma, (noise * noise.T - identity) / sigma**2
    steps: list[Step] = [
        confirm(t_1 * t_1.T, t_2 + identity / sigma**2,
                "any d: T_1 T_1^T = E E^T/sigma^2 = T_2 + I/sigma^2, so by C1 at orders 1 "
                "and 2, Sigma_1 = E[T_1 T_1^T | x~] - m_1 m_1^T = I/sigma^2 + H with "
                "H = m_2 - m_1 m_1^T", method="expand"),
    ]
    xi, xj = sp.symbols("x_i x_j", real=True)
    p = sp.Function("p")(xi, xj)
    steps.append(confirm(sp.diff(sp.log(p), xi, xj),
                         sp.diff(p, xi, xj) / p - sp.diff(p, xi) * sp.diff(p, xj) / p**2,
                         "entry (i, j): d_i d_j log p = d_i d_j p / p - (d_i p / p)(d_j p / p), "
                         "so H is the Hessian of log p_sigma"))
    neumann = sigma**2 * (identity - sigma**2 * hess + sigma**4 * hess**2)
    steps.append(confirm((identity / sigma**2 + hess) * neumann,
                         identity + sigma**6 * hess**3,
                         "any d: (I/sigma^2 + H) sigma^2 (I - sigma^2 H + sigma^4 H^2) = "
                         "I + sigma^6 H^3, so W* = Sigma_1^-1 = sigma^2 I - sigma^4 H + "
                         "sigma^6 H^2 + O(sigma^8) (H a d x d matrix symbol)",
                         method="expand").carrying())
    steps.append(confirm(sp.Trace(neumann), d * sigma**2 - sigma**4 * sp.Trace(hess)
                         + sigma**6 * sp.Trace(hess**2),
                         "any d: tr W* = d sigma^2 - sigma^4 tr H + sigma^6 tr H^2 + "
                         "O(sigma^8)").carrying())
    i, k = sp.symbols("i k", integer=True, nonnegative=True)
    q = sp.Function("p")(xi)  # p as a function of the coordinate x_i, the others fixed
    steps.append(confirm(sp.Sum(q * sp.diff(sp.log(q), xi, 2), (i, 0, d - 1)),
                         sp.Sum(sp.diff(q, xi, 2) - q * sp.diff(sp.log(q), xi) ** 2,
                                (i, 0, d - 1)),
                         "any d: p tr Hess log p = sum_i [d_i^2 p - p (d_i log p)^2] = Lap p "
                         "- p |grad log p|^2 (each coordinate x_i as in one dimension); "
                         "integrating (int Lap p = 0), E[tr H] = -tr J(p)").carrying())
    diagonal, diagonal_flux = _pair_flux(False)
    pair, pair_flux = _pair_flux(True)
    delta = sp.KroneckerDelta(i, k)
    steps.append(confirm(
        sp.Sum(sp.Sum(delta * diagonal + (1 - delta) * pair, (k, 0, d - 1)), (i, 0, d - 1)),
        sp.Sum(sp.Sum(delta * diagonal_flux + (1 - delta) * pair_flux, (k, 0, d - 1)),
               (i, 0, d - 1)),
        "any d, heat flow p_t = Lap p / 2 = sum_k d_k^2 p / 2: d/dt [p |grad l|^2] + "
        "p ||Hess l||_F^2 = sum_(i,k) [variation of p (d_i l)^2 along d_k^2 p / 2 + p l_ik^2] "
        "= div F, with the flux of each pair (i, k) in x_i, x_k found by SymPy (i = k: the "
        "one-dimensional flux); integrating, d tr J(p_t)/dt = -E[||H_t||_F^2] = "
        "-E[tr H_t^2] (H symmetric)", method="expand").carrying())
    moments, fisher0, link, derived = _moments_from_heat_flow("tr")
    steps += [link, derived, _term_by_term()]
    eta = sp.Symbol("eta", real=True)  # tr of the matrix series, term by term
    series = sp.expand(sp.series(sigma**2 / (1 + sigma**2 * eta), sigma, 0, 10).removeO())
    expected = d * series.coeff(eta, 0) + sum(series.coeff(eta, power) * moments[power]
                                              for power in moments)
    expected = sp.expand(expected.subs(t, sigma**2))
    expected = sum(expected.coeff(sigma, j) * sigma**j for j in range(2, 9, 2))
    steps.append(define("any d: tr E[W*] = d sigma^2 + sigma^4 tr J(p_sigma) + sigma^6 "
                        "E[tr H_sigma^2] + O(sigma^8), with tr J(p_t) = trJ(0) - t trK(0) + "
                        "O(t^2)",
                        sp.Eq(sp.Symbol(r"\operatorname{tr}\mathbb{E}[W^*]"), expected)))
    steps.append(confirm(expected.coeff(sigma, 6), 0,
                         "any d: the sigma^6 coefficient vanishes: -trK(0) + trK(0) = 0",
                         shown=sp.Eq(sp.Symbol(r"[\sigma^6]\,\operatorname{tr}\mathbb{E}[W^*]"),
                                     expected.coeff(sigma, 6), evaluate=False)))
    trace_j = sp.Symbol("trJ", positive=True)
    result = d * sigma**2 + sigma**4 * trace_j
    steps.append(confirm(expected.coeff(sigma, 2) * sigma**2 + expected.coeff(sigma, 4)
                         * sigma**4, result.subs(trace_j, fisher0),
                         "any d: tr E[W*] = d sigma^2 + sigma^4 tr J(p) + 0 sigma^6 + "
                         "O(sigma^8)", method="expand").carrying())
    return result, tuple(steps)

"""Every SymPy symbol of the derivations, defined once.

``m(k)`` is the derivative ratio ``m_k = p_sigma^(k)(x~) / p_sigma(x~)`` at the
noisy point; ``m(0) = 1``. ``s`` is the score ``m_1`` and ``h`` is
``(log p_sigma)''`` at ``x~``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

__all__ = [
    "E",
    "J",
    "gamma",
    "h",
    "k_p2",
    "m",
    "nu",
    "ratio_symbols",
    "ratio_tensor",
    "s",
    "s_data",
    "sigma",
    "sigma_data",
    "t",
    "u",
    "x",
    "x_tilde",
]

sigma = sp.Symbol("sigma", positive=True)
"""Noise level ``sigma > 0``."""
x = sp.Symbol("x", real=True)
"""Clean data point."""
x_tilde = sp.Symbol("xt", real=True)
"""Noisy point ``x~``."""
E = sp.Symbol("E", real=True)
"""Standardised noise ``E = (x~ - x) / sigma``."""
u = sp.Symbol("u", positive=True)
"""Auxiliary integration variable."""
t = sp.Symbol("t", positive=True)
"""Heat-flow time ``t = sigma^2``."""
s = sp.Symbol("s", real=True)
"""Score ``m_1 = (log p_sigma)'`` at ``x~``."""
h = sp.Symbol("h", real=True)
"""Curvature ``(log p_sigma)''`` at ``x~``."""
J = sp.Symbol("J", positive=True)
"""Fisher information of the data (location family)."""
nu = sp.Symbol("nu", positive=True)
"""Student-t degrees of freedom."""
s_data = sp.Symbol("s_d", positive=True)
"""Standard deviation of Gaussian data ``N(mu, s_d^2)``."""
sigma_data = sp.Symbol("sigma_data", positive=True)
"""EDM's ``sigma_data``."""
gamma = sp.Symbol("gamma", positive=True)
"""Min-SNR-gamma / P2 exponent."""
k_p2 = sp.Symbol("k", positive=True)
"""P2's offset ``k``."""


@cache
def m(k: int) -> sp.Expr:
    """``m_k = p_sigma^(k) / p_sigma`` at ``x~`` (``m_0 = 1``)."""
    if k == 0:
        return sp.Integer(1)
    return sp.Symbol(f"m{k}", real=True)


@cache
def ratio_symbols(dim: int) -> tuple[sp.Matrix, sp.Matrix]:
    """Symbols for ``grad p_sigma / p_sigma`` (``d x 1``) and ``Hess p_sigma / p_sigma``
    (``d x d``, symmetric) at ``x~``.

    Entries are named ``m1_i`` and ``m2_i_j`` with ``i <= j``; ``m2_j_i`` is the same
    symbol as ``m2_i_j``.

    Parameters
    ----------
    dim : int
        The dimension ``d >= 1``.

    Returns
    -------
    (m1, m2) : tuple of sympy.ImmutableMatrix
        ``m1`` is ``d x 1``, ``m2`` is ``d x d`` and symmetric; all entries real symbols.

    Examples
    --------
    >>> m1, m2 = ratio_symbols(2)
    >>> m1.T
    Matrix([[m1_0, m1_1]])
    >>> m2[1, 0] == m2[0, 1] == sp.Symbol("m2_0_1", real=True)
    True
    """
    from derive._validation import check_order

    d = check_order(dim, name="dim")
    m1 = sp.ImmutableMatrix(d, 1, lambda i, _: sp.Symbol(f"m1_{i}", real=True))
    m2 = sp.ImmutableMatrix(d, d, lambda i, j: sp.Symbol(f"m2_{min(i, j)}_{max(i, j)}", real=True))
    return m1, m2


@cache
def ratio_tensor(dim: int, order: int) -> sp.ImmutableDenseNDimArray:
    """Symbols for ``D^order p_sigma / p_sigma`` at ``x~``: a symmetric ``d x ... x d`` array.

    The entry at ``(i, j, ...)`` is named ``m{order}_{i}_{j}...`` with the indices sorted,
    so orders 1 and 2 are the symbols of :func:`ratio_symbols`.

    Examples
    --------
    >>> m4 = ratio_tensor(2, 4)
    >>> m4[1, 0, 1, 0] == m4[0, 0, 1, 1] == sp.Symbol("m4_0_0_1_1", real=True)
    True
    >>> ratio_tensor(3, 2)[2, 1] == ratio_symbols(3)[1][1, 2]
    True
    """
    from itertools import product

    from derive._validation import check_order

    d = check_order(dim, name="dim")
    k = check_order(order, name="order")
    entries = [sp.Symbol(f"m{k}_" + "_".join(str(i) for i in sorted(index)), real=True)
               for index in product(range(d), repeat=k)]
    return sp.ImmutableDenseNDimArray(entries, (d,) * k)

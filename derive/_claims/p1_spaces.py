"""P1 — one weighting in every parameterisation.

With ``x_t = alpha x0 + sigma eps`` and every prediction mapped through one ``eps_hat``,
each per-sample squared error is ``k_X ||eps_hat - eps||^2``, so a weight converts as
``w_Y = w_X k_X / k_Y`` and the density form ``W(lambda) = p(t) w_X k_X |dt/dlambda|``
is the same loss written per unit ``lambda``. The steps are those of
:func:`derive.spaces.space_derivation` (``k_X`` for a general schedule and its
specialisations) and :func:`derive.weightings.weighting_derivation` (the zoo's
conversions, the optimum in every space and its Gaussian-data form).
"""

from __future__ import annotations

import sympy as sp

from derive.claim import Claim

__all__ = ["derive_p1"]

#: The names of P1's checks in ``dsmw verify`` (numeric/checks/p1_spaces.py).
_P1_CHECKS = ("schedules vs their definition", "conversion factors", "zoo definitions",
             "zoo conversions", "losses agree in expectation", "same minimiser",
             "density form")


def derive_p1() -> Claim:
    """P1 as a :class:`Claim` whose status is computed from the conversion steps."""
    from derive.spaces import space_derivation
    from derive.weightings import weighting_derivation

    k_x = sp.Symbol("k_X", positive=True)
    return Claim(
        id="P1",
        title="Weightings across parameterisations",
        statement=sp.Eq(sp.Symbol(r"\|\hat X - X\|^2"),
                        k_x * sp.Symbol(r"\|\hat\epsilon - \epsilon\|^2")),
        steps=(*space_derivation(), *weighting_derivation()),
        assumptions=(
            "x_t = alpha(t) x0 + sigma(t) eps with alpha, sigma > 0 differentiable and "
            "lambda = log(alpha^2/sigma^2) monotone in t; every prediction derived from one "
            "eps_hat",),
        numeric=_P1_CHECKS,
    )

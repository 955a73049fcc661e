"""Loss weightings of the literature, converted to score space, with their leading terms.

Conversions used (VE parametrisation ``x~ = x + sigma E``):
``||D - x||^2 = sigma^4 ||s - T_1||^2`` (denoiser), ``||eps_hat - eps||^2 =
sigma^2 ||s - T_1||^2`` (noise prediction), with ``SNR = sigma_data^2 / sigma^2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from derive.symbols import gamma, k_p2, s_data, sigma, sigma_data

__all__ = ["Weighting", "leading_term", "weightings"]

_sigma_min, _sigma_max, _time = sp.symbols("sigma_min sigma_max tau", positive=True)


@dataclass(frozen=True)
class Weighting:
    """A weighting ``lambda(sigma)`` of the first-order score loss ``||s - T_1||^2``."""

    name: str
    score_space: sp.Expr
    source: str
    native: str

    @property
    def leading(self) -> sp.Expr:
        """Leading term as ``sigma -> 0``."""
        return leading_term(self.score_space)


def leading_term(expr: sp.Expr) -> sp.Expr:
    """Leading term of ``expr`` as ``sigma -> 0+``.

    Examples
    --------
    >>> from derive.symbols import sigma
    >>> leading_term(sigma**2 + sigma**4)
    sigma**2
    """
    def small_sigma_branch(e: sp.Min) -> sp.Expr:
        # As sigma -> 0+ an argument that diverges (e.g. SNR) is never the minimum.
        finite = [a for a in e.args if sp.limit(a, sigma, 0, "+") is not sp.oo]
        return sp.Min(*finite) if finite else e

    resolved = expr.replace(lambda e: isinstance(e, sp.Min), small_sigma_branch)
    return sp.powsimp(resolved.as_leading_term(sigma), force=True)


@cache
def weightings() -> tuple[Weighting, ...]:
    """The weighting zoo, in score space."""
    snr = sigma_data**2 / sigma**2
    schedule = _sigma_min * (_sigma_max / _sigma_min) ** _time  # geometric VE schedule
    g_squared = sp.diff(schedule**2, _time)  # likelihood weighting: g(t)^2 = d sigma^2/dt
    likelihood = sp.simplify(g_squared.subs(_sigma_max, sp.Symbol("sigma_max", positive=True))
                             / schedule**2) * sigma**2
    return (
        Weighting("uniform", sp.Integer(1), "plain DSM", "1"),
        Weighting("heuristic (NCSN)", sigma**2, "Song & Ermon 2019", "sigma^2"),
        Weighting("optimal, Gaussian data", sigma**2 * (sigma**2 + s_data**2) / s_data**2,
                  "C7 (notes/theory.md)", "1/Sigma_1"),
        Weighting("EDM", (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2 * sigma**4,
                  "Karras et al. 2022", "(sigma^2 + sigma_data^2)/(sigma sigma_data)^2 on "
                  "||D - x||^2"),
        Weighting("Min-SNR-gamma", sp.Min(snr, gamma) * sigma**4,
                  "Hang et al. 2023", "min(SNR, gamma) on ||D - x||^2"),
        Weighting("P2", sigma**2 / (k_p2 + snr) ** gamma, "Choi et al. 2022",
                  "1/(k + SNR)^gamma on ||eps_hat - eps||^2"),
        Weighting("likelihood (VE)", likelihood, "Song et al. 2021",
                  "g(t)^2 = d sigma^2/dt, geometric schedule"),
    )


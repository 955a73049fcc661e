"""C5 — the expected conditional covariance is ``I_q/sigma^2 - J(p_sigma)``, any noise.

Law of total covariance: ``E[Var(T | X~)] = Var(T) - Var(E[T | X~])``. With
``T = psi(E)/sigma`` independent of ``X``: ``E[T] = E_q[psi]/sigma = 0`` (``int q' = 0``),
``E[T^2] = I_q/sigma^2``; and ``E[T | X~] = m_1`` (C1) with ``E[m_1] = int p_sigma' = 0``,
``E[m_1^2] = J(p_sigma)``. Order ``n`` (d = 1): ``E[T_n^2] = sigma^(-2n) E_q[(q^(n)/q)^2]``
(``= n!/sigma^(2n)`` for Gaussian noise) and ``E[T_n | X~] = m_n``.
"""

from __future__ import annotations

import sympy as sp

from derive._validation import check_order
from derive.claim import Claim, Step, confirm, define
from derive.noise import noise_family
from derive.symbols import sigma

__all__ = ["derive_c5", "expected_covariance", "fisher_information_of_noise"]

J_SIGMA = sp.Symbol(r"J(p_\sigma)", positive=True)


def fisher_information_of_noise(noise: str = "gaussian") -> sp.Expr:
    """``I_q`` by SymPy integration of ``q psi^2`` (e.g. 1, 1/3, (nu+1)/(nu+3)).

    Examples
    --------
    >>> fisher_information_of_noise("logistic")
    1/3
    """
    return noise_family(noise).fisher_information()


def expected_covariance(order: int = 1, noise: str = "gaussian") -> sp.Expr:
    """``E[Sigma_n(X~)]`` in terms of ``J(p_sigma)`` (n = 1) or ``E[m_n^2]`` (n > 1).

    Examples
    --------
    >>> from derive.symbols import sigma
    >>> expected_covariance(1, "logistic") == sp.Rational(1, 3) / sigma**2 - J_SIGMA
    True
    """
    n = check_order(order)
    family = noise_family(noise)
    second = family.score_moment(n) / sigma ** (2 * n)
    mean_square = J_SIGMA if n == 1 else sp.Symbol(rf"\mathbb{{E}}[m_{n}^2]", positive=True)
    return second - mean_square


def _noise_steps(noise: str) -> list[Step]:
    family = noise_family(noise)
    e = sp.Symbol("E", real=True)
    return [
        define(f"{noise}: psi(E) = q'(E)/q(E)", sp.Eq(sp.Function("psi")(e), family.psi())),
        confirm(family.normalisation(), 1, f"{noise}: q integrates to 1"),
        confirm(family.expectation(family.psi()), 0,
                f"{noise}: E_q[psi] = int q' = 0, so E[T_1] = 0"),
        define(f"{noise}: I_q = E_q[psi^2] by integration",
               sp.Eq(sp.Symbol(r"I_q"), family.fisher_information())),
    ]


def derive_c5(max_order: int = 4) -> Claim:
    """C5 for Gaussian, logistic and Student-t (symbolic ``nu``) noise, orders 1..max_order."""
    top = check_order(max_order, name="max_order")
    total_var, cond_mean_var = sp.symbols(r"\operatorname{Var}(T) "
                                          r"\operatorname{Var}(\mathbb{E}[T|\tilde{x}])")
    steps: list[Step] = [define("law of total covariance",
                                sp.Eq(sp.Symbol(r"\mathbb{E}[\Sigma_1]"),
                                      total_var - cond_mean_var))]
    steps.append(define("E[m_1] = int p_sigma' = 0, so Var(E[T | X~]) = E[m_1^2] = J(p_sigma)",
                        sp.Eq(cond_mean_var, J_SIGMA)))
    claimed = {"gaussian": sp.Integer(1), "logistic": sp.Rational(1, 3),
               "student_t": (sp.Symbol("nu", positive=True) + 1)
               / (sp.Symbol("nu", positive=True) + 3)}
    for noise, expected in claimed.items():
        steps.extend(_noise_steps(noise))
        steps.append(confirm(fisher_information_of_noise(noise), expected,
                             f"{noise}: I_q = {expected}"))
    gaussian = noise_family("gaussian")
    for n in range(1, top + 1):
        steps.append(confirm(gaussian.score_moment(n), sp.factorial(n),
                             f"Gaussian noise: E_q[(q^({n})/q)^2] = E[He_{n}^2] = {n}!"))
    return Claim(
        id="C5",
        title="Expected conditional covariance, noise-agnostic",
        statement=sp.Eq(sp.Symbol(r"\mathbb{E}[\Sigma_1(\tilde{X})]"),
                        sp.Symbol("I_q") / sigma**2 - J_SIGMA),
        steps=tuple(steps),
        proved=all(s.confirmed is not False for s in steps),
        assumptions=("finite I_q and J(p_sigma); E[m_1] = 0 needs p_sigma to vanish at "
                     "infinity",),
        numeric=("E[Sigma_1] by quadrature / Monte Carlo against I_q/sigma^2 - J(p_sigma), "
                 "Gaussian, logistic and Student-t noise (numeric)",),
        results={f"I_q[{k}]": fisher_information_of_noise(k) for k in claimed},
    )

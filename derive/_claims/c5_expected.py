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
from derive.claim import Claim, Step, assume, confirm, define
from derive.noise import noise_family
from derive.symbols import E, sigma, x, x_tilde

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
    >>> from derive.symbols import E, sigma, x, x_tilde
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
    psi = family.psi()
    return [
        define(f"{noise}: psi(E) = q'(E)/q(E)", sp.Eq(sp.Function("psi")(e), psi)),
        confirm(family.normalisation(), 1, f"{noise}: q integrates to 1"),
        confirm(family.expectation(psi), 0, f"{noise}: E_q[psi] = int q' = 0, so E[T_1] = 0"),
        confirm(family.expectation((psi / sigma) ** 2), family.fisher_information() / sigma**2,
                f"{noise}: E[T_1^2] = E_q[(psi/sigma)^2] = I_q/sigma^2 (E independent of X)"),
    ]


def _total_variance_steps() -> list[Step]:
    """``E[Var(T | X~)] = E[T^2] - E[E[T | X~]^2]`` from the tower property, any order."""
    cond_second, cond_mean = sp.Function("a"), sp.Function("b")  # E[T^2 | x~], E[T | x~]
    xt = sp.Symbol("X~")
    second, mean_square = sp.symbols(r"\mathbb{E}[T^2] \mathbb{E}[m^2]", real=True)
    tower = sp.Function(r"\mathbb{E}")
    # E is linear; the tower property gives E[E[T^2 | X~]] = E[T^2]; E[m] = E[E[T | X~]^2].
    expected_conditional_variance = tower(cond_second(xt)) - tower(cond_mean(xt) ** 2)
    return [
        assume("tower property of conditional expectation: E[E[f(T) | X~]] = E[f(T)]",
               sp.Eq(tower(cond_second(xt)), second)),
        confirm(expected_conditional_variance.subs({tower(cond_second(xt)): second,
                                                    tower(cond_mean(xt) ** 2): mean_square}),
                second - mean_square,
                "law of total covariance: E[Sigma_n] = E[E[T_n^2 | X~] - m_n^2] = "
                "E[T_n^2] - E[m_n^2] (linearity and the tower property; for any target T, "
                "so for every order)", method="expand"),
    ]


def _any_order_steps() -> list[Step]:
    """Any noise, any order, by induction: ``D^n q_sigma = sigma^(-n-1) q^(n)((x~ - x)/sigma)``."""
    n = sp.Symbol("n", integer=True, nonnegative=True)
    q = sp.Function("q")
    z = sp.Symbol("z", real=True)
    at = (x_tilde - x) / sigma

    def nth(k: sp.Expr) -> sp.Expr:
        """``sigma^(-k-1) q^(k)((x~ - x)/sigma)``, the claimed k-th x~-derivative of q_sigma."""
        return sigma ** (-k - 1) * sp.Subs(sp.Derivative(q(z), (z, k)), z, at)

    ratio = sp.Symbol(r"\frac{q^{(n)}}{q}(E)", real=True)
    return [
        confirm(q(at) / sigma, nth(sp.Integer(0)).doit(),
                "induction, n = 0: q_sigma(x~ | x) = q((x~ - x)/sigma)/sigma").carrying(),
        confirm(sp.diff(nth(n), x_tilde), nth(n + 1),
                "induction step, any n: d/dx~ [sigma^(-n-1) q^(n)((x~ - x)/sigma)] = "
                "sigma^(-n-2) q^(n+1)((x~ - x)/sigma); so T_n = d^n q_sigma / q_sigma = "
                "sigma^(-n) q^(n)(E)/q(E) for every n").carrying(),
        confirm((sigma ** (-n) * ratio) ** 2, sigma ** (-2 * n) * ratio**2,
                "any n: T_n^2 = sigma^(-2n) (q^(n)/q)(E)^2 and E ~ q is independent of X, so "
                "E[T_n^2] = sigma^(-2n) E_q[(q^(n)/q)^2]; with the law of total covariance, "
                "E[Sigma_n] = sigma^(-2n) E_q[(q^(n)/q)^2] - E[m_n^2]", method="expand")
        .carrying(),
    ]


def _order_n_steps(top: int) -> list[Step]:
    """Any noise: ``T_n = sigma^-n q^(n)(E)/q(E)``; Gaussian noise: ``E_q[(q^(n)/q)^2] = n!``."""
    q = sp.Function("q")
    steps: list[Step] = []
    gaussian = noise_family("gaussian")
    for n in range(1, top + 1):
        kernel = q((x_tilde - x) / sigma) / sigma
        t_n = (sp.diff(kernel, x_tilde, n) / kernel).subs(x_tilde, x + sigma * E).doit()
        claimed = sp.diff(q(E), E, n) / q(E) / sigma**n
        steps.append(confirm(sp.simplify(t_n), claimed,
                             f"any noise: T_{n} = q^({n})(E) / (sigma^{n} q(E)), so "
                             f"E[T_{n}^2] = sigma^(-{2 * n}) E_q[(q^({n})/q)^2]").at(n=n))
        steps.append(confirm(gaussian.score_moment(n), sp.factorial(n),
                             f"Gaussian noise: E_q[(q^({n})/q)^2] = E[He_{n}^2] = {n}!").at(n=n))
        mean_square = sp.Symbol(rf"\mathbb{{E}}[m_{n}^2]", positive=True)
        steps.append(confirm(expected_covariance(n, "gaussian"),
                             gaussian.score_moment(n) / sigma ** (2 * n)
                             - (J_SIGMA if n == 1 else mean_square),
                             f"order {n}, Gaussian noise: E[Sigma_{n}] = sigma^(-{2 * n}) "
                             f"E_q[(q^({n})/q)^2] - E[m_{n}^2] = {sp.factorial(n)}/sigma^{2 * n} "
                             f"- E[m_{n}^2]", method="expand").at(n=n))
    return steps


def derive_c5(max_order: int = 4) -> Claim:
    """C5 for Gaussian, logistic and Student-t (symbolic ``nu``) noise, orders 1..max_order."""
    top = check_order(max_order, name="max_order")
    steps: list[Step] = _total_variance_steps()
    p_sigma = sp.Function("p_sigma")(x_tilde)
    score = sp.Symbol("m_1", real=True)
    steps.append(confirm((score * p_sigma).subs(score, sp.diff(p_sigma, x_tilde) / p_sigma),
                         sp.diff(p_sigma, x_tilde),
                         "E[m_1] = int m_1 p_sigma = int p_sigma' = 0 (p_sigma vanishes at "
                         "infinity) and E[m_1^2] = J(p_sigma) by definition"))
    claimed = {"gaussian": sp.Integer(1), "logistic": sp.Rational(1, 3),
               "student_t": (sp.Symbol("nu", positive=True) + 1)
               / (sp.Symbol("nu", positive=True) + 3)}
    for noise, expected in claimed.items():
        steps.extend(_noise_steps(noise))
        steps.append(confirm(fisher_information_of_noise(noise), expected,
                             f"{noise}: I_q = {expected}"))
        steps.append(confirm(expected_covariance(1, noise),
                             noise_family(noise).expectation(noise_family(noise).psi() ** 2)
                             / sigma**2 - J_SIGMA,
                             f"{noise}: E[Sigma_1] = E[T_1^2] - E[m_1^2] = I_q/sigma^2 - "
                             "J(p_sigma)", method="expand").at(n=1))
    steps.extend(_any_order_steps())
    steps.extend(_order_n_steps(top))
    n_symbol = sp.Symbol("n", integer=True, positive=True)
    return Claim(
        id="C5",
        title="Expected conditional covariance, noise-agnostic",
        statement=sp.Eq(sp.Symbol(r"\mathbb{E}[\Sigma_n(\tilde{X})]"),
                        sigma ** (-2 * n_symbol)
                        * sp.Symbol(r"\mathbb{E}_q[(q^{(n)}/q)^2]")
                        - sp.Symbol(r"\mathbb{E}[m_n^2]")),
        steps=tuple(steps),
        parameters=("n",),
        assumptions=("d = 1; finite I_q, E_q[(q^(n)/q)^2] and J(p_sigma); E[m_1] = 0 needs "
                     "p_sigma to vanish at infinity",
                     "any order n and any noise (abstract q): the general form, by induction on "
                     f"n; its n = 1 value I_q/sigma^2 - J(p_sigma) for Gaussian, logistic and "
                     f"Student-t noise; the Gaussian value n!/sigma^(2n) - E[m_n^2] for "
                     f"n = 1..{top}"),
        numeric=("expected covariance, order n", "expected covariance, any noise",
                 "expected covariance by joint draws"),
        results={f"I_q[{k}]": fisher_information_of_noise(k) for k in claimed},
    )

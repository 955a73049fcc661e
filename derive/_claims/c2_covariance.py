"""C2 — the conditional covariance of the DSM target is heteroskedastic.

Gaussian noise, d = 1, order n: ``T_n = (-1)^n He_n(E) / sigma^n``, so
``T_n^2 = He_n(E)^2 / sigma^(2n) = sum_j c_j He_j(E) / sigma^(2n)`` by the Hermite
linearisation, and C1 at order ``j`` gives ``E[He_j(E) | x~] = (-1)^j sigma^j m_j``.
Hence ``Sigma_n = sum_j c_j (-1)^j sigma^(j - 2n) m_j - m_n^2``, a function of
``x~`` (through the ``m_j``) and of ``sigma``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._validation import InvalidArgumentError, check_order
from derive.claim import Claim, Step, confirm, define
from derive.hermite import square_linearisation
from derive.symbols import E, h, m, sigma, x, x_tilde

__all__ = [
    "conditional_covariance",
    "covariance_steps",
    "curvature_in_ratios",
    "derive_c2",
    "matrix_covariance_steps",
]

COV_PSI = sp.Symbol(r"\operatorname{Cov}[\psi(E) \mid \tilde{x}]", positive=True)
"""``Cov[psi(E) | x~]`` under the posterior, for non-Gaussian noise."""


@cache
def _gaussian_covariance(n: int) -> tuple[sp.Expr, tuple[Step, ...]]:
    coefficients, lin_steps = square_linearisation(n)
    second_moment = sum(
        (c * (-1) ** j * sigma**j * m(j) for j, c in coefficients.items()), sp.Integer(0)
    ) / sigma ** (2 * n)
    covariance = sp.expand(second_moment - m(n) ** 2)
    closed = sum(
        (sp.binomial(n, k) ** 2 * sp.factorial(k) * sigma ** (-2 * k) * m(2 * n - 2 * k)
         for k in range(n + 1)), sp.Integer(0)) - m(n) ** 2
    steps = (
        *lin_steps,
        define(f"E[T_{n}^2 | x~] by C1 applied to each He_j (E[He_j(E) | x~] = (-1)^j "
               f"sigma^j m_j)", sp.Eq(sp.Symbol(rf"\mathbb{{E}}[T_{n}^2 \mid \tilde{{x}}]"),
                                       second_moment)),
        confirm(covariance, closed,
                f"Sigma_{n} = sum_k C({n},k)^2 k! sigma^(-2k) m_(2{n}-2k) - m_{n}^2",
                method="expand"),
    )
    return covariance, steps


def conditional_covariance(order: int = 1, noise: str = "gaussian") -> sp.Expr:
    """``Sigma_n(x~) = Var[T_n | x~]`` (d = 1) in ``sigma`` and the ratios ``m_k``.

    For non-Gaussian noise only ``order = 1`` is available, as
    ``Cov[psi(E) | x~] / sigma^2``.

    Examples
    --------
    >>> from derive.symbols import m, sigma
    >>> conditional_covariance(1) == 1 / sigma**2 + m(2) - m(1) ** 2
    True
    """
    n = check_order(order)
    if noise == "gaussian":
        return _gaussian_covariance(n)[0]
    from derive.noise import noise_family

    noise_family(noise)  # validates the name
    if n != 1:
        raise InvalidArgumentError("order", order,
                                   f"closed forms for {noise} noise exist for order 1 only",
                                   "use order=1, or Gaussian noise for higher orders")
    return COV_PSI / sigma**2


def covariance_steps(order: int) -> tuple[Step, ...]:
    """The derivation steps of :func:`conditional_covariance` (Gaussian noise)."""
    return _gaussian_covariance(check_order(order))[1]


def curvature_in_ratios() -> tuple[sp.Expr, Step]:
    """``h = (log p_sigma)''`` in derivative ratios: ``m_2 - m_1^2``."""
    p = sp.Function("p_sigma")
    second = sp.diff(sp.log(p(x_tilde)), x_tilde, 2)
    ratios = {sp.Derivative(p(x_tilde), (x_tilde, 2)): m(2) * p(x_tilde),
              sp.Derivative(p(x_tilde), x_tilde): m(1) * p(x_tilde)}
    in_ratios = sp.simplify(second.subs(ratios))
    return in_ratios, confirm(in_ratios, m(2) - m(1) ** 2,
                              "h = (log p_sigma)'' = m_2 - m_1^2")


def matrix_covariance_steps() -> list[Step]:
    """d = 2: ``Sigma_1 = I/sigma^2 + m_2 - m_1 m_1^T = I/sigma^2 + H`` (Hessian of log p)."""
    x1, x2 = sp.symbols("xt1 xt2", real=True)
    p = sp.Function("p_sigma")(x1, x2)
    coords = (x1, x2)
    m1 = sp.Matrix([sp.diff(p, v) / p for v in coords])
    m2 = sp.Matrix(2, 2, lambda i, j: sp.diff(p, coords[i], coords[j]) / p)
    hessian = sp.hessian(sp.log(p), coords)
    # E[T_1 T_1^T] = E[E E^T]/sigma^2 = E[T_2] + I/sigma^2 = m_2 + I/sigma^2 (C1 at order 2)
    covariance = sp.eye(2) / sigma**2 + m2 - m1 * m1.T
    return [
        define("d = 2: E[T_1 T_1^T | x~] = E[T_2 | x~] + I/sigma^2 = m_2 + I/sigma^2 (C1)",
               sp.Eq(sp.Symbol(r"\Sigma_1"), covariance, evaluate=False)),
        confirm(covariance, sp.eye(2) / sigma**2 + hessian,
                "d = 2: Sigma_1 = I/sigma^2 + H_sigma (Hessian of log p_sigma)"),
    ]


def general_noise_steps() -> list[Step]:
    """Any noise, n = 1: ``T_1 = psi(E)/sigma`` so ``Sigma_1 = Cov[psi(E) | x~]/sigma^2``."""
    q = sp.Function("q")
    t_1 = sp.diff(sp.log(q((x_tilde - x) / sigma) / sigma), x_tilde)
    psi = sp.Function("psi")
    in_noise = sp.simplify(t_1.subs(x_tilde, x + sigma * E).doit())
    claimed = sp.Derivative(q(E), E) / q(E) / sigma
    return [
        confirm(in_noise, claimed, "any noise: T_1 = q'(E)/(sigma q(E)) = psi(E)/sigma"),
        define("so Sigma_1 = Var[psi(E)/sigma | x~] = Cov[psi(E) | x~]/sigma^2",
               sp.Eq(sp.Symbol(r"\Sigma_1"), COV_PSI / sigma**2)),
        define("(psi as a function)", sp.Eq(psi(E), sp.Derivative(q(E), E) / q(E))),
    ]


def posterior_form_step() -> Step:
    """``T_1 = (X - x~)/sigma^2`` is affine in ``X``: ``Sigma_1 = Cov[X | x~] / sigma^4``."""
    mean_x, second_x = sp.symbols(r"\mathbb{E}[X] \mathbb{E}[X^2]", real=True)
    # Var[a + b X] = b^2 (E[X^2] - E[X]^2) with a = -x~/sigma^2, b = 1/sigma^2.
    a, b = -x_tilde / sigma**2, 1 / sigma**2
    variance = sp.expand(a**2 + 2 * a * b * mean_x + b**2 * second_x - (a + b * mean_x) ** 2)
    return confirm(variance, (second_x - mean_x**2) / sigma**4,
                   "Gaussian noise: Sigma_1 = Var[(X - x~)/sigma^2 | x~] = Cov[X | x~]/sigma^4",
                   method="expand")


def derive_c2(max_order: int = 4) -> Claim:
    """C2 for orders ``1..max_order`` with the n = 1 special forms."""
    top = check_order(max_order, name="max_order")
    steps: list[Step] = []
    for n in range(1, top + 1):
        steps.extend(covariance_steps(n))
    h_form, h_step = curvature_in_ratios()
    steps.append(h_step)
    steps.append(confirm(conditional_covariance(1), 1 / sigma**2 + h_form,
                         "n = 1: Sigma_1 = 1/sigma^2 + h", method="expand"))
    steps.append(posterior_form_step())
    steps.extend(matrix_covariance_steps())
    steps.extend(general_noise_steps())
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    general = sp.Sum(sp.binomial(n, k) ** 2 * sp.factorial(k) * sigma ** (-2 * k)
                     * sp.Symbol("m_{2n-2k}"), (k, 0, n)) - sp.Symbol("m_n") ** 2
    return Claim(
        id="C2",
        title="Heteroskedasticity: the conditional covariance of the target",
        statement=sp.Eq(sp.Symbol(r"\Sigma_n(\tilde{x})"), general),
        steps=tuple(steps),
        proved=all(s.confirmed is not False for s in steps),
        assumptions=(
            "Gaussian noise, d = 1 for general n (confirmed for n = 1.."
            f"{top}); d = 2 matrix form and general-noise n = 1 form shown separately",
            "Sigma_1 = 1/sigma^2 + h varies with x~ unless h is constant, i.e. unless "
            "p_sigma is Gaussian; it always varies with sigma",
        ),
        numeric=("Sigma_n against exact posterior moments of He_n, Monte Carlo, and "
                 "mpmath quadrature for logistic / Student-t noise (numeric)",),
        results={"Sigma_1": conditional_covariance(1), "h": h},
    )

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

from derive._cache import disk_cached
from derive._errors import InvalidArgumentError
from derive._validation import check_order
from derive.claim import ANY, Claim, Step, assume, confirm, define
from derive.hermite import hermite_e, square_linearisation
from derive.symbols import E, h, m, ratio_symbols, sigma, x, x_tilde

__all__ = [
    "conditional_covariance",
    "conditional_covariance_matrix",
    "curvature_in_ratios",
    "derive_c2",
]

GENERAL_N_ORDERS = 8
"""The general-n formula is confirmed at least for n = 1..8 (about 1.5 s), whatever max_order."""

COV_PSI = sp.Symbol(r"\operatorname{Cov}[\psi(E) \mid \tilde{x}]", positive=True)
"""``Cov[psi(E) | x~]`` under the posterior, for non-Gaussian noise."""


@cache
def _conditional_noise_moments(top: int) -> tuple[sp.Expr, ...]:
    """``E[E^k | x~]`` for ``k = 0..top`` (Gaussian noise, d = 1), from C1 alone.

    C1 at order ``k`` with ``T_k = (-1)^k He_k(E)/sigma^k`` gives
    ``E[He_k(E) | x~] = (-1)^k sigma^k m_k``; ``He_k`` is monic of degree ``k``, so
    ``E[E^k | x~] = (-1)^k sigma^k m_k - E[He_k(E) - E^k | x~]``, a recursion on ``k``.
    """
    moments: list[sp.Expr] = [sp.Integer(1)]
    for k in range(1, top + 1):
        lower = sp.Poly(sp.expand(hermite_e(k) - E**k), E)
        rest = sum((c * moments[j] for (j,), c in lower.terms()), sp.Integer(0))
        moments.append(sp.expand((-1) ** k * sigma**k * m(k) - rest))
    return tuple(moments)


def _conditional_expectation(poly: sp.Expr) -> sp.Expr:
    """``E[poly(E) | x~]`` by linearity from :func:`_conditional_noise_moments`."""
    terms = sp.Poly(sp.expand(poly), E).terms()
    top = max((k for (k,), _ in terms), default=0)
    moments = _conditional_noise_moments(top)
    return sp.expand(sum((c * moments[k] for (k,), c in terms), sp.Integer(0)))


@cache
@disk_cached
def _gaussian_covariance(n: int) -> tuple[sp.Expr, tuple[Step, ...]]:
    coefficients, lin_steps = square_linearisation(n)
    second_moment = sum(
        (c * (-1) ** j * sigma**j * m(j) for j, c in coefficients.items()), sp.Integer(0)
    ) / sigma ** (2 * n)
    covariance = sp.expand(second_moment - m(n) ** 2)
    closed = sum(
        (sp.binomial(n, k) ** 2 * sp.factorial(k) * sigma ** (-2 * k) * m(2 * n - 2 * k)
         for k in range(n + 1)), sp.Integer(0)) - m(n) ** 2
    # Independently of the linearisation: the conditional moments of E from C1, applied to
    # the polynomial T_n^2 = He_n(E)^2 / sigma^(2n).
    by_moments = _conditional_expectation(hermite_e(n) ** 2) / sigma ** (2 * n)
    tag = {"n": n, "d": 1}
    steps = (
        *(step.at(**tag) for step in lin_steps),
        confirm(by_moments, second_moment,
                f"E[T_{n}^2 | x~]: the conditional moments E[E^k | x~] from C1 (orders "
                f"1..{2 * n}) applied to He_{n}(E)^2 / sigma^{2 * n} agree with C1 applied to "
                f"each He_j of the linearisation", method="expand").at(**tag),
        confirm(covariance, closed,
                f"n = {n}: Sigma_n = sum_k C(n,k)^2 k! sigma^(-2k) m_(2n-2k) - m_n^2",
                method="expand").at(**tag),
    )
    return covariance, steps


@cache
def order_n_covariance() -> tuple[sp.Symbol, sp.Symbol, sp.IndexedBase, sp.Expr]:
    """``(n, k, m, Sigma_n)`` with ``Sigma_n = sum_k C(n,k)^2 k! sigma^(-2k) m[2n-2k] - m[n]^2``
    for a symbolic order ``n`` (Gaussian noise, d = 1), the form :func:`_any_order_steps`
    confirms; ``m[j]`` is the ratio ``p_sigma^(j) / p_sigma`` at every order."""
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    ratio = sp.IndexedBase("m")
    closed = sp.Sum(sp.binomial(n, k) ** 2 * sp.factorial(k) * sigma ** (-2 * k)
                    * ratio[2 * n - 2 * k], (k, 0, n))
    return n, k, ratio, closed - ratio[n] ** 2


def _any_order_steps() -> tuple[Step, ...]:
    """Gaussian noise, d = 1, every order n at once (n symbolic).

    The Hermite linearisation from the generating function, coefficient extraction as a
    named rule, and ``Sigma_n`` from it with C1 at every order. The per-n steps
    (:func:`_gaussian_covariance`) compare the result with the public formula.
    """
    n, k, ratio, covariance = order_n_covariance()
    j = sp.Symbol("j", integer=True, nonnegative=True)
    s_, t_ = sp.symbols("s t", real=True)
    he = sp.Function("He")  # He(j, x): the probabilists' Hermite polynomial of degree j

    def generating(u: sp.Expr) -> sp.Expr:
        return sp.exp(x * u - u**2 / 2)

    coefficient = (sp.factorial(n) ** 2 * sp.binomial(2 * n - 2 * k, n - k)
                   / (sp.factorial(2 * n - 2 * k) * sp.factorial(k)))
    linearisation = sp.binomial(n, k) ** 2 * sp.factorial(k)
    moment = sp.Function(r"\mathbb{E}[He_j(E) \mid \tilde{x}]")
    via_c1 = sp.solve(sp.Eq((-1) ** j * moment(j) / sigma**j, ratio[j]), moment(j))[0]
    second = sp.Sum(linearisation * via_c1.subs(j, 2 * n - 2 * k), (k, 0, n)) / sigma ** (2 * n)
    return (
        confirm(generating(s_) * generating(t_), generating(s_ + t_) * sp.exp(s_ * t_),
                "generating function of He_j: exp(x s - s^2/2) exp(x t - t^2/2) = "
                "exp(x (s+t) - (s+t)^2/2) exp(s t)"),
        assume("coefficient extraction (formal power series): with exp(x u - u^2/2) = "
               "sum_j He_j(x) u^j / j!, the coefficient of s^n t^n is He_n(x)^2/(n!)^2 on the "
               "left and sum_k C(2n-2k, n-k) He_(2n-2k)(x) / ((2n-2k)! k!) on the right "
               "(only j = 2n - 2k contributes s^n t^n to (s+t)^j (s t)^k)",
               sp.Eq(he(n, x) ** 2 / sp.factorial(n) ** 2,
                     sp.Sum(sp.binomial(2 * n - 2 * k, n - k) * he(2 * n - 2 * k, x)
                            / (sp.factorial(2 * n - 2 * k) * sp.factorial(k)), (k, 0, n)))),
        confirm(coefficient, linearisation,
                "any n: (n!)^2 C(2n-2k, n-k)/((2n-2k)! k!) = C(n,k)^2 k!, so "
                "He_n^2 = sum_k C(n,k)^2 k! He_(2n-2k) (the linearisation, n and k symbolic)")
        .at(d=1).carrying(),
        confirm(sigma ** (-n) * (-1) ** n * he(n, E), (-1) ** n * he(n, E) / sigma**n,
                "any n: T_n = sigma^(-n) q^(n)(E)/q(E) (C5's induction, any noise) and, for "
                "Gaussian q, q^(n)/q = (-1)^n He_n by Rodrigues' formula (the definition of "
                "He_n), so T_n = (-1)^n He_n(E)/sigma^n", method="expand").at(d=1),
        confirm((-1) ** j * via_c1 / sigma**j, ratio[j],
                "any j: C1 (E[T_j | x~] = m_j) with T_j = (-1)^j He_j(E)/sigma^j gives "
                "E[He_j(E) | x~] = (-1)^j sigma^j m_j", method="expand").at(d=1),
        confirm(second - ratio[n] ** 2, covariance,
                "any n: Sigma_n = E[T_n^2 | x~] - m_n^2 = sigma^(-2n) sum_k C(n,k)^2 k! "
                "E[He_(2n-2k)(E) | x~] - m_n^2 = sum_k C(n,k)^2 k! sigma^(-2k) m_(2n-2k) - "
                "m_n^2 (n symbolic)").at(d=1).carrying(),
    )


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


def _covariance_steps(order: int) -> tuple[Step, ...]:
    """The derivation steps of :func:`conditional_covariance` (Gaussian noise)."""
    return _gaussian_covariance(check_order(order))[1]


@cache
def curvature_in_ratios() -> tuple[sp.Expr, Step]:
    """``h = (log p_sigma)''`` in derivative ratios: ``m_2 - m_1^2``."""
    p = sp.Function("p_sigma")
    second = sp.diff(sp.log(p(x_tilde)), x_tilde, 2)
    ratios = {sp.Derivative(p(x_tilde), (x_tilde, 2)): m(2) * p(x_tilde),
              sp.Derivative(p(x_tilde), x_tilde): m(1) * p(x_tilde)}
    in_ratios = sp.simplify(second.subs(ratios))
    return in_ratios, confirm(in_ratios, m(2) - m(1) ** 2,
                              "h = (log p_sigma)'' = m_2 - m_1^2").at(d=1)


def _gaussian_targets(dim: int) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, list[Step]]:
    """``T_1`` and ``T_2`` of the d-dimensional Gaussian kernel, in the noise ``E``."""
    xs = sp.symbols(f"x0:{dim}", real=True)
    ts = sp.symbols(f"xt0:{dim}", real=True)
    es = sp.symbols(f"E0:{dim}", real=True)
    kernel = (sp.exp(-sum((ts[i] - xs[i]) ** 2 for i in range(dim)) / (2 * sigma**2))
              / (2 * sp.pi * sigma**2) ** sp.Rational(dim, 2))
    back = {ts[i]: xs[i] + sigma * es[i] for i in range(dim)}
    noise = sp.Matrix(es)
    t_1 = sp.Matrix([sp.simplify((sp.diff(kernel, v) / kernel).subs(back)) for v in ts])
    t_2 = sp.Matrix(dim, dim, lambda i, j: sp.simplify(
        (sp.diff(kernel, ts[i], ts[j]) / kernel).subs(back)))
    identity = sp.eye(dim)
    steps = [
        confirm(t_1, -noise / sigma, f"d = {dim}, Gaussian noise: T_1 = grad q_sigma / q_sigma "
                "= -E/sigma", method="expand").at(d=dim),
        confirm(t_2, (noise * noise.T - identity) / sigma**2,
                f"d = {dim}, Gaussian noise: T_2 = Hess q_sigma / q_sigma = (E E^T - I)/sigma^2",
                method="expand").at(d=dim),
    ]
    return noise, t_1, t_2, steps


@cache
@disk_cached
def _matrix_covariance(dim: int) -> tuple[sp.ImmutableMatrix, tuple[Step, ...]]:
    """``Sigma_1`` in d dimensions, derived from C1 at orders 1 and 2."""
    noise, t_1, t_2, steps = _gaussian_targets(dim)
    m1, m2 = ratio_symbols(dim)
    identity = sp.eye(dim)
    # The conditional expectation given x~ is linear; its values on E_i and E_i E_j are the
    # unknowns, fixed by C1: E[T_1 | x~] = m_1 and E[T_2 | x~] = m_2.
    first = sp.Matrix(dim, 1, lambda i, _: sp.Symbol(f"mu_{i}"))
    second = sp.Matrix(dim, dim, lambda i, j: sp.Symbol(f"M_{min(i, j)}_{max(i, j)}"))
    monomials = {**{noise[i]: first[i] for i in range(dim)},
                 **{noise[i] * noise[j]: second[i, j] for i in range(dim) for j in range(dim)}}

    def expectation(poly: sp.Expr) -> sp.Expr:
        """Apply the (linear) conditional expectation to a polynomial of degree <= 2 in E."""
        expanded = sp.Poly(sp.expand(poly), *noise)
        total = sp.Integer(0)
        for powers, coefficient in expanded.terms():
            monomial = sp.Mul(*(e**k for e, k in zip(noise, powers, strict=True)))
            total += coefficient * (1 if monomial == 1 else monomials[monomial])
        return total

    equations = [expectation(t_1[i]) - m1[i] for i in range(dim)]
    equations += [expectation(t_2[i, j]) - m2[i, j] for i in range(dim) for j in range(i, dim)]
    unknowns = list(first) + sorted(set(second), key=sp.default_sort_key)
    (moments,) = sp.solve(equations, unknowns, dict=True)
    outer = t_1 * t_1.T
    conditional_outer = outer.applyfunc(lambda e: expectation(e).subs(moments))
    conditional_mean = t_1.applyfunc(lambda e: expectation(e).subs(moments))
    covariance = (conditional_outer - conditional_mean * conditional_mean.T).applyfunc(sp.expand)
    closed = sp.ImmutableMatrix(identity / sigma**2 + m2 - m1 * m1.T)
    steps += [
        confirm(outer, t_2 + identity / sigma**2,
                f"d = {dim}: T_1 T_1^T = T_2 + I/sigma^2 (polynomial identity in E)",
                method="expand").at(d=dim),
        define(f"d = {dim}: E[E | x~] and E[E E^T | x~] solved from C1 at orders 1 and 2 "
               "(E[T_1 | x~] = m_1, E[T_2 | x~] = m_2; the conditional expectation is linear)",
               sp.Eq(sp.Symbol(r"\mathbb{E}[E E^T \mid \tilde{x}]"),
                     second.subs(moments), evaluate=False)),
        confirm(conditional_outer, m2 + identity / sigma**2,
                f"d = {dim}: E[T_1 T_1^T | x~] = m_2 + I/sigma^2 (C1 at order 2)",
                method="expand").at(d=dim),
        confirm(covariance, closed, f"d = {dim}: Sigma_1 = E[T_1 T_1^T | x~] - m_1 m_1^T = "
                "I/sigma^2 + m_2 - m_1 m_1^T", method="expand").at(d=dim),
    ]
    # In terms of p_sigma: m_2 - m_1 m_1^T is the Hessian of log p_sigma.
    coords = sp.symbols(f"xt0:{dim}", real=True)
    p = sp.Function("p_sigma")(*coords)
    ratios = {m1[i]: sp.diff(p, coords[i]) / p for i in range(dim)}
    ratios.update({m2[i, j]: sp.diff(p, coords[i], coords[j]) / p
                   for i in range(dim) for j in range(i, dim)})
    steps.append(confirm(closed.subs(ratios), identity / sigma**2 + sp.hessian(sp.log(p), coords),
                         f"d = {dim}: Sigma_1 = I/sigma^2 + H_sigma (Hessian of log p_sigma)")
                 .at(d=dim))
    return closed, tuple(steps)


@cache
def _any_dimension_steps() -> tuple[Step, ...]:
    """Gaussian noise, n = 1, any dimension ``d``: the entries ``(i, j)`` of ``Sigma_1`` in
    index notation (``d``, ``i``, ``j`` symbolic), from C1 at orders 1 and 2."""
    d = sp.Symbol("d", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    in_range = sp.Q.le(i, d - 1) & sp.Q.le(j, d - 1)
    xt, xs, noise = (sp.IndexedBase(name, real=True) for name in ("xt", "x", "E"))
    m1, m2 = sp.IndexedBase("m1", real=True), sp.IndexedBase("m2", real=True)
    delta = sp.KroneckerDelta(i, j)
    log_kernel = (-sp.Sum((xt[k] - xs[k]) ** 2, (k, 0, d - 1)) / (2 * sigma**2)
                  - d * sp.log(2 * sp.pi * sigma**2) / 2)

    def in_noise(expr: sp.Expr) -> sp.Expr:
        expr = sp.refine(sp.piecewise_fold(expr.doit()), in_range)
        return expr.subs({xt[i]: xs[i] + sigma * noise[i], xt[j]: xs[j] + sigma * noise[j]})

    grad_i, grad_j = (in_noise(sp.diff(log_kernel, xt[a])) for a in (i, j))
    hess_ij = in_noise(sp.diff(log_kernel, xt[i], xt[j]))
    # Quotient rule D_ij q / q = D_i log q D_j log q + D_ij log q, for i != j and i = j.
    u, v = sp.symbols("u v", real=True)
    f2, f1 = sp.Function("f")(u, v), sp.Function("f")(u)
    t_1i, t_1j = -noise[i] / sigma, -noise[j] / sigma
    t_2ij = grad_i * grad_j + hess_ij
    # The conditional expectation is linear; its values on E_i and E_i E_j are fixed by C1.
    mu_i, mu_j, second = sp.symbols("mu_i mu_j M_ij")
    moments = sp.solve([-mu_i / sigma - m1[i], -mu_j / sigma - m1[j],
                        (second - delta) / sigma**2 - m2[i, j]], [mu_i, mu_j, second], dict=True)[0]
    outer = (second / sigma**2).subs(moments)
    covariance = outer - (-mu_i / sigma).subs(moments) * (-mu_j / sigma).subs(moments)
    tag = {"n": 1}
    identity = sp.Identity(d)
    matrix = sp.FunctionMatrix(d, d, sp.Lambda((i, j), covariance))
    second_ratios = sp.FunctionMatrix(d, d, sp.Lambda((i, j), m2[i, j]))
    first_ratios = sp.FunctionMatrix(d, 1, sp.Lambda((i, j), m1[i]))
    as_matrix = confirm(matrix, identity / sigma**2 + second_ratios
                        - first_ratios * first_ratios.T,
                        "any d: the d x d matrix of those entries is Sigma_1 = I/sigma^2 + m2 - "
                        "m1 m1^T (d symbolic, decided on the generic entry (i, j))")
    return (as_matrix.at(**tag).carrying(), *(step.at(**tag) for step in (
        confirm(grad_i, t_1i, "any d: T_1,i = D_i log q_sigma = -E_i/sigma (index notation, "
                "d symbolic)"),
        confirm(sp.diff(f2, u, v) / f2, sp.diff(sp.log(f2), u) * sp.diff(sp.log(f2), v)
                + sp.diff(sp.log(f2), u, v), "quotient rule, i != j: D_ij f / f = "
                "D_i log f D_j log f + D_ij log f"),
        confirm(sp.diff(f1, u, 2) / f1, sp.diff(sp.log(f1), u) ** 2 + sp.diff(sp.log(f1), u, 2),
                "quotient rule, i = j: D_ii f / f = (D_i log f)^2 + D_ii log f"),
        confirm(t_2ij, (noise[i] * noise[j] - delta) / sigma**2,
                "any d: T_2,ij = (E_i E_j - delta_ij)/sigma^2", method="expand"),
        confirm(t_1i * t_1j, t_2ij + delta / sigma**2,
                "any d: T_1,i T_1,j = T_2,ij + delta_ij/sigma^2", method="expand"),
        confirm(outer, m2[i, j] + delta / sigma**2,
                "any d: E[E_i | x~], E[E_i E_j | x~] solved from C1 (E[T_1,i | x~] = m1_i, "
                "E[T_2,ij | x~] = m2_ij), so E[T_1,i T_1,j | x~] = m2_ij + delta_ij/sigma^2",
                method="expand"),
        confirm(covariance, delta / sigma**2 + m2[i, j] - m1[i] * m1[j],
                "any d: Sigma_1,ij = delta_ij/sigma^2 + m2_ij - m1_i m1_j", method="expand"),
        confirm(sp.diff(f2, u, v) / f2 - (sp.diff(f2, u) / f2) * (sp.diff(f2, v) / f2),
                sp.diff(sp.log(f2), u, v),
                "any d: m2_ij - m1_i m1_j = D_ij log p_sigma (i != j; i = j as above), so "
                "Sigma_1 = I/sigma^2 + H_sigma"),
    )))


def conditional_covariance_matrix(dim: int, order: int = 1) -> sp.ImmutableMatrix:
    """``Sigma_n(x~) = Cov[T_n | x~]`` for Gaussian noise in ``dim`` dimensions, n = 1 or 2.

    Derived, not written: ``T_1`` and ``T_2`` from the Gaussian kernel, the conditional
    moments of ``E`` from C1 at orders 1 and 2, then ``E[T_1 T_1^T] - m_1 m_1^T``.
    In ``sigma`` and :func:`derive.ratio_symbols` ``(m1, m2)``.

    Parameters
    ----------
    dim : int
        The dimension ``d >= 1``.
    order : {1, 2}
        The target: ``T_1`` (the score target, ``d``) or ``T_2 = (E E^T - I)/sigma^2``
        (``d x d``, flattened row-major, so ``Sigma_2`` is ``d^2 x d^2``).

    Returns
    -------
    sympy.ImmutableMatrix
        Order 1: ``I/sigma^2 + m2 - m1 m1^T`` (``d x d``). Order 2: ``m4 + (delta m2
        terms)/sigma^2 + (delta delta)/sigma^4 - vec m2 vec m2^T`` in the symbols of
        :func:`derive.symbols.ratio_tensor` (``d^2 x d^2``; derived from C1 at orders 1..4,
        see :mod:`derive._claims._order_two`). The steps are in the record of C2.

    Examples
    --------
    >>> from derive.symbols import ratio_symbols, sigma
    >>> m1, m2 = ratio_symbols(2)
    >>> conditional_covariance_matrix(2) == sp.eye(2) / sigma**2 + m2 - m1 * m1.T
    True
    """
    if check_order(order) == 2:
        from derive._claims._order_two import order_two_covariance

        return order_two_covariance(dim)
    if order != 1:
        raise InvalidArgumentError("order", order, "the matrix targets exist for orders 1 "
                                   "and 2", "pass order=1 or order=2")
    return _matrix_covariance(check_order(dim, name="dim"))[0]


def _matrix_covariance_steps(dim: int = 2) -> tuple[Step, ...]:
    """The steps of :func:`conditional_covariance_matrix` in ``dim`` dimensions."""
    return _matrix_covariance(check_order(dim, name="dim"))[1]


def _general_noise_steps() -> list[Step]:
    """Any noise, n = 1: ``T_1 = psi(E)/sigma`` so ``Sigma_1 = Cov[psi(E) | x~]/sigma^2``."""
    q = sp.Function("q")
    t_1 = sp.diff(sp.log(q((x_tilde - x) / sigma) / sigma), x_tilde)
    psi = sp.Function("psi")
    in_noise = sp.simplify(t_1.subs(x_tilde, x + sigma * E).doit())
    claimed = sp.Derivative(q(E), E) / q(E) / sigma
    first, second = sp.symbols(r"\mathbb{E}[\psi] \mathbb{E}[\psi^2]", real=True)
    scaled_variance = second / sigma**2 - (first / sigma) ** 2
    return [
        confirm(in_noise, claimed, "any noise: T_1 = q'(E)/(sigma q(E)) = psi(E)/sigma")
        .at(n=1, d=1),
        confirm(scaled_variance, (second - first**2) / sigma**2,
                "so Sigma_1 = Var[psi(E)/sigma | x~] = (E[psi^2 | x~] - E[psi | x~]^2)/sigma^2 "
                "= Cov[psi(E) | x~]/sigma^2", method="expand").at(n=1, d=1),
        define("(psi as a function)", sp.Eq(psi(E), sp.Derivative(q(E), E) / q(E))),
    ]


def _posterior_form_step() -> Step:
    """``T_1 = (X - x~)/sigma^2`` is affine in ``X``: ``Sigma_1 = Cov[X | x~] / sigma^4``."""
    mean_x, second_x = sp.symbols(r"\mathbb{E}[X] \mathbb{E}[X^2]", real=True)
    # Var[a + b X] = b^2 (E[X^2] - E[X]^2) with a = -x~/sigma^2, b = 1/sigma^2.
    a, b = -x_tilde / sigma**2, 1 / sigma**2
    variance = sp.expand(a**2 + 2 * a * b * mean_x + b**2 * second_x - (a + b * mean_x) ** 2)
    return confirm(variance, (second_x - mean_x**2) / sigma**4,
                   "Gaussian noise: Sigma_1 = Var[(X - x~)/sigma^2 | x~] = Cov[X | x~]/sigma^4",
                   method="expand").at(n=1, d=1)


def derive_c2(max_order: int = 4) -> Claim:
    """C2 for orders ``1..max(max_order, 8)`` with the n = 1 special forms."""
    top = max(check_order(max_order, name="max_order"), GENERAL_N_ORDERS)
    steps: list[Step] = []
    steps.extend(_any_order_steps())
    for n in range(1, top + 1):
        steps.extend(_covariance_steps(n))
    h_form, h_step = curvature_in_ratios()
    steps.append(h_step)
    steps.append(confirm(conditional_covariance(1), 1 / sigma**2 + h_form,
                         "n = 1: Sigma_1 = 1/sigma^2 + h", method="expand").at(n=1, d=1))
    steps.append(_posterior_form_step())
    for dim in (2, 3):
        steps.extend(_matrix_covariance_steps(dim))
    steps.extend(_any_dimension_steps())
    from derive._claims._order_two import order_two_covariance_steps

    for dim in (2, 3):
        steps.extend(order_two_covariance_steps(dim))
    steps.extend(order_two_covariance_steps())
    steps.extend(_general_noise_steps())
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    general = sp.Sum(sp.binomial(n, k) ** 2 * sp.factorial(k) * sigma ** (-2 * k)
                     * sp.Symbol("m_{2n-2k}"), (k, 0, n)) - sp.Symbol("m_n") ** 2
    return Claim(
        id="C2",
        title="Heteroskedasticity: the conditional covariance of the target",
        statement=sp.Eq(sp.Symbol(r"\Sigma_n(\tilde{x})"), general),
        steps=tuple(steps),
        parameters=("n", "d"),
        # the statement's two parts: n = 1 in any dimension, and any order in d = 1
        scope=((1, ANY), (ANY, 1)),
        assumptions=(
            "Gaussian noise, d = 1: the order-n formula for symbolic n, from the generating "
            "function of He_j and coefficient extraction (a named rule, not established by "
            f"SymPy), and checked against the public formula for n = 1..{top}; "
            "Gaussian noise, n = 1: the matrix form confirmed entry by entry in index "
            "notation for any d, and as explicit matrices for d = 2, 3; Gaussian noise, "
            "n = 2: Sigma_2 (d^2 x d^2) from the Hermite product in index notation for any "
            "d, and by the moment route (C1 at orders 1..4) for d = 2, 3; any noise, "
            "n = 1, d = 1: Sigma_1 = Cov[psi(E) | x~]/sigma^2",
            "Sigma_1 = 1/sigma^2 + h varies with x~ unless h is constant, i.e. unless "
            "p_sigma is Gaussian; it always varies with sigma",
        ),
        numeric=("covariance vs exact", "heteroskedasticity", "covariance vs posterior draws",
                 "matrix covariance vs posterior draws", "covariance under non-Gaussian noise"),
        results={"Sigma_1": conditional_covariance(1), "h": h},
    )

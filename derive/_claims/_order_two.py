"""The order-2 target in d dimensions: its conditional covariance (C2) and the series of
its optimal weight (C4).

``T_2 = Hess q_sigma / q_sigma = (E E^T - I)/sigma^2`` for Gaussian noise, a symmetric
``d x d`` matrix. Matrices over it act on ``vec(T_2)`` in row-major order: row
``i d + j`` is the entry ``(i, j)``. With the derivative ratios
``m2 = Hess p_sigma / p_sigma`` and ``m4 = D^4 p_sigma / p_sigma`` at ``x~``,

``Sigma_2[(ij),(kl)] = m4_ijkl + (delta_ik m2_jl + delta_il m2_jk + delta_jk m2_il
+ delta_jl m2_ik)/sigma^2 + (delta_ik delta_jl + delta_il delta_jk)/sigma^4 - m2_ij m2_kl``,

derived two ways: for d = 2, 3 by solving the conditional moments of ``E`` from C1 at
orders 1..4 (the moment route), and for a symbolic ``d`` in index notation from the
Hermite product ``He_ij He_kl = He_ijkl + delta He_2 + delta delta`` (the Hermite route).

``Sigma_2`` is singular (``T_2`` is symmetric): the optimal weight is its Moore-Penrose
pseudo-inverse ``W*_2``, the inverse on symmetric matrices. With ``sigma^4 Sigma_2 =
A + sigma^2 B + sigma^4 C`` (``A = I + K``, ``K`` the commutation matrix, ``A = 2 Pi`` on
symmetric matrices), ``W*_2 = sigma^4 Pi/2 - sigma^6 B/4 + sigma^8 (B^2/8 - C/4) +
O(sigma^10)``, and ``E[B] = 0`` under ``p_sigma`` (integration by parts), so
``E[W*_2] = sigma^4 Pi/2 + O(sigma^8)``: no ``sigma^6`` term. At ``d = 1`` this is C4's
leading term ``sigma^(2n)/n!`` at ``n = 2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import combinations_with_replacement

import sympy as sp

from derive._cache import disk_cached
from derive._errors import InvalidArgumentError
from derive._validation import check_order
from derive.claim import Step, assume, confirm, define
from derive.symbols import m, ratio_tensor, sigma

__all__ = [
    "optimal_weight_matrix_series",
    "order_two_covariance",
    "order_two_covariance_steps",
    "weight_series_steps",
]

SERIES_POWERS = (4, 6, 8)
"""Powers of sigma in the order-2 weight series (the remainder is O(sigma^10))."""


def _set_partitions(items: Sequence[int]) -> Iterator[list[list[int]]]:
    """Every partition of ``items`` into non-empty blocks (15 for four items)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _set_partitions(rest):
        for index in range(len(partition)):
            yield [*partition[:index], [first, *partition[index]], *partition[index + 1:]]
        yield [[first], *partition]


def _entry(delta: Callable, m2, m4, i, j, k, l) -> sp.Expr:
    """``Sigma_2[(ij),(kl)]`` in the closed form of the module docstring."""
    return (m4[i, j, k, l]
            + (delta(i, k) * m2[j, l] + delta(i, l) * m2[j, k] + delta(j, k) * m2[i, l]
               + delta(j, l) * m2[i, k]) / sigma**2
            + (delta(i, k) * delta(j, l) + delta(i, l) * delta(j, k)) / sigma**4
            - m2[i, j] * m2[k, l])


def _closed_covariance(dim: int) -> sp.ImmutableMatrix:
    m2, m4 = ratio_tensor(dim, 2), ratio_tensor(dim, 4)
    return sp.ImmutableMatrix(dim * dim, dim * dim, lambda p, q: _entry(
        sp.KroneckerDelta, m2, m4, p // dim, p % dim, q // dim, q % dim))


@cache
@disk_cached
def _moment_route(dim: int) -> tuple[sp.ImmutableMatrix, tuple[Step, ...]]:
    """``Sigma_2`` in ``dim`` dimensions from C1 at orders 1..4 (the moment route)."""
    xs = sp.symbols(f"x0:{dim}", real=True)
    ts = sp.symbols(f"xt0:{dim}", real=True)
    noise = sp.symbols(f"E0:{dim}", real=True)
    kernel = sp.exp(-sum((ts[a] - xs[a]) ** 2 for a in range(dim)) / (2 * sigma**2)
                    - dim * sp.log(2 * sp.pi * sigma**2) / 2)
    back = {ts[a]: xs[a] + sigma * noise[a] for a in range(dim)}

    def target(index: tuple[int, ...]) -> sp.Expr:
        """``T_alpha = D^alpha q_sigma / q_sigma`` in the noise, from the kernel itself."""
        return sp.expand((sp.diff(kernel, *(ts[a] for a in index)) / kernel).subs(back))

    # The conditional expectation given x~ is linear, so it is fixed by its values
    # M[powers] = E[E^powers | x~] on monomials; C1 (E[T_alpha | x~] = m_alpha) gives them
    # one degree at a time, since T_alpha = (-1)^|alpha| E^alpha / sigma^|alpha| + lower.
    moments: dict[tuple[int, ...], sp.Expr] = {(0,) * dim: sp.Integer(1)}
    targets: dict[tuple[int, ...], sp.Expr] = {}
    for order in range(1, 5):
        ratios = ratio_tensor(dim, order)
        for index in combinations_with_replacement(range(dim), order):
            targets[index] = target(index)
            powers = tuple(index.count(a) for a in range(dim))
            terms = dict(sp.Poly(targets[index], *noise).terms())
            lead = terms.pop(powers)
            known = sum((c * moments[p] for p, c in terms.items()), sp.Integer(0))
            moments[powers] = sp.expand((ratios[index] - known) / lead)

    def expectation(poly: sp.Expr) -> sp.Expr:
        return sp.expand(sum((c * moments[p] for p, c in sp.Poly(poly, *noise).terms()),
                             sp.Integer(0)))

    vector = sp.Matrix(noise)
    t_2 = sp.Matrix(dim, dim, lambda i, j: targets[(min(i, j), max(i, j))])
    m2 = ratio_tensor(dim, 2)
    covariance = sp.ImmutableMatrix(dim * dim, dim * dim, lambda p, q: sp.expand(
        expectation(t_2[p // dim, p % dim] * t_2[q // dim, q % dim])
        - m2[p // dim, p % dim] * m2[q // dim, q % dim]))
    tag = {"n": 2, "d": dim}
    steps = (
        confirm(t_2, (vector * vector.T - sp.eye(dim)) / sigma**2,
                f"d = {dim}: T_2 = Hess q_sigma / q_sigma = (E E^T - I)/sigma^2",
                method="expand").at(**tag),
        define(f"d = {dim}: E[E^alpha | x~] for |alpha| <= 4 solved from C1 at orders 1..4 "
               "(E[T_alpha | x~] = m_alpha for every multi-index; T_alpha = D^alpha q_sigma "
               "/ q_sigma from the kernel), one degree at a time",
               sp.Eq(sp.Symbol(r"\mathbb{E}[E_0^4 \mid \tilde{x}]"),
                     moments[(4,) + (0,) * (dim - 1)], evaluate=False)),
        confirm(covariance, _closed_covariance(dim),
                f"d = {dim}: Sigma_2 = E[vec T_2 vec T_2^T | x~] - vec m2 vec m2^T = m4 + "
                "(delta m2 terms)/sigma^2 + (delta delta)/sigma^4 - m2 m2^T (the moment route)",
                method="expand").at(**tag),
    )
    return covariance, steps


@cache
def _index_notation() -> tuple[tuple[sp.Symbol, ...], sp.IndexedBase, sp.IndexedBase]:
    """The indices ``i, j, k, l`` and the ratio tensors ``m2``, ``m4`` of symbolic ``d``."""
    return (sp.symbols("i j k l", integer=True, nonnegative=True),
            sp.IndexedBase("m2", real=True), sp.IndexedBase("m4", real=True))


def index_notation_entry() -> sp.Expr:
    """``Sigma_2[(ij),(kl)]`` in index notation, the closed form the Hermite route confirms."""
    (i, j, k, l), m2, m4 = _index_notation()
    return _entry(sp.KroneckerDelta, m2, m4, i, j, k, l)


def _hermite_route() -> tuple[Step, ...]:
    """``Sigma_2`` for a symbolic dimension ``d`` in index notation (the Hermite route)."""
    d = sp.Symbol("d", integer=True, positive=True)
    (i, j, k, l), m2, m4 = _index_notation()
    c = sp.Symbol("c", integer=True, nonnegative=True)
    indices = (i, j, k, l)
    in_range = sp.Q.le(i, d - 1) & sp.Q.le(j, d - 1) & sp.Q.le(k, d - 1) & sp.Q.le(l, d - 1)
    xt, xs, noise = (sp.IndexedBase(name, real=True) for name in ("xt", "x", "E"))
    delta = sp.KroneckerDelta
    log_kernel = (-sp.Sum((xt[c] - xs[c]) ** 2, (c, 0, d - 1)) / (2 * sigma**2)
                  - d * sp.log(2 * sp.pi * sigma**2) / 2)

    def log_derivative(block: Sequence[sp.Symbol]) -> sp.Expr:
        expr = sp.diff(log_kernel, *(xt[a] for a in block))
        expr = sp.refine(sp.piecewise_fold(expr.doit()), in_range)
        return sp.expand(expr.subs({xt[a]: xs[a] + sigma * noise[a] for a in indices}))

    # Faa di Bruno for exp: D_{a1..a4} e^L / e^L = sum over set partitions of the positions
    # of the products of D_block L. Confirmed for every pattern of coinciding indices.
    lhs_all, rhs_all = [], []
    for pattern in _set_partitions([0, 1, 2, 3]):
        variables = sp.symbols(f"u0:{len(pattern)}", real=True)
        of = {p: variables[b] for b, block in enumerate(pattern) for p in block}
        f = sp.Function("L")(*variables)
        lhs_all.append(sp.expand(sp.diff(sp.exp(f), *(of[p] for p in range(4))) / sp.exp(f)))
        rhs_all.append(sum((sp.Mul(*(sp.diff(f, *(of[p] for p in block)) for block in part))
                            for part in _set_partitions([0, 1, 2, 3])), sp.Integer(0)))
    faa = confirm(sp.Matrix(lhs_all), sp.Matrix(rhs_all),
                  "Faa di Bruno for exp at order 4: D_ijkl e^L / e^L = sum over the 15 set "
                  "partitions of {i, j, k, l} of the products of D_block L, for each of the 15 "
                  "patterns of coinciding indices", method="expand")

    def t_of(chosen: Sequence[sp.Symbol]) -> sp.Expr:
        positions = list(range(len(chosen)))
        return sp.expand(sum((sp.Mul(*(log_derivative([chosen[p] for p in block])
                                       for block in part))
                              for part in _set_partitions(positions)), sp.Integer(0)))

    def he2(a, b):
        return noise[a] * noise[b] - delta(a, b)

    he4 = (noise[i] * noise[j] * noise[k] * noise[l]
           - (delta(i, j) * noise[k] * noise[l] + delta(i, k) * noise[j] * noise[l]
              + delta(i, l) * noise[j] * noise[k] + delta(j, k) * noise[i] * noise[l]
              + delta(j, l) * noise[i] * noise[k] + delta(k, l) * noise[i] * noise[j])
           + delta(i, j) * delta(k, l) + delta(i, k) * delta(j, l) + delta(i, l) * delta(j, k))
    H2, H4 = sp.Function("He2"), sp.Function("He4")
    product_form = (H4(i, j, k, l) + delta(i, k) * H2(j, l) + delta(i, l) * H2(j, k)
                    + delta(j, k) * H2(i, l) + delta(j, l) * H2(i, k)
                    + delta(i, k) * delta(j, l) + delta(i, l) * delta(j, k)) / sigma**4
    explicit = product_form.replace(H4, lambda *_: he4).replace(H2, he2)
    # C1 at orders 2 and 4: E[T_2,ab | x~] = m2_ab and E[T_4,ijkl | x~] = m4_ijkl, with
    # T_2 = He2/sigma^2 and T_4 = He4/sigma^4; the conditional expectation is linear.
    second = product_form.replace(H4, lambda *ix: sigma**4 * m4[ix]).replace(
        H2, lambda a, b: sigma**2 * m2[a, b])
    covariance = sp.expand(second - m2[i, j] * m2[k, l])
    closed = index_notation_entry()
    p, q = sp.symbols("p q", integer=True, nonnegative=True)
    split = {i: sp.floor(p / d), j: sp.Mod(p, d), k: sp.floor(q / d), l: sp.Mod(q, d)}
    tag = {"n": 2}
    t_2, t_4 = t_of((i, j)), t_of(indices)
    return (
        faa.at(**tag),
        confirm(sp.Matrix([log_derivative([i]), log_derivative([i, j]),
                           log_derivative([i, j, k]), log_derivative(list(indices))]),
                sp.Matrix([-noise[i] / sigma, -delta(i, j) / sigma**2, 0, 0]),
                "any d: D_i log q_sigma = -E_i/sigma, D_ij log q_sigma = -delta_ij/sigma^2, "
                "third and fourth derivatives 0 (index notation, d symbolic)",
                method="expand").at(**tag),
        confirm(t_2, he2(i, j) / sigma**2, "any d: T_2,ij = D_ij q_sigma / q_sigma = "
                "(E_i E_j - delta_ij)/sigma^2 = He_ij(E)/sigma^2", method="expand").at(**tag),
        confirm(t_4, he4 / sigma**4, "any d: T_4,ijkl = D_ijkl q_sigma / q_sigma = "
                "He_ijkl(E)/sigma^4 (Faa di Bruno with the derivatives above)",
                method="expand").at(**tag),
        confirm(t_2 * t_2.subs({i: k, j: l}, simultaneous=True), explicit,
                "any d: Hermite product He_ij He_kl = He_ijkl + delta_ik He_jl + delta_il He_jk "
                "+ delta_jk He_il + delta_jl He_ik + delta_ik delta_jl + delta_il delta_jk",
                method="expand").at(**tag),
        confirm(covariance, closed,
                "any d: C1 at orders 2 and 4 (E[He_ab | x~] = sigma^2 m2_ab, E[He_ijkl | x~] "
                "= sigma^4 m4_ijkl) in the product: Sigma_2,(ij)(kl) = m4_ijkl + (delta_ik "
                "m2_jl + delta_il m2_jk + delta_jk m2_il + delta_jl m2_ik)/sigma^2 + "
                "(delta_ik delta_jl + delta_il delta_jk)/sigma^4 - m2_ij m2_kl",
                method="expand").at(**tag),
        confirm(sp.FunctionMatrix(d**2, d**2, sp.Lambda((p, q), covariance.subs(split))),
                sp.FunctionMatrix(d**2, d**2, sp.Lambda((p, q), closed.subs(split))),
                "any d: the d^2 x d^2 matrix of those entries (row i d + j) is Sigma_2 "
                "(d symbolic, decided on the generic entry)").at(**tag).carrying(),
    )


def order_two_covariance(dim: int) -> sp.ImmutableMatrix:
    """``Sigma_2(x~) = Cov[vec T_2 | x~]``, ``d^2 x d^2``, Gaussian noise (the moment route).

    In ``sigma`` and the symbols of :func:`derive.symbols.ratio_tensor` at orders 2 and 4.
    """
    return _moment_route(check_order(dim, name="dim"))[0]


def order_two_covariance_steps(dim: int | None = None) -> tuple[Step, ...]:
    """The steps of :func:`order_two_covariance`: at ``dim`` (the moment route), or, for
    ``None``, the symbolic-``d`` Hermite route and the link to the 1-D formula."""
    if dim is not None:
        return _moment_route(check_order(dim, name="dim"))[1]
    from derive._claims.c2_covariance import conditional_covariance

    one = ratio_tensor(1, 2)[0, 0], ratio_tensor(1, 4)[0, 0, 0, 0]
    at_one = order_two_covariance(1)[0, 0].subs({one[0]: m(2), one[1]: m(4)})
    return (*_hermite_route(),
            confirm(at_one, conditional_covariance(2),
                    "d = 1: the matrix formula is the 1-D Sigma_2 = m_4 + 4 m_2/sigma^2 + "
                    "2/sigma^4 - m_2^2 (C2 at n = 2)", method="expand").at(n=2, d=1))


# -- the optimal weight: pseudo-inverse series -------------------------------------------


def _sigma_coefficients(scaled: sp.Matrix, count: int) -> list[sp.Matrix]:
    """Coefficients of ``scaled`` (a polynomial in ``sigma^2``) at ``sigma^0, sigma^2, ...``."""
    eps = sp.Symbol("epsilon", positive=True)
    in_eps = scaled.applyfunc(lambda e: sp.expand(sp.expand(e).subs(sigma, sp.sqrt(eps))))
    coefficients = [in_eps.applyfunc(lambda e, r=r: e.coeff(eps, r)) for r in range(count)]
    rest = in_eps - sum((c * eps**r for r, c in enumerate(coefficients)), sp.zeros(*scaled.shape))
    if rest.applyfunc(sp.expand) != sp.zeros(*scaled.shape):
        raise ValueError("the covariance is not a polynomial of that degree in sigma^2")
    return coefficients


def _covariance_for(dim: int, order: int) -> tuple[sp.Matrix, int]:
    """``(Sigma_order, order)`` for the series: order 1 (``d x d``) or 2 (``d^2 x d^2``)."""
    if order == 1:
        from derive._claims.c2_covariance import conditional_covariance_matrix

        return sp.Matrix(conditional_covariance_matrix(dim)), 1
    return sp.Matrix(order_two_covariance(dim)), 2


@cache
@disk_cached
def _weight_series(dim: int, order: int) -> tuple[dict[int, sp.ImmutableMatrix],
                                                   tuple[Step, ...]]:
    """The Neumann series of the pseudo-inverse of ``Sigma_order``, order by order."""
    covariance, n = _covariance_for(dim, order)
    a, b, c = _sigma_coefficients(covariance * sigma ** (2 * n), 3)
    size = covariance.shape[0]
    scale = a.trace() / a.rank()  # A = scale Pi with Pi a projector: tr Pi = rank Pi
    projector = a / scale
    s0 = projector / scale
    s1 = -s0 * b * s0
    s2 = s0 * b * s0 * b * s0 - s0 * c * s0
    eps = sp.Symbol("epsilon", positive=True)
    product_ = ((a + eps * b + eps**2 * c) * (s0 + eps * s1 + eps**2 * s2)).applyfunc(sp.expand)
    first = [product_.applyfunc(lambda e, r=r: e.coeff(eps, r)) for r in range(3)]
    series = {2 * n: sp.ImmutableMatrix(s0), 2 * n + 2: sp.ImmutableMatrix(s1.applyfunc(
        sp.expand)), 2 * n + 4: sp.ImmutableMatrix(s2.applyfunc(sp.expand))}
    tag = {"n": n, "d": dim}
    what = "Sigma_1" if n == 1 else "Sigma_2"
    closed_first = (projector / scale, -b / scale**2,
                    (b * b / scale**3 - c / scale**2))
    steps = (
        confirm(projector * projector, projector,
                f"d = {dim}, n = {n}: sigma^{2 * n} {what} = A + sigma^2 B + sigma^4 C with "
                f"A = {scale} Pi, Pi a projector (Pi^2 = Pi; the symmetric matrices for n = 2)",
                method="expand").at(**tag),
        confirm(sp.Matrix.hstack(projector * b, b * projector, projector * c, c * projector),
                sp.Matrix.hstack(b, b, c, c),
                f"d = {dim}, n = {n}: Pi B = B Pi = B and Pi C = C Pi = C (B, C act on the "
                "range of Pi)", method="expand").at(**tag),
        confirm(sp.Matrix.hstack(*first), sp.Matrix.hstack(projector, sp.zeros(size),
                                                           sp.zeros(size)),
                f"d = {dim}, n = {n}: (A + eps B + eps^2 C)(S_0 + eps S_1 + eps^2 S_2) = Pi + "
                "O(eps^3) with S_0 = A^+, S_1 = -S_0 B S_0, S_2 = S_0 B S_0 B S_0 - S_0 C S_0, "
                "so W* = pinv(Sigma) = sigma^(2n) (S_0 + sigma^2 S_1 + sigma^4 S_2) + "
                "O(sigma^(2n+6))", method="expand").at(**tag),
        confirm(sp.Matrix.hstack(s0, s1, s2), sp.Matrix.hstack(*closed_first),
                f"d = {dim}, n = {n}: S_0 = Pi/{scale}, S_1 = -B/{scale ** 2}, S_2 = "
                f"B^2/{scale ** 3} - C/{scale ** 2}", method="expand").at(**tag),
    )
    return series, steps


def _check_matrix_order(order: int) -> int:
    value = check_order(order)
    if value > 2:
        raise InvalidArgumentError("order", order, "the matrix targets exist for orders 1 and 2",
                                   "pass order=1 or order=2")
    return value


def optimal_weight_matrix_series(dim: int, order: int = 2) -> dict[int, sp.ImmutableMatrix]:
    """``W*`` (the pseudo-inverse of ``Sigma_order``) as ``{power: coefficient of sigma^power}``.

    Three terms; the remainder is ``O(sigma^(2 order + 6))`` where the derivative ratios are
    bounded. Order 1: ``sigma^2 I - sigma^4 H + sigma^6 H^2`` (``d x d``); order 2:
    ``sigma^4 Pi/2 - sigma^6 B/4 + sigma^8 (B^2/8 - C/4)`` (``d^2 x d^2``, see the module).
    """
    return _weight_series(check_order(dim, name="dim"), _check_matrix_order(order))[0]


def weight_series_steps(dim: int, order: int = 2) -> tuple[Step, ...]:
    """The steps of :func:`optimal_weight_matrix_series` at ``dim``."""
    return _weight_series(check_order(dim, name="dim"), _check_matrix_order(order))[1]


@cache
def symbolic_weight_series(d: sp.Expr, eps: sp.Expr) -> sp.MatrixExpr:
    """``W*_2 / sigma^4 = Pi/2 - eps B/4 + eps^2 (B^2/8 - C/4)``, ``eps = sigma^2``, in the
    matrix symbols ``Pi, B, C`` of size ``d^2`` (the candidate :func:`symbolic_weight_steps`
    confirms is the inverse of ``2 Pi + eps B + eps^2 C`` on the range of ``Pi`` to
    ``O(eps^3)``)."""
    P, B, C = (sp.MatrixSymbol(name, d**2, d**2) for name in ("Pi", "B", "C"))
    return P / 2 - eps * B / 4 + eps**2 * (B * B / 8 - C / 4)


def symbolic_weight_steps() -> tuple[Step, ...]:
    """Order 2, symbolic ``d``: the series in the algebra of ``Pi, B, C`` (size ``d^2``), and
    ``E[B] = 0`` under ``p_sigma`` (no ``sigma^6`` term in ``E[W*_2]``)."""
    d = sp.Symbol("d", integer=True, positive=True)
    (i, j, k, l), m2, m4 = _index_notation()
    delta = sp.KroneckerDelta
    b_entry = (delta(i, k) * m2[j, l] + delta(i, l) * m2[j, k] + delta(j, k) * m2[i, l]
               + delta(j, l) * m2[i, k])
    c_entry = m4[i, j, k, l] - m2[i, j] * m2[k, l]
    swapped = {i: j, j: i}

    def symmetric(expr: sp.Expr) -> sp.Expr:
        # m2 and m4 are derivatives of p_sigma: symmetric in their indices
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in (m2, m4),
                            lambda e: e.base[tuple(sorted(e.indices, key=sp.default_sort_key))])

    b_entry, c_entry = symmetric(b_entry), symmetric(c_entry)
    pi_b, pi_c = ((symmetric(e.subs(swapped, simultaneous=True)) + e) / 2  # (Pi X)_(ij)(kl)
                  for e in (b_entry, c_entry))
    big = d**2
    P, B, C = (sp.MatrixSymbol(name, big, big) for name in ("Pi", "B", "C"))
    eps = sp.Symbol("epsilon", positive=True)
    candidate = symbolic_weight_series(d, eps)
    expanded = sp.expand((2 * P + eps * B + eps**2 * C) * candidate)
    words = _reduce_words(expanded, P, (B, C))
    truncated = sp.MatAdd(*(eps**r * sp.expand(value).coeff(eps, r) * sp.MatMul(*word)
                            for word, value in words.items() for r in range(3)
                            if sp.expand(value).coeff(eps, r) != 0))
    shown = sp.Eq((2 * P + eps * B + eps**2 * C) * candidate,
                  P + eps**3 * sp.MatrixSymbol("R", big, big), evaluate=False)
    mean_b = b_entry.subs({m2[j, l]: 0, m2[j, k]: 0, m2[i, l]: 0, m2[i, k]: 0})
    tag = {"n": 2}
    return (
        confirm(sp.Matrix([pi_b, pi_c]), sp.Matrix([b_entry, c_entry]),
                "any d: Pi = (I + K)/2 leaves B and C unchanged ((Pi X)_(ij)(kl) = (X_(ij)(kl) + "
                "X_(ji)(kl))/2 and both are symmetric in i, j; likewise in k, l)",
                method="expand").at(**tag),
        confirm(truncated, P,
                "any d: in the algebra of Pi, B, C (size d^2 x d^2) with Pi^2 = Pi, Pi B = B Pi "
                "= B, Pi C = C Pi = C: (2 Pi + eps B + eps^2 C)(Pi/2 - eps B/4 + eps^2 (B^2/8 "
                "- C/4)) = Pi + O(eps^3), so W*_2 = sigma^4 Pi/2 - sigma^6 B/4 + sigma^8 (B^2/8 "
                "- C/4) + O(sigma^10)", method="expand", shown=shown).at(**tag),
        assume("integration by parts under p_sigma: E[m2(X~)] = int Hess p_sigma dx~ = 0 "
               "(p_sigma and grad p_sigma vanish at infinity, which holds for every Gaussian "
               "mixture and, at sigma > 0, for data with a finite first moment)",
               sp.Eq(sp.Symbol(r"\mathbb{E}_{p_\sigma}[m_2]"), 0)),
        confirm(mean_b, 0, "any d: so E[B] = 0 entrywise and E[W*_2] = sigma^4 Pi/2 + "
                "O(sigma^8): the sigma^6 term vanishes", method="expand").at(**tag),
    )


def _reduce_words(expr: sp.Basic, projector: sp.MatrixSymbol,
                  absorbed: tuple[sp.MatrixSymbol, ...]) -> sp.Basic:
    """Rewrite every product with ``P^2 = P`` and ``P X = X P = X`` for ``X`` in ``absorbed``."""
    def word_of(term: sp.Basic) -> tuple[sp.Expr, list]:
        scalar, factors = sp.Integer(1), []
        parts = term.args if isinstance(term, (sp.MatMul, sp.Mul)) else (term,)
        for factor in parts:
            if isinstance(factor, sp.MatPow):
                factors.extend([factor.base] * int(factor.exp))
            elif isinstance(factor, sp.MatrixExpr):
                factors.append(factor)
            else:
                scalar *= factor
        return scalar, factors

    def reduce(factors: list) -> list:
        changed = True
        while changed:
            changed = False
            for position in range(len(factors) - 1):
                left, right = factors[position], factors[position + 1]
                if left == projector and (right == projector or right in absorbed):
                    del factors[position]
                    changed = True
                    break
                if right == projector and left in absorbed:
                    del factors[position + 1]
                    changed = True
                    break
        return factors

    terms = expr.args if isinstance(expr, sp.MatAdd) else (expr,)
    total: dict[tuple, sp.Expr] = {}
    for term in terms:
        scalar, factors = word_of(term)
        key = tuple(reduce(factors))
        total[key] = total.get(key, sp.Integer(0)) + scalar
    return {key: sp.expand(value) for key, value in total.items()}


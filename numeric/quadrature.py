"""Posterior quadrature in one dimension, for any registered noise family (mpmath).

Under non-Gaussian noise neither ``p_sigma`` nor the posterior ``p(x | x~)`` has
a closed form, so every conditional moment is an integral over the data
variable ``x`` of ``p(x) q_sigma(x~ - x)`` times a function of ``E = (x~ - x)/sigma``.
Two routes never share an integrand:

* the *noise route* integrates the DSM target ``T_n = q^(n)(E) / (q(E) sigma^n)``
  (what the loss regresses on) against the posterior;
* the *data route* moves the ``n`` derivatives of ``p_sigma = p * q_sigma`` onto
  the data density, ``p_sigma^(n)(x~) = integral p^(n)(x) q_sigma(x~ - x) dx``, which for
  a Gaussian mixture is a sum of Gaussian derivatives.

Their agreement is C1 for that noise; neither needs the claim to compute.

The noise density and its derivative ratios come from numeric's own textbook
formulas (:mod:`numeric.noise_reference`), never from :mod:`derive`, whose noise
families are what the checks test. Two implementations of the same integrals:

* :func:`posterior_grid` (double precision, vectorised over points): Gauss-Legendre
  panels over the data support, narrower than both the data and the noise scale.
  This is what the checks and :func:`quadrature_moments` use.
* :func:`posterior_integrals` (mpmath, one point at a time): tanh-sinh on intervals
  split at the data modes and at ``x~``, with the integrand rescaled to an O(1) peak
  because ``mpmath.quad`` stops on an absolute error estimate. Kept as the
  high-precision reference that the check "double-precision posterior quadrature vs
  20-digit mpmath" compares the grid with.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import mpmath
import numpy as np
from mpmath.calculus.quadrature import TanhSinh
from numpy.typing import ArrayLike, NDArray

from numeric._validation import (
    check_one_dimensional,
    check_order,
    check_points,
    check_sigma,
)
from numeric.mixture import GaussianMixture
from numeric.noise_reference import ReferenceNoise, reference_noise

__all__ = [
    "QUADRATURE_DPS",
    "QUADRATURE_TOLERANCE",
    "PosteriorGrid",
    "PosteriorIntegrals",
    "noise_functions",
    "posterior_grid",
    "posterior_integrals",
    "quadrature_moments",
]

#: Working precision (decimal digits) of the posterior quadrature.
QUADRATURE_DPS = 30

#: Relative accuracy the quadrature is trusted to: far below the 30-digit working
#: precision, because the integrands are resolved only to ``mpmath.quad``'s own
#: error estimate, which is checked against this bound on every call.
QUADRATURE_TOLERANCE = 1e-10

_MAX_DEGREE = 10


class NoiseFunctions:
    """Callables of a noise family, from numeric's own textbook formulas
    (:mod:`numeric.noise_reference`; nothing is read from :mod:`derive`).

    ``log_density``, ``psi`` (``q'/q``), ``psi_prime`` and :meth:`ratio` (``q^(n)/q``)
    are mpmath functions of the standardised noise ``e``; :meth:`numpy` gives the
    same functions for NumPy arrays.
    """

    def __init__(self, spec: str, reference: ReferenceNoise) -> None:
        self.spec, self.reference = spec, reference
        self.log_density = functools.partial(reference.log_density, mp=True)
        self.psi = functools.partial(reference.psi, mp=True)
        self.psi_prime = functools.partial(reference.psi_prime, mp=True)

    def ratio(self, n: int) -> Callable:
        """``q^(n)(e) / q(e)`` as an mpmath function of ``e``."""
        return functools.partial(self.reference.ratio, n, mp=True)

    def numpy(self, what: str | int) -> Callable:
        """``log_density``, ``psi``, ``psi_prime`` or ``ratio`` ``n`` for NumPy arrays."""
        if isinstance(what, int):
            return functools.partial(self.reference.ratio, what)
        return getattr(self.reference, what)


@cache
def noise_functions(noise: str = "gaussian") -> NoiseFunctions:
    """The functions of a noise family (cached per spec), from its textbook formula.

    Examples
    --------
    >>> f = noise_functions("logistic")
    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     abs(f.psi(mpmath.mpf(0.7)) + mpmath.tanh(mpmath.mpf(0.35))) < 1e-28  # -tanh(e/2)
    True
    """
    return NoiseFunctions(noise, reference_noise(noise))


def _tanh_sinh_vector(f: Callable, size: int, points: Sequence) -> tuple[list, list]:
    """Integrate the ``size`` components of ``f(x)`` over ``points`` on *shared* tanh-sinh nodes.

    The same degree-doubling scheme and error extrapolation as :func:`mpmath.quad`
    (``mpmath.calculus.quadrature.TanhSinh``), but every integrand is evaluated at
    each node once, so the mixture and noise densities are computed once per node
    for all the moments of a point. The error estimate is absolute: callers
    rescale the integrand to an O(1) peak.
    """
    ctx = mpmath.mp
    rule = TanhSinh(ctx)
    prec, epsilon = ctx.prec, ctx.eps
    totals, errors = [ctx.zero] * size, [ctx.zero] * size
    for a, b in itertools.pairwise(points):
        history: list[list] = []
        for degree in range(1, _MAX_DEGREE + 1):
            nodes = rule.get_nodes(a, b, degree, prec)
            h = ctx.mpf(2) ** (-degree)
            sums = [r / (2 * h) for r in history[-1]] if history else [ctx.zero] * size
            for x, w in nodes:
                for i, value in enumerate(f(x)):
                    sums[i] += w * value
            history.append([h * s for s in sums])
            if degree > 1:
                step = [rule.estimate_error([r[i] for r in history], prec, epsilon)
                        for i in range(size)]
                if max(step) <= epsilon:
                    break
        for i in range(size):
            totals[i] += history[-1][i]
            errors[i] += step[i]
    return totals, errors


@dataclass(frozen=True)
class PosteriorIntegrals:
    """Posterior integrals at one ``x~``, all from one quadrature.

    ``normaliser = integral p(x) q_sigma(x~ - x) dx`` (= ``p_sigma(x~)`` up to the
    rescaling that cancels in every ratio), ``noise[i] = integral p q_sigma g_i(E) dx``
    and ``data[n] = integral p^(n)(x) q_sigma(x~ - x) dx`` (= ``p_sigma^(n)``, rescaled).
    """

    normaliser: mpmath.mpf
    noise: tuple
    data: dict

    def expectation(self, i: int) -> mpmath.mpf:
        """``E[g_i(E) | x~]``."""
        return self.noise[i] / self.normaliser

    def derivative_ratio(self, n: int) -> mpmath.mpf:
        """``m_n = p_sigma^(n) / p_sigma`` by the data route."""
        return self.data[n] / self.normaliser


def posterior_integrals(mixture: GaussianMixture, x_tilde: float, sigma: float, noise: str,
                        functions: Sequence[Callable] = (), data_orders: Sequence[int] = ()
                        ) -> PosteriorIntegrals:
    """Posterior integrals at one point ``x~`` of a 1-D mixture under ``noise``.

    ``functions`` are mpmath functions ``g(E)`` of the standardised noise;
    ``data_orders`` the derivative orders of ``p_sigma`` wanted by the data route.
    Call inside ``mpmath.workdps(...)``; the public wrappers use
    :data:`QUADRATURE_DPS`.
    """
    noise_fns = noise_functions(noise)
    xt, s = mpmath.mpf(float(x_tilde)), mpmath.mpf(float(sigma))
    log_s = mpmath.log(s)
    components = []
    for w, mu, v in zip(mixture.weights, mixture.means[:, 0], mixture.covariances[:, 0, 0],
                        strict=True):
        sd = mpmath.sqrt(mpmath.mpf(float(v)))
        log_norm = mpmath.log(mpmath.mpf(float(w)) / sd) - mpmath.log(2 * mpmath.pi) / 2
        components.append((log_norm, mpmath.mpf(float(mu)), sd))
    orders = tuple(data_orders)
    top = max(orders, default=0)

    def log_integrand(x):
        log_q = noise_fns.log_density((xt - x) / s) - log_s
        parts = [(log_norm - ((x - mu) / sd) ** 2 / 2, (x - mu) / sd, sd)
                 for log_norm, mu, sd in components]
        return log_q, parts

    # Breakpoints at the data modes and at x~ on the scales of each; the scale is the
    # largest log-integrand among them, so the peak is O(1) and absolute error means
    # relative error (mpmath.quad's own criterion is absolute).
    cuts = {xt + k * s for k in (-8, -1, 0, 1, 8)}
    for _, mu, sd in components:
        cuts |= {mu + k * sd for k in (-8, -1, 0, 1, 8)}
    ordered = sorted(cuts)

    def log_value(x):
        log_q, parts = log_integrand(x)
        return log_q + mpmath.log(sum(mpmath.exp(lp) for lp, _, _ in parts))

    scale = max(log_value(x) for x in ordered)

    def f(x):
        log_q, parts = log_integrand(x)
        density = mpmath.mpf(0)
        derivatives = [mpmath.mpf(0)] * (top + 1)
        for lp, z, sd in parts:
            weight = mpmath.exp(lp + log_q - scale)
            density += weight
            if top:
                hermite = _hermite_e_values(top, z)
                for n in orders:
                    derivatives[n] += (-1) ** n * hermite[n] / sd**n * weight
        e = (xt - x) / s
        return [density, *(density * g(e) for g in functions),
                *(derivatives[n] for n in orders)]

    size = 1 + len(functions) + len(orders)
    values, errors = _tanh_sinh_vector(f, size, (mpmath.ninf, *ordered, mpmath.inf))
    norm = values[0]
    for value, error in zip(values, errors, strict=True):
        if not error <= QUADRATURE_TOLERANCE * max(abs(value), norm) / 10:
            raise ArithmeticError(
                f"posterior quadrature did not converge at x~={float(xt)}, sigma={float(s)}: "
                f"value {mpmath.nstr(value, 8)}, error estimate {mpmath.nstr(error, 3)}")
    k = len(functions)
    return PosteriorIntegrals(norm, tuple(values[1:1 + k]),
                              dict(zip(orders, values[1 + k:], strict=True)))


def _hermite_e_values(top: int, z) -> list:
    """``[He_0(z), ..., He_top(z)]`` by the three-term recurrence (derivatives of a
    Gaussian *data* component: ``phi^(n)(z) = (-1)^n He_n(z) phi(z)``)."""
    values = [mpmath.mpf(1), z]
    for k in range(1, top):
        values.append(z * values[k] - k * values[k - 1])
    return values[: top + 1]


@dataclass(frozen=True)
class PosteriorGrid:
    """Posterior expectations at many points ``x~`` (double precision).

    ``mean[n]``, ``variance[n]``: ``E[T_n | x~]`` and ``Var[T_n | x~]`` with
    ``T_n = q^(n)(E)/(q(E) sigma^n)`` (noise route); ``psi_prime``: ``E[psi'(E) | x~]``;
    ``ratio[k]``: ``m_k = p_sigma^(k)/p_sigma`` (data route); ``log_density``:
    ``log p_sigma(x~)``. Arrays of shape ``(N,)``.
    """

    mean: dict
    variance: dict
    psi_prime: NDArray[np.float64]
    ratio: dict
    log_density: NDArray[np.float64]


def data_nodes(mixture: GaussianMixture, sigma: float, resolution: float):
    """Gauss-Legendre nodes and weights over the data support (``p < 1e-31 p_max``
    outside), in panels no wider than half the data and noise scales."""
    mu, sd = mixture.means[:, 0], np.sqrt(mixture.eigenvalues[:, 0])
    lo, hi = float(np.min(mu - 12 * sd)), float(np.max(mu + 12 * sd))
    panel = min(float(sd.min()), sigma) / (2 * resolution)
    count = math.ceil((hi - lo) / panel)
    nodes, weights = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(lo, hi, count + 1)
    half = np.diff(edges)[:, None] / 2
    x = ((edges[:-1, None] + edges[1:, None]) / 2 + half * nodes).ravel()
    return x, (half * weights).ravel()


def posterior_grid(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float,
                   noise: str = "gaussian", orders: Sequence[int] = (1,),
                   data_orders: Sequence[int] = (), resolution: float = 1.0) -> PosteriorGrid:
    """Posterior expectations of a 1-D mixture under ``noise`` at every ``x~`` at once.

    Double-precision Gauss-Legendre quadrature over the data variable (16 nodes per
    panel, panels of half the smaller of the data and noise scales); the conditional
    variance is formed about the conditional mean (two passes), never as
    ``E[T^2] - E[T]^2``. Its agreement with the high-precision :func:`posterior_integrals`
    is checked by ``dsmw verify`` (``NOISE``: "posterior grid vs mpmath").

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> g = posterior_grid(example("two-mode-1d"), [0.2, 1.0], 0.5, "logistic", (2,), (2,))
    >>> bool(np.allclose(g.mean[2], g.ratio[2], rtol=1e-11))     # C1 under logistic noise
    True
    """
    check_one_dimensional(mixture, "posterior quadrature",
                          "use a one-dimensional mixture (or Gaussian noise)")
    s = check_sigma(sigma)
    points = np.asarray(x_tilde, dtype=np.float64).reshape(-1)
    reference = reference_noise(noise)
    noise_orders = tuple(check_order(n, name="orders") for n in orders)
    ratio_orders = tuple(check_order(k, name="data_orders") for k in data_orders)
    x, w_in = data_nodes(mixture, s, resolution)
    log_p = mixture.logpdf(x[:, None])
    data_ratio = {k: mixture.derivative_ratio(x[:, None], k) for k in ratio_orders}
    out_mean = {n: np.empty(points.size) for n in noise_orders}
    out_var = {n: np.empty(points.size) for n in noise_orders}
    out_ratio = {k: np.empty(points.size) for k in ratio_orders}
    psi_prime, log_density = np.empty(points.size), np.empty(points.size)
    rows = max(1, 2_000_000 // x.size)
    for start in range(0, points.size, rows):
        chunk = slice(start, start + rows)
        e = (points[chunk, None] - x[None, :]) / s
        with np.errstate(under="ignore"):
            log_kernel = log_p[None, :] + reference.log_density(e)
            top = np.max(log_kernel, axis=1, keepdims=True)
            kernel = np.exp(log_kernel - top) * w_in
        mass = kernel.sum(axis=1)
        log_density[chunk] = top[:, 0] + np.log(mass) - math.log(s)
        for n in noise_orders:
            target = reference.ratio(n, e) / s**n
            mean = np.einsum("ij,ij->i", kernel, target) / mass
            out_mean[n][chunk] = mean
            out_var[n][chunk] = np.einsum("ij,ij->i", kernel,
                                          (target - mean[:, None]) ** 2) / mass
        psi_prime[chunk] = np.einsum("ij,ij->i", kernel, reference.psi_prime(e)) / mass
        for k in ratio_orders:
            out_ratio[k][chunk] = kernel @ data_ratio[k] / mass
    return PosteriorGrid(out_mean, out_var, psi_prime, out_ratio, log_density)


def quadrature_moments(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float,
                       order: int = 1, noise: str = "gaussian", ratio_orders: Sequence[int] = ()
                       ) -> dict[str, NDArray[np.float64]]:
    """Conditional moments of the order-``n`` target by posterior quadrature (d = 1).

    Returns ``{"mean": E[T_n | x~], "variance": Var[T_n | x~]}`` (noise route) and
    ``"ratio": m_n`` (data route), plus ``"m<k>"`` for each of ``ratio_orders``, each of
    shape ``x_tilde.shape[:-1]``, accurate to :data:`QUADRATURE_TOLERANCE` relative
    (double-precision :func:`posterior_grid`).

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> r = quadrature_moments(example("two-mode-1d"), np.array([[0.2]]), 0.5, 2, "logistic")
    >>> bool(abs(r["mean"][0] / r["ratio"][0] - 1) < 1e-10)     # C1 under logistic noise
    True
    """
    check_one_dimensional(mixture, "posterior quadrature",
                          "use a one-dimensional mixture (or Gaussian noise)")
    n = check_order(order)
    s = check_sigma(sigma)
    points = check_points("x_tilde", x_tilde, 1)
    extra = tuple(check_order(k, name="ratio_orders") for k in ratio_orders)
    grid = posterior_grid(mixture, points[..., 0], s, noise, (n,), sorted({n, *extra}))
    shape = points.shape[:-1]
    out = {"mean": grid.mean[n].reshape(shape), "variance": grid.variance[n].reshape(shape),
           "ratio": grid.ratio[n].reshape(shape)}
    for k in extra:
        out[f"m{k}"] = grid.ratio[k].reshape(shape)
    return out

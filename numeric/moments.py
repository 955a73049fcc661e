"""Exact conditional moments of the DSM target under Gaussian noise, from the posterior.

The posterior ``p(x | x~)`` of a Gaussian mixture is a Gaussian mixture, so the
standardised noise ``E = (x~ - X)/sigma`` is, given ``x~``, a mixture of normals
``N(a_k, b_k)``. Moments of ``He_n(E)`` follow from the normal moments
``M_j = a M_(j-1) + (j-1) b M_(j-2)`` and the monomial coefficients of ``He_n``.
This route never touches the derivative ratios of ``p_sigma`` that the SymPy
formulas are fed with, so it is an independent reference for C1 and C2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.polynomial import hermite_e as herme
from numpy.typing import ArrayLike, NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_one_dimensional,
    check_order,
    check_points,
    check_sigma,
)
from numeric.mixture import GaussianMixture, hermite_e, sum_last

__all__ = [
    "conditional_covariance",
    "conditional_mean",
    "optimal_weight",
]

Array = NDArray[np.float64]


def _noise_posterior(gm: GaussianMixture, x_tilde: Array, sigma: float):
    """Responsibilities (..., K), means a (..., K) and variances b (K,) of E given x~ (d = 1)."""
    log_r, means, post_var = gm.posterior_parts(x_tilde, sigma)
    r = np.exp(log_r)
    a = (x_tilde[..., None, 0] - means[..., 0]) / sigma
    b = post_var[:, 0] / sigma**2
    return r, a, b


def _normal_moments(a: Array, b: Array, top: int) -> list[Array]:
    moments = [np.ones_like(a), a.copy()]
    for j in range(2, top + 1):
        moments.append(a * moments[j - 1] + (j - 1) * b * moments[j - 2])
    return moments[: top + 1]


def _hermite_expectations(gm, x_tilde, sigma, n):
    """``E[He_n(E) | x~]`` and ``E[He_n(E)^2 | x~]``."""
    r, a, b = _noise_posterior(gm, x_tilde, sigma)
    coeffs = herme.herme2poly(np.eye(n + 1)[n])
    square = np.convolve(coeffs, coeffs)
    moments = _normal_moments(a, np.broadcast_to(b, a.shape), 2 * n)
    first = sum(c * moments[j] for j, c in enumerate(coeffs) if c != 0)
    second = sum(c * moments[j] for j, c in enumerate(square) if c != 0)
    return sum_last(r * first), sum_last(r * second)


def _arguments(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float, order: int
               ) -> tuple[float, int, Array]:
    """Validated ``(sigma, order, points)``; orders > 1 need d = 1."""
    s = check_sigma(sigma)
    n = check_order(order)
    points = check_points("x_tilde", x_tilde, mixture.dim)
    if mixture.dim > 1 and n != 1:
        raise InvalidArgumentError("order", order, "orders > 1 need d = 1",
                                   "use a one-dimensional mixture or order=1")
    return s, n, points


def _quadrature(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float, order: int,
                noise: str, key: str) -> Array | None:
    """Non-Gaussian noise: the posterior quadrature of :mod:`numeric.quadrature` (d = 1)."""
    if noise == "gaussian":
        return None
    from numeric.quadrature import quadrature_moments

    return quadrature_moments(mixture, x_tilde, sigma, order, noise)[key]


def conditional_mean(
    mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float, order: int = 1,
    noise: str = "gaussian",
) -> Array:
    """``E[T_n | x~]``: exactly ``(-1)^n E[He_n(E) | x~] / sigma^n`` (d = 1), or
    ``(E[X | x~] - x~) / sigma^2`` for ``order = 1`` in any dimension, under Gaussian
    noise; by posterior quadrature of ``T_n`` (d = 1) under ``logistic``/``student_t:NU``.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> gm, x = example("two-mode-1d"), np.array([[0.3], [1.0]])
    >>> bool(np.allclose(conditional_mean(gm, x, 0.5, 2), gm.noised(0.5).derivative_ratio(x, 2)))
    True
    """
    by_quadrature = _quadrature(mixture, x_tilde, sigma, order, noise, "mean")
    if by_quadrature is not None:
        return by_quadrature
    s, n, points = _arguments(mixture, x_tilde, sigma, order)
    if mixture.dim > 1:
        mean, _ = mixture.posterior_moments(points, s)
        return (mean - points) / s**2
    first, _ = _hermite_expectations(mixture, points, s, n)
    return (-1) ** n * first / s**n


def conditional_covariance(
    mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float, order: int = 1,
    noise: str = "gaussian",
) -> Array:
    """``Cov[T_n | x~]``: scalars (...) for d = 1, ``(..., d, d)`` for order 1, d > 1.

    Exact for Gaussian noise; posterior quadrature (d = 1, accurate to 1e-10) for
    ``noise="logistic"`` or ``"student_t:NU"``.
    """
    by_quadrature = _quadrature(mixture, x_tilde, sigma, order, noise, "variance")
    if by_quadrature is not None:
        return by_quadrature
    s, n, points = _arguments(mixture, x_tilde, sigma, order)
    if mixture.dim > 1:
        _, cov = mixture.posterior_moments(points, s)
        return cov / s**4
    if n == 1:
        # Law of total variance over components: no cancellation of large moments.
        _, cov = mixture.posterior_moments(points, s)
        return cov[..., 0, 0] / s**4
    first, second = _hermite_expectations(mixture, points, s, n)
    return (second - first**2) / s ** (2 * n)


def optimal_weight(
    mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float, order: int = 1,
    noise: str = "gaussian",
) -> Array:
    """``W* = Sigma_n^-1`` (inverse matrix for d > 1)."""
    cov = conditional_covariance(mixture, x_tilde, sigma, order, noise)
    return np.linalg.inv(cov) if mixture.dim > 1 else 1.0 / cov


def target_central_moments(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float,
                           order: int, power: int | Sequence[int]) -> Array | tuple[Array, ...]:
    """``E[(T_n - E[T_n | x~])^k | x~]`` exactly, at every point of a 1-D mixture.

    ``power`` is one ``k`` (returns an array) or several (returns a tuple of arrays,
    computed in one pass over the posterior).

    Used for the *known* standard errors of the Monte Carlo z-tests: under the null
    hypothesis the variance of the draws' mean is ``E[(T - m)^2]/N`` and that of the
    mean of ``(T - m)^2`` is ``(E[(T - m)^4] - E[(T - m)^2]^2)/N``. Estimating them
    from the same heavy-tailed draws instead correlates the estimate with its error
    and inflates the false-alarm rate (measured in ``notes/reliability.md``).
    Given ``x~`` and a component, the noise is ``E = a + sqrt(b) Z``; the integrand is a
    polynomial of degree ``n k`` in ``Z``, so Gauss-Hermite quadrature with
    ``n k / 2 + 1`` nodes is exact, and each component is centred on its own mean, so
    no large raw moments cancel.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> gm, x = example("two-mode-1d"), np.array([[0.3], [1.1]])
    >>> second = target_central_moments(gm, x, 0.5, 2, 2)
    >>> bool(np.allclose(second, conditional_covariance(gm, x, 0.5, 2), rtol=1e-10))
    True
    >>> again, fourth = target_central_moments(gm, x, 0.5, 2, (2, 4))
    >>> bool(np.allclose(again, second, rtol=1e-12) and np.all(fourth >= second**2))
    True
    """
    s = check_sigma(sigma)
    n = check_order(order)
    single = not isinstance(power, Sequence)
    powers = tuple(check_order(k, name="power") for k in ((power,) if single else power))
    points = check_points("x_tilde", x_tilde, 1)
    check_one_dimensional(mixture, "the central moments of T_n")
    # one posterior, one set of nodes and one centred target serve every power
    mean = conditional_mean(mixture, points, s, n)
    r, a, b = _noise_posterior(mixture, points, s)
    nodes, weights = herme.hermegauss(n * max(powers) // 2 + 1)
    noise = a[..., None] + np.sqrt(b)[:, None] * nodes          # (..., K, J)
    centred = (-1) ** n * hermite_e(n, noise) / s**n - mean[..., None, None]
    weights = weights / np.sqrt(2 * np.pi)
    moments = tuple(sum_last(r * (centred**k @ weights)) for k in powers)
    return moments[0] if single else moments

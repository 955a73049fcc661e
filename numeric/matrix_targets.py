"""The order-1 and order-2 targets in d dimensions, exactly, on Gaussian mixtures.

Two independent routes, one per side of the identities of C1/C2/C4 in d dimensions:

* :func:`derivative_ratio_tensors` -- ``D^n p / p`` of a mixture (``n <= 4``), what the
  derived formulas are fed with: per component ``D^n N / N`` is a Hermite tensor in
  ``y = P (x - mu)`` with the precision ``P``, from ``R_(n+1) = -R_n y + D R_n``;
* :func:`posterior_expectation` -- ``E[f(E) | x~]`` of any function of the standardised
  noise ``E = (x~ - X)/sigma`` under the exact posterior (a Gaussian mixture), by the
  tensor Gauss-Hermite rule per component, exact for polynomials up to a stated degree.
  It never touches derivative ratios, so it is the reference for the matrix targets
  ``T_1 = -E/sigma`` and ``T_2 = (E E^T - I)/sigma^2`` (:func:`target_covariance`).

Examples
--------
>>> import numpy as np
>>> from numeric.mixture import GaussianMixture
>>> gm = GaussianMixture([0.4, 0.6], [[0.0, 0.0], [1.0, -1.0]], [np.eye(2), 0.5 * np.eye(2)])
>>> x = np.array([[0.3, 0.2]])
>>> m1, m2 = derivative_ratio_tensors(gm, x, 2)
>>> bool(np.allclose(m2, gm.hessian(x) + m1[..., :, None] * m1[..., None, :]))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.polynomial import hermite_e as herme
from numpy.typing import ArrayLike, NDArray

from numeric._validation import InvalidArgumentError, check_order, check_points, check_sigma
from numeric.mixture import GaussianMixture

__all__ = [
    "derivative_ratio_tensors",
    "posterior_expectation",
    "target_covariance",
    "target_values",
]

Array = NDArray[np.float64]
_LETTERS = "abcdefgh"


def _component_ratios(y: Array, precision: Array, top: int) -> list[Array]:
    """``D^n N / N`` for ``n = 1..top`` at offsets ``y = P (x - mu)`` (..., d)."""
    p = precision
    yy = y[..., :, None] * y[..., None, :]
    out = [-y, yy - p]
    if top >= 3:
        yyy = yy[..., None] * y[..., None, None, :]
        # P_ab y_c + P_ac y_b + P_bc y_a
        py = p[..., :, :, None] * y[..., None, None, :]
        out.append(-yyy + py + np.swapaxes(py, -1, -2) + np.moveaxis(py, -1, -3))
    if top >= 4:
        yyyy = yyy[..., None] * y[..., None, None, None, :]
        pyy = p[..., :, :, None, None] * yy[..., None, None, :, :]
        pp = p[..., :, :, None, None] * p[..., None, None, :, :]
        # six placements of P among four indices, three pairings of P P
        six = sum(np.transpose(pyy, (*range(pyy.ndim - 4), *(pyy.ndim - 4 + q for q in order)))
                  for order in ((0, 1, 2, 3), (0, 2, 1, 3), (0, 2, 3, 1), (2, 0, 1, 3),
                                (2, 0, 3, 1), (2, 3, 0, 1)))
        three = sum(np.transpose(pp, (*range(pp.ndim - 4), *(pp.ndim - 4 + q for q in order)))
                    for order in ((0, 1, 2, 3), (0, 2, 1, 3), (0, 2, 3, 1)))
        out.append(yyyy - six + three)
    return out[:top]


def derivative_ratio_tensors(mixture: GaussianMixture, x: ArrayLike, top: int = 4
                             ) -> list[Array]:
    """``[D p / p, D^2 p / p, ..., D^top p / p]`` of ``mixture`` at ``x`` (``top <= 4``).

    Averages of the components' Hermite tensors with log-sum-exp responsibilities, so the
    ratios stay finite where ``p`` itself underflows. For ``p_sigma`` pass
    ``mixture.noised(sigma)``.

    Parameters
    ----------
    mixture : GaussianMixture
    x : array_like, shape (..., d)
    top : int
        Highest order, 1..4.

    Returns
    -------
    list of ndarray
        Entry ``n - 1`` has shape ``(..., d, ..., d)`` with ``n`` trailing axes.
    """
    order = check_order(top, name="top")
    if order > 4:
        raise InvalidArgumentError("top", top, "derivative-ratio tensors go up to order 4",
                                   "pass top <= 4")
    points = check_points("x", x, mixture.dim)
    r = mixture.responsibilities(points)                                  # (..., K)
    precisions = np.linalg.inv(mixture.covariances)                       # (K, d, d)
    offsets = points[..., None, :] - mixture.means                        # (..., K, d)
    y = np.einsum("kij,...kj->...ki", precisions, offsets)
    ratios = _component_ratios(y, precisions, order)
    return [np.einsum("...k,...k" + _LETTERS[:n] + "->..." + _LETTERS[:n], r, ratio)
            for n, ratio in enumerate(ratios, start=1)]


def _cubature(points_per_axis: int, dim: int) -> tuple[Array, Array]:
    """Tensor Gauss-Hermite nodes ``(M, d)`` and weights ``(M,)`` for ``N(0, I_d)``."""
    nodes, weights = herme.hermegauss(points_per_axis)
    weights = weights / weights.sum()
    grid = np.stack(np.meshgrid(*([nodes] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    w = np.prod(np.stack(np.meshgrid(*([weights] * dim), indexing="ij"), axis=-1)
                .reshape(-1, dim), axis=-1)
    return grid, w


def posterior_expectation(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float,
                          function: Callable[[Array], Array], degree: int) -> Array:
    """``E[f(E) | x~]`` for ``E = (x~ - X)/sigma`` under the exact posterior of ``X``.

    ``function`` maps noise values ``(..., M, d)`` to ``(..., M, *shape)``; the result is
    exact (to rounding) when ``f`` is a polynomial of total degree ``<= degree``: the rule
    has ``degree // 2 + 1`` nodes per axis and each component is a normal distribution.

    Returns
    -------
    ndarray, shape (..., *shape)
    """
    s = check_sigma(sigma)
    points = check_points("x_tilde", x_tilde, mixture.dim)
    exactness = check_order(degree, name="degree", minimum=0)
    log_r, means, post_eigenvalues = mixture.posterior_parts(points, s)
    r = np.exp(log_r)                                                     # (..., K)
    nodes, weights = _cubature(exactness // 2 + 1, mixture.dim)           # (M, d), (M,)
    # E = (x~ - X)/sigma with X = mu_k + U_k sqrt(lambda_k) z: a normal per component
    factors = mixture._eigenvectors * np.sqrt(post_eigenvalues)[:, None, :] / s  # (K, d, d)
    centres = (points[..., None, :] - means) / s                           # (..., K, d)
    noise = centres[..., None, :] - np.einsum("kij,mj->kmi", factors, nodes)  # (..., K, M, d)
    values = np.asarray(function(noise), dtype=np.float64)
    shape = values.shape[noise.ndim - 1:]
    letters = _LETTERS[:len(shape)]
    return np.einsum(f"...k,m,...km{letters}->...{letters}", r, weights, values)


def target_values(noise: Array, sigma: float, order: int) -> Array:
    """``vec T_1 = -E/sigma`` (order 1) or ``vec T_2 = vec(E E^T - I)/sigma^2`` (order 2,
    row-major), from the noise: the definitions, nothing derived."""
    if order == 1:
        return -noise / sigma
    dim = noise.shape[-1]
    outer = noise[..., :, None] * noise[..., None, :] - np.eye(dim)
    return outer.reshape(*noise.shape[:-1], dim * dim) / sigma**2


def target_covariance(mixture: GaussianMixture, x_tilde: ArrayLike, sigma: float,
                      order: int) -> tuple[Array, Array]:
    """Exact ``E[vec T_n | x~]`` and ``Cov[vec T_n | x~]`` for ``n = 1, 2`` (any ``d``), by
    :func:`posterior_expectation` of the definitions (:func:`target_values`).

    Returns
    -------
    mean : ndarray, shape (..., d^n)
    covariance : ndarray, shape (..., d^n, d^n)
    """
    n = check_order(order)
    if n > 2:
        raise InvalidArgumentError("order", order, "the matrix targets exist for orders 1 "
                                   "and 2", "pass order=1 or order=2")

    def first_two(noise: Array) -> Array:
        t = target_values(noise, sigma, n)
        return np.concatenate([t, (t[..., :, None] * t[..., None, :]).reshape(
            *t.shape[:-1], -1)], axis=-1)

    size = mixture.dim**n
    both = posterior_expectation(mixture, x_tilde, sigma, first_two, 2 * n)
    mean = both[..., :size]
    second = both[..., size:].reshape(*both.shape[:-1], size, size)
    covariance = second - mean[..., :, None] * mean[..., None, :]
    return mean, 0.5 * (covariance + np.swapaxes(covariance, -1, -2))

"""Independent high-precision references for the Gaussian-mixture closed forms.

Nothing here shares code with :mod:`numeric.mixture`: densities are direct
sums of Gaussian densities evaluated in mpmath (matrix inverse and
determinant, no eigen-decomposition), derivatives of every order come from
:func:`mpmath.diff` of that density (no Hermite polynomials), and posterior
moments come from quadrature in 1-D or from the information (precision) form
of Bayes' rule in higher dimension. Precision is scoped with
:func:`mpmath.workdps`.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray

from numeric.mixture import GaussianMixture

__all__ = [
    "REFERENCE_DPS",
    "reference_derivative_ratio",
    "reference_hessian",
    "reference_logpdf",
    "reference_posterior_moments",
    "reference_score",
]

#: Working precision (decimal digits) of every reference.
REFERENCE_DPS = 40


def _components(gm: GaussianMixture, extra_variance: mpmath.mpf | int = 0):
    weights = [mpmath.mpf(float(w)) for w in gm.weights]
    means = [mpmath.matrix([float(v) for v in mu]) for mu in gm.means]
    covs = []
    for cov in gm.covariances:
        c = mpmath.matrix([[float(v) for v in row] for row in cov])
        covs.append(c + extra_variance * mpmath.eye(gm.dim))
    return weights, means, covs


def _density_parts(gm: GaussianMixture, x: Sequence[float], extra_variance=0):
    """Density, gradient and Hessian of ``p`` (not of ``log p``) at ``x``, in mpmath."""
    d = gm.dim
    point = mpmath.matrix([mpmath.mpf(float(v)) for v in x])
    density = mpmath.mpf(0)
    gradient = mpmath.zeros(d, 1)
    hess = mpmath.zeros(d, d)
    for w, mu, cov in zip(*_components(gm, extra_variance), strict=True):
        precision = mpmath.inverse(cov)
        diff = point - mu
        quad = (diff.T * precision * diff)[0, 0]
        value = w * mpmath.exp(-quad / 2) / mpmath.sqrt((2 * mpmath.pi) ** d * mpmath.det(cov))
        direction = precision * diff
        density += value
        gradient += -value * direction
        hess += value * (direction * direction.T - precision)
    return density, gradient, hess


def reference_logpdf(gm: GaussianMixture, x: Sequence[float]) -> mpmath.mpf:
    """``log p(x)`` at one point, by a direct mpmath sum of Gaussian densities."""
    with mpmath.workdps(REFERENCE_DPS):
        density, _, _ = _density_parts(gm, x)
        return mpmath.log(density)


def reference_score(gm: GaussianMixture, x: Sequence[float]) -> list[mpmath.mpf]:
    """``grad log p(x) = grad p / p`` at one point."""
    with mpmath.workdps(REFERENCE_DPS):
        density, gradient, _ = _density_parts(gm, x)
        return [gradient[i] / density for i in range(gm.dim)]


def reference_hessian(gm: GaussianMixture, x: Sequence[float]) -> list[list[mpmath.mpf]]:
    """Hessian of ``log p``: ``hess p / p - (grad p / p)(grad p / p)^T`` at one point."""
    with mpmath.workdps(REFERENCE_DPS):
        density, gradient, hess = _density_parts(gm, x)
        s = gradient / density
        h = hess / density - s * s.T
        return [[h[i, j] for j in range(gm.dim)] for i in range(gm.dim)]


def reference_derivative_ratio(gm: GaussianMixture, x: float, n: int) -> mpmath.mpf:
    """``p^(n)(x) / p(x)`` for a 1-D mixture by :func:`mpmath.diff` of the density."""
    if gm.dim != 1:
        raise ValueError("reference_derivative_ratio needs a one-dimensional mixture")
    weights = [mpmath.mpf(float(w)) for w in gm.weights]
    means = [mpmath.mpf(float(m)) for m in gm.means[:, 0]]
    variances = [mpmath.mpf(float(v)) for v in gm.covariances[:, 0, 0]]
    # Finite differences of order n lose about n * log10(1/h) digits: pad generously.
    with mpmath.workdps(REFERENCE_DPS + 8 * n):
        def density(t):
            return mpmath.fsum(
                w * mpmath.npdf(t, m, mpmath.sqrt(v))
                for w, m, v in zip(weights, means, variances, strict=True)
            )

        point = mpmath.mpf(float(x))
        return +(mpmath.diff(density, point, n) / density(point))


def reference_posterior_moments(
    gm: GaussianMixture, x_tilde: ArrayLike, sigma: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact posterior mean and covariance at one ``x~`` (shape ``(d,)``).

    In 1-D by mpmath quadrature of ``x^j p(x) N(x~; x, sigma^2)``; in higher
    dimension by Bayes' rule in information form, component by component:
    ``Cov_k = (C_k^-1 + I/sigma^2)^-1``, ``m_k = Cov_k (C_k^-1 mu_k + x~/sigma^2)``,
    and the law of total covariance over the responsibilities.
    """
    point = [float(v) for v in np.asarray(x_tilde, dtype=float).ravel()]
    s = mpmath.mpf(float(sigma))
    with mpmath.workdps(REFERENCE_DPS):
        if gm.dim == 1:
            return _posterior_moments_quadrature(gm, point[0], s)
        return _posterior_moments_information_form(gm, point, s)


def _posterior_moments_quadrature(gm: GaussianMixture, x_tilde: float, s):
    weights, means, covs = _components(gm)
    mus = [m[0] for m in means]
    sds = [mpmath.sqrt(c[0, 0]) for c in covs]
    xt = mpmath.mpf(x_tilde)
    terms = [(w / (sd * mpmath.sqrt(2 * mpmath.pi)), m, 2 * sd**2)
             for w, m, sd in zip(weights, mus, sds, strict=True)]
    noise_norm, noise_two_var = 1 / (s * mpmath.sqrt(2 * mpmath.pi)), 2 * s**2
    cache: dict = {}

    def raw_joint(x):
        # The three moment integrals visit the same nodes: evaluate each once.
        key = x
        if key not in cache:
            prior = mpmath.fsum(c * mpmath.exp(-(x - m) ** 2 / tv) for c, m, tv in terms)
            cache[key] = prior * noise_norm * mpmath.exp(-(xt - x) ** 2 / noise_two_var)
        return cache[key]

    # Break the line where the integrand has its mass: around each component's
    # share of the posterior (precision-weighted average of mu_k and x~). Nodes
    # only guide the quadrature; the values still come from integrating ``joint``.
    nodes = []
    for m, sd in zip(mus, sds, strict=True):
        v, s2 = sd**2, s**2
        centre = (m * s2 + xt * v) / (v + s2)
        width = sd * s / mpmath.sqrt(v + s2)
        nodes += [centre + j * width for j in (-40, -6, 0, 6, 40)]
    nodes = sorted(set(nodes))
    # mpmath.quad stops on an *absolute* error estimate: rescale the integrand so
    # that its peak is of order one, or far-tail points would "converge" at once.
    peak = max(raw_joint(c) for c in nodes)

    def joint(x):
        return raw_joint(x) / peak

    z = mpmath.quad(joint, nodes)
    mean = mpmath.quad(lambda x: x * joint(x), nodes) / z
    var = mpmath.quad(lambda x: (x - mean) ** 2 * joint(x), nodes) / z
    return np.array([float(mean)]), np.array([[float(var)]])


def _posterior_moments_information_form(gm: GaussianMixture, x_tilde: list[float], s):
    d = gm.dim
    weights, means, covs = _components(gm)
    noisy_weights, noisy = [], []
    _, _, noised_covs = _components(gm, s**2)
    xt = mpmath.matrix(x_tilde)
    for w, mu, cov, ncov in zip(weights, means, covs, noised_covs, strict=True):
        diff = xt - mu
        quad = (diff.T * mpmath.inverse(ncov) * diff)[0, 0]
        noisy_weights.append(
            w * mpmath.exp(-quad / 2) / mpmath.sqrt((2 * mpmath.pi) ** d * mpmath.det(ncov))
        )
        post_cov = mpmath.inverse(mpmath.inverse(cov) + mpmath.eye(d) / s**2)
        post_mean = post_cov * (mpmath.inverse(cov) * mu + xt / s**2)
        noisy.append((post_mean, post_cov))
    total = mpmath.fsum(noisy_weights)
    r = [w / total for w in noisy_weights]
    mean = mpmath.zeros(d, 1)
    for rk, (m, _) in zip(r, noisy, strict=True):
        mean += rk * m
    cov = mpmath.zeros(d, d)
    for rk, (m, c) in zip(r, noisy, strict=True):
        cov += rk * (c + (m - mean) * (m - mean).T)
    return (np.array([float(mean[i]) for i in range(d)]),
            np.array([[float(cov[i, j]) for j in range(d)] for i in range(d)]))

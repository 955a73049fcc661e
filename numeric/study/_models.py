"""Score models with analytic parameter gradients (C8, C9), one-dimensional data.

Both models map points ``x~`` and noise levels ``sigma`` (broadcast against each other)
and a parameter vector ``theta`` (leading axes allowed, for many runs at once) to a
score value and its Jacobian ``d f / d theta``:

* :class:`ComponentMeansModel`: the exact score of ``p_sigma`` with the component
  means as parameters; correctly specified at ``theta = means``.
* :class:`FeatureModel`: ``f = phi(x~, sigma) . theta`` with Hermite features of the
  standardised point times a polynomial embedding of ``log sigma``; misspecified on
  purpose for a multimodal mixture (it is exact for Gaussian data).

Shapes: ``theta`` is ``(..., p)``; ``x`` and ``sigma`` broadcast to ``(..., N)`` (the
leading axes matching ``theta``'s); outputs are ``(..., N)`` and ``(..., N, p)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from numeric.mixture import GaussianMixture, hermite_e, max_last, sum_last

__all__ = ["ComponentMeansModel", "FeatureModel", "mixture_score_1d"]

Array = NDArray[np.float64]


def _log_responsibilities(x: Array, means: Array, variances: Array, log_weights: Array
                          ) -> tuple[Array, Array]:
    # per-component log w_k N(x; mu_k, c_k) normalised over k, and the component scores
    c = variances
    offset = x[..., None] - means
    log_joint = log_weights - 0.5 * (np.log(c) + offset * offset / c)
    log_r = log_joint - max_last(log_joint)[..., None]
    log_r -= np.log(sum_last(np.exp(log_r)))[..., None]
    return log_r, -offset / c


def mixture_score_1d(x: Array, means: Array, variances: Array, log_weights: Array,
                     sigma: Array) -> tuple[Array, Array]:
    """Score and its ``x``-derivative of ``sum_k w_k N(mu_k, v_k + sigma^2)``, broadcast.

    ``means`` may carry leading axes (one set of means per run): shape ``(..., K)``;
    ``x`` and ``sigma`` broadcast to ``(..., N)``; returns two ``(..., N)`` arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> gm = example("two-mode-1d")
    >>> x = np.linspace(-3, 3, 7)
    >>> s, h = mixture_score_1d(x, gm.means[:, 0], gm.eigenvalues[:, 0], gm.log_weights, 0.5)
    >>> bool(np.allclose(s, gm.noised(0.5).score(x[:, None])[:, 0]))
    True
    >>> bool(np.allclose(h, gm.noised(0.5).hessian(x[:, None])[:, 0, 0]))
    True
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    c = variances + (sigma**2)[..., None]
    log_r, g = _log_responsibilities(x, means[..., None, :], c, log_weights)
    r = np.exp(log_r)
    score = sum_last(r * g)
    # d/dx sum_k r_k g_k = sum_k r_k (g_k - s)^2 - sum_k r_k / c_k  (between minus within)
    centred = g - score[..., None]
    return score, sum_last(r * (centred * centred - 1.0 / c))


@dataclass(frozen=True)
class ComponentMeansModel:
    """``f_theta(x~, sigma)`` = score of ``sum_k w_k N(theta_k, v_k + sigma^2)``.

    Weights and variances are those of ``mixture`` (known); the means are the
    parameters, so ``theta = means`` gives the true score of ``p_sigma``.

    ``d f / d theta_j = r_j [1 / c_j - g_j (g_j - f)]`` with ``c_j = v_j + sigma^2``,
    ``g_j = (theta_j - x~) / c_j`` and responsibilities ``r_j``.
    """

    mixture: GaussianMixture
    name: str = "component means (well-specified)"

    @property
    def n_parameters(self) -> int:
        return self.mixture.n_components

    def true_parameters(self) -> Array:
        """The parameters at which the model equals the true score: the means."""
        return self.mixture.means[:, 0].copy()

    def score(self, theta: Array, x: Array, sigma: Array) -> Array:
        return self.score_and_jacobian(theta, x, sigma)[0]

    def score_and_jacobian(self, theta: Array, x: Array, sigma: Array
                           ) -> tuple[Array, Array]:
        """``f`` with shape ``(..., N)`` and ``d f / d theta`` with shape ``(..., N, K)``."""
        theta = np.asarray(theta, dtype=np.float64)
        sigma = np.asarray(sigma, dtype=np.float64)
        c = self.mixture.eigenvalues[:, 0] + (sigma**2)[..., None]
        log_r, g = _log_responsibilities(x, theta[..., None, :], c, self.mixture.log_weights)
        r = np.exp(log_r)
        f = sum_last(r * g)
        return f, r * (1.0 / c - g * (g - f[..., None]))


@dataclass(frozen=True)
class FeatureModel:
    """``f_theta(x~, sigma) = sum_ij theta_ij He_i(u) e_j(sigma) / sqrt(v + sigma^2)``.

    ``u = (x~ - m) / sqrt(v + sigma^2)`` standardises with the data mean ``m`` and
    variance ``v``; ``e_j`` are Legendre polynomials of ``log sigma`` mapped to
    ``[-1, 1]`` over the schedule. Linear in ``theta``, so ``d f / d theta = phi``.
    Gaussian data is represented exactly (``theta_10 = -1``); a multimodal mixture is not.
    """

    mixture: GaussianMixture
    sigma_range: tuple[float, float]
    degree: int = 3
    sigma_degree: int = 2
    name: str = "Hermite features (misspecified)"

    @property
    def n_parameters(self) -> int:
        return (self.degree + 1) * (self.sigma_degree + 1)

    def _moments(self) -> tuple[float, float]:
        w, mu = self.mixture.weights, self.mixture.means[:, 0]
        mean = float(w @ mu)
        return mean, float(w @ (self.mixture.eigenvalues[:, 0] + (mu - mean) ** 2))

    def features(self, x: Array, sigma: Array) -> Array:
        """``phi(x~, sigma)``, shape ``broadcast(x, sigma).shape + (p,)``."""
        mean, variance = self._moments()
        x, sigma = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                       np.asarray(sigma, dtype=np.float64))
        scale = np.sqrt(variance + sigma**2)
        u = (x - mean) / scale
        lo, hi = np.log(self.sigma_range[0]), np.log(self.sigma_range[1])
        t = (2.0 * np.log(sigma) - lo - hi) / max(hi - lo, 1e-12)
        hermite = np.stack([hermite_e(i, u) for i in range(self.degree + 1)], axis=-1)
        legendre = np.stack([np.polynomial.legendre.legval(t, np.eye(self.sigma_degree + 1)[j])
                             for j in range(self.sigma_degree + 1)], axis=-1)
        phi = hermite[..., :, None] * legendre[..., None, :] / scale[..., None, None]
        return phi.reshape(*phi.shape[:-2], self.n_parameters)

    def score_and_jacobian(self, theta: Array, x: Array, sigma: Array
                           ) -> tuple[Array, Array]:
        phi = self.features(x, sigma)
        theta = np.asarray(theta, dtype=np.float64)
        return np.einsum("...np,...p->...n", phi, theta), phi

    def score(self, theta: Array, x: Array, sigma: Array) -> Array:
        return self.score_and_jacobian(theta, x, sigma)[0]

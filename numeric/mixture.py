"""The analytic Gaussian mixture: closed forms for densities, scores, posteriors.

For ``p = sum_k w_k N(mu_k, C_k)`` and Gaussian noise of level ``sigma``

* ``p_sigma = sum_k w_k N(mu_k, C_k + sigma^2 I)``;
* ``p(x | x~)`` is again a Gaussian mixture, with responsibilities
  ``r_k ∝ w_k N(x~; mu_k, C_k + sigma^2 I)``, means
  ``mu_k + C_k (C_k + sigma^2 I)^-1 (x~ - mu_k)`` and covariances
  ``sigma^2 C_k (C_k + sigma^2 I)^-1``.

Every component covariance is kept as its eigen-decomposition
``C_k = U_k diag(lambda_k) U_k^T``. Adding ``sigma^2 I`` only shifts the
eigenvalues, so all of the above are formed in the eigenbasis without ever
inverting an ill-conditioned matrix: this keeps the results finite and the
covariances positive-definite for ``sigma`` from 1e-4 to 1e4.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_covariances,
    check_finite_array,
    check_order,
    check_points,
    check_rng,
    check_sample_count,
    check_sigma,
    check_weights,
)

__all__ = ["GaussianMixture", "hermite_e", "log_softmax"]

Array = NDArray[np.float64]
_LOG_2PI = math.log(2.0 * math.pi)
_LARGE_CONTRACTION = 4096


def sum_last(a: Array) -> Array:
    # Reductions over a short, contiguous last axis (K components, d coordinates) run
    # numpy's per-row loop and are ~10x slower than one matrix-vector product.
    if a.shape[-1] == 1:
        return a[..., 0]
    return a @ np.ones(a.shape[-1])


def max_last(a: Array) -> Array:
    # Same reason: K element-wise maxima over columns instead of a per-row reduction.
    return functools.reduce(np.maximum, np.moveaxis(a, -1, 0))


def log_softmax(a: Array) -> Array:
    """``a - logsumexp(a)`` along the last axis, stable for very negative entries.

    Examples
    --------
    >>> import numpy as np
    >>> out = log_softmax(np.array([[0.0, -1000.0], [3.0, 3.0]]))
    >>> bool(np.allclose(np.exp(out).sum(axis=-1), 1.0) and np.isclose(out[1, 0], -np.log(2)))
    True
    """
    shifted = a - max_last(a)[..., None]
    return shifted - np.log(sum_last(np.exp(shifted)))[..., None]


def _contract(subscripts: str, *operands: Array, dim: int) -> Array:
    # einsum's plain loop is fastest for a few points or d = 1, but for many points in
    # d > 1 its BLAS path is 10-25x faster; the path search costs ~15 us, so pay it only then.
    large = dim > 1 and max(operand.size for operand in operands) > _LARGE_CONTRACTION
    return np.einsum(subscripts, *operands, optimize=large)


def _compose(eigenvectors: Array, eigenvalues: Array) -> Array:
    """``U_k diag(lambda_k) U_k^T`` for every component: ``(K, d, d)``."""
    return np.einsum("kij,kj,klj->kil", eigenvectors, eigenvalues, eigenvectors)


def hermite_e(n: int, z: Array) -> Array:
    """Probabilists' Hermite polynomial ``He_n(z)`` by the three-term recurrence.

    ``He_{k+1}(z) = z He_k(z) - k He_{k-1}(z)``; stable in floating point for
    the orders used here, and exact for integer ``z`` of moderate size.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.linspace(-3.0, 3.0, 7)
    >>> bool(np.allclose(hermite_e(3, z), z**3 - 3 * z))
    True
    """
    previous = np.ones_like(z)
    if n == 0:
        return previous
    current = np.array(z, dtype=np.float64, copy=True)
    for k in range(1, n):
        previous, current = current, z * current - k * previous
    return current


class GaussianMixture:
    """A Gaussian mixture ``sum_k w_k N(mu_k, C_k)`` on ``R^d``.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Positive component weights summing to one (within 1e-12).
    means : array_like, shape (K, d)
        Component means.
    covariances : array_like, shape (K, d, d)
        Symmetric positive-definite component covariances.

    Examples
    --------
    >>> gm = GaussianMixture.one_dimensional([0.3, 0.7], [-2.0, 1.5], [0.25, 0.5])
    >>> gm.dim, gm.n_components
    (1, 2)
    >>> import numpy as np
    >>> x = np.array([[0.1], [2.0]])
    >>> bool(np.allclose(gm.noised(0.5).logpdf(x), gm.noised(0.5).logpdf(x[::-1])[::-1]))
    True
    """

    __slots__ = ("_eigenvalues", "_eigenvectors", "_log_weights", "_means", "_sampling")

    def __init__(self, weights: ArrayLike, means: ArrayLike, covariances: ArrayLike) -> None:
        w = check_weights(weights)
        mu = check_finite_array("means", means)
        if mu.ndim != 2 or mu.shape[0] != w.size:
            raise InvalidArgumentError(
                "means", mu, f"expected shape (K, d) = ({w.size}, d), got {mu.shape}",
                "pass one mean vector per component (for d = 1 use one_dimensional)",
            )
        _, eigenvalues, eigenvectors = check_covariances(covariances, w.size, mu.shape[1])
        self._init_from_parts(np.log(w), mu, eigenvalues, eigenvectors)

    def _init_from_parts(
        self, log_weights: Array, means: Array, eigenvalues: Array, eigenvectors: Array
    ) -> None:
        self._log_weights = _frozen(log_weights)
        self._means = _frozen(means)
        self._eigenvalues = _frozen(eigenvalues)
        self._eigenvectors = _frozen(eigenvectors)
        self._sampling: _SamplingParts | None = None

    @classmethod
    def _from_parts(
        cls, log_weights: Array, means: Array, eigenvalues: Array, eigenvectors: Array
    ) -> GaussianMixture:
        # Trusted constructor for mixtures derived from a validated one.
        new = cls.__new__(cls)
        new._init_from_parts(log_weights, means, eigenvalues, eigenvectors)
        return new

    @classmethod
    def one_dimensional(
        cls, weights: ArrayLike, means: ArrayLike, variances: ArrayLike
    ) -> GaussianMixture:
        """A mixture on the real line from flat lists of weights, means and variances.

        Examples
        --------
        >>> gm = GaussianMixture.one_dimensional([1.0], [0.0], [2.0])
        >>> float(gm.covariances[0, 0, 0])
        2.0
        """
        mu = check_finite_array("means", means)
        var = check_finite_array("variances", variances)
        if mu.ndim != 1:
            raise InvalidArgumentError("means", mu, f"expected shape (K,), got {mu.shape}",
                                       "pass a flat list of means")
        if var.shape != mu.shape:
            raise InvalidArgumentError(
                "variances", var, f"expected shape {mu.shape} like means, got {var.shape}",
                "pass one variance per component",
            )
        if np.any(var <= 0):
            raise InvalidArgumentError("variances", var, "variances must be > 0",
                                       "pass positive variances")
        return cls(weights, mu[:, None], var[:, None, None])

    # -- description -------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Dimension ``d`` of the space."""
        return int(self._means.shape[1])

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return int(self._means.shape[0])

    @property
    def weights(self) -> Array:
        """Component weights, shape ``(K,)``."""
        return np.exp(self._log_weights)

    @property
    def log_weights(self) -> Array:
        """Log component weights, shape ``(K,)``; finite even where a weight underflows."""
        return self._log_weights

    @property
    def means(self) -> Array:
        """Component means, shape ``(K, d)``."""
        return self._means

    @property
    def covariances(self) -> Array:
        """Component covariances, shape ``(K, d, d)``."""
        return _compose(self._eigenvectors, self._eigenvalues)

    @property
    def eigenvalues(self) -> Array:
        """Eigenvalues of each component covariance, ascending, shape ``(K, d)``."""
        return self._eigenvalues

    def __repr__(self) -> str:
        with np.printoptions(precision=4, threshold=20):
            return (f"GaussianMixture(weights={self.weights!r}, means={self._means!r}, "
                    f"covariances={self.covariances!r})")

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, e.g. for JSON reports."""
        return {
            "weights": self.weights.tolist(),
            "means": self._means.tolist(),
            "covariances": self.covariances.tolist(),
        }

    # -- building blocks ---------------------------------------------------------------
    def _log_components(self, x: Array, noise_variance: float = 0.0) -> tuple[Array, Array, Array]:
        """Per-component log-weight + log-density, rotated offsets and shifted eigenvalues.

        Returns ``(log w_k + log N_k(x), y, lam)`` with ``y = U_k^T (x - mu_k)`` of shape
        ``(..., K, d)`` and ``lam = lambda_k + noise_variance`` of shape ``(K, d)``.
        """
        lam = self._eigenvalues + noise_variance
        offsets = x[..., None, :] - self._means
        y = _contract("kji,...kj->...ki", self._eigenvectors, offsets, dim=self.dim)
        mahalanobis = sum_last(y * y / lam)
        log_det = sum_last(np.log(lam))
        log_joint = self._log_weights - 0.5 * (self.dim * _LOG_2PI + log_det + mahalanobis)
        return log_joint, y, lam

    def _rotate_back(self, y: Array) -> Array:
        return _contract("kij,...kj->...ki", self._eigenvectors, y, dim=self.dim)

    def _precisions(self, lam: Array) -> Array:
        return _compose(self._eigenvectors, 1.0 / lam)

    def responsibilities(self, x: ArrayLike) -> Array:
        """Posterior component probabilities ``r_k(x) ∝ w_k N_k(x)``, shape ``(..., K)``."""
        points = check_points("x", x, self.dim)
        log_joint, _, _ = self._log_components(points)
        return np.exp(log_softmax(log_joint))

    # -- density and its derivatives ---------------------------------------------------
    def logpdf(self, x: ArrayLike) -> Array:
        """Log-density ``log p(x)`` for ``x`` of shape ``(..., d)``; returns ``(...)``.

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([1.0], [0.0], [1.0])
        >>> bool(np.isclose(gm.logpdf([0.0]), -0.5 * np.log(2 * np.pi)))
        True
        """
        points = check_points("x", x, self.dim)
        log_joint, _, _ = self._log_components(points)
        top = max_last(log_joint)
        return top + np.log(sum_last(np.exp(log_joint - top[..., None])))

    def score(self, x: ArrayLike) -> Array:
        """Score ``grad log p(x)``, shape ``(..., d)``."""
        points = check_points("x", x, self.dim)
        log_joint, y, lam = self._log_components(points)
        r = np.exp(log_softmax(log_joint))
        component_scores = -self._rotate_back(y / lam)
        return _contract("...k,...ki->...i", r, component_scores, dim=self.dim)

    def hessian(self, x: ArrayLike) -> Array:
        """Hessian of ``log p`` at ``x``, shape ``(..., d, d)``.

        Formed as ``-sum_k r_k P_k + sum_k r_k (g_k - s)(g_k - s)^T`` (within plus
        between components), never as a difference of large second moments.
        """
        points = check_points("x", x, self.dim)
        log_joint, y, lam = self._log_components(points)
        r = np.exp(log_softmax(log_joint))
        g = -self._rotate_back(y / lam)
        s = _contract("...k,...ki->...i", r, g, dim=self.dim)
        centred = g - s[..., None, :]
        within = -_contract("...k,kij->...ij", r, self._precisions(lam), dim=self.dim)
        between = _contract("...k,...ki,...kj->...ij", r, centred, centred, dim=self.dim)
        return within + between

    def derivative_ratio(self, x: ArrayLike, n: int) -> Array:
        """``p^(n)(x) / p(x)`` for a one-dimensional mixture, any ``n >= 0``.

        Uses ``N^(n)(x) / N(x) = (-1)^n v^(-n/2) He_n((x - mu) / sqrt(v))`` per component,
        averaged with log-sum-exp responsibilities, so it stays finite far in the
        tails where ``p`` itself underflows.

        Parameters
        ----------
        x : array_like, shape (..., 1)
        n : int
            Derivative order, ``n >= 0``.

        Returns
        -------
        ndarray, shape (...)

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([0.4, 0.6], [-1.0, 2.0], [0.5, 1.5])
        >>> x = np.array([[0.3], [1.7]])
        >>> bool(np.allclose(gm.derivative_ratio(x, 1), gm.score(x)[..., 0]))
        True
        >>> h = gm.hessian(x)[..., 0, 0]
        >>> bool(np.allclose(gm.derivative_ratio(x, 2), h + gm.score(x)[..., 0] ** 2))
        True
        """
        if self.dim != 1:
            raise InvalidArgumentError(
                "derivative_ratio", f"dim={self.dim}",
                "derivative ratios of every order are implemented for d = 1 only",
                "use score() and hessian() for d > 1",
            )
        order = check_order(n, minimum=0, name="n")
        points = check_points("x", x, 1)
        log_joint, _, lam = self._log_components(points)
        r = np.exp(log_softmax(log_joint))
        variance = lam[:, 0]
        z = (points - self._means[:, 0]) / np.sqrt(variance)
        per_component = (-1.0) ** order * variance ** (-order / 2.0) * hermite_e(order, z)
        return sum_last(r * per_component)

    # -- noise and posterior -----------------------------------------------------------
    def noised(self, sigma: float) -> GaussianMixture:
        """The mixture ``p_sigma = p * N(0, sigma^2 I)``."""
        s = check_sigma(sigma)
        return GaussianMixture._from_parts(
            self._log_weights, self._means, self._eigenvalues + s * s, self._eigenvectors
        )

    def posterior_parts(self, x_tilde: Array, sigma: float) -> tuple[Array, Array, Array]:
        """Log-responsibilities (..., K), means (..., K, d) and eigenvalues (K, d) of p(x | x~)."""
        s2 = sigma * sigma
        log_joint, y, lam_noised = self._log_components(x_tilde, s2)
        log_r = log_softmax(log_joint)
        shrink = self._eigenvalues / lam_noised  # lambda / (lambda + sigma^2), in (0, 1)
        means = self._means + self._rotate_back(shrink * y)
        # sigma^2 lambda / (lambda + sigma^2), written to avoid cancellation at both ends
        post_eigenvalues = s2 * shrink
        return log_r, means, post_eigenvalues

    def posterior(self, x_tilde: ArrayLike, sigma: float) -> GaussianMixture:
        """The Gaussian mixture ``p(x | x~)`` at one point ``x~`` of shape ``(d,)``.

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([1.0], [0.0], [1.0])
        >>> post = gm.posterior([2.0], 1.0)       # N(1, 1/2) for unit prior and noise
        >>> bool(np.allclose([post.means[0, 0], post.covariances[0, 0, 0]], [1.0, 0.5]))
        True
        """
        s = check_sigma(sigma)
        point = check_points("x_tilde", x_tilde, self.dim)
        if point.shape != (self.dim,):
            raise InvalidArgumentError(
                "x_tilde", point, f"posterior() takes a single point of shape ({self.dim},)",
                "use posterior_moments() for a batch of points",
            )
        log_r, means, post_eigenvalues = self.posterior_parts(point, s)
        return GaussianMixture._from_parts(log_r, means, post_eigenvalues, self._eigenvectors)

    def posterior_moments(self, x_tilde: ArrayLike, sigma: float) -> tuple[Array, Array]:
        """Exact ``E[X | x~]`` (..., d) and ``Cov[X | x~]`` (..., d, d), batched over ``x~``.

        The covariance is the within-component term ``sum_k r_k Cov_k`` plus the
        between-component term ``sum_k r_k (m_k - m)(m_k - m)^T``: a sum of
        positive-(semi)definite matrices, so it stays positive-definite in floating point.
        """
        s = check_sigma(sigma)
        points = check_points("x_tilde", x_tilde, self.dim)
        log_r, means, post_eigenvalues = self.posterior_parts(points, s)
        r = np.exp(log_r)
        mean = _contract("...k,...ki->...i", r, means, dim=self.dim)
        centred = means - mean[..., None, :]
        component_cov = _compose(self._eigenvectors, post_eigenvalues)
        within = _contract("...k,kij->...ij", r, component_cov, dim=self.dim)
        between = _contract("...k,...ki,...kj->...ij", r, centred, centred, dim=self.dim)
        cov = within + between
        return mean, 0.5 * (cov + np.swapaxes(cov, -1, -2))

    # -- sampling ----------------------------------------------------------------------
    def _sampling_parts(self) -> _SamplingParts:
        # Computed once per mixture: the categorical boundaries and the square-root
        # factors U_k diag(sqrt(lambda_k)), transposed for a right multiplication.
        if self._sampling is None:
            weights = self.weights
            cumulative = np.cumsum(weights)
            roots = self._eigenvectors * np.sqrt(self._eigenvalues)[:, None, :]
            self._sampling = _SamplingParts(
                boundaries=cumulative[:-1] / cumulative[-1],
                roots_t=np.ascontiguousarray(np.swapaxes(roots, 1, 2)),
            )
        return self._sampling

    def sample(self, n: int, rng: np.random.Generator | int) -> Array:
        """``n`` independent draws, shape ``(n, d)``, from an explicit generator (or seed).

        The component labels come from one vectorised categorical draw (inverse CDF)
        and the Gaussian parts from one ``standard_normal`` call.

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([0.5, 0.5], [-1.0, 1.0], [0.1, 0.1])
        >>> draws = gm.sample(4, np.random.default_rng(0))
        >>> draws.shape
        (4, 1)
        >>> bool(np.array_equal(draws, gm.sample(4, 0)))
        True
        """
        count = check_sample_count(n)
        generator = check_rng(rng)
        parts = self._sampling_parts()
        labels = parts.boundaries.searchsorted(generator.random(count), side="right")
        draws = _through_factors(generator.standard_normal((count, self.dim)), labels,
                                 parts.roots_t)
        draws += self._means.take(labels, axis=0)
        return draws

    def sample_grouped(self, n: int, rng: np.random.Generator | int) -> Array:
        """``n`` draws from the mixture, *grouped by component*, shape ``(n, d)``.

        One multinomial draw gives the number of draws of each component; each
        component's draws are then one contiguous block of a single
        ``standard_normal`` array, transformed in place (1-D: scale and shift; d > 1:
        the lower Cholesky factor applied coordinate by coordinate, last first, on a
        ``(d, n)`` array whose rows are contiguous -- no BLAS call, which under load
        contended for threads and ran 10x slower). The rows are not in i.i.d. order
        (component 0 first) and the result is a transposed (Fortran-ordered) view for
        d > 1, so use it for sample means and other symmetric statistics, not for
        anything that depends on the order of the draws.

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([0.5, 0.5], [-1.0, 1.0], [0.1, 0.1])
        >>> draws = gm.sample_grouped(100_000, np.random.default_rng(0))
        >>> bool(abs(draws.mean()) < 5 * draws.std() / np.sqrt(len(draws)))
        True
        >>> gm3 = GaussianMixture([1.0], [[1.0, 2.0, 3.0]], [[[2, 1, 0], [1, 2, 1], [0, 1, 2]]])
        >>> x = gm3.sample_grouped(200_000, np.random.default_rng(1))
        >>> bool(np.allclose(np.cov(x.T), gm3.covariances[0], atol=0.03))
        True
        """
        count = check_sample_count(n)
        generator = check_rng(rng)
        counts = generator.multinomial(count, self.weights / self.weights.sum())
        d = self.dim
        if d == 1:
            draws = generator.standard_normal((count, 1))
            scales = np.sqrt(self._eigenvalues[:, 0])
            start = 0
            for k, size in enumerate(counts.tolist()):
                block = draws[start:start + size]
                block *= scales[k]
                block += self._means[k, 0]
                start += size
            return draws
        rows = generator.standard_normal((d, count))
        factors = np.linalg.cholesky(self.covariances)
        scratch = np.empty(int(counts.max(initial=0)))
        start = 0
        for k, size in enumerate(counts.tolist()):
            block = rows[:, start:start + size]
            tmp = scratch[:size]
            low = factors[k]
            for j in reversed(range(d)):   # x_j = sum_{i <= j} L_ji z_i; z_i, i < j, unchanged
                block[j] *= low[j, j]
                for i in range(j):
                    np.multiply(block[i], low[j, i], out=tmp)
                    block[j] += tmp
                block[j] += self._means[k, j]
            start += size
        return rows.T

    def sample_posterior(
        self, x_tilde: ArrayLike, sigma: float, n: int, rng: np.random.Generator | int
    ) -> Array:
        """``n`` exact draws from ``p(x | x~)`` at each point ``x~``.

        Parameters
        ----------
        x_tilde : array_like, shape (..., d)
            One point ``(d,)`` or a batch of points.
        sigma : float
            Noise level, > 0.
        n : int
            Number of draws per point.
        rng : numpy.random.Generator or int
            The generator (or a seed).

        Returns
        -------
        ndarray, shape (..., n, d)
            ``(n, d)`` for one point; ``(N, n, d)`` for ``N`` points.

        Examples
        --------
        >>> import numpy as np
        >>> gm = GaussianMixture.one_dimensional([0.5, 0.5], [-1.0, 1.0], [0.1, 0.1])
        >>> gm.sample_posterior([0.2], 0.5, 3, 0).shape
        (3, 1)
        >>> gm.sample_posterior(np.zeros((7, 1)), 0.5, 3, 0).shape
        (7, 3, 1)
        """
        s = check_sigma(sigma)
        points = check_points("x_tilde", x_tilde, self.dim)
        count = check_sample_count(n)
        generator = check_rng(rng)
        if points.ndim == 1:
            log_r, means, post_eigenvalues = self.posterior_parts(points, s)
            post = GaussianMixture._from_parts(log_r, means, post_eigenvalues,
                                               self._eigenvectors)
            return post.sample(count, generator)
        batch = points.shape[:-1]
        flat = points.reshape(-1, self.dim)
        log_r, means, post_eigenvalues = self.posterior_parts(flat, s)
        # Inverse-CDF labels per point: the number of cumulative responsibilities
        # below a uniform draw.
        u = generator.random((flat.shape[0], count))
        r = np.exp(log_r)
        u *= sum_last(r)[:, None]
        labels = np.zeros(u.shape, dtype=np.intp)
        cumulative = np.zeros(flat.shape[0])
        for k in range(self.n_components - 1):  # K column operations, not a per-row loop
            cumulative += r[:, k]
            labels += u > cumulative[:, None]
        z = generator.standard_normal((flat.shape[0] * count, self.dim))
        # the posterior factors do not depend on the point: one set serves every draw
        roots = self._eigenvectors * np.sqrt(post_eigenvalues)[:, None, :]
        draws = _through_factors(z, labels.reshape(-1), np.swapaxes(roots, 1, 2))
        draws = draws.reshape(flat.shape[0], count, self.dim)
        draws += means[np.arange(flat.shape[0])[:, None], labels]
        return draws.reshape(*batch, count, self.dim)


class _SamplingParts(NamedTuple):
    boundaries: Array
    roots_t: Array


def _through_factors(z: Array, labels: Array, roots_t: Array) -> Array:
    """Standard normals ``z`` (m, d), each through its own component's factor
    ``roots_t[label]`` (``U diag(sqrt(lambda))`` transposed); ``z`` is reused."""
    m, d = z.shape
    if d == 1:
        z *= roots_t[:, 0, 0].take(labels)[:, None]
        return z
    # Every component transforms every draw (K small matrix products, fast) and each draw
    # keeps its own component's row, through one flat `take` (~3x faster than fancy
    # indexing with two index arrays): cheaper than gathering m matrices.
    transformed = np.matmul(z, roots_t).reshape(-1, d)
    return transformed.take(labels * m + np.arange(m), axis=0)


def _frozen(array: Array) -> Array:
    out = np.array(array, dtype=np.float64, copy=True)
    out.flags.writeable = False
    return out

"""Named Gaussian mixtures used by the checks, the studies and the docs."""

from __future__ import annotations

import numpy as np

from numeric.mixture import GaussianMixture

__all__ = ["EXAMPLES", "example", "random_mixture"]


def _two_mode_1d() -> GaussianMixture:
    # The running example of notes/theory.md (C4): weights .3/.7, means -2/1.5, variances .25/.5.
    return GaussianMixture.one_dimensional([0.3, 0.7], [-2.0, 1.5], [0.25, 0.5])


def _gaussian_1d() -> GaussianMixture:
    return GaussianMixture.one_dimensional([1.0], [0.5], [2.0])


def _three_mode_1d() -> GaussianMixture:
    return GaussianMixture.one_dimensional([0.2, 0.5, 0.3], [-3.0, 0.0, 2.5], [0.3, 1.0, 0.15])


def _anisotropic_2d() -> GaussianMixture:
    rotation = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
    c2 = rotation @ np.diag([2.0, 0.1]) @ rotation.T
    return GaussianMixture(
        [0.25, 0.45, 0.3],
        [[-2.0, 0.5], [1.0, -1.0], [2.5, 2.0]],
        [[[0.5, 0.1], [0.1, 0.3]], c2, [[0.2, 0.0], [0.0, 0.8]]],
    )


def _two_mode_3d() -> GaussianMixture:
    c0 = np.array([[1.0, 0.3, 0.0], [0.3, 0.5, 0.1], [0.0, 0.1, 0.8]])
    return GaussianMixture([0.6, 0.4], [[0.0, 0.0, 0.0], [2.0, -1.0, 1.5]], [c0, 0.4 * np.eye(3)])


EXAMPLES = {
    "two-mode-1d": _two_mode_1d,
    "gaussian-1d": _gaussian_1d,
    "three-mode-1d": _three_mode_1d,
    "anisotropic-2d": _anisotropic_2d,
    "two-mode-3d": _two_mode_3d,
}


def example(name: str) -> GaussianMixture:
    """A named example mixture (see ``EXAMPLES``).

    Examples
    --------
    >>> example("two-mode-1d").n_components
    2
    """
    from numeric._validation import InvalidArgumentError

    if name not in EXAMPLES:
        raise InvalidArgumentError("mixture", name, "unknown example mixture",
                                   f"choose one of {', '.join(sorted(EXAMPLES))}")
    return EXAMPLES[name]()


def random_mixture(
    rng: np.random.Generator,
    dim: int = 1,
    n_components: int = 3,
    max_condition: float = 10.0,
    spread: float = 3.0,
) -> GaussianMixture:
    """A random mixture: Dirichlet weights, means spread over ``spread``, random-rotation
    covariances with eigenvalues log-uniform in ``[1/sqrt(c), sqrt(c)]`` (``c = max_condition``).

    Examples
    --------
    >>> gm = random_mixture(np.random.default_rng(0), dim=2, n_components=4)
    >>> (gm.dim, gm.n_components)
    (2, 4)
    """
    from numeric._validation import check_order, check_rng

    generator = check_rng(rng)
    d = check_order(dim, name="dim")
    k = check_order(n_components, name="n_components")
    weights = generator.dirichlet(np.full(k, 2.0))
    weights = np.maximum(weights, 1e-3)
    weights /= weights.sum()
    means = spread * generator.standard_normal((k, d))
    half_range = 0.5 * np.log(max_condition)
    covs = []
    for _ in range(k):
        q, r = np.linalg.qr(generator.standard_normal((d, d)))
        q = q * np.sign(np.diag(r))
        eig = np.exp(generator.uniform(-half_range, half_range, d))
        covs.append((q * eig) @ q.T)
    covs = np.array(covs)
    covs = 0.5 * (covs + np.swapaxes(covs, 1, 2))
    return GaussianMixture(weights, means, covs)

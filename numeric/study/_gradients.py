"""Gradient variance of the weighted multi-sigma DSM loss (C8), by quadrature.

Loss (score space, ``T = T_1 = -(x~ - x) / sigma^2``, ``sigma`` uniform over a schedule):
``L_W(theta) = mean_sigma E[w(X~, sigma) (f_theta(X~, sigma) - T)^2]``.
Per-sample gradient ``g = 2 w (f - T) J`` with ``J = d f / d theta``. Conditioning on
``x~`` (``E[T | x~] = s``, ``Var[T | x~] = Sigma_1``, C1/C2):

* ``E[g g^T] = 4 mean_sigma E[w^2 ((f - s)^2 + Sigma_1) J J^T]``,
* ``E[g] = 2 mean_sigma E[w (f - s) J]`` (zero at the population optimum),
* curvature ``A_W = mean_sigma E[w J J^T]`` (half the Hessian; exact for the linear
  model, and at the true parameters of the component-means model),
* ``B_W = Cov[g] / 4`` and the sandwich ``A_W^-1 B_W A_W^-1`` (asymptotic covariance of
  the estimate times N), which C3 says is smallest for ``W* = Sigma_1^-1`` when the
  model is correctly specified.

Every expectation over ``x~ ~ p_sigma`` is Simpson quadrature on a grid of
``SIMPSON_NODES`` nodes; its error is the difference to the half-resolution grid.
Monte Carlo over joint draws ``(X, X~)`` gives an independent check with error bars
(:func:`monte_carlo_gradient_covariance`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError, check_choice
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, target_central_moments
from numeric.montecarlo import Estimate, ZTest, streamed_mean, z_test
from numeric.study._models import mixture_score_1d

__all__ = [
    "NORMALISATIONS",
    "GradientMoments",
    "LevelGrid",
    "best_fit",
    "describe_grid",
    "gradient_moments",
    "mean_weight",
    "monte_carlo_gradient_covariance",
    "normalised",
    "pointwise_ratio",
    "quadrature_grid",
    "second_moment_variance",
    "second_moment_z_test",
]

Array = NDArray[np.float64]

#: Simpson nodes per noise level (odd); the error estimate uses every other node.
SIMPSON_NODES = 4097
#: How weightings are made comparable (notes/theory.md, C8).
NORMALISATIONS = ("raw", "equal mean weight per sigma", "equal curvature tr A")


class ScoreModel(Protocol):
    n_parameters: int
    name: str

    def score_and_jacobian(self, theta: Array, x: Array, sigma: Array
                           ) -> tuple[Array, Array]: ...


@dataclass(frozen=True)
class LevelGrid:
    """Quadrature nodes ``x`` of one noise level, Simpson weights times ``p_sigma``
    (``mass``, fine grid) and the same on every other node (``coarse``)."""

    sigma: float
    x: Array
    mass: Array
    coarse: Array
    score: Array
    hessian: Array
    covariance: Array  # Sigma_1(x~) = Var[T_1 | x~] from the exact posterior
    third: Array       # E[(T_1 - s)^3 | x~]
    fourth: Array      # E[(T_1 - s)^4 | x~]


def _simpson_weights(n: int, step: float) -> Array:
    weights = np.ones(n)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return weights * step / 3.0


def quadrature_grid(mixture: GaussianMixture, sigma: float, nodes: int = SIMPSON_NODES,
               width: float = 12.0) -> LevelGrid:
    """The quadrature grid of one noise level, with the true score, ``h`` and ``Sigma_1``."""
    noised = mixture.noised(sigma)
    sd = np.sqrt(noised.eigenvalues[:, 0])
    lo = float(np.min(noised.means[:, 0] - width * sd))
    hi = float(np.max(noised.means[:, 0] + width * sd))
    n = nodes | 1
    x = np.linspace(lo, hi, n)
    density = np.exp(noised.logpdf(x[:, None]))
    fine = _simpson_weights(n, x[1] - x[0]) * density
    coarse = np.zeros(n)
    coarse[::2] = _simpson_weights((n + 1) // 2, 2 * (x[1] - x[0])) * density[::2]
    score, hessian = mixture_score_1d(x, mixture.means[:, 0], mixture.eigenvalues[:, 0],
                                      mixture.log_weights, sigma)
    covariance = conditional_covariance(mixture, x[:, None], sigma, 1)
    third, fourth = target_central_moments(mixture, x[:, None], sigma, 1, (3, 4))
    return LevelGrid(sigma, x, fine, coarse, score, hessian, np.asarray(covariance), third,
                     fourth)


@dataclass(frozen=True)
class GradientMoments:
    """Population gradient moments of one (model, weighting, parameters) over a schedule."""

    curvature: Array          # A_W (p, p)
    second_moment: Array      # E[g g^T] / 4 (p, p)
    mean_gradient: Array      # E[g] / 2 (p,)
    quadrature_error: float   # max relative change against the coarse grid
    per_level_trace: Array    # tr Cov[g | sigma] at each level (J,)

    @property
    def gradient_covariance(self) -> Array:
        """``Cov[g] = 4 (E[g g^T]/4 - (E[g]/2)(E[g]/2)^T)``."""
        m = self.mean_gradient
        return 4.0 * (self.second_moment - np.outer(m, m))

    @property
    def sandwich(self) -> Array:
        """``A^-1 B A^-1`` with ``B = Cov[g] / 4``."""
        a_inv = np.linalg.inv(self.curvature)
        return a_inv @ (self.gradient_covariance / 4.0) @ a_inv

    def summary(self) -> dict[str, float]:
        return {"trace_gradient_covariance": float(np.trace(self.gradient_covariance)),
                "trace_curvature": float(np.trace(self.curvature)),
                "trace_sandwich": float(np.trace(self.sandwich)),
                "quadrature_error": self.quadrature_error}


WeightFunction = Callable[[Array, Array], Array]


def _level_moments(w: Array, residual: Array, covariance: Array, jac: Array,
                   mass: Array) -> tuple[Array, Array, Array]:
    a = np.einsum("n,np,nq->pq", mass * w, jac, jac)
    b = np.einsum("n,np,nq->pq", mass * w * w * (residual**2 + covariance), jac, jac)
    m = np.einsum("n,np->p", mass * w * residual, jac)
    return a, b, m


def gradient_moments(model: ScoreModel, theta: Array, grids: Sequence[LevelGrid],
                     weight: WeightFunction, scales: Array | None = None) -> GradientMoments:
    """``A_W``, ``E[g g^T]/4`` and ``E[g]/2`` averaged over the schedule's levels.

    ``scales`` multiplies the weight at each level (a normalisation); default 1.
    """
    per_level = np.ones(len(grids)) if scales is None else np.asarray(scales)
    fine, coarse = [], []
    for grid, c in zip(grids, per_level, strict=True):
        sigma = np.full_like(grid.x, grid.sigma)
        w = c * weight(grid.x, sigma)
        f, jac = model.score_and_jacobian(theta, grid.x, sigma)
        residual = f - grid.score
        # one model evaluation serves the fine grid and the coarse (error) grid
        fine.append(_level_moments(w, residual, grid.covariance, jac, grid.mass))
        coarse.append(_level_moments(w, residual, grid.covariance, jac, grid.coarse))
    fine_mean = [sum(parts) / len(grids) for parts in zip(*fine, strict=True)]
    coarse_mean = [sum(parts) / len(grids) for parts in zip(*coarse, strict=True)]
    error = max(float(np.max(np.abs(f - c)) / max(np.max(np.abs(f)), 1e-300))
                for f, c in zip(fine_mean[:2], coarse_mean[:2], strict=True))
    traces = np.array([4.0 * (np.trace(b) - m @ m) for _, b, m in fine])
    return GradientMoments(fine_mean[0], fine_mean[1], fine_mean[2], error, traces)


def second_moment_variance(model: ScoreModel, theta: Array, grids: Sequence[LevelGrid],
                           weight: WeightFunction, scales: Array | None = None) -> Array:
    """Per-draw variance of every entry of ``(g/2)(g/2)^T`` (sigma uniform over the levels).

    The known standard errors of the Monte Carlo estimate of ``E[g g^T]/4``: with
    ``delta = f - s`` and the central moments ``mu_k`` of ``T`` given ``x~``,
    ``E[(f - T)^4 | x~] = delta^4 + 6 delta^2 mu_2 - 4 delta mu_3 + mu_4``, so
    ``E[entry_ij^2] = mean_sigma E[w^4 E[(f - T)^4 | x~] J_i^2 J_j^2]``; minus the squared
    mean. Using them instead of sample errors keeps heavy-tailed draws from deflating
    their own error.
    """
    per_level = np.ones(len(grids)) if scales is None else np.asarray(scales)
    p = model.n_parameters
    fourth_moment = np.zeros((p, p))
    for grid, c in zip(grids, per_level, strict=True):
        sigma = np.full_like(grid.x, grid.sigma)
        w = c * weight(grid.x, sigma)
        f, jac = model.score_and_jacobian(theta, grid.x, sigma)
        delta = f - grid.score
        residual4 = delta**4 + 6 * delta**2 * grid.covariance - 4 * delta * grid.third \
            + grid.fourth
        squares = jac * jac
        fourth_moment += np.einsum("n,np,nq->pq", grid.mass * w**4 * residual4, squares, squares)
    mean = gradient_moments(model, theta, grids, weight, scales).second_moment
    return np.maximum(fourth_moment / len(grids) - mean**2, 0.0)


def best_fit(model: ScoreModel, grids: Sequence[LevelGrid], weight: WeightFunction,
             scales: Array | None = None) -> Array:
    """Population minimiser of ``L_W`` for a model linear in ``theta``: ``A^-1 E[w s J]``."""
    per_level = np.ones(len(grids)) if scales is None else np.asarray(scales)
    p = model.n_parameters
    a, b = np.zeros((p, p)), np.zeros(p)
    for grid, c in zip(grids, per_level, strict=True):
        w = c * weight(grid.x, np.full_like(grid.x, grid.sigma))
        _, jac = model.score_and_jacobian(np.zeros(p), grid.x, np.full_like(grid.x, grid.sigma))
        a += np.einsum("n,np,nq->pq", grid.mass * w, jac, jac)
        b += np.einsum("n,np->p", grid.mass * w * grid.score, jac)
    return np.linalg.solve(a, b)


def mean_weight(grids: Sequence[LevelGrid], weight: WeightFunction) -> Array:
    """``E_{p_sigma}[w]`` at every level."""
    return np.array([np.sum(g.mass * weight(g.x, np.full_like(g.x, g.sigma))) for g in grids])


def normalised(normalisation: str, grids: Sequence[LevelGrid], weight: WeightFunction,
               reference_curvature: float | None = None, model: ScoreModel | None = None,
               theta: Array | None = None) -> Array:
    """Per-level scale factors that apply ``normalisation`` to ``weight``.

    ``raw``: 1. ``equal mean weight per sigma``: ``sigma^2 / E[w]`` at each level (every
    weighting gets the heuristic's mean weight). ``equal curvature tr A``: one constant
    making ``tr A_W`` equal ``reference_curvature`` (the heuristic's).
    """
    check_choice("normalisation", normalisation, NORMALISATIONS)
    if normalisation == "raw":
        return np.ones(len(grids))
    if normalisation == "equal mean weight per sigma":
        sigmas = np.array([g.sigma for g in grids])
        return sigmas**2 / mean_weight(grids, weight)
    if reference_curvature is None or model is None or theta is None:
        raise InvalidArgumentError("reference_curvature", reference_curvature,
                                   "equal curvature needs the reference tr A, model and theta",
                                   "pass reference_curvature=, model= and theta=")
    own = gradient_moments(model, theta, grids, weight).curvature
    return np.full(len(grids), reference_curvature / np.trace(own))


def pointwise_ratio(grid: LevelGrid) -> dict[str, float]:
    """``(1 + sigma^2 h)^2``: heuristic over optimal per-sample gradient variance density.

    The integrands of ``Cov[g]`` are ``sigma^4 Sigma_1`` (heuristic) and ``Sigma_1^-1``
    (optimal), with ``Sigma_1`` from the exact posterior; their ratio is compared with
    ``(1 + sigma^2 h)^2`` from the Hessian of ``p_sigma`` (an independent route).
    """
    s2 = grid.sigma**2
    from_covariance = (s2 * grid.covariance) ** 2
    from_hessian = (1.0 + s2 * grid.hessian) ** 2
    below = grid.hessian < 0
    mass = grid.mass
    return {
        "heuristic_larger_on": _intervals(grid.x, ~below & (mass > 1e-12 * mass.max())),
        "sigma": grid.sigma,
        "mass_heuristic_smaller": float(np.sum(mass[below]) / np.sum(mass)),
        "expected_ratio": float(np.sum(mass * from_hessian) / np.sum(mass)),
        "min_ratio": float(np.min(from_hessian[mass > 1e-12 * mass.max()])),
        "max_ratio": float(np.max(from_hessian[mass > 1e-12 * mass.max()])),
        "identity_gap": float(np.max(np.abs(from_covariance - from_hessian)
                                     / np.maximum(from_hessian, 1e-300))),
    }


def _intervals(x: Array, inside: Array) -> list[list[float]]:
    """Maximal runs of grid nodes where ``inside`` holds, as ``[first, last]`` node values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(np.int8), [0]])))
    return [[float(x[a]), float(x[b - 1])] for a, b in zip(edges[::2], edges[1::2], strict=True)]


def monte_carlo_gradient_covariance(
    model: ScoreModel, theta: Array, mixture: GaussianMixture, schedule: Array,
    weight: WeightFunction, n_samples: int, rng: np.random.Generator,
    scales: Array | None = None,
) -> tuple[Estimate, Estimate]:
    """Monte Carlo ``E[g g^T]/4`` and ``E[g]/2`` from joint draws ``(X, X~)``, with errors.

    ``sigma`` is drawn uniformly from ``schedule``; ``X ~ p``; ``X~ = X + sigma E``;
    the per-sample gradient is formed from the noisy target ``T = -E / sigma`` itself, so
    nothing of the conditional moments used by :func:`gradient_moments` enters. Draws
    are streamed in chunks (constant memory).
    """
    levels = np.asarray(schedule, dtype=np.float64)
    per_level = np.ones(len(levels)) if scales is None else np.asarray(scales)
    p = model.n_parameters

    def draw(g: np.random.Generator, m: int) -> Array:
        index = g.integers(len(levels), size=m)
        sigma = levels[index]
        eps = g.standard_normal(m)
        x_tilde = mixture.sample(m, g)[:, 0] + sigma * eps
        f, jac = model.score_and_jacobian(theta, x_tilde, sigma)
        half = (per_level[index] * weight(x_tilde, sigma) * (f + eps / sigma))[:, None] * jac
        return np.hstack([(half[:, :, None] * half[:, None, :]).reshape(m, p * p), half])

    # streamed: 10^6 draws of a 12-parameter model stay at a few MB
    est = streamed_mean(draw, n_samples, rng, chunk_size=1 << 15)
    second = Estimate(est.value[: p * p].reshape(p, p), est.error[: p * p].reshape(p, p),
                      est.method, est.n)
    return second, Estimate(est.value[p * p:], est.error[p * p:], est.method, est.n)


def second_moment_z_test(
    model: ScoreModel, theta: Array, mixture: GaussianMixture, schedule: Array,
    weight: WeightFunction, exact: Array, variance: Array, n_samples: int,
    rng: np.random.Generator, alpha: float, errors: str = "known",
) -> ZTest:
    """Monte Carlo ``E[g g^T]/4`` against ``exact``, every entry, at family-wise ``alpha``.

    ``errors="known"``: standard errors ``sqrt(variance / n)`` from
    :func:`second_moment_variance`; ``"estimated"``: the draws' own (not calibrated for
    heavy-tailed models, see ``notes/reliability.md``).
    """
    second, _ = monte_carlo_gradient_covariance(model, theta, mixture, schedule, weight,
                                                n_samples, rng)
    if errors == "known":
        second = Estimate(second.value, np.sqrt(variance / second.n), second.method, second.n)
    return z_test(second, exact, alpha)


def describe_grid(grids: Sequence[LevelGrid]) -> dict[str, Any]:
    return {"levels": [g.sigma for g in grids], "nodes": int(grids[0].x.size)}


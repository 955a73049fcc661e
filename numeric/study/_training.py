"""Training stability of the weighted multi-sigma DSM objective (C9).

Every run minimises ``mean_sigma E[w (f_theta(X~, sigma) - T)^2]`` by SGD or Adam on
fresh minibatches (``b`` draws of ``(X, E)`` at *every* level of the schedule, so each
step sees all noise levels). All step sizes of a grid and all seeds run at once as
one array of parameters; runs with the same seed see the same draws for every
weighting and step size (common random numbers), so differences between weightings are
not differences in luck.

The error of a run is the sigma^2-weighted Fisher divergence to the true score,
``mean_sigma sigma^2 E_{p_sigma}[(f_theta - s)^2]`` (Simpson quadrature), a
scale-free score error: it is dominated by no single noise level. A run *diverges*
when its parameters stop being finite or exceed ``DIVERGENCE_BOUND`` in size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from numeric._validation import (
    InvalidArgumentError,
    check_choice,
    check_finite_array,
    check_order,
    check_schedule,
)
from numeric.mixture import GaussianMixture
from numeric.study._gradients import LevelGrid, ScoreModel

__all__ = ["DIVERGENCE_BOUND", "TrainingRuns", "score_error", "train"]

Array = NDArray[np.float64]

#: Parameters larger than this (in max-norm) count as a divergence.
DIVERGENCE_BOUND = 1e6
_ADAM_BETAS = (0.9, 0.999)
_ADAM_EPS = 1e-8


def score_error(model: ScoreModel, theta: Array, grids: Sequence[LevelGrid],
                reference: Array | None = None) -> Array:
    """``mean_sigma sigma^2 E_{p_sigma}[(f_theta - s)^2]`` for parameters ``(..., p)``.

    With ``reference`` parameters, the distance to ``f_reference`` instead of the true
    score ``s`` (same metric).
    """
    goals = [g.score for g in grids] if reference is None else _on_grids(model, reference, grids)
    return _metric(_on_grids(model, theta, grids), goals, grids)


def _on_grids(model: ScoreModel, theta: Array, grids: Sequence[LevelGrid]) -> list[Array]:
    return [model.score_and_jacobian(theta, g.x, np.full_like(g.x, g.sigma))[0] for g in grids]


def _metric(values: list[Array], goals: list[Array], grids: Sequence[LevelGrid]) -> Array:
    total = sum(g.sigma**2 * ((f - goal) ** 2 @ g.mass)
                for f, goal, g in zip(values, goals, grids, strict=True))
    return np.asarray(total / len(grids))


@dataclass(frozen=True)
class TrainingRuns:
    """Errors of ``rates x seeds`` runs at the checkpoints, and which runs diverged.

    ``errors`` are to the true score; ``distances`` to the weighting's own population
    optimum (the ``reference`` parameters), in the same metric.
    """

    rates: Array            # (n_rates,)
    checkpoints: Array      # (C,) step numbers, 0 first
    errors: Array           # (n_rates, n_seeds, C); inf after a divergence
    distances: Array        # (n_rates, n_seeds, C); inf after a divergence
    diverged: Array         # (n_rates, n_seeds) bool


def train(
    model: ScoreModel,
    initial: Array,
    mixture: GaussianMixture,
    schedule: Array,
    weight: Callable[[Array, Array], Array],
    optimizer: str,
    rates: Array,
    steps: int,
    batch_per_level: int,
    rng: np.random.Generator,
    grids: Sequence[LevelGrid],
    reference: Array,
    n_checkpoints: int = 20,
) -> TrainingRuns:
    """Run SGD or Adam for every step size in ``rates`` and every seed (rows of ``initial``).

    ``initial`` has shape ``(n_seeds, p)``; seed ``j``'s draws come from ``rng`` and are
    shared by all step sizes.
    """
    check_choice("optimizer", optimizer, ("sgd", "adam"))
    rates = check_finite_array("rates", rates)
    if rates.ndim != 1 or np.any(rates <= 0):
        raise InvalidArgumentError("rates", rates, "expected a 1-D array of step sizes > 0",
                                   "pass e.g. 10.0 ** numpy.arange(-4, 1)")
    initial = check_finite_array("initial", initial)
    if initial.ndim != 2 or initial.shape[1] != model.n_parameters:
        raise InvalidArgumentError("initial", initial.shape,
                                   f"expected shape (n_seeds, {model.n_parameters})",
                                   "pass one parameter vector per seed")
    check_order(steps, minimum=1, name="steps")
    check_order(batch_per_level, minimum=1, name="batch_per_level")
    schedule = check_schedule(schedule)
    n_seeds, p = initial.shape
    theta = np.broadcast_to(initial, (rates.size, n_seeds, p)).copy()
    step_size = rates[:, None, None]
    first = np.zeros_like(theta)
    second = np.zeros_like(theta)
    levels = np.repeat(np.asarray(schedule, dtype=np.float64), batch_per_level)
    m = levels.size
    marks = np.unique(np.linspace(0, steps, n_checkpoints + 1).round().astype(int))
    errors = np.full((rates.size, n_seeds, marks.size), np.inf)
    distances = np.full_like(errors, np.inf)
    diverged = np.zeros((rates.size, n_seeds), dtype=bool)
    truth = [g.score for g in grids]
    goals = _on_grids(model, reference, grids)

    def evaluate(column: int) -> None:
        # one model evaluation serves both the error and the distance
        values = _on_grids(model, theta, grids)
        errors[..., column] = np.where(diverged, np.inf, _metric(values, truth, grids))
        distances[..., column] = np.where(diverged, np.inf, _metric(values, goals, grids))

    evaluate(0)
    mark = 1
    for step in range(1, steps + 1):
        x = mixture.sample(n_seeds * m, rng)[:, 0].reshape(n_seeds, m)
        eps = rng.standard_normal((n_seeds, m))
        x_tilde = x + levels * eps
        target = -eps / levels
        w = weight(x_tilde, levels)
        # diverged runs carry NaN/inf silently: they are detected below and frozen
        with np.errstate(over="ignore", invalid="ignore"):
            f, jac = model.score_and_jacobian(theta, x_tilde, levels)
            gradient = 2.0 / m * np.einsum("...n,...np->...p", w * (f - target), jac)
            if optimizer == "sgd":
                theta = theta - step_size * gradient
            else:
                b1, b2 = _ADAM_BETAS
                first = b1 * first + (1 - b1) * gradient
                second = b2 * second + (1 - b2) * gradient**2
                corrected = first / (1 - b1**step)
                theta = theta - step_size * corrected / (np.sqrt(second / (1 - b2**step))
                                                         + _ADAM_EPS)
            bad = ~np.all(np.isfinite(theta), axis=-1) | (
                np.max(np.abs(np.nan_to_num(theta, nan=np.inf)), axis=-1) > DIVERGENCE_BOUND)
        diverged |= bad
        theta[diverged] = initial[np.nonzero(diverged)[1]]  # frozen, finite placeholder
        if step == marks[mark]:
            evaluate(mark)
            mark += 1
    return TrainingRuns(rates, marks, errors, distances, diverged)

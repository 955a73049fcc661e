"""The weighting zoo of the studies, in score space (C8, C9).

The sigma-only weightings are the SymPy expressions of :func:`derive.weightings`
(converted to score space there), evaluated with the data's ``sigma_data``, ``gamma``
and the schedule's ends; the oracle ``W*`` is ``1 / Sigma_1(x~) = 1 / (1/sigma^2 + h)``
(C2, C3) from the exact mixture; the expected optimal weight ``E[W*](sigma)`` is its
Simpson-quadrature mean over ``p_sigma`` at each level of the schedule.
SNR is ``alpha^2/sigma^2``, i.e. ``1/sigma^2`` on the VE schedule the studies use, so
Min-SNR-5 is ``min(1/sigma^2, 5) sigma^4`` in score space.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from numeric._validation import InvalidArgumentError, check_one_dimensional, check_schedule
from numeric.expectations import expected_optimal_weight
from numeric.mixture import GaussianMixture
from numeric.study._models import mixture_score_1d
from numeric.weighting_curves import bind_by_name

__all__ = ["MIN_SNR_GAMMA", "StudyWeighting", "weighting_zoo"]

Array = NDArray[np.float64]

#: gamma of Min-SNR-gamma (Hang et al. 2023 recommend 5).
MIN_SNR_GAMMA = 5.0

# derive's weightings used here (score space), by their derive name -> study name
_FROM_DERIVE = {
    "uniform": "uniform",
    "ncsn": "heuristic sigma^2",
    "edm": "EDM",
    "min-snr": "Min-SNR-5",
    "likelihood": "likelihood (VE)",
}


@dataclass(frozen=True)
class StudyWeighting:
    """A score-space weighting ``w(x~, sigma)`` with its name and formula (LaTeX)."""

    name: str
    formula: str
    weight: Callable[[Array, Array], Array]
    depends_on_x: bool = False

    def __call__(self, x: Array, sigma: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        return np.broadcast_to(self.weight(x, np.asarray(sigma, dtype=np.float64)),
                               np.broadcast_shapes(x.shape, np.shape(sigma)))


def _oracle(mixture: GaussianMixture) -> Callable[[Array, Array], Array]:
    means, variances = mixture.means[:, 0], mixture.eigenvalues[:, 0]

    def weight(x: Array, sigma: Array) -> Array:
        _, h = mixture_score_1d(x, means, variances, mixture.log_weights, sigma)
        return 1.0 / (1.0 / sigma**2 + h)

    return weight


def _tabulated(schedule: Array, values: Array) -> Callable[[Array, Array], Array]:
    log_levels = np.log(schedule)

    def weight(x: Array, sigma: Array) -> Array:
        index = np.searchsorted(log_levels, np.log(sigma))
        index = np.clip(index, 0, len(schedule) - 1)
        if not np.allclose(schedule[index], sigma, rtol=1e-12):
            raise InvalidArgumentError("sigma", sigma, "E[W*] is tabulated on the schedule only",
                                       "evaluate it at the schedule's noise levels")
        return values[index]

    return weight


def weighting_zoo(mixture: GaussianMixture, schedule: Array) -> tuple[StudyWeighting, ...]:
    """The weightings compared by the studies, for ``mixture`` and a noise ``schedule``.

    Examples
    --------
    >>> import numpy as np
    >>> from numeric.examples import example
    >>> zoo = weighting_zoo(example("two-mode-1d"), np.array([0.1, 1.0]))
    >>> [w.name for w in zoo][:3]
    ['uniform', 'heuristic sigma^2', 'oracle W*']
    >>> float(zoo[1](np.array([0.3]), np.array([0.1]))[0]) == 0.1**2
    True
    """
    check_one_dimensional(mixture, "the weighting zoo of the studies")
    levels = check_schedule(schedule)
    w, mu = mixture.weights, mixture.means[:, 0]
    mean = float(w @ mu)
    data_sd = float(np.sqrt(w @ (mixture.eigenvalues[:, 0] + (mu - mean) ** 2)))
    values = {"sigma_data": data_sd, "gamma": MIN_SNR_GAMMA,
              "sigma_min": float(levels.min()), "sigma_max": float(levels.max())}
    derived = {wt.name: wt.score_space for wt in derive.weightings()}

    def from_derive(name: str) -> StudyWeighting:
        expr = derived[name]
        formula = sp.latex(expr)
        function = sp.lambdify(derive.sigma, bind_by_name(expr, values), "numpy")
        return StudyWeighting(_FROM_DERIVE[name], formula,
                              lambda x, sigma: function(sigma) + 0.0 * x)

    expected = np.array([float(expected_optimal_weight(mixture, s).value) for s in levels])
    zoo = [from_derive("uniform"), from_derive("ncsn"),
           StudyWeighting("oracle W*", r"\Sigma_1(\tilde x)^{-1} = "
                          r"\frac{\sigma^2}{1 + \sigma^2 h_\sigma(\tilde x)}",
                          _oracle(mixture), depends_on_x=True),
           StudyWeighting("expected W*", r"\mathbb{E}_{p_\sigma}[W^*](\sigma)",
                          _tabulated(levels, expected)),
           from_derive("edm"), from_derive("min-snr"), from_derive("likelihood")]
    return tuple(zoo)

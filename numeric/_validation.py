"""Every argument check of :mod:`numeric`, and the one exception it raises.

Each check names the argument, shows the offending value and says how to fix
it, so that the CLI can print the message as is (and exit 2) and a user of the
library sees at once which argument was wrong.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from derive._errors import InvalidArgumentError

__all__ = [
    "BudgetExceededError",
    "InvalidArgumentError",
    "check_choice",
    "check_covariances",
    "check_finite_array",
    "check_order",
    "check_points",
    "check_rng",
    "check_sample_count",
    "check_seed",
    "check_sigma",
    "check_weights",
]

#: Tolerance on ``sum(weights) - 1``.
WEIGHT_SUM_TOLERANCE = 1e-12


class BudgetExceededError(InvalidArgumentError):
    """An input that would exceed a documented budget (time, order, size): refused, exit 2."""


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed by numpy's rules for ``SeedSequence``: a non-negative integer.

    Examples
    --------
    >>> check_seed(0)
    0
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgumentError(name, seed, "seeds are non-negative integers (numpy's rule)",
                                   "pass a non-negative integer, e.g. 0")
    return int(seed)


def check_finite_array(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float array, rejecting non-numeric, NaN and inf entries."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            name, value, f"not convertible to a float array ({exc})", "pass real numbers"
        ) from None
    if not np.all(np.isfinite(array)):
        raise InvalidArgumentError(
            name, array, "contains NaN or infinite entries", "pass finite real numbers"
        )
    return array


def check_weights(weights: ArrayLike) -> NDArray[np.float64]:
    """Mixture weights: a 1-D array of positive numbers summing to one."""
    array = check_finite_array("weights", weights)
    if array.ndim != 1 or array.size == 0:
        raise InvalidArgumentError(
            "weights", array, f"expected shape (K,) with K >= 1, got {array.shape}",
            "pass one weight per component as a flat list",
        )
    if np.any(array <= 0):
        raise InvalidArgumentError(
            "weights", array, "weights must be strictly positive",
            "drop components of zero weight and make every weight > 0",
        )
    total = math.fsum(array.tolist())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise InvalidArgumentError(
            "weights", array,
            f"weights sum to {total!r}, not 1 (tolerance {WEIGHT_SUM_TOLERANCE:g})",
            "divide the weights by their sum",
        )
    return array


def check_covariances(
    covariances: ArrayLike, n_components: int, dim: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Symmetric positive-definite ``(K, d, d)`` covariances.

    Returns the covariances together with their eigen-decomposition
    ``(eigenvalues (K, d), eigenvectors (K, d, d))``, which the mixture reuses
    for every noise level.
    """
    array = check_finite_array("covariances", covariances)
    if array.shape != (n_components, dim, dim):
        raise InvalidArgumentError(
            "covariances", array,
            f"expected shape (K, d, d) = ({n_components}, {dim}, {dim}), got {array.shape}",
            "pass one d x d covariance matrix per component",
        )
    scale = np.max(np.abs(array), axis=(1, 2))
    asymmetry = np.max(np.abs(array - np.swapaxes(array, 1, 2)), axis=(1, 2))
    bad = np.nonzero(asymmetry > 1e-12 * np.maximum(scale, 1e-300))[0]
    if bad.size:
        k = int(bad[0])
        raise InvalidArgumentError(
            f"covariances[{k}]", array[k], "matrix is not symmetric",
            "pass a symmetric matrix, e.g. (C + C.T) / 2",
        )
    symmetric = 0.5 * (array + np.swapaxes(array, 1, 2))
    eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
    # Relative threshold: eigenvalues below it are indistinguishable from zero.
    floor = dim * np.finfo(np.float64).eps * np.max(np.abs(eigenvalues), axis=1)
    bad = np.nonzero(np.any(eigenvalues <= floor[:, None], axis=1))[0]
    if bad.size:
        k = int(bad[0])
        raise InvalidArgumentError(
            f"covariances[{k}]", array[k],
            f"matrix is not positive-definite (smallest eigenvalue {eigenvalues[k, 0]:.3g})",
            "pass a symmetric positive-definite matrix",
        )
    return symmetric, eigenvalues, eigenvectors


def check_sigma(sigma: Any, name: str = "sigma") -> float:
    """A noise level: a finite real number > 0."""
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            name, sigma, "not a real number", f"pass a finite {name} > 0"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(name, sigma, f"{name} must be finite and > 0",
                                   f"pass a finite {name} > 0")
    return value


def check_points(name: str, value: ArrayLike, dim: int) -> NDArray[np.float64]:
    """Points of shape ``(..., d)``, finite."""
    array = check_finite_array(name, value)
    if array.ndim == 0 or array.shape[-1] != dim:
        raise InvalidArgumentError(
            name, array, f"expected shape (..., {dim}), got {array.shape}",
            f"put the {dim} coordinates on the last axis"
            + (" (a scalar x becomes [x])" if dim == 1 else ""),
        )
    return array


def check_order(order: Any, minimum: int = 1, name: str = "order") -> int:
    """A derivative / DSM order: an integer >= ``minimum``."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise InvalidArgumentError(name, order, "not an integer",
                                   f"pass an integer {name} >= {minimum}")
    if order < minimum:
        raise InvalidArgumentError(name, order, f"{name} must be >= {minimum}",
                                   f"pass an integer {name} >= {minimum}")
    return int(order)


def check_sample_count(n: Any, name: str = "n") -> int:
    """A number of draws: an integer >= 1."""
    return check_order(n, minimum=1, name=name)


def check_rng(rng: Any) -> np.random.Generator:
    """A :class:`numpy.random.Generator`, or a seed for a new one. ``None`` is refused."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InvalidArgumentError(
        "rng", rng, "expected a numpy.random.Generator or a non-negative integer seed",
        "pass numpy.random.default_rng(seed); global random state is never used",
    )


def check_schedule(schedule: Any, name: str = "schedule") -> NDArray[np.float64]:
    """Noise levels of a schedule: a 1-D array of distinct finite levels > 0, ascending."""
    levels = check_finite_array(name, schedule)
    if levels.ndim != 1 or levels.size == 0 or np.any(levels <= 0) or np.any(
            np.diff(levels) <= 0):
        raise InvalidArgumentError(name, levels, "expected distinct noise levels > 0 in "
                                   "ascending order", "pass e.g. numpy.geomspace(0.05, 5, 8)")
    return levels


def check_choice(name: str, value: Any, choices: tuple[str, ...], what: str | None = None
                 ) -> str:
    """One of a fixed set of names; ``what`` names the kind (a space, a schedule) in the
    message, which then lists the choices as an option takes them (unquoted).

    Examples
    --------
    >>> check_choice("--space", "eps", ("score", "eps"), "space")
    'eps'
    """
    if value not in choices:
        if what is None:
            raise InvalidArgumentError(name, value, f"unknown {name}",
                                       f"choose one of {', '.join(map(repr, choices))}")
        raise InvalidArgumentError(name, value, f"unknown {what}",
                                   f"choose one of {', '.join(choices)}")
    return str(value)


def check_one_dimensional(mixture: Any, what: str,
                          fix: str = "use a one-dimensional mixture") -> None:
    """``what`` is implemented for one-dimensional mixtures only."""
    if mixture.dim != 1:
        raise InvalidArgumentError("mixture", f"dim={mixture.dim}",
                                   f"{what} is one-dimensional", fix)

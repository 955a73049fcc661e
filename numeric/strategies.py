"""Hypothesis strategies for property-based tests of DSM-weighting formulas.

A small public facade (Hypothesis must be installed: ``pip install -e '.[test]'``)::

    from hypothesis import given
    from numeric.strategies import mixtures, noise_levels, orders, points

    @given(data=st.data(), gm=mixtures(dims=(1, 1)), sigma=noise_levels())
    def test_my_formula(data, gm, sigma):
        x = data.draw(points(gm, sigma))
        ...

* :func:`mixtures` — valid Gaussian mixtures: weights on the simplex down to
  ``1e-6``, means spread over several scales, covariances with condition numbers
  up to ``max_condition`` (default ``1e6``);
* :func:`noise_levels` — log-uniform ``sigma``;
* :func:`orders` — target orders ``1..max``;
* :func:`points` — ``x~`` in the bulk of ``p_sigma`` and in its tails, up to
  ``tail`` standard deviations (default 20) from a component.
"""

from __future__ import annotations

import math

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("numeric.strategies needs Hypothesis: pip install -e '.[test]'") from exc

from numeric._validation import InvalidArgumentError
from numeric.mixture import GaussianMixture

__all__ = ["mixtures", "noise_levels", "orders", "points"]


def _range(name: str, value: tuple[int, int], low: int) -> tuple[int, int]:
    if (not isinstance(value, tuple) or len(value) != 2
            or not all(isinstance(v, int) for v in value) or not low <= value[0] <= value[1]):
        raise InvalidArgumentError(name, value, f"must be a pair (min, max) of integers >= {low}",
                                   f"pass e.g. {name}=({low}, 3)")
    return value


def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log(low), math.log(high)).map(math.exp)


@st.composite
def _mixture(draw, dims: tuple[int, int], components: tuple[int, int],
             max_condition: float) -> GaussianMixture:
    d = draw(st.integers(*dims))
    k = draw(st.integers(*components))
    # Weights: log-uniform raw masses from 1e-6 to 1, normalised (near-degenerate allowed).
    raw = np.array(draw(st.lists(_log_uniform(1e-6, 1.0), min_size=k, max_size=k)))
    weights = raw / raw.sum()
    scale = draw(_log_uniform(1e-2, 1e2))                      # overall length scale
    means = scale * np.array(draw(st.lists(
        st.lists(st.floats(-3.0, 3.0), min_size=d, max_size=d), min_size=k, max_size=k)))
    condition = draw(_log_uniform(1.0, max_condition))
    seed = draw(st.integers(0, 2**32 - 1))                    # rotations only
    rng = np.random.default_rng(seed)
    covariances = []
    for _ in range(k):
        spread = draw(st.floats(0.0, 1.0))
        eigen = scale**2 * np.exp(np.linspace(-0.5, 0.5, d) * math.log(condition) * spread
                                  + draw(st.floats(-1.0, 1.0)))
        q, r = np.linalg.qr(rng.standard_normal((d, d)))
        q = q * np.sign(np.diag(r))
        cov = (q * eigen) @ q.T
        covariances.append(0.5 * (cov + cov.T))
    return GaussianMixture(weights, means, np.array(covariances))


def mixtures(dims: tuple[int, int] = (1, 3), components: tuple[int, int] = (1, 5),
             max_condition: float = 1e6) -> st.SearchStrategy[GaussianMixture]:
    """Valid :class:`GaussianMixture` instances.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(mixtures(dims=(2, 2), components=(1, 3)))
    ... def check(gm):
    ...     assert gm.dim == 2 and abs(gm.weights.sum() - 1) < 1e-12
    >>> check()
    """
    dims = _range("dims", dims, 1)
    components = _range("components", components, 1)
    if not (isinstance(max_condition, int | float) and max_condition >= 1):
        raise InvalidArgumentError("max_condition", max_condition, "must be a number >= 1",
                                   "pass e.g. max_condition=1e6")
    return _mixture(dims, components, float(max_condition))


def noise_levels(min: float = 1e-3, max: float = 1e3) -> st.SearchStrategy[float]:
    """Log-uniform ``sigma`` in ``[min, max]``."""
    if not (0 < min <= max and math.isfinite(max)):
        raise InvalidArgumentError("min", (min, max), "need 0 < min <= max < inf",
                                   "pass e.g. noise_levels(1e-3, 1e3)")
    return _log_uniform(min, max)


def orders(max: int = 6) -> st.SearchStrategy[int]:
    """Target orders ``1..max``."""
    if not (isinstance(max, int) and max >= 1):
        raise InvalidArgumentError("max", max, "must be an integer >= 1", "pass e.g. orders(6)")
    return st.integers(1, max)


@st.composite
def points(draw, mixture: GaussianMixture, sigma: float, tail: float = 20.0) -> np.ndarray:
    """One point ``x~`` of shape ``(1, d)``: near a component of ``p_sigma``, in the bulk
    (``<= 3`` sd) or the tails (up to ``tail`` sd, along a random direction)."""
    k = draw(st.integers(0, mixture.n_components - 1))
    distance = draw(st.one_of(st.floats(0.0, 3.0), st.floats(3.0, tail)))
    direction = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=mixture.dim,
                                       max_size=mixture.dim)))
    norm = float(np.linalg.norm(direction))
    direction = direction / norm if norm > 1e-3 else np.eye(mixture.dim)[0]
    sd = math.sqrt(float(mixture.eigenvalues[k].max()) + sigma**2)
    return (mixture.means[k] + distance * sd * direction)[None, :]

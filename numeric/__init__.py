"""Numerical layer of the DSM-weighting verifier (NumPy + mpmath).

The public API is re-exported here; implementation lives in the submodules.
Names whose modules import SymPy (through :mod:`derive`) load on first use, so
that ``import numeric`` and ``dsmw --help`` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from numeric._validation import InvalidArgumentError
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, conditional_mean, optimal_weight
from numeric.montecarlo import Estimate

_LAZY = {
    "ExpectedMoments": "numeric.expectations",
    "expected_moments": "numeric.expectations",
    "expected_optimal_weight": "numeric.expectations",
    "fisher_information": "numeric.expectations",
    "gauss_hermite_expectation": "numeric.expectations",
    "posterior_grid": "numeric.quadrature",
    "reference_noise": "numeric.noise_reference",
    "check_formula": "numeric.user_check",
    "verify": "numeric.checks",
    "check_weight": "numeric.user_check",
    "density_curve": "numeric.weighting_curves",
    "expected_optimal_curve": "numeric.weighting_curves",
    "level_grid": "numeric.weighting_curves",
    "weight_curve": "numeric.weighting_curves",
}

__all__ = [
    "Estimate",
    "GaussianMixture",
    "InvalidArgumentError",
    "conditional_covariance",
    "conditional_mean",
    "optimal_weight",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'numeric' has no attribute {name!r}")

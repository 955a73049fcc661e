"""Numerical layer of the DSM-weighting verifier (NumPy + mpmath).

The public API is re-exported here; implementation lives in the submodules.
"""

from numeric._validation import InvalidArgumentError
from numeric.mixture import GaussianMixture

__all__ = ["GaussianMixture", "InvalidArgumentError"]

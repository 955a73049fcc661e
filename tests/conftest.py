"""Shared test configuration: Hypothesis profiles, common fixtures, and one BLAS thread
per pytest-xdist worker.

Profiles: ``dev`` (fast, random), ``ci`` (deterministic: ``derandomize=True``
and no example database, so CI never flakes) and ``thorough`` (a long fuzz).
Select one with ``pytest --hypothesis-profile=thorough`` or the environment
variable ``DSMW_HYPOTHESIS_PROFILE``; the default is ``ci``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("DSMW_HYPOTHESIS_PROFILE", "ci"))

if os.environ.get("PYTEST_XDIST_WORKER"):
    # parallel workers share the cores: one BLAS thread each (numeric._workers says why)
    from numeric._workers import single_blas_thread

    single_blas_thread()


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test: results never depend on test order."""
    return np.random.default_rng(12345)

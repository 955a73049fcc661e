"""Symbolic layer of the DSM-weighting verifier (pure SymPy: no NumPy).

Each claim C1–C7 (stated in notes/theory.md) is *derived* here: SymPy performs the
differentiation under the integral, the Hermite algebra, the series and the
Cauchy–Schwarz/Lagrange identities, and decides every identity it relies on:
each step is confirmed, refuted or unconfirmed, and each claim's status is
computed from its steps. The derivations do no I/O; the one exception is the
on-disk cache of :func:`claims` and of the slow derivations (``derive/_cache.py``:
keyed by the source of ``derive/`` and the SymPy version; ``DSMW_CACHE_DIR`` moves it,
``DSMW_NO_CACHE=1`` disables it).

The package is a lazy facade (PEP 562): ``import derive`` imports no SymPy; a name is
imported from the submodule that defines it on first use and then kept in this module's
globals, so ``setattr(derive, name, wrong)`` (the mutants of :mod:`numeric`) replaces it
and ``getattr(derive, name)`` reads the replacement. :mod:`derive._errors` (the shared
:class:`InvalidArgumentError`) imports nothing heavy.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = [
    "SCHEDULES",
    "SPACES",
    "Claim",
    "DerivationError",
    "E",
    "InvalidArgumentError",
    "NoiseFamily",
    "SamplingDensity",
    "Schedule",
    "Step",
    "Weighting",
    "claim",
    "claims",
    "conditional_covariance",
    "conditional_covariance_matrix",
    "conditional_mean",
    "conversion_factor",
    "convert",
    "curvature_in_ratios",
    "custom_noise",
    "derive_c1",
    "derive_c2",
    "derive_c3",
    "derive_c4",
    "derive_c5",
    "derive_c6",
    "derive_c7",
    "expected_covariance",
    "expected_trace_expansion",
    "expected_weight_expansion",
    "fisher_information_of_noise",
    "gaussian_data_optimal_weight",
    "gaussian_target",
    "h",
    "hermite_e",
    "heuristic_weight",
    "jensen_gap",
    "lagrange_gap",
    "m",
    "noise_family",
    "optimal_sandwich",
    "optimal_weight",
    "optimal_weight_in_space",
    "optimal_weight_matrix_series",
    "parse_expression",
    "parse_weighting_name",
    "ratio_symbols",
    "ratio_tensor",
    "s",
    "sandwich_covariance",
    "schedule",
    "schedule_conversion_factor",
    "sigma",
    "square_linearisation",
    "target",
    "taylor_coefficients",
    "taylor_expansion",
    "weight_excess",
    "weighting",
    "weightings",
]

#: Where each public name is defined: name -> submodule.
_SOURCES = {
    "CLAIM_IDS": "derive._claims._registry",
    "PROOF_IDS": "derive._claims._registry",
    "claim": "derive._claims._registry",
    "claims": "derive._claims._registry",
    "conditional_mean": "derive._claims.c1_mean",
    "derive_c1": "derive._claims.c1_mean",
    "gaussian_target": "derive._claims.c1_mean",
    "target": "derive._claims.c1_mean",
    "conditional_covariance": "derive._claims.c2_covariance",
    "conditional_covariance_matrix": "derive._claims.c2_covariance",
    "curvature_in_ratios": "derive._claims.c2_covariance",
    "derive_c2": "derive._claims.c2_covariance",
    "derive_c3": "derive._claims.c3_optimal",
    "lagrange_gap": "derive._claims.c3_optimal",
    "optimal_sandwich": "derive._claims.c3_optimal",
    "optimal_weight": "derive._claims.c3_optimal",
    "sandwich_covariance": "derive._claims.c3_optimal",
    "derive_c4": "derive._claims.c4_taylor",
    "expected_trace_expansion": "derive._claims.c4_taylor",
    "expected_weight_expansion": "derive._claims.c4_taylor",
    "heuristic_weight": "derive._claims.c4_taylor",
    "taylor_coefficients": "derive._claims.c4_taylor",
    "taylor_expansion": "derive._claims.c4_taylor",
    "weight_excess": "derive._claims.c4_taylor",
    "derive_c5": "derive._claims.c5_expected",
    "expected_covariance": "derive._claims.c5_expected",
    "fisher_information_of_noise": "derive._claims.c5_expected",
    "derive_c6": "derive._claims.c6_jensen",
    "jensen_gap": "derive._claims.c6_jensen",
    "derive_c7": "derive._claims.c7_edm",
    "gaussian_data_optimal_weight": "derive._claims.c7_edm",
    "DerivationError": "derive._errors",
    "InvalidArgumentError": "derive._errors",
    "Claim": "derive.claim",
    "Step": "derive.claim",
    "hermite_e": "derive.hermite",
    "square_linearisation": "derive.hermite",
    "NoiseFamily": "derive.noise",
    "custom_noise": "derive.noise",
    "noise_family": "derive.noise",
    "parse_expression": "derive.parsing",
    "SCHEDULES": "derive.spaces",
    "SPACES": "derive.spaces",
    "Schedule": "derive.spaces",
    "conversion_factor": "derive.spaces",
    "convert": "derive.spaces",
    "schedule": "derive.spaces",
    "schedule_conversion_factor": "derive.spaces",
    "E": "derive.symbols",
    "h": "derive.symbols",
    "m": "derive.symbols",
    "ratio_symbols": "derive.symbols",
    "ratio_tensor": "derive.symbols",
    "optimal_weight_matrix_series": "derive._claims._order_two",
    "s": "derive.symbols",
    "sigma": "derive.symbols",
    "SamplingDensity": "derive.weightings",
    "Weighting": "derive.weightings",
    "optimal_weight_in_space": "derive.weightings",
    "parse_weighting_name": "derive.weightings",
    "weighting": "derive.weightings",
    "weightings": "derive.weightings",
}


def __getattr__(name: str) -> Any:
    """Import ``name`` from its submodule on first use, then keep it in the globals.

    Parameters
    ----------
    name : str
        A name of :data:`__all__` or a submodule of :mod:`derive` (e.g. ``"spaces"``).

    Returns
    -------
    object
        The attribute (or submodule).

    Raises
    ------
    AttributeError
        For any other name.
    """
    source = _SOURCES.get(name)
    if source is not None:
        value = getattr(importlib.import_module(source), name)
    elif not name.startswith("__"):
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, the submodules loaded so far and the module's own globals."""
    return sorted(set(globals()) | set(__all__))


class _Facade(types.ModuleType):
    """The module type of :mod:`derive`: keeps a public name bound to its value when the
    import system binds a submodule of the same name (``derive.claim``, the module, vs.
    :func:`derive.claim`, the function; likewise ``weightings``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _SOURCES and (
                value.__name__ == f"{__name__}.{name}"):
            return  # the submodule stays in sys.modules; the name resolves lazily
        super().__setattr__(name, value)


__import__("sys").modules[__name__].__class__ = _Facade

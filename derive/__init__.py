"""Symbolic layer of the DSM-weighting verifier (pure SymPy: no NumPy, no I/O).

Each claim C1–C7 of THEORY.md is *derived* here: SymPy performs the
differentiation under the integral, the Hermite algebra, the series and the
Cauchy–Schwarz/Lagrange identities, and confirms every identity it relies on.
"""

from derive._claims.c1_mean import conditional_mean, derive_c1, gaussian_target, target
from derive._claims.c2_covariance import conditional_covariance, curvature_in_ratios, derive_c2
from derive._claims.c3_optimal import derive_c3, lagrange_gap, optimal_weight
from derive._claims.c4_taylor import (
    derive_c4,
    expected_weight_expansion,
    heuristic_weight,
    taylor_coefficients,
    taylor_expansion,
)
from derive._claims.c5_expected import (
    derive_c5,
    expected_covariance,
    fisher_information_of_noise,
)
from derive._claims.c6_jensen import derive_c6
from derive._claims.c7_edm import derive_c7, gaussian_data_optimal_weight
from derive._validation import DerivationError, InvalidArgumentError
from derive.claim import Claim, Step
from derive.hermite import hermite_e, square_linearisation
from derive.noise import NoiseFamily, custom_noise, noise_family
from derive.parsing import parse_expression
from derive.spaces import (
    SCHEDULES,
    SPACES,
    Schedule,
    conversion_factor,
    convert,
    schedule,
    schedule_conversion_factor,
)
from derive.symbols import E, h, m, s, sigma
from derive.weightings import (
    SamplingDensity,
    Weighting,
    optimal_weight_in_space,
    parse_weighting_name,
    weighting,
    weightings,
)

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
    "claims",
    "conditional_covariance",
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
    "expected_weight_expansion",
    "fisher_information_of_noise",
    "gaussian_data_optimal_weight",
    "gaussian_target",
    "h",
    "hermite_e",
    "heuristic_weight",
    "lagrange_gap",
    "m",
    "noise_family",
    "optimal_weight",
    "optimal_weight_in_space",
    "parse_expression",
    "parse_weighting_name",
    "s",
    "schedule",
    "schedule_conversion_factor",
    "sigma",
    "square_linearisation",
    "target",
    "taylor_coefficients",
    "taylor_expansion",
    "weighting",
    "weightings",
]


def claims(max_order: int = 4) -> tuple[Claim, ...]:
    """Every claim C1–C7 as a frozen :class:`Claim` (orders ``1..max_order`` where relevant)."""
    from derive._validation import check_order

    top = check_order(max_order, name="order")
    return (derive_c1(top), derive_c2(top), derive_c3(), derive_c4(top), derive_c5(top),
            derive_c6(), derive_c7())

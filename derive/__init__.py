"""Symbolic layer of the DSM-weighting verifier (pure SymPy: no NumPy).

Each claim C1–C7 (stated in notes/theory.md) is *derived* here: SymPy performs the
differentiation under the integral, the Hermite algebra, the series and the
Cauchy–Schwarz/Lagrange identities, and decides every identity it relies on:
each step is confirmed, refuted or unconfirmed, and each claim's status is
computed from its steps. The derivations do no I/O; the one exception is the
on-disk cache of :func:`claims` and of the slow derivations (``derive/_cache.py``:
keyed by the source of ``derive/`` and the SymPy version; ``DSMW_CACHE_DIR`` moves it,
``DSMW_NO_CACHE=1`` disables it).
"""

from derive._claims.c1_mean import conditional_mean, derive_c1, gaussian_target, target
from derive._claims.c2_covariance import (
    conditional_covariance,
    conditional_covariance_matrix,
    curvature_in_ratios,
    derive_c2,
)
from derive._claims.c3_optimal import (
    derive_c3,
    lagrange_gap,
    optimal_sandwich,
    optimal_weight,
    sandwich_covariance,
)
from derive._claims.c4_taylor import (
    derive_c4,
    expected_trace_expansion,
    expected_weight_expansion,
    heuristic_weight,
    taylor_coefficients,
    taylor_expansion,
    weight_excess,
)
from derive._claims.c5_expected import (
    derive_c5,
    expected_covariance,
    fisher_information_of_noise,
)
from derive._claims.c6_jensen import derive_c6, jensen_gap
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
from derive.symbols import E, h, m, ratio_symbols, s, sigma
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
    "parse_expression",
    "parse_weighting_name",
    "ratio_symbols",
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


CLAIM_IDS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7")
#: Every id :func:`claim` knows: C1-C7 and P1 (the parameterisations, noted in weightings.md).
PROOF_IDS = (*CLAIM_IDS, "P1")


def _derive_all(top: int) -> tuple[Claim, ...]:
    return (derive_c1(top), derive_c2(top), derive_c3(), derive_c4(top), derive_c5(top),
            derive_c6(), derive_c7())


def claims(max_order: int = 4) -> tuple[Claim, ...]:
    """Every claim C1–C7 as a frozen :class:`Claim` (orders ``1..max_order`` where relevant).

    Cached on disk (see ``derive/_cache.py``: keyed by the source of ``derive/``, the SymPy
    version and ``max_order``; ``DSMW_NO_CACHE=1`` disables it).
    """
    from derive._cache import cached
    from derive._validation import check_order

    top = check_order(max_order, name="max_order")
    return cached(f"claims-{top}", lambda: _derive_all(top))


def claim(cid: str, max_order: int = 4) -> Claim:
    """One claim by id (``"C1"`` .. ``"C7"``, or ``"P1"``, the parameterisations), cached
    on disk like :func:`claims`.

    Parameters
    ----------
    cid : str
        Claim id, case-insensitive.
    max_order : int, default 4
        Highest order of the order-n derivations.

    Returns
    -------
    Claim
        With computed ``status``, ``instances`` and ``refuted_steps``.

    Examples
    --------
    >>> claim("C6").status
    'proved'
    """
    from derive._validation import InvalidArgumentError

    key = str(cid).strip().upper()
    if key == "P1":  # the parameterisations: its own note is weightings.md
        from derive._cache import cached
        from derive._claims.p1_spaces import derive_p1

        return cached("claim-P1", derive_p1)
    if key not in CLAIM_IDS:
        raise InvalidArgumentError("cid", cid, "not a derived claim",
                                   f"pass one of {', '.join(PROOF_IDS)}")
    return claims(max_order)[CLAIM_IDS.index(key)]

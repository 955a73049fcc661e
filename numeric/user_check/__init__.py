"""Checks of a user's own input: a formula for the conditional mean, covariance or weight
(:func:`check_formula`, ``dsmw check``) and a weight in one space on one schedule
(:func:`check_weight`, ``dsmw weighting check``).

Both are judged symbolically first (:mod:`numeric.user_check._symbolic`, shared) and then
numerically; see :mod:`numeric.user_check._formula` for the verdicts and budgets.
"""

from __future__ import annotations

from numeric.user_check._formula import (
    CHECK_TOLERANCE,
    MAX_NU,
    MAX_ORDER,
    MAX_QUADRATURE_ORDER,
    MIN_NU,
    QUANTITIES,
    SYMBOLIC_SECONDS,
    Case,
    FormulaVerdict,
    check_formula,
    check_noise,
    check_order_budget,
    format_verdict,
)
from numeric.user_check._matrix import DIMENSIONS, check_matrix_formula, index_vocabulary
from numeric.user_check._weight import (
    NUMERIC_TOLERANCE,
    WeightCheck,
    check_weight,
    format_weight_check,
)
from numeric.weighting_definitions import (
    check_sigma_data,
    parse_definition,
    resolve_weighting,
    user_weighting,
)

__all__ = [
    "CHECK_TOLERANCE",
    "DIMENSIONS",
    "MAX_NU",
    "MAX_ORDER",
    "MAX_QUADRATURE_ORDER",
    "MIN_NU",
    "NUMERIC_TOLERANCE",
    "QUANTITIES",
    "SYMBOLIC_SECONDS",
    "Case",
    "FormulaVerdict",
    "WeightCheck",
    "check_formula",
    "check_matrix_formula",
    "check_noise",
    "check_order_budget",
    "check_sigma_data",
    "check_weight",
    "format_verdict",
    "format_weight_check",
    "index_vocabulary",
    "parse_definition",
    "resolve_weighting",
    "user_weighting",
]

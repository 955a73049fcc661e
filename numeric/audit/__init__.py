"""The audit of the verifier itself: mutants (wrong formulas the checks must catch) and
the reliability experiment (measured false-alarm rates, ``notes/reliability.md``).

Private modules: ``_swap`` (the :class:`Mutant` record and the swap-and-restore of a
derive function), ``_catalogue`` (every mutant), ``_mutants`` (running them) and
``_reliability`` (false-alarm experiments and the note).
"""

from numeric.audit._catalogue import FACADE_MUTANTS, MUTANTS, WEIGHTING_MUTANTS, WeightingMutant
from numeric.audit._mutants import MutantResult, run_mutants, substituted
from numeric.audit._reliability import (
    FalseAlarmResult,
    false_alarm_rate,
    find_weight_below_heuristic,
    joint_false_alarm_rate,
    mutant_section,
    refresh_mutant_section,
    reliability_notes,
    study_false_alarm_rate,
    wilson_interval,
)
from numeric.audit._swap import Mutant, swapped

__all__ = [
    "FACADE_MUTANTS",
    "MUTANTS",
    "WEIGHTING_MUTANTS",
    "FalseAlarmResult",
    "Mutant",
    "MutantResult",
    "WeightingMutant",
    "false_alarm_rate",
    "find_weight_below_heuristic",
    "joint_false_alarm_rate",
    "mutant_section",
    "refresh_mutant_section",
    "reliability_notes",
    "run_mutants",
    "study_false_alarm_rate",
    "substituted",
    "swapped",
    "wilson_interval",
]

"""The audit of the verifier itself: mutants (wrong formulas the checks must catch) and
the reliability experiment (measured false-alarm rates, ``notes/reliability.md``).

Private modules: ``_swap`` (the :class:`Mutant` record and the swap-and-restore of a
derive function), ``_catalogue`` (every mutant), ``_mutants`` (running them) and
``_limits`` (the repetition counts, free of NumPy and SymPy), ``_calibration``
(every Monte Carlo check's false-alarm rate, measured),
``_experiments`` (single experiments: known against estimated errors, the C8 study's
cross-check, the between-mode search) and ``_reliability`` (the plan and the note). Names load on
first use: the mutants import SymPy, and ``dsmw --help`` reads ``MAX_REPETITIONS``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    **dict.fromkeys(("FACADE_MUTANTS", "MUTANTS", "WEIGHTING_MUTANTS", "WeightingMutant"),
                    "numeric.audit._catalogue"),
    **dict.fromkeys(("MutantResult", "run_mutants", "substituted"), "numeric.audit._mutants"),
    **dict.fromkeys(("FULL_REPETITIONS", "MAX_REPETITIONS", "NOMINAL_RATES",
                     "QUICK_REPETITIONS", "check_repetitions"), "numeric.audit._limits"),
    **dict.fromkeys(("ReliabilityPlan", "ReliabilityRun", "mutant_section",
                     "refresh_mutant_section", "reliability_notes", "reliability_plan",
                     "reliability_run"), "numeric.audit._reliability"),
    **dict.fromkeys(("SIMULTANEOUS_CONFIDENCE", "CheckRate", "check_rates", "wilson_interval"),
                    "numeric.audit._calibration"),
    **dict.fromkeys(("FalseAlarmResult", "false_alarm_rate", "find_weight_below_heuristic",
                     "joint_false_alarm_rate", "study_false_alarm_rate"),
                    "numeric.audit._experiments"),
    **dict.fromkeys(("Mutant", "swapped"), "numeric.audit._swap"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numeric.audit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

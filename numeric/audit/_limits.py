"""Repetition counts of the reliability study.

Kept apart from :mod:`numeric.audit._reliability` because ``dsmw --help`` reads them and
must load neither the checks nor SymPy (nor NumPy).
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from derive._errors import InvalidArgumentError

__all__ = ["FULL_CONFIGURATION_SHARE", "FULL_REPETITIONS", "MAX_REPETITIONS",
           "NOMINAL_RATES", "QUICK_REPETITIONS", "check_repetitions"]

#: Most repetitions of :func:`numeric.audit.reliability_run`.
MAX_REPETITIONS = 100_000
#: Nominal rates at which every Monte Carlo check's false-alarm rate is measured.
NOMINAL_RATES = (0.05, 0.01)
#: Repetitions of a quick run (``dsmw reliability --quick``) and of a full one.
QUICK_REPETITIONS = 200
FULL_REPETITIONS = 1000
#: The full run measures the checks' full-run configurations on this fraction of its
#: repetitions (they cost about 3 times as much per repetition; 30 minutes on 2 cores).
FULL_CONFIGURATION_SHARE = 5


def check_repetitions(repetitions: Any) -> int:
    """``repetitions`` as an int, or InvalidArgumentError naming ``repetitions``.

    Examples
    --------
    >>> check_repetitions(1000)
    1000
    """
    if (isinstance(repetitions, bool) or not isinstance(repetitions, Integral)
            or not 1 <= repetitions <= MAX_REPETITIONS):
        raise InvalidArgumentError("repetitions", repetitions, f"repetitions takes integers "
                                   f"from 1 to {MAX_REPETITIONS}", "pass e.g. repetitions=1000")
    return int(repetitions)

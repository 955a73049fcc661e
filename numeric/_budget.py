"""Time budgets: no command runs unbounded on hostile input.

:func:`time_budget` runs a block under :func:`derive._budget.time_limit` (the project's one
timer); when it fires, :class:`~numeric._validation.BudgetExceededError` is raised, naming
the argument responsible (the CLI turns it into exit 2 with a message). Budgets nest: an
inner budget never outlives the outer one. Where no timer is available (not the main
thread, or a platform without ``SIGALRM``) the block runs unbounded.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from derive._budget import TimeUp, time_limit
from numeric._validation import BudgetExceededError

__all__ = ["BudgetExceededError", "TimeUp", "time_budget"]


def time_budget(seconds: float, what: str, name: str = "input", value: object = "",
                fix: str = "simplify the input") -> AbstractContextManager[None]:
    """Run the block for at most ``seconds``; then raise BudgetExceededError.

    The error names the argument ``name`` responsible, its ``value``, what ran out of time
    and the ``fix``.

    Examples
    --------
    >>> with time_budget(5, "a quick block"):
    ...     total = sum(range(10))
    >>> total == 45
    True
    """
    def exceeded(elapsed: float) -> BaseException:
        return BudgetExceededError(name, value, f"{what} exceeded its time budget of "
                                   f"{seconds:g} s (stopped after {elapsed:.1f} s)", fix)

    return time_limit(seconds, exceeded)

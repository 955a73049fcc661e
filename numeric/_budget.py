"""Time budgets: no command runs unbounded on hostile input.

:func:`time_budget` arms a real-time timer (``signal.setitimer``) around a block;
when it fires, the block is interrupted and :class:`~numeric._validation.BudgetExceededError`
is raised (the CLI turns it into exit 2 with a message). Budgets nest: an inner
budget never outlives the outer one. Where no timer is available (not the main
thread, or a platform without ``SIGALRM``) the block runs unbounded.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from numeric._validation import BudgetExceededError

__all__ = ["BudgetExceededError", "TimeUp", "time_budget"]


class TimeUp(BaseException):
    """Raised by the timer inside the block. A BaseException so that library code's
    ``except Exception`` (SymPy has several) cannot swallow it."""


def _available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _ring(signum, frame):
    raise TimeUp


@contextlib.contextmanager
def time_budget(seconds: float, what: str, name: str = "input", value: object = "",
                fix: str = "simplify the input") -> Iterator[None]:
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
    if not _available():
        yield
        return
    start = time.monotonic()
    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    limit = seconds if not outer_remaining else min(seconds, outer_remaining)
    previous = signal.signal(signal.SIGALRM, _ring)
    outer_expired = False
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    except TimeUp:
        elapsed = time.monotonic() - start
        if outer_remaining and outer_remaining <= seconds:
            outer_expired = True
            raise  # the outer budget ran out: let the outer block report it
        raise BudgetExceededError(name, value, f"{what} exceeded its time budget of "
                                  f"{seconds:g} s (stopped after {elapsed:.1f} s)",
                                  fix) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining and not outer_expired:
            left = outer_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))

"""Time limits on SymPy calls: the one timer of the project (``signal.setitimer``).

:func:`time_limit` arms a real-time timer around a block; when it fires, the block is
interrupted and ``on_expiry(elapsed)`` is raised. Limits nest: an inner limit never
outlives the outer one, and the outer one's expiry is reported by the outer block. Where
no timer is available (not the main thread, or a platform without ``SIGALRM``) the block
runs unbounded. :mod:`numeric._budget` builds the commands' budgets on it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["OutOfTime", "TimeUp", "available", "bounded", "time_limit"]


class TimeUp(BaseException):
    """Raised by the timer inside the block. A BaseException so that library code's
    ``except Exception`` (SymPy has several) cannot swallow it."""


def available() -> bool:
    """Whether a timer can interrupt this thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _ring(signum, frame):
    raise TimeUp


@contextlib.contextmanager
def time_limit(seconds: float, on_expiry: Callable[[float], BaseException]) -> Iterator[None]:
    """Run the block for at most ``seconds``; then raise ``on_expiry(elapsed)``.

    Examples
    --------
    >>> with time_limit(5, lambda elapsed: RuntimeError("too slow")):
    ...     total = sum(range(10))
    >>> total
    45
    """
    if not available():
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
        if outer_remaining and outer_remaining <= seconds:
            outer_expired = True
            raise  # the outer limit ran out: let the outer block report it
        raise on_expiry(time.monotonic() - start) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining and not outer_expired:
            left = outer_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


class OutOfTime(Exception):
    """A derivation step's SymPy call ran out of its budget (:func:`bounded`); the step
    is then left undecided, never hung."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} ran out of its {seconds:g} s budget")


def bounded(seconds: float, what: str, work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)`` under ``seconds`` of time; past it, :class:`OutOfTime` naming
    ``what``.

    Examples
    --------
    >>> bounded(5, "a sum", sum, range(10))
    45
    """
    with time_limit(seconds, lambda elapsed: OutOfTime(what, seconds)):
        return work(*args)

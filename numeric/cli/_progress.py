"""Progress on stderr and the process settings of the long commands."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["available_cores", "progress_printer", "single_threaded_blas"]


def progress_printer(enabled: bool, describe: Callable[[Any], str] = lambda task:
                     f"{task.claim}: {task.name}", delay: float = 0.0
                     ) -> Callable[[int, int, Any], None] | None:
    """A progress bar on stderr, drawn only after ``delay`` seconds (quick runs stay quiet).

    Parameters
    ----------
    enabled
        False: no bar (None is returned, which the library takes as "no progress").
    describe
        The label of the item just done.
    delay
        Seconds before the bar first appears.

    Returns
    -------
    callable or None
        ``show(done, total, item)``.
    """
    if not enabled:
        return None

    start = time.perf_counter()

    def show(done: int, total: int, item: Any) -> None:
        if time.perf_counter() - start < delay:
            return
        label = describe(item) if done < total else "done"
        filled = int(20 * done / max(total, 1))
        bar = "#" * filled + "." * (20 - filled)
        elapsed = time.perf_counter() - start
        sys.stderr.write(f"\r[{bar}] {done:>3}/{total} {elapsed:5.0f}s {label[:50]:<50}")
        if done >= total:
            sys.stderr.write("\r" + " " * 90 + "\r")
        sys.stderr.flush()

    return show


def available_cores() -> int:
    """Cores this process may run on (the default number of workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def single_threaded_blas() -> None:
    """One BLAS thread per process, set before NumPy is imported: the checks' matrices
    are small, and BLAS threads only contend with worker processes and other load (on a
    loaded 2-core machine a 10^6-element dot product ran 30x slower threaded)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

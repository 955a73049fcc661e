"""Progress on stderr and the process settings of the long commands."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["LINE_INTERVAL", "available_cores", "progress_printer", "single_threaded_blas"]


#: Seconds between two progress lines when stderr is not a terminal (a log, a pipe).
LINE_INTERVAL = 5.0


def progress_printer(enabled: bool, describe: Callable[[Any], str] = lambda task:
                     f"{task.claim}: {task.name}", delay: float = 0.0,
                     command: str = "dsmw", interactive: bool | None = None
                     ) -> Callable[[int, int, Any], None] | None:
    """Progress on stderr: a bar redrawn in place on a terminal, otherwise a plain line at
    most every :data:`LINE_INTERVAL` seconds (so a redirected run is not silent and a log
    stays short; a run shorter than that prints nothing).

    Parameters
    ----------
    enabled
        False (``--quiet``): no progress (None is returned, which the library takes as
        "no progress").
    describe
        The label of the item just done.
    delay
        Seconds before the bar first appears on a terminal.
    command
        The prefix of a plain line, e.g. ``"dsmw verify"``.
    interactive
        Draw the bar (default: whether stderr is a terminal).

    Returns
    -------
    callable or None
        ``show(done, total, item)``.
    """
    if not enabled:
        return None
    if interactive is None:
        interactive = sys.stderr.isatty()
    start = time.perf_counter()
    last_line = [start]
    printed = [False]

    def bar(done: int, total: int, item: Any) -> None:
        if time.perf_counter() - start < delay:
            return
        label = describe(item) if done < total else "done"
        filled = int(20 * done / max(total, 1))
        drawn = "#" * filled + "." * (20 - filled)
        elapsed = time.perf_counter() - start
        sys.stderr.write(f"\r[{drawn}] {done:>3}/{total} {elapsed:5.0f}s {label[:50]:<50}")
        if done >= total:
            sys.stderr.write("\r" + " " * 90 + "\r")
        sys.stderr.flush()

    def lines(done: int, total: int, item: Any) -> None:
        now = time.perf_counter()
        finished = done >= total
        if not (now - last_line[0] >= LINE_INTERVAL or (finished and printed[0])):
            return
        last_line[0], printed[0] = now, True
        what = "done" if finished else describe(item)
        sys.stderr.write(f"{command}: {done}/{total} after {now - start:.0f} s: {what}\n")
        sys.stderr.flush()

    return bar if interactive else lines


def available_cores() -> int:
    """Cores this process may run on (the default number of workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def single_threaded_blas() -> None:
    """One BLAS thread in this process and in the processes it starts: the checks'
    matrices are small, and BLAS threads only contend with worker processes and other load
    (on a loaded 2-core machine a 10^6-element dot product ran 30x slower threaded).

    ``import numeric`` has loaded NumPy already, so the environment variables reach only
    child interpreters; this process's pool is limited at run time (threadpoolctl).
    """
    from numeric._workers import single_blas_thread

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    single_blas_thread()

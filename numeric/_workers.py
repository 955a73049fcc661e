"""Worker processes: every process pool of the project is made here.

Each worker gets one BLAS thread. NumPy's OpenBLAS starts one thread per core in every
process, so two forked workers on 2 cores ran four BLAS threads that wait on each other:
a P1 check repetition took 10.2 s in each of two concurrent processes and 3.0 s alone, and
3.0-3.4 s in each with one BLAS thread per process (measured, ``notes/performance.md``).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.pool import Pool

__all__ = ["can_fork", "forked_pool", "single_blas_thread"]


def single_blas_thread() -> None:
    """Limit this process's BLAS (and OpenMP) thread pools to one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a declared dependency; without it workers keep NumPy's default
        return
    threadpool_limits(1)


def can_fork() -> bool:
    """Whether workers can be forked (they inherit the parent's closures and memos)."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked_pool(processes: int) -> Pool:
    """A pool of ``processes`` forked workers, each with one BLAS thread."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=single_blas_thread)

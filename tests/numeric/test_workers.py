"""Worker processes run with one BLAS thread (numeric._workers says why)."""

from __future__ import annotations

import threadpoolctl

from numeric._workers import can_fork, forked_pool


def _blas_threads(_: int) -> int:
    pools = [p["num_threads"] for p in threadpoolctl.threadpool_info()
             if p["user_api"] == "blas"]
    return max(pools, default=1)


def test_forked_workers_have_one_blas_thread() -> None:
    assert can_fork()
    with forked_pool(2) as pool:
        assert pool.map(_blas_threads, range(4)) == [1, 1, 1, 1]

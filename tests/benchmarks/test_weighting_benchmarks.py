"""Benchmark of claim P1's quick mode (target: under 1.5 s of CPU in a fresh process,
SymPy derivations included). Not a timing assert; run as in test_benchmarks.py."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import time
import numpy as np
start = time.process_time()
from numeric.checks import tasks
for task in tasks(["P1"], quick=True):
    assert task.run(np.random.default_rng(0), 1e-4).passed
print(time.process_time() - start)
"""


def test_p1_quick_mode_cpu_seconds(benchmark) -> None:
    # a fresh interpreter each round: the memoised derivations are part of the cost
    def run() -> float:
        out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                             check=True)
        return float(out.stdout.strip().splitlines()[-1])

    seconds = benchmark.pedantic(run, rounds=3, iterations=1)
    print(f"P1 quick mode: {seconds:.2f} s CPU (target 1.5 s)")

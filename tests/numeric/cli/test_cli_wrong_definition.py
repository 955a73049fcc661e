"""A wrong definition in derive gives a verdict, never a hang.

A one-character edit of ``derive.spaces.snr_definition`` once made ``dsmw verify`` run
for more than 25 minutes (an unbudgeted simplification in the refutation search). Here the
edits are made in a fresh interpreter with an empty derivation cache (the cache is keyed by
the source, and a runtime edit must not be served old derivations), and ``dsmw verify
--quick --claims P1`` must exit 1 naming what failed, in about its cold-start time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: A cold ``dsmw verify --quick --claims P1`` derives P1 from scratch (about a minute on 2
#: cores); the bound leaves room for a loaded machine, far below the old hang.
SECONDS = 300

_EDIT = """
import sys
import derive.spaces as spaces
from derive.symbols import sigma
wrong = {"cube": spaces.alpha**2 / sigma**3, "product": spaces.alpha**2 * sigma**2,
         "half": spaces.alpha / sigma**2}[sys.argv[1]]
spaces.snr_definition = lambda: wrong
from numeric.cli import main
sys.exit(main(["verify", "--quick", "--claims", "P1", "--quiet", "--jobs", "1"]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("edit", ["cube", "product", "half"])
def test_a_wrong_snr_definition_fails_verify_in_time(edit: str, tmp_path: Path) -> None:
    env = {**os.environ, "DSMW_CACHE_DIR": str(tmp_path / "cache")}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _EDIT, edit], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=SECONDS)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    assert "FAIL" in proc.stdout and "P1" in proc.stdout
    assert elapsed < SECONDS

"""The ``dsmw`` command line: exit codes, JSON shape, error messages without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from numeric.cli import main


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "verify" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("dsmw ")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_verify_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--quick", "--json", "--claims", "MIX", "--seed", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"claims", "passed", "seconds", "seed"}
    assert report["seed"] == 3 and report["passed"] is True
    claim = report["claims"][0]
    assert set(claim) >= {"id", "title", "status", "checks"}
    assert set(claim["checks"][0]) >= {"name", "method", "error", "tolerance", "passed"}


def test_unknown_claim_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--claims", "C99"]) == 2
    err = capsys.readouterr().err
    assert "claims" in err and "C99" in err and "Traceback" not in err


def test_bad_option_value_exits_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "numeric.cli", "verify", "--seed", "x"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--seed" in proc.stderr

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


def _strict_json(text: str):
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_verify_json_is_strict_and_carries_the_proof_status(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--quick", "--json", "--claims", "C6,C7", "--seed", "3"]) == 0
    report = _strict_json(capsys.readouterr().out)
    for claim in report["claims"]:
        assert claim["proof"] in ("proved", "proved for instances",
                                  "checked numerically only")
        assert claim["refuted_steps"] == []
        assert len({c["method"] for c in claim["checks"]}) >= 2
        assert "monte-carlo" in {c["method"] for c in claim["checks"]}


def test_a_non_finite_error_is_null_in_json() -> None:
    from numeric.checks import Check

    row = Check("x", "exact", float("inf"), float("nan"), False).to_dict()
    assert row["error"] is None and row["tolerance"] is None
    json.dumps(row, allow_nan=False)


@pytest.mark.parametrize("seed", ["-1", "-5"])
def test_negative_seed_exits_2_with_a_message(seed: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "numeric.cli", "verify", "--quick",
                           "--claims", "C6", "--seed", seed],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--seed" in proc.stderr and seed in proc.stderr


def test_mutants_reject_a_negative_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--mutants", "--claims", "C6", "--seed", "-1"]) == 2
    assert "non-negative" in capsys.readouterr().err


def test_a_refuted_derivation_step_fails_verify_naming_the_step(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    import sympy as sp

    import derive
    from derive.claim import confirm

    a = sp.Symbol("a")
    false_step = confirm((a + 1) ** 2, a**2 + 1, "an injected false identity")
    assert false_step.status == "refuted"
    original = derive.claim

    def with_false_step(cid, *args, **kwargs):
        claim = original(cid, *args, **kwargs)
        if cid != "C6":
            return claim
        return dataclasses.replace(claim, steps=(*claim.steps, false_step))

    monkeypatch.setattr(derive, "claim", with_false_step)
    assert main(["verify", "--quick", "--claims", "C6", "--seed", "1"]) == 1
    captured = capsys.readouterr()
    assert "C6 refuted: step an injected false identity" in captured.err
    assert "Traceback" not in captured.err
    assert "refuted" in captured.out and "FAIL" in captured.out


@pytest.mark.parametrize(("argv", "options"), [
    (["verify", "--seed", "-1", "--jobs", "0", "--alpha", "2"], ["--seed", "--alpha", "--jobs"]),
    (["reliability", "--repetitions", "0", "--jobs", "-2"], ["--jobs", "--repetitions"]),
    (["check", "h", "--order", "0", "--seed", "-3"], ["--seed", "--order"]),
])
def test_every_bad_option_is_reported_at_once(argv, options,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert not out and len(lines) == len(options) and "Traceback" not in err
    for line, option in zip(lines, options, strict=True):
        assert line.startswith(f"dsmw {argv[0]}: error: invalid {option}="), line

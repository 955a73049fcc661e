"""`dsmw weighting show|check|plot|list`: the classic conversion mistakes are refuted, the
correct conversions accepted, bad input exits 2. (Moved from tests/numeric/test_weighting.py,
which keeps claim P1's checks.)"""

from __future__ import annotations

import json

import pytest

from numeric.cli import main


def _check(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["weighting", "check", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("expr", "space", "schedule", "name"), [
    ("min(snr, 5)", "eps", "vp-cosine", "min-snr:5"),  # not divided by SNR
    ("min(snr, 5)", "v", "vp-cosine", "min-snr:5"),  # not divided by SNR + 1
    ("(sigma^2 + sigma_data^2)/(sigma*sigma_data)^2", "score", "edm", "edm"),  # unconverted
])
def test_check_refutes_the_classic_mistakes(capsys, expr, space, schedule, name) -> None:
    code, verdict = _check(capsys, expr, "--space", space, "--schedule", schedule, "--as", name)
    assert code == 1 and not verdict["same"]
    assert verdict["numeric"]["factor_there"] is not None
    assert verdict["numeric"]["worst_lambda"] is not None


@pytest.mark.parametrize(("expr", "space", "schedule", "name"), [
    ("min(snr, 5)/snr", "eps", "vp-cosine", "min-snr:5"),
    ("min(snr, gamma)/(snr + 1)", "v", "vp-linear", "min-snr:5"),
    ("sigma^2*(sigma^2 + sigma_data^2)/sigma_data^2", "score", "edm", "edm"),
    ("1/(1 + exp(lam - b))", "lambda", "rectified-flow", "sigmoid:2"),
    ("1", "lambda", "vp-cosine", "likelihood"),
])
def test_check_accepts_correct_conversions(capsys, expr, space, schedule, name) -> None:
    code, verdict = _check(capsys, expr, "--space", space, "--schedule", schedule, "--as", name)
    assert code == 0 and verdict["same"], verdict


def test_up_to_constant(capsys) -> None:
    code, verdict = _check(capsys, "7*sigma^2", "--space", "score", "--schedule", "ve",
                           "--as", "ncsn", "--up-to-constant")
    assert code == 0 and abs(verdict["constant"] - 7) < 1e-12
    code, _ = _check(capsys, "7*sigma^2", "--space", "score", "--schedule", "ve", "--as", "ncsn")
    assert code == 1


@pytest.mark.parametrize("argv", [
    ["check", "sigma^2", "--space", "nowhere", "--schedule", "ve", "--as", "ncsn"],
    ["check", "sigma^2", "--space", "score", "--schedule", "vp", "--as", "ncsn"],
    ["check", "os.system", "--space", "score", "--schedule", "ve", "--as", "ncsn"],
    ["check", "sigma", "--space", "score", "--schedule", "ve", "--as", "p2:1"],
    ["show", "unknown-weighting"],
    ["plot", "edm", "--out", "figure.svg"],
])
def test_bad_input_exits_2(capsys, argv) -> None:
    assert main(["weighting", *argv]) == 2
    assert "error" in capsys.readouterr().err


def test_show_list_and_plot(capsys, tmp_path) -> None:
    assert main(["weighting", "list"]) == 0
    listed = capsys.readouterr().out
    assert "edm[:SIGMA_DATA:P_MEAN:P_STD]" in listed and "p2:K:GAMMA" in listed
    assert main(["weighting", "show", "min-snr:5", "--space", "eps", "--schedule",
                 "vp-cosine", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["weight"] == "exp(-lam)*Min(5, exp(lam))"
    out = tmp_path / "w.png"
    assert main(["weighting", "plot", "edm", "ddpm", "--space", "eps", "--schedule", "edm",
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Weightings of your own (--define, --vs) and the data's sigma_data (--sigma-data)."""

from __future__ import annotations

import json

import pytest

from numeric.cli import main
from numeric.user_check import check_weight, parse_definition


def test_k_diffusion_snr_weighting_is_ddpm_at_its_own_sigma_data() -> None:
    # k-diffusion's 'snr' weighting of the F loss, sigma_data**2/(sigma**2 + sigma_data**2),
    # written with its default sigma_data = 1: DDPM only when F space uses the same value
    written = "1/(sigma**2 + 1)"
    assert not check_weight(written, "F", "edm", "ddpm").same
    assert check_weight(written, "F", "edm", "ddpm", sigma_data=1).same
    assert check_weight("sigma_data**2/(sigma**2 + sigma_data**2)", "F", "edm", "ddpm").same


def test_two_formulas_of_your_own_in_different_spaces() -> None:
    same = check_weight("clip(snr, 0, 5)/snr", "eps", "vp-cosine", versus="min(snr, 5)",
                        versus_space="x0")
    assert same.same and same.symbolic == "proved"
    assert not check_weight("clip(snr, 0, 5)/snr", "eps", "vp-cosine", versus="min(snr, 5)",
                            versus_space="v").same


def test_a_definition_is_usable_as_a_name(capsys) -> None:
    assert main(["weighting", "check", "min(snr, 5)/snr", "--space", "eps", "--schedule",
                 "vp-cosine", "--define", "mine=clip(snr, 0, 5)@x0", "--as", "mine"]) == 0
    capsys.readouterr()
    assert main(["weighting", "show", "mine", "--define", "mine=min(snr, 5)@x0",
                 "--schedule", "vp-cosine", "--space", "v", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["native_space"] == "x0" and "Min(5" in shown["weight"]
    record = parse_definition("w=sigmoid(2 - lam)@lambda")
    assert record.space == "lambda" and record.density.text == "uniform t"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--sigma-data", "-1", "--as", "ddpm"], "--sigma-data"),
        (["--sigma-data", "nan", "--as", "ddpm"], "--sigma-data"),
        ([], "--as"),
        (["--as", "ddpm", "--vs", "1"], "exactly one"),
        (["--define", "bad=1", "--as", "bad"], "NAME=EXPR@SPACE"),
        (["--define", "a=1@eps", "--define", "a=2@eps", "--as", "a"], "defined twice"),
        (["--define", "a=1@foo", "--as", "a"], "--define"),
        (["--define", "a=import(1)@eps", "--as", "a"], "--define"),
        (["--define", "a=1@eps", "--as", "a:3"], "takes no parameters"),
        (["--vs", "snr +"], "--vs"),
    ],
)
def test_bad_input_exits_2_naming_it(argv, named, capsys) -> None:
    assert main(["weighting", "check", "1", "--space", "eps", "--schedule", "vp-cosine",
                 *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


def test_v_on_a_non_vp_schedule_carries_a_note(capsys) -> None:
    literal = check_weight("1", "v", "edm", "v-prediction")
    assert literal.notes and "VP-normalised" in literal.notes[0]
    assert not check_weight("1", "v", "vp-cosine", "v-prediction").notes
    assert main(["weighting", "check", "1", "--space", "v", "--schedule", "edm", "--as",
                 "v-prediction", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"]

"""Hostile and careless input to `dsmw`: every answer is an exit status in {0, 1, 2} within
a time bound, one message and no traceback, and nothing half-written is left behind.

Most calls run in-process (``main([...])``: SymPy is imported once); a few run as
subprocesses to see exactly what a user sees. The time bounds catch hangs (minutes before
the budgets existed); they are not speed targets, which live in the benchmarks.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numeric._io import strict_json
from numeric.audit import MAX_REPETITIONS
from numeric.cli import _app, _check, _derive_notes, main

#: A hang detector, not a speed target: a call taking longer is a missing budget.
CALL_SECONDS = 90
ROOT = Path(__file__).resolve().parents[3]


def _strict_json(text: str):
    """json.loads that refuses NaN/Infinity, as a strict parser does."""
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``main(argv)`` in-process: (exit status, stdout, stderr), within CALL_SECONDS."""
    start = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors and --help
        code = exc.code if isinstance(exc.code, int) else 2
    elapsed = time.monotonic() - start
    out, err = capsys.readouterr()
    assert elapsed < CALL_SECONDS, (argv, elapsed)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    if code == 2 and err:
        assert "error:" in err or "usage:" in err, (argv, err)
    return code, out, err


def run_subprocess(argv: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "numeric.cli", *argv], capture_output=True,
                          text=True, timeout=CALL_SECONDS, check=False, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# -- the inputs named in the issue -------------------------------------------------------
BAD_INPUTS = [
    (["verify", "--quick", "--seed", "-1"], "--seed"),
    # messages name the option, and the choices and ranges the command line accepts
    (["verify", "--claims", "ZZ"], "invalid --claims='ZZ'"),
    (["verify", "--claims", "C8"], "covers MIX, NOISE, C1, C2, C3, C4, C5, C6, C7, P1"),
    (["check", "h", "--noise", "bogus"], "invalid --noise='bogus'"),
    (["check", "h", "--noise", "bogus"], "0.5 <= NU <= 1000"),
    (["verify", "--mutants", "--seed", "-1"], "--seed"),
    (["check", "s", "--seed", "-3"], "--seed"),
    (["study", "gradients", "--seed", "-2"], "--seed"),
    (["reliability", "--seed", "-4"], "--seed"),
    (["check", "1/0"], "division by zero"),
    (["check", "factorial(sigma)"], "factorial"),
    (["check", "factorial(100000)*h"], "factorial"),
    (["check", "9**9**9"], "exponent"),
    (["check", "sigma**(10**40)"], "exponent"),
    (["check", "h*" + "9" * 40], "digits"),
    (["check", "(10**30)**20"], "double precision"),
    (["check", "m1", "--order", "1000"], "--order"),
    (["check", "m1", "--quantity", "mean", "--noise", "student_t:1e308"], "--noise"),
    (["check", "m1", "--quantity", "mean", "--noise", "student_t:0"], "--noise"),
    (["check", "m1", "--noise", "logistic", "--order", "9"], "--order"),
    (["derive", "--order", "50"], "--order"),
    (["verify", "--claims", "C8"], "dsmw study gradients"),
    (["verify", "--jobs", "100000"], "--jobs"),
    (["verify", "--alpha", "nan"], "--alpha"),
    (["reliability", "--repetitions", "0"], "--repetitions"),
    (["check", "sqrt(" * 80 + "m1" + ")" * 80], "nested"),
    (["check", "(" * 250 + "m1" + ")" * 250], "could not parse"),
    (["check", "--", "-" * 1500 + "m1"], "nested"),
    (["check", "m1" * 1500], "longer than"),
    (["check", "1e400*h"], "the float literal 1e400 is beyond double precision"),
    (["check", "1.0e999"], "the float literal 1.0e999"),
    (["check", "sqrt(-1)*h"], "the constant sqrt(-1) is complex"),
    (["check", "I*h"], "the imaginary unit I"),
    (["check", "1j*h"], "the complex constant 1j"),
    (["check", "(-1)**(1/2)"], "a formula must be real"),
    (["weighting", "check", "sqrt(-1)/snr", "--space", "eps", "--schedule", "ve", "--as",
      "edm"], "a formula must be real"),
    (["weighting", "check", "1e999/snr", "--space", "eps", "--schedule", "ve", "--as",
      "edm"], "the float literal 1e999"),
]


@pytest.mark.parametrize(("argv", "named"), BAD_INPUTS, ids=lambda v: str(v)[:40])
def test_each_bad_input_exits_2_with_one_message(argv, named, capsys) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2, (argv, out, err)
    assert named in err and err.count("\n") == 1, err
    assert not out


def test_a_few_bad_inputs_as_the_user_sees_them() -> None:
    for argv in (["check", "factorial(100000)*h"], ["check", "9**9**9"],
                 ["verify", "--quick", "--seed", "-1"], ["derive", "--order", "50"]):
        proc = run_subprocess(argv)
        assert proc.returncode == 2 and proc.stderr.startswith("dsmw "), proc.stderr


def test_options_go_before_the_double_dash(capsys) -> None:
    # The README's example: a formula starting with '-' goes after '--'. (-m1 is not the
    # mean, m1 is: a verdict, exit 1, with a counterexample.)
    code, out, _ = run(["check", "--quantity", "mean", "--", "-m1"], capsys)
    assert code == 1 and "REFUTED" in out and "counterexample" in out


@pytest.mark.parametrize("argv", [["check", "-m1"], ["check", "--quantity", "mean", "-m1"],
                                  ["check", "m1", "-m2"],
                                  ["weighting", "check", "-snr", "--space", "eps",
                                   "--schedule", "ve", "--as", "edm"]])
def test_a_formula_that_looks_like_an_option_is_told_to_go_after_double_dash(argv,
                                                                            capsys) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and not out
    last = err.splitlines()[-1]
    assert last.startswith("dsmw") and "put it after --" in last, err
    assert f"if {argv[-1] if argv[0] == 'check' else '-snr'} is a formula" in last, err


def test_unknown_long_options_get_no_formula_advice(capsys) -> None:
    code, _, err = run(["check", "m1", "--bogus"], capsys)
    assert code == 2 and "unrecognized arguments: --bogus" in err and "formula" not in err


def test_refuted_as_covariance_points_to_weight(capsys) -> None:
    code, out, _ = run(["check", "sigma**2/(1+sigma**2*h)"], capsys)
    assert code == 1 and "HOLDS as the weight" in out and "--quantity weight" in out


def test_correct_formulas_with_abs_and_sqrt_hold(capsys) -> None:
    assert run(["check", "Abs(1/sigma**2 + h)"], capsys)[0] == 0
    assert run(["check", "sqrt(sigma**4)/(1 + sigma**2*h)", "--quantity", "weight"],
               capsys)[0] == 0


# -- strict JSON ---------------------------------------------------------------------------
def test_json_output_is_strict(capsys) -> None:
    code, out, _ = run(["check", "1/sigma + h", "--json"], capsys)
    assert code == 1 and _strict_json(out)["holds"] is False
    code, out, _ = run(["check", "exp(exp(exp(m1**2)))", "--json"], capsys)  # overflows
    assert code == 1
    report = _strict_json(out)
    assert report["numeric"]["worst_error"] is None  # infinite error -> null, never Infinity


def test_json_helper_maps_every_non_finite_number_to_null() -> None:
    text = strict_json({"a": [float("nan"), 1.5, {"b": float("-inf")}], "c": (float("inf"),)})
    assert _strict_json(text) == {"a": [None, 1.5, {"b": None}], "c": [None]}


# -- nothing lost, nothing half-written ----------------------------------------------------
def test_unwritable_destinations_are_refused_before_any_work(tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for argv in (["study", "gradients", "--quick", "--save", str(blocker / "out")],
                 ["study", "training", "--quick", "--plots", str(blocker / "out")],
                 ["derive", "--out", str(blocker / "notes")],
                 ["reliability", "--out", str(blocker / "notes")]):
        start = time.monotonic()
        code, _, err = run(argv, capsys)
        assert code == 2 and "cannot write there" in err, (argv, err)
        assert time.monotonic() - start < 10  # refused before the computation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_read_only_directory(tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # running as root: permissions do not bind, so the
            def denied(*args, **kwargs):  # refusal the kernel would give is simulated
                raise PermissionError(errno.EACCES, "Permission denied")
            monkeypatch.setattr("numeric._io.tempfile.NamedTemporaryFile", denied)
        code, _, err = run(["derive", "--out", str(folder)], capsys)
        assert code == 2 and "--out" in err
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_during_derive_leaves_no_partial_note(tmp_path, capsys, monkeypatch) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "index.md").write_text("old index\n", encoding="utf-8")
    # Small notes instead of the derivations (seconds of SymPy): this tests the writing.
    monkeypatch.setattr("derive.notes.derived_notes",
                        lambda order: {"index.md": "new index\n", "C1.md": "C1\n"})
    monkeypatch.setattr("numeric._io.os.replace", _full_disk)
    code, _, err = run(["derive", "--order", "1", "--out", str(out)], capsys)
    assert code == 2 and "No space left" in err
    assert sorted(p.name for p in out.iterdir()) == ["index.md"]  # no temporary left
    assert (out / "index.md").read_text(encoding="utf-8") == "old index\n"


def test_study_results_reach_stdout_when_saving_fails(tmp_path, capsys, monkeypatch) -> None:
    result = {"study": "gradients", "quick": True, "seed": 1, "cases": [],
              "not_finite": float("inf")}
    monkeypatch.setattr("numeric.study._runner.gradient_study", lambda **kwargs: result)
    monkeypatch.setattr("numeric._io.os.replace", _full_disk)
    code, out, err = run(["study", "gradients", "--save", str(tmp_path)], capsys)
    assert code == 2 and "saving failed" in err and "printed above" in err
    assert _strict_json(out) == {**result, "not_finite": None}
    assert list(tmp_path.iterdir()) == []


def test_derive_check_outside_the_repository(tmp_path, capsys) -> None:
    code, out, err = run(["derive", "--check", "--out", str(tmp_path)], capsys)
    assert code == 2 and "no notes to compare" in err and not out


# -- fuzzing -------------------------------------------------------------------------------
PIECES = ["sigma", "m1", "m2", "m4", "h", "s", "(", ")", "+", "-", "*", "/", "**", "^", "!",
          "2", "0", "9", "0.5", "1e308", "1e-320", "10**30", "factorial(", "sqrt(", "Abs(",
          "exp(", "log(", "__import__('os')", "os.system", ".real", "'x'", "lambda x: x",
          "[1]", "{}", "σ", "∞", "ñ", "\x00", "\n", ";", "=", ":=", "@", "#", "\\", " ",
          "9**9**9", "binomial(", "pi", "E", "I", "oo", "nan", "x", "m99", "m0"]

formulas = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(max_size=40),
    st.integers(0, 400).map(lambda k: "(" * k + "m1" + ")" * k),
    st.integers(0, 400).map(lambda k: "-" * k + "m1"),
    st.integers(0, 200).map(lambda k: "sigma" + "**sigma" * k),
    st.integers(-10**60, 10**60).map(lambda n: f"{n}*h + 1/sigma**2"),
)


# capsys and monkeypatch are reset by hand: readouterr() after every call, the same patches.
FIXTURES_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=30, suppress_health_check=FIXTURES_OK)
@given(formula=formulas, quantity=st.sampled_from(["mean", "covariance", "weight"]),
       order=st.sampled_from(["1", "2", "0", "-1", "13", "x"]), as_json=st.booleans())
def test_fuzzed_formulas_get_a_clear_answer(formula, quantity, order, as_json, capsys) -> None:
    argv = ["check", "--quantity", quantity, "--order", order]
    argv += ["--json"] if as_json else []
    code, out, _ = run([*argv, "--", formula], capsys)
    if code != 2 and as_json:
        assert _strict_json(out)["holds"] is (code == 0)


OPTIONS = ["--seed", "--quick", "--json", "--claims", "--alpha", "--jobs", "--mutants",
           "--order", "--out", "--check", "--repetitions", "--save", "--plots", "--noise",
           "--quantity", "--", "-1", "0", "3", "1e-4", "2", "nan", "C1", "C8", "C99,C2",
           "gradients", "training", "m1", "", "ä", "99999999999999999999"]


@settings(max_examples=40, suppress_health_check=FIXTURES_OK)
@given(command=st.sampled_from(["verify", "derive", "study", "reliability", "check", "bogus"]),
       rest=st.lists(st.sampled_from(OPTIONS), max_size=6))
def test_fuzzed_argument_lists_parse_and_validate_cleanly(command, rest, capsys,
                                                          monkeypatch) -> None:
    # The expensive work is replaced by a stub: this fuzzes parsing and validation, which
    # run before it. (The real handlers are exercised above and in test_cli.py.)
    for handler in ("_verify", "_derive_notes", "_study", "_reliability", "_check"):
        monkeypatch.setattr(f"numeric.cli.{handler}.run", lambda args: 0)
    run([command, *rest], capsys)


def test_internal_errors_are_one_line(capsys, monkeypatch) -> None:
    def broken(args):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr("numeric.cli._check.run", broken)
    monkeypatch.delenv("DSMW_DEBUG", raising=False)
    code, _, err = run(["check", "m1"], capsys)
    assert code == 2 and "internal error" in err and "a bug" in err


def test_theory_note_states_the_budgets_in_force() -> None:
    # derive (pure SymPy) cannot import numeric's limits, so its text is checked here.
    from derive.theory import theory_note
    from numeric import user_check as uc

    text = theory_note(1)
    for stated in (f"at most {uc.MAX_ORDER} for Gaussian noise",
                   f"{uc.MAX_QUADRATURE_ORDER} for logistic",
                   f"${uc.MIN_NU:g} \\le \\nu \\le {uc.MAX_NU:g}$",
                   f"SymPy gets {uc.SYMBOLIC_SECONDS:g} s",
                   f"a whole check {_check.CHECK_SECONDS:g} s",
                   f"`dsmw derive --order` at most {_derive_notes.MAX_DERIVE_ORDER}",
                   f"`dsmw verify --jobs` at most {_app.MAX_JOBS}",
                   f"`dsmw reliability --repetitions` at most {MAX_REPETITIONS}"):
        assert stated in text, stated

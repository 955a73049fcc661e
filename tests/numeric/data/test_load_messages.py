"""dsmw data on small, empty and malformed input: clear messages naming the path and row,
and a default that fits small data."""

from __future__ import annotations

import numpy as np
import pytest

from numeric.cli import main
from numeric.data import default_components


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_default_components_fit_small_data(tmp_path, capsys) -> None:
    path = tmp_path / "ten.npy"
    np.save(path, np.random.default_rng(0).normal(size=(10, 2)))
    assert default_components("ten", 10) == (1, 5)
    assert default_components("digits", 12) == 6
    code, out, err = _run(["data", "--file", str(path), "--quiet", "--no-sensitivity",
                           "--sigmas", "0.5,1"], capsys)
    assert code == 0, err
    assert "verdict" in out


@pytest.mark.parametrize(("content", "says"), [
    ("", "holds no data rows"),
    ("a,b\n", "holds no data rows"),
    ("a,b\n1,2\n3,nan\n5,6\n", "first is row 2"),
    ("1,2\n3,4\n", "2 point(s); need at least 3"),
])
def test_bad_csv_files_are_named_with_the_problem(tmp_path, capsys, content, says) -> None:
    path = tmp_path / "points.csv"
    path.write_text(content)
    code, out, err = _run(["data", "--file", str(path)], capsys)
    assert code == 2 and not out
    assert f"--file='{path}'" in err and says in err and err.count("\n") == 1, err


def test_a_directory_is_not_reported_as_missing(tmp_path, capsys) -> None:
    code, _, err = _run(["data", "--file", str(tmp_path)], capsys)
    assert code == 2 and "a directory, not a file" in err


def test_component_hints_use_the_option_syntax(capsys) -> None:
    code, _, err = _run(["data", "--dataset", "iris", "--components", "0"], capsys)
    assert code == 2 and "--components=0" in err and "1-8" in err

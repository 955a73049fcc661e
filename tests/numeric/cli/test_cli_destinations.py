"""Saving never destroys what it replaces: every destination option of every command refuses,
before any work, a path that exists and is not a regular file (for a folder: not a
directory), a symlink judged by its target; the atomic replace re-checks before renaming.

The non-regular files are made in ``tmp_path`` without privileges: a FIFO, a Unix socket
(device-like: neither can be written as a file), symlinks to them, and a directory or a
regular file where the other is meant. The computation each command would run is replaced
by a stand-in that stops the test if it is reached, so "no work was done" is checked, not
timed.
"""

from __future__ import annotations

import os
import socket
import stat
import time
import types
from pathlib import Path

import pytest

from numeric._io import atomic_write_bytes, atomic_write_text, check_output_dir, not_regular
from numeric._validation import InvalidArgumentError
from numeric.cli import main

#: The refusal comes before any computation: SymPy's import is the slowest part left.
REFUSAL_SECONDS = 20


class WorkError(BaseException):
    """Raised by the stand-in of a command's computation (a BaseException: main() does
    not turn it into an exit status)."""


def _forbidden(*args, **kwargs):
    raise WorkError


@pytest.fixture(autouse=True)
def no_work(monkeypatch):
    """Every computation a destination test could reach stops the test instead."""
    for target in ("numeric.study._runner.gradient_study", "numeric.study._runner.training_study",
                   "derive.notes.derived_notes", "numeric.data.timed_report",
                   "numeric.weighting_curves.weight_curve", "numeric.audit.run_mutants"):
        monkeypatch.setattr(target, _forbidden)
    monkeypatch.setattr("numeric.audit.reliability_plan",
                        lambda **kwargs: types.SimpleNamespace(seed=0, run=_forbidden))


def _socket(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return server


@pytest.fixture
def specials(tmp_path, monkeypatch):
    """name -> (path, its file type test): the non-regular things a destination can be."""
    monkeypatch.chdir(tmp_path)  # short relative paths: AF_UNIX paths are limited
    os.mkfifo("fifo")
    server = _socket(Path("sock"))
    os.symlink("fifo", "link-fifo")
    os.symlink("sock", "link-sock")
    yield {"fifo": stat.S_ISFIFO, "sock": stat.S_ISSOCK, "link-fifo": stat.S_ISFIFO,
           "link-sock": stat.S_ISSOCK}
    server.close()


def _snapshot(tmp_path: Path) -> dict[str, int]:
    return {str(p.relative_to(tmp_path)): os.lstat(p).st_mode for p in tmp_path.rglob("*")}


def _unchanged(tmp_path: Path, before: dict[str, int]) -> None:
    assert _snapshot(tmp_path) == before  # nothing created, nothing replaced


def _refused(argv: list[str], option: str, value: str, wanted: str, capsys) -> str:
    start = time.monotonic()
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert time.monotonic() - start < REFUSAL_SECONDS
    assert not out and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"invalid {option}='{value}'" in err, err
    assert f"not {wanted}" in err and "choose another" in err and "move it away" in err, err
    return err


#: Each destination option that names a file: argv with {} for the destination.
FILE_OPTIONS = [
    (["weighting", "plot", "edm", "--out", "{}"], "--out"),
    (["data", "--dataset", "iris", "--plot", "{}"], "--plot"),
]
#: Each destination option that names a folder.
DIR_OPTIONS = [
    (["derive", "--out", "{}"], "--out"),
    (["reliability", "--out", "{}"], "--out"),
    (["reliability", "--mutants-only", "--out", "{}"], "--out"),
    (["study", "gradients", "--quick", "--save", "{}"], "--save"),
    (["study", "training", "--quick", "--save", "{}"], "--save"),
    (["study", "gradients", "--quick", "--plots", "{}"], "--plots"),
    (["study", "training", "--quick", "--plots", "{}"], "--plots"),
    (["data", "--dataset", "iris", "--save", "{}"], "--save"),
]
#: Each folder option with the files written into it that are known before the run.
FILES_IN_DIR = [
    (["derive", "--out", "{}"], "--out", ["index.md", "C1.md", "C7.md", "weightings.md",
                                          "theory.md"]),
    (["reliability", "--out", "{}"], "--out", ["reliability.md"]),
    (["study", "gradients", "--quick", "--save", "{}"], "--save",
     ["study-gradients.json", "study.md"]),
    (["study", "training", "--quick", "--save", "{}"], "--save",
     ["study-training.json", "study.md"]),
    (["study", "gradients", "--quick", "--plots", "{}"], "--plots",
     ["study-gradient-variance.png"]),
    (["study", "training", "--quick", "--plots", "{}"], "--plots", ["study-training.png"]),
    (["data", "--file", "points.npy", "--save", "{}"], "--save",
     ["data.md", "data-points.json", "data-points.png"]),
    (["data", "--file", "points.npy", "--label", "x", "--save", "{}"], "--save",
     ["data-points-x.json"]),
]


def _fill(argv: list[str], value: str) -> list[str]:
    return [value if a == "{}" else a for a in argv]


@pytest.mark.parametrize(("argv", "option"), FILE_OPTIONS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_file_options_refuse_what_is_not_a_regular_file(argv, option, specials, tmp_path,
                                                        capsys) -> None:
    Path("folder.png").mkdir()
    os.mkfifo("direct.png")
    server = _socket(Path("direct-sock.png"))
    os.symlink("nowhere.png", "dangling.png")  # replacing it would destroy the link
    kinds = {"folder.png": "a directory", "direct.png": "a FIFO",
             "direct-sock.png": "a socket", "dangling.png": "a dangling symlink"}
    for name in specials:
        os.symlink(name, f"{name}.png")  # the .png name weighting plot wants, linking to it
        kinds[f"{name}.png"] = "a symlink to a " + ("FIFO" if "fifo" in name else "socket")
    for value, kind in kinds.items():
        before = _snapshot(tmp_path)
        err = _refused(_fill(argv, value), option, value, "a regular file", capsys)
        assert f"it exists and is {kind}" in err, err
        _unchanged(tmp_path, before)
    server.close()
    assert stat.S_ISFIFO(os.lstat("direct.png").st_mode)
    for name, is_kind in specials.items():
        assert is_kind(os.stat(name).st_mode)  # still a FIFO / a socket


@pytest.mark.parametrize(("argv", "option"), DIR_OPTIONS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_folder_options_refuse_what_is_not_a_directory(argv, option, specials, tmp_path,
                                                       capsys) -> None:
    Path("plain").write_text("keep me\n", encoding="utf-8")
    os.symlink("nowhere", "dangling")
    for name in (*specials, "plain", "dangling"):
        before = _snapshot(tmp_path)
        err = _refused(_fill(argv, name), option, name, "a directory", capsys)
        kind = {"fifo": "a FIFO", "sock": "a socket", "link-fifo": "a symlink to a FIFO",
                "link-sock": "a symlink to a socket", "plain": "a regular file",
                "dangling": "a dangling symlink"}[name]
        assert f"it exists and is {kind}" in err, err
        _unchanged(tmp_path, before)
    for name, is_kind in specials.items():
        assert is_kind(os.stat(name).st_mode)
    assert Path("plain").read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.parametrize(("argv", "option", "files"), FILES_IN_DIR,
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_files_inside_a_destination_folder_are_checked_before_the_run(
        argv, option, files, specials, tmp_path, capsys) -> None:
    import numpy as np

    np.save("points.npy", np.arange(40.0).reshape(20, 2) % 7)
    Path("out").mkdir()
    for file in files:
        for target in ("fifo", "link-sock"):
            os.symlink(Path("..") / target, Path("out") / file)
            before = _snapshot(tmp_path)
            err = _refused(_fill(argv, "out"), option, "out", "a regular file", capsys)
            assert f"out/{file} exists and is a symlink to a " in err, err
            _unchanged(tmp_path, before)
            os.unlink(Path("out") / file)
        os.mkfifo(Path("out") / file)
        err = _refused(_fill(argv, "out"), option, "out", "a regular file", capsys)
        assert f"out/{file} exists and is a FIFO" in err, err
        assert stat.S_ISFIFO(os.lstat(Path("out") / file).st_mode)
        os.unlink(Path("out") / file)
    assert stat.S_ISFIFO(os.lstat("fifo").st_mode)


def test_a_fifo_made_during_the_run_is_not_replaced(tmp_path, capsys, monkeypatch) -> None:
    # The atomic replace re-checks right before the rename: a FIFO that appears while the
    # study runs survives, and the results reach stdout.
    out = tmp_path / "out"

    def study(**kwargs):
        os.mkfifo(out / "study-gradients.json")
        return {"study": "gradients", "quick": True, "seed": 1, "cases": []}

    monkeypatch.setattr("numeric.study._runner.gradient_study", study)
    code = main(["study", "gradients", "--save", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 2 and "saving failed" in err and "not a regular file" in err, err
    assert '"study": "gradients"' in stdout
    assert stat.S_ISFIFO(os.lstat(out / "study-gradients.json").st_mode)
    assert sorted(p.name for p in out.iterdir()) == ["study-gradients.json"]  # no temporary


def test_atomic_writes_replace_only_regular_files(tmp_path) -> None:
    os.mkfifo(tmp_path / "fifo")
    os.symlink("fifo", tmp_path / "link")
    (tmp_path / "folder").mkdir()
    server = _socket(tmp_path / "s")
    try:
        for name in ("fifo", "link", "folder", "s"):
            with pytest.raises(FileExistsError, match="not replaced"):
                atomic_write_text(tmp_path / name, "x\n")
            with pytest.raises(FileExistsError, match="not a regular file"):
                atomic_write_bytes(tmp_path / name, b"x")
    finally:
        server.close()
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
    assert os.path.islink(tmp_path / "link") and (tmp_path / "folder").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "folder", "link", "s"]
    (tmp_path / "regular").write_text("old\n", encoding="utf-8")  # still replaced, as before
    assert atomic_write_text(tmp_path / "regular", "new\n").read_text() == "new\n"
    os.symlink("regular", tmp_path / "to-regular")
    assert not_regular(tmp_path / "to-regular") is None
    assert not_regular(tmp_path / "absent") is None


def test_check_output_dir_names_the_file_inside(tmp_path) -> None:
    os.mkfifo(tmp_path / "index.md")
    with pytest.raises(InvalidArgumentError, match=r"index\.md exists and is a FIFO"):
        check_output_dir("--out", tmp_path, ("index.md",))
    assert check_output_dir("--out", tmp_path / "new", ("index.md",)).is_dir()

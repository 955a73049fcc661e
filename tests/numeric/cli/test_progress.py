"""Progress on stderr: a plain line every few seconds when stderr is not a terminal, a bar
on a terminal, nothing with --quiet."""

from __future__ import annotations

from numeric.cli import _progress, main


def test_redirected_progress_prints_lines_at_most_every_interval(monkeypatch, capsys) -> None:
    clock = iter([0.0, 1.0, 6.0, 7.0, 12.5, 13.0])
    monkeypatch.setattr(_progress.time, "perf_counter", lambda: next(clock))
    show = _progress.progress_printer(True, str, command="dsmw test", interactive=False)
    for done in range(1, 6):
        show(done, 5, f"item {done}")
    err = capsys.readouterr().err.splitlines()
    # t = 6 and t = 12.5 are 5 s or more after the previous line; the end is reported
    assert err == ["dsmw test: 2/5 after 6 s: item 2", "dsmw test: 4/5 after 12 s: item 4",
                   "dsmw test: 5/5 after 13 s: done"]


def test_a_short_redirected_run_prints_nothing(capsys) -> None:
    show = _progress.progress_printer(True, str, interactive=False)
    for done in range(1, 4):
        show(done, 3, "x")
    assert capsys.readouterr().err == ""


def test_verify_reports_progress_when_redirected_and_quiet_silences_it(monkeypatch,
                                                                       capsys) -> None:
    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.0)
    argv = ["verify", "--quick", "--claims", "C7", "--jobs", "1", "--seed", "3"]
    assert main(argv) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("dsmw verify: ") for line in lines)
    assert lines[-1].endswith(": done")
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""

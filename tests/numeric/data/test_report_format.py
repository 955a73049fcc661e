"""The dsmw data table: its legend names only the marks it shows; huge Hill indices are
shown as a bound, not as 4.94e+13."""

from __future__ import annotations

from numeric.data._report import _legend, _tail_index


def _level(infinite: bool, met: bool) -> dict:
    return {"variance_looks_infinite": infinite, "target_met": met}


def test_legend_lists_only_the_marks_in_the_table() -> None:
    assert _legend([_level(False, True)] * 3) == ""
    assert _legend([_level(False, True), _level(True, True)]) == (
        "(!) Hill tail index < 2: the variance looks infinite")
    assert _legend([_level(False, False)]) == "* SE target missed"
    assert _legend([_level(True, False)]).count(";") == 1


def test_huge_hill_indices_are_shown_as_a_bound() -> None:
    assert _tail_index(4.94e13) == "> 100"
    assert _tail_index(1.5) == "1.5"
    assert _tail_index(None) == "n/a"  # no estimate


def test_verify_summary_says_claim_and_check_in_the_singular(capsys) -> None:
    from numeric.cli import main

    assert main(["verify", "--quick", "--claims", "C7", "--jobs", "1", "--quiet"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "2 checks, 1 claim," in last and "over 1 MC check," in last

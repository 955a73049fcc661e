"""The text rows of dsmw verify say what the numbers say."""

from __future__ import annotations


def test_a_failing_row_never_prints_an_error_within_tolerance_as_above_it() -> None:
    from numeric.checks import Check
    from numeric.cli._format import format_check

    above = format_check(Check("x", "exact", 2e-3, 1e-9, False))
    assert "err 2.00e-03 >  1.00e-09" in above and "FAIL" in above
    within = format_check(Check("sign", "exact", 9.14e-16, 1e-9, False, "gap has wrong sign"))
    assert "9.14e-16 <= 1.00e-09" in within and "gap has wrong sign" in within
    undetected = format_check(Check("gap", "monte-carlo", 1.0, 3.0, False, tests=4,
                                    detect=2.0))
    assert "detection z 2.00e+00 <= 3.00e+00" in undetected
    assert format_check(Check("ok", "exact", 1e-12, 1e-9, True)).startswith("    ok")

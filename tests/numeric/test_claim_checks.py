"""`dsmw verify`'s claim checks pass on the true formulas and reject wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from numeric._checking import relative_error
from numeric.checks import verify
from numeric.claim_checks import EXACT_TOL
from numeric.examples import example
from numeric.moments import conditional_covariance, conditional_mean


def test_quick_verify_passes_for_every_claim() -> None:
    report = verify(quick=True, seed=7)
    assert report.passed, [c.to_dict() for c in report.claims if not c.passed]
    assert {c.id for c in report.claims} >= {f"C{i}" for i in range(1, 8)}


@pytest.mark.parametrize(
    ("wrong", "order"),
    [
        (lambda gm, x, s: 1 / s + gm.noised(s).hessian(x)[..., 0, 0], 1),    # 1/sigma
        (lambda gm, x, s: 1 / s**2 - gm.noised(s).hessian(x)[..., 0, 0], 1),  # sign of h
        (lambda gm, x, s: 1 / s**2, 1),                                       # homoskedastic
    ],
)
def test_exact_covariance_check_rejects_wrong_formulas(wrong, order) -> None:
    gm = example("two-mode-1d")
    x = np.linspace(-3, 3, 9)[:, None]
    errors = [relative_error(wrong(gm, x, s), conditional_covariance(gm, x, s, order), s**-2)
              for s in (0.1, 0.6, 2.0)]
    assert max(errors) > 1e3 * EXACT_TOL


def test_exact_mean_check_rejects_a_sign_error() -> None:
    gm = example("two-mode-1d")
    x = np.linspace(-3, 3, 9)[:, None]
    wrong = -gm.noised(0.6).derivative_ratio(x, 3)
    assert relative_error(wrong, conditional_mean(gm, x, 0.6, 3), 0.6**-3) > 1e3 * EXACT_TOL


def test_exact_sweep_rejects_a_covariance_without_the_factorial() -> None:
    # The sweep behind the C2 check, fed the order-2 covariance with 2! replaced by 1.
    from derive import m, sigma
    from numeric.claim_checks import _exact_sweep
    from numeric.formula import evaluate

    wrong = m(4) + 4 * m(2) / sigma**2 + 1 / sigma**4 - m(2) ** 2

    def one_d(gm, x, s, n):
        return evaluate(wrong, gm, x, s), conditional_covariance(gm, x, s, 2), 2 * s**-4

    def multi_d(gm, x, s):
        return conditional_covariance(gm, x, s), conditional_covariance(gm, x, s), 0.0

    err = _exact_sweep([2], np.random.default_rng(0), one_d, multi_d)
    assert err > 1e3 * EXACT_TOL

"""`dsmw verify`'s claim checks pass on the true formulas and reject wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from numeric.checks import relative_error, verify
from numeric.checks._shared import EXACT_TOL
from numeric.examples import example
from numeric.moments import conditional_covariance, conditional_mean


def test_quick_verify_passes_for_every_claim() -> None:
    report = verify(quick=True, seed=7)
    assert report.passed, [c.to_dict() for c in report.claims if not c.passed]
    assert {c.id for c in report.claims} >= {f"C{i}" for i in range(1, 8)}


def test_parallel_verify_gives_the_serial_report() -> None:
    # every task has its own generator, so worker processes change the time taken only
    parallel, serial = (verify(["MIX", "C1", "C2"], quick=True, seed=3, jobs=j).to_dict()
                        for j in (2, 1))  # parallel first: no caches inherited
    del serial["seconds"], parallel["seconds"]
    assert serial == parallel


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
    from numeric.checks._shared import exact_sweep
    from numeric.formula import evaluate

    wrong = m(4) + 4 * m(2) / sigma**2 + 1 / sigma**4 - m(2) ** 2

    def one_d(gm, x, s, n):
        return evaluate(wrong, gm, x, s), conditional_covariance(gm, x, s, 2), 2 * s**-4

    def multi_d(gm, x, s):
        return conditional_covariance(gm, x, s), conditional_covariance(gm, x, s), 0.0

    err = exact_sweep([2], np.random.default_rng(0), one_d, multi_d)
    assert err > 1e3 * EXACT_TOL


def _run(claim: str, name: str, rng_seed: int = 0):
    from numeric.checks import tasks

    (task,) = [t for t in tasks([claim], quick=True) if t.name == name]
    return task.run(np.random.default_rng(rng_seed), 1e-4)


def test_new_checks_pass_on_the_true_formulas() -> None:
    for claim, name in [("C1", "mean vs joint-draw Monte Carlo"),
                        ("C1", "mean under non-Gaussian noise"),
                        ("C2", "covariance under non-Gaussian noise"),
                        ("C4", "non-Gaussian small-sigma limit"),
                        ("C5", "expected covariance, any noise")]:
        check = _run(claim, name)
        assert check.passed, check


def test_joint_monte_carlo_rejects_a_covariance_without_the_factorial(monkeypatch) -> None:
    import derive

    true = derive.conditional_covariance

    def wrong(order=1, noise="gaussian"):
        return true(order, noise) - (1 / derive.sigma**4 if order == 2 else 0)  # 2! -> 1

    monkeypatch.setattr(derive, "conditional_covariance", wrong)
    assert not _run("C1", "mean vs joint-draw Monte Carlo").passed


def test_joint_monte_carlo_rejects_a_sign_error_in_the_mean(monkeypatch) -> None:
    import derive

    true = derive.conditional_mean
    monkeypatch.setattr(derive, "conditional_mean", lambda n: -true(n) if n == 2 else true(n))
    assert not _run("C1", "mean vs joint-draw Monte Carlo").passed


def test_quadrature_checks_reject_wrong_formulas(monkeypatch) -> None:
    import sympy as sp

    import derive
    from numeric.checks._shared import noise_table

    noise_table.cache_clear()
    true_cov, true_mean = derive.conditional_covariance, derive.conditional_mean
    off_by_a_millionth = 1 + sp.Rational(1, 10**6)
    monkeypatch.setattr(derive, "conditional_mean", lambda n: true_mean(n) * off_by_a_millionth)
    assert not _run("C1", "mean under non-Gaussian noise").passed
    monkeypatch.setattr(derive, "conditional_covariance",
                        lambda order=1, noise="gaussian": true_cov(order, noise) * derive.sigma)
    assert not _run("C2", "covariance under non-Gaussian noise").passed
    # the Gaussian I_q = 1 offered for every noise family
    monkeypatch.setattr(derive, "fisher_information_of_noise", lambda noise="gaussian": 1)
    assert not _run("C4", "non-Gaussian small-sigma limit").passed
    true_expected = derive.expected_covariance
    monkeypatch.setattr(derive, "expected_covariance",   # I_q/sigma^2 with I_q = 1 for all q
                        lambda order=1, noise="gaussian": true_expected(order, "gaussian"))
    assert not _run("C5", "expected covariance, any noise").passed


def test_target_central_moments_are_gaussian_for_gaussian_data() -> None:
    # Gaussian data: E | x~ is Gaussian, so T_1 = -E/sigma is too: mu_3 = 0, mu_4 = 3 mu_2^2.
    from numeric.moments import target_central_moments

    gm = example("gaussian-1d")
    x = np.linspace(-8, 8, 9)[:, None]
    for sigma in (0.05, 1.0, 20.0):
        mu2, mu3, mu4 = (target_central_moments(gm, x, sigma, 1, k) for k in (2, 3, 4))
        np.testing.assert_allclose(mu2, conditional_covariance(gm, x, sigma, 1), rtol=1e-12)
        assert np.all(np.abs(mu3) <= 1e-12 * mu2**1.5)
        np.testing.assert_allclose(mu4, 3 * mu2**2, rtol=1e-12)


@pytest.mark.slow
def test_every_monte_carlo_check_holds_its_false_alarm_rate() -> None:
    # every Monte Carlo check of verify --quick (and the full-only ones), 200 runs each on
    # the true formulas at nominal 5% and 1%: no interval (simultaneous over the 28 rows
    # at 95%) may lie above its nominal rate (~4 minutes on 2 cores)
    from numeric.audit import check_rates
    from numeric.checks import calibration_tasks

    rates = check_rates(calibration_tasks("quick"), 200, seed=5, jobs=2)
    bad = [r.to_dict() for r in rates if not r.passed]
    assert not bad, bad

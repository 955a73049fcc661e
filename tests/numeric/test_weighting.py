"""Claim P1 and `dsmw weighting`: checks pass, wrong conversions are refuted and caught."""

from __future__ import annotations

import json

import numpy as np
import pytest

from numeric.audit import WEIGHTING_MUTANTS, run_mutants
from numeric.checks import tasks
from numeric.checks._p1_reference import reference_schedule, squared_errors
from numeric.cli import main
from numeric.montecarlo import Estimate, mean_estimate, z_test

SEED = 20250803


def test_p1_checks_pass_in_quick_mode() -> None:
    rng = np.random.default_rng(SEED)
    for task in tasks(["P1"], quick=True):
        check = task.run(rng, 1e-4)
        assert check.passed, check


def test_every_weighting_mutant_is_caught() -> None:
    results = run_mutants(SEED, quick=True, mutants=WEIGHTING_MUTANTS)
    assert len(results) == 3
    assert all(r.caught for r in results), [r.mutant.name for r in results if not r.caught]


def _two_losses(rng, weight_x0, weight_eps, n=20_000):
    """Independent Monte Carlo means of a weighted x0 loss and a weighted eps loss."""
    means = []
    for weight, space in ((weight_x0, "x0"), (weight_eps, "eps")):
        t = rng.uniform(0.02, 0.98, n)
        level = reference_schedule("vp-cosine", t)
        x0, eps = rng.normal(size=n), rng.normal(size=n)
        eps_hat = 0.5 * (level["alpha"] * x0 + level["sigma"] * eps)
        snr = level["alpha"] ** 2 / level["sigma"] ** 2
        means.append(mean_estimate(weight(snr) * squared_errors(x0, eps, eps_hat, level,
                                                               0.5)[space]))
    a, b = means
    return Estimate(a.value - b.value, np.sqrt(a.error**2 + b.error**2), "monte-carlo", n)


def test_monte_carlo_comparison_rejects_min_snr_in_eps_space_without_dividing() -> None:
    rng = np.random.default_rng(1)
    min_snr = lambda snr: np.minimum(snr, 5.0)  # noqa: E731
    right = _two_losses(rng, min_snr, lambda snr: np.minimum(snr, 5.0) / snr)
    wrong = _two_losses(rng, min_snr, min_snr)
    assert z_test(right, 0.0, 1e-4).passed
    assert not z_test(wrong, 0.0, 1e-4).passed


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


def test_p1_is_a_claim_of_verify_after_c7() -> None:
    from numeric.checks import CLAIM_TITLES, claim_ids, tasks

    ids = claim_ids()
    assert ids.index("P1") == ids.index("C7") + 1
    assert CLAIM_TITLES["P1"] == "Weightings across parameterisations"
    assert {t.method for t in tasks(["P1"], quick=True)} == {"exact", "monte-carlo",
                                                              "quadrature"}


@pytest.mark.parametrize("schedule", ["ve", "vp-linear", "vp-cosine", "rectified-flow", "edm"])
def test_edm_weight_is_the_gaussian_data_optimum_on_every_schedule(schedule: str) -> None:
    # C7 on any schedule: EDM's x0-space weight at sigma_data = S is 1/Var[x0 | x_t] for
    # N(mu, S^2) data. The reference is the exact posterior of the one-component mixture
    # (x_t/alpha = x0 + (sigma/alpha) eps), written here without derive; it fails if EDM's
    # noise level is taken as the schedule's sigma instead of sigma/alpha on VP schedules.
    import derive
    from numeric.mixture import GaussianMixture
    from numeric.weighting_eval import (
        _function_of_t,
        level_grid,
        schedule_parameters,
        weight_curve,
    )

    spread = 0.7
    t, _ = level_grid(schedule, 41)
    curve = weight_curve(f"edm:{spread}", "x0", schedule, t)
    sched, values = derive.schedule(schedule), schedule_parameters(schedule)
    alpha = _function_of_t(sched.alpha, schedule, values)(t) * np.ones_like(t)
    sigma = _function_of_t(sched.sigma, schedule, values)(t) * np.ones_like(t)
    data = GaussianMixture([1.0], [[0.0]], [[[spread**2]]])
    reference = np.array([1.0 / data.posterior_moments(np.zeros((1, 1)), s)[1][0, 0, 0]
                          for s in sigma / alpha])
    assert np.allclose(curve.values, reference, rtol=1e-10, atol=0.0)


def test_p1_has_a_computed_proof_status_and_names_its_checks() -> None:
    # P1's status comes from the conversion steps (derive.spaces, derive.weightings), and
    # the checks its record names are the ones `dsmw verify` runs.
    import derive

    claim = derive.claim("P1")
    assert claim.status == "proved" and not claim.refuted_steps
    assert sum(step.status == "confirmed" for step in claim.steps) > 20
    assert set(claim.numeric) <= {task.name for task in tasks(["P1"], quick=False)}


@pytest.mark.parametrize("name, change", [
    ("min-snr", {"space": "eps"}),                                   # declared in eps space
    ("sigmoid", {"native": "flip"}),                                 # sigmoid(lambda - b)
    ("edm", {"defaults": "P_mean"}),                                 # P_mean = +1.2
])
def test_zoo_records_are_compared_with_the_papers(monkeypatch, name, change) -> None:
    # The zoo's records are checked against definitions written in numeric (not against
    # themselves): a wrong native space, formula or default fails P1's "zoo definitions".
    import dataclasses

    import sympy as sp

    import derive
    from numeric.checks import tasks

    (textbook,) = [t for t in tasks(["P1"], quick=True) if t.name == "zoo definitions"]

    original = derive.weighting

    def wrong(text: str):
        record = original(text)
        if record.name != name:
            return record
        if "space" in change:
            return dataclasses.replace(record, space=change["space"])
        if "native" in change:
            lam = next(s for s in record.native.free_symbols if s.name == "lam")
            bias = next(s for s in record.native.free_symbols if s.name == "b")
            return dataclasses.replace(record, native=1 / (1 + sp.exp(bias - lam)))
        return dataclasses.replace(record, parameters=tuple(
            (s, -d if s.name == change["defaults"] else d) for s, d in record.parameters))

    assert textbook.run(np.random.default_rng(0), 1e-4).passed
    monkeypatch.setattr(derive, "weighting", wrong)
    assert not textbook.run(np.random.default_rng(0), 1e-4).passed

"""Claim P1: its checks pass, wrong conversions are refuted and the mutants caught.

The `dsmw weighting` command itself is tested in tests/numeric/cli/test_weighting.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from numeric.audit import WEIGHTING_MUTANTS, run_mutants
from numeric.checks import tasks
from numeric.checks._p1_reference import reference_schedule, squared_errors
from numeric.montecarlo import Estimate, mean_estimate, z_test

SEED = 20250803


def test_p1_checks_pass_in_quick_mode() -> None:
    rng = np.random.default_rng(SEED)
    for task in tasks(["P1"], quick=True):
        check = task.run(rng, 1e-4)
        assert check.passed, check


def test_every_weighting_mutant_is_caught() -> None:
    results = run_mutants(SEED, quick=True, mutants=WEIGHTING_MUTANTS)
    assert len(results) == len(WEIGHTING_MUTANTS)
    # the schedule, the density form and the leading term each have a wrong version
    assert {"_built", "density_form", "leading_term"} <= {m.attribute for m in
                                                              WEIGHTING_MUTANTS}
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
    from numeric.weighting_curves import (
        function_of_t,
        level_grid,
        schedule_parameters,
        weight_curve,
    )

    spread = 0.7
    t, _ = level_grid(schedule, 41)
    curve = weight_curve(f"edm:{spread}", "x0", schedule, t)
    sched, values = derive.schedule(schedule), schedule_parameters(schedule)
    alpha = function_of_t(sched.alpha, schedule, values)(t) * np.ones_like(t)
    sigma = function_of_t(sched.sigma, schedule, values)(t) * np.ones_like(t)
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

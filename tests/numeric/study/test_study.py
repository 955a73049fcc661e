"""The C8/C9 studies: analytic gradients, exact gradient moments against Monte Carlo,
the C3 sandwich ordering, normalisations, training mechanics and the generated note."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from numeric import GaussianMixture, InvalidArgumentError
from numeric.examples import example, random_mixture
from numeric.moments import optimal_weight
from numeric.montecarlo import Estimate, z_test
from numeric.study import (
    ComponentMeansModel,
    FeatureModel,
    best_fit,
    gradient_moments,
    mixture_score_1d,
    monte_carlo_gradient_covariance,
    normalised,
    pointwise_ratio,
    quadrature_grid,
    score_error,
    second_moment_variance,
    second_moment_z_test,
    study_notes,
    train,
    weighting_zoo,
)

ALPHA = 1e-4  # family-wise false-alarm rate of each Monte Carlo test below
SCHEDULE = np.geomspace(0.05, 5.0, 8)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def setting():
    gm = example("two-mode-1d")
    return gm, [quadrature_grid(gm, s, nodes=1025) for s in SCHEDULE], weighting_zoo(gm, SCHEDULE)


def _models(gm):
    return [ComponentMeansModel(gm), FeatureModel(gm, (0.05, 5.0))]


def _named(zoo, name):
    return next(w for w in zoo if w.name == name)


# -- models ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_mixture_score_matches_the_mixture_class(seed: int) -> None:
    gm = random_mixture(np.random.default_rng(seed), 1, 3)
    x = np.linspace(-30, 30, 61)
    for sigma in (1e-3, 0.3, 40.0):
        s, h = mixture_score_1d(x, gm.means[:, 0], gm.eigenvalues[:, 0], gm.log_weights, sigma)
        noised = gm.noised(sigma)
        np.testing.assert_allclose(s, noised.score(x[:, None])[:, 0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(h, noised.hessian(x[:, None])[:, 0, 0], rtol=1e-8,
                                   atol=1e-10 / sigma**2)


@pytest.mark.parametrize("which", [0, 1])
def test_analytic_jacobian_matches_central_differences(which: int) -> None:
    gm = example("three-mode-1d")
    model = _models(gm)[which]
    rng = np.random.default_rng(11)
    theta = rng.normal(size=(3, model.n_parameters))        # three runs at once
    x = rng.normal(scale=2.0, size=(3, 40))
    sigma = np.geomspace(0.1, 3.0, 40)
    _, jac = model.score_and_jacobian(theta, x, sigma)
    assert jac.shape == (3, 40, model.n_parameters)
    step = 1e-6
    for j in range(model.n_parameters):
        bump = np.zeros(model.n_parameters)
        bump[j] = step
        plus = model.score_and_jacobian(theta + bump, x, sigma)[0]
        minus = model.score_and_jacobian(theta - bump, x, sigma)[0]
        numeric = (plus - minus) / (2 * step)
        np.testing.assert_allclose(jac[..., j], numeric, rtol=1e-5, atol=1e-6)


def test_component_means_model_is_the_true_score_at_the_means() -> None:
    gm = example("two-mode-1d")
    model = ComponentMeansModel(gm)
    x = np.linspace(-4, 4, 9)
    f = model.score_and_jacobian(model.true_parameters(), x, np.full(9, 0.7))[0]
    np.testing.assert_allclose(f, gm.noised(0.7).score(x[:, None])[:, 0], rtol=1e-12)


def test_feature_model_fits_gaussian_data_exactly() -> None:
    gm = example("gaussian-1d")
    grids = [quadrature_grid(gm, s, nodes=1025) for s in SCHEDULE]
    model = FeatureModel(gm, (0.05, 5.0))
    theta = best_fit(model, grids, weighting_zoo(gm, SCHEDULE)[1])
    assert float(score_error(model, theta, grids)) < 1e-20


def test_oracle_weight_is_the_exact_posterior_inverse_covariance(setting) -> None:
    gm, _, zoo = setting
    x = np.linspace(-5, 5, 21)
    for sigma in (0.05, 0.7, 5.0):
        got = _named(zoo, "oracle W*")(x, np.full(21, sigma))
        np.testing.assert_allclose(got, optimal_weight(gm, x[:, None], sigma), rtol=1e-9)


# -- gradient moments (C8) ------------------------------------------------------------
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("name", ["heuristic sigma^2", "oracle W*", "Min-SNR-5"])
def test_exact_gradient_second_moment_matches_monte_carlo(setting, which, name) -> None:
    gm, grids, zoo = setting
    model, weighting = _models(gm)[which], _named(zoo, name)
    theta = model.true_parameters() if which == 0 else best_fit(model, grids, weighting)
    exact = gradient_moments(model, theta, grids, weighting)
    second, mean = monte_carlo_gradient_covariance(model, theta, gm, SCHEDULE, weighting,
                                                   200_000, np.random.default_rng(7 + which))
    # standard errors known from the exact fourth moments (sample ones understate them)
    variance = second_moment_variance(model, theta, grids, weighting)
    known = Estimate(second.value, np.sqrt(variance / second.n), "monte-carlo", second.n)
    assert z_test(known, exact.second_moment, ALPHA).passed
    assert z_test(mean, exact.mean_gradient, ALPHA).passed
    # at the population optimum the mean gradient vanishes
    assert np.max(np.abs(exact.mean_gradient)) < 1e-10 * np.max(np.abs(exact.second_moment))


def test_known_second_moment_variance_matches_the_draws() -> None:
    # On a schedule without tiny sigma the entries of (g/2)(g/2)^T are light-tailed enough
    # for their sample variance over 10^6 draws to be a good reference (seen: within 4%).
    gm = example("two-mode-1d")
    schedule = np.geomspace(0.3, 2.0, 4)
    grids = [quadrature_grid(gm, s, nodes=1025) for s in schedule]
    model = _models(gm)[0]
    theta = model.true_parameters()
    for weighting in weighting_zoo(gm, schedule)[1:3]:
        variance = second_moment_variance(model, theta, grids, weighting)
        second, _ = monte_carlo_gradient_covariance(model, theta, gm, schedule, weighting,
                                                    1_000_000, np.random.default_rng(21))
        np.testing.assert_allclose(second.error**2 * second.n, variance, rtol=0.08)
        # a variance without the fourth central moment of T would not match
        wrong = [replace(g, fourth=0 * g.fourth) for g in grids]
        assert np.max(np.abs(second_moment_variance(model, theta, wrong, weighting)
                             / variance - 1)) > 0.3


@pytest.mark.parametrize("which", [0, 1])
def test_monte_carlo_rejects_a_homoskedastic_gradient_covariance(setting, which) -> None:
    # Calibration: Sigma_1 = 1/sigma^2 (dropping h, i.e. C2) must be rejected by the same
    # tests, with the draws' own errors and with the study's known errors.
    gm, grids, zoo = setting
    model, weighting = _models(gm)[which], _named(zoo, "heuristic sigma^2")
    theta = model.true_parameters() if which == 0 else best_fit(model, grids, weighting)
    wrong = [replace(g, covariance=np.full_like(g.x, 1 / g.sigma**2)) for g in grids]
    claimed = gradient_moments(model, theta, wrong, weighting).second_moment
    if which == 0:
        second, _ = monte_carlo_gradient_covariance(model, theta, gm, SCHEDULE, weighting,
                                                    200_000, np.random.default_rng(8))
        assert not z_test(second, claimed, ALPHA).passed
    variance = second_moment_variance(model, theta, grids, weighting)
    assert not second_moment_z_test(model, theta, gm, SCHEDULE, weighting, claimed, variance,
                                    200_000, np.random.default_rng(9), ALPHA).passed


def test_oracle_curvature_equals_its_gradient_covariance(setting) -> None:
    # For W* = Sigma^-1 at the truth, E[w^2 Sigma J J^T] = E[w J J^T]: B = A, sandwich A^-1.
    gm, grids, zoo = setting
    model = _models(gm)[0]
    m = gradient_moments(model, model.true_parameters(), grids, _named(zoo, "oracle W*"))
    np.testing.assert_allclose(m.gradient_covariance / 4, m.curvature, rtol=1e-12)
    np.testing.assert_allclose(m.sandwich, np.linalg.inv(m.curvature), rtol=1e-10)


def test_oracle_sandwich_is_loewner_smallest_when_well_specified(setting) -> None:
    gm, grids, zoo = setting
    model = _models(gm)[0]
    theta = model.true_parameters()
    oracle = gradient_moments(model, theta, grids, _named(zoo, "oracle W*")).sandwich
    for weighting in zoo:
        scales = normalised("equal mean weight per sigma", grids, weighting)
        for s in (None, scales):
            other = gradient_moments(model, theta, grids, weighting, s).sandwich
            assert np.min(np.linalg.eigvalsh(other - oracle)) >= -1e-9 * np.max(oracle)


def test_normalisations_do_what_they_say(setting) -> None:
    gm, grids, zoo = setting
    model, oracle = _models(gm)[0], _named(zoo, "oracle W*")
    theta = model.true_parameters()
    per_sigma = normalised("equal mean weight per sigma", grids, oracle)
    means = [np.sum(g.mass * c * oracle(g.x, np.full_like(g.x, g.sigma)))
             for g, c in zip(grids, per_sigma, strict=True)]
    np.testing.assert_allclose(means, SCHEDULE**2, rtol=1e-12)
    curvature = normalised("equal curvature tr A", grids, oracle, 0.25, model, theta)
    m = gradient_moments(model, theta, grids, oracle, curvature)
    assert np.trace(m.curvature) == pytest.approx(0.25, rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="normalisation"):
        normalised("per-sample", grids, oracle)


def test_pointwise_ratio_identity_and_log_concave_sign(setting) -> None:
    _, grids, _ = setting
    for grid in grids:
        r = pointwise_ratio(grid)
        assert r["identity_gap"] < 1e-10
        assert 0.0 <= r["mass_heuristic_smaller"] <= 1.0
    gaussian = quadrature_grid(example("gaussian-1d"), 0.5, nodes=513)
    assert pointwise_ratio(gaussian)["mass_heuristic_smaller"] == pytest.approx(1.0)


# -- training (C9) --------------------------------------------------------------------
def _small_run(rates, seed=3, steps=150):
    gm = example("two-mode-1d")
    grids = [quadrature_grid(gm, s, nodes=257) for s in SCHEDULE]
    model = ComponentMeansModel(gm)
    initial = model.true_parameters() + np.random.default_rng(0).normal(size=(4, 2))
    zoo = weighting_zoo(gm, SCHEDULE)
    return train(model, initial, gm, SCHEDULE, _named(zoo, "heuristic sigma^2"), "sgd",
                 np.asarray(rates), steps, 4, np.random.default_rng(seed), grids,
                 model.true_parameters(), n_checkpoints=4)


def test_training_learns_diverges_when_it_should_and_is_deterministic() -> None:
    runs = _small_run([0.1, 1e4])
    assert np.all(runs.errors[0, :, -1] < 0.2 * runs.errors[0, :, 0])   # learns
    assert runs.diverged[1].all() and not runs.diverged[0].any()        # detects blow-up
    assert np.all(np.isinf(runs.errors[1, :, -1]))
    again = _small_run([0.1, 1e4])
    np.testing.assert_array_equal(runs.errors, again.errors)
    assert not np.array_equal(runs.errors, _small_run([0.1, 1e4], seed=4).errors)


def test_adam_runs_and_unknown_optimizer_is_refused() -> None:
    gm = example("two-mode-1d")
    grids = [quadrature_grid(gm, s, nodes=257) for s in SCHEDULE]
    model = ComponentMeansModel(gm)
    initial = np.zeros((2, 2))
    w = weighting_zoo(gm, SCHEDULE)[1]
    runs = train(model, initial, gm, SCHEDULE, w, "adam", np.array([0.05]), 80, 4,
                 np.random.default_rng(0), grids, model.true_parameters(), n_checkpoints=2)
    assert np.all(runs.distances[0, :, -1] < runs.distances[0, :, 0])
    with pytest.raises(InvalidArgumentError, match="optimizer"):
        train(model, initial, gm, SCHEDULE, w, "lbfgs", np.array([0.1]), 1, 1,
              np.random.default_rng(0), grids, model.true_parameters())
    with pytest.raises(InvalidArgumentError, match="initial"):
        train(model, np.zeros((2, 3)), gm, SCHEDULE, w, "sgd", np.array([0.1]), 1, 1,
              np.random.default_rng(0), grids, model.true_parameters())
    with pytest.raises(InvalidArgumentError, match="rates"):
        train(model, initial, gm, SCHEDULE, w, "sgd", np.array([-0.1]), 1, 1,
              np.random.default_rng(0), grids, model.true_parameters())
    with pytest.raises(InvalidArgumentError, match="schedule"):
        weighting_zoo(gm, [1.0, 0.5])


# -- the note and the CLI -------------------------------------------------------------
def test_study_note_is_generated_from_the_saved_json() -> None:
    notes = ROOT / "notes"
    for kind in ("gradients", "training"):
        data = json.loads((notes / f"study-{kind}.json").read_text())
        assert data["study"] == kind and not data["quick"]
    assert (notes / "study.md").read_text() == study_notes(notes), \
        "notes/study.md is stale: run `dsmw study gradients --save notes` (or training)"


def test_plots_without_matplotlib_exit_2_with_the_fix(monkeypatch, capsys, tmp_path) -> None:
    from numeric.cli import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now raises ImportError
    assert main(["study", "gradients", "--quick", "--plots", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "matplotlib" in err and "pip install -e '.[plots]'" in err and "Traceback" not in err


@pytest.mark.slow
def test_quick_studies_from_the_command_line(capsys, tmp_path) -> None:
    from numeric.cli import main

    assert main(["study", "gradients", "--quick", "--json", "--save", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "study-gradients.json").read_text())
    assert printed == saved and saved["quick"] and saved["claim"] == "C8"
    assert all(c["c3_sandwich_check"]["passed"] for c in saved["cases"] if c["well_specified"])
    assert main(["study", "training", "--quick", "--save", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "C9 training study" in out and "sign test" in out
    assert (tmp_path / "study.md").read_text() == study_notes(tmp_path)


# -- property: C3 in the study, on fuzzed mixtures and schedules -----------------------
@st.composite
def _moderate_mixtures(draw):
    k = draw(st.integers(1, 3))
    weights = np.array([draw(st.floats(0.1, 1.0)) for _ in range(k)])
    means = [draw(st.floats(-3.0, 3.0)) for _ in range(k)]
    variances = [draw(st.floats(0.1, 2.0)) for _ in range(k)]
    return GaussianMixture.one_dimensional(weights / weights.sum(), means, variances)


@given(_moderate_mixtures(),
       st.lists(st.floats(0.05, 5.0), min_size=2, max_size=4, unique=True))
def test_oracle_sandwich_is_smallest_on_fuzzed_mixtures(gm, levels) -> None:
    schedule = np.sort(np.asarray(levels))
    assume(np.all(np.diff(schedule) > 1e-3))
    grids = [quadrature_grid(gm, s, nodes=513) for s in schedule]
    zoo = weighting_zoo(gm, schedule)
    model = ComponentMeansModel(gm)
    theta = model.true_parameters()
    moments = gradient_moments(model, theta, grids, _named(zoo, "oracle W*"))
    # C3 needs an invertible A: identical components leave the means unidentifiable
    assume(np.linalg.cond(moments.curvature) < 1e8)
    oracle = moments.sandwich
    for name in ("uniform", "heuristic sigma^2", "EDM", "Min-SNR-5"):
        other = gradient_moments(model, theta, grids, _named(zoo, name)).sandwich
        gap = np.min(np.linalg.eigvalsh(0.5 * (other + other.T) - oracle))
        note(f"{name}: smallest eigenvalue of the difference {gap:.3g}")
        assert gap >= -1e-8 * np.max(np.abs(np.linalg.eigvalsh(oracle)))


def test_results_are_plain_json_even_when_runs_diverge() -> None:
    from numeric.study._runner import _jsonable

    out = _jsonable({"errors": np.array([1.0, np.inf]), "mean": np.float64(np.nan),
                     "count": np.int64(3), "nested": [{"x": -np.inf}]})
    assert out == {"errors": [1.0, None], "mean": None, "count": 3, "nested": [{"x": None}]}
    json.dumps(out, allow_nan=False)

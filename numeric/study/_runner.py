"""The two studies as reproducible runs that return JSON-ready dictionaries (C8, C9)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from numeric.examples import example
from numeric.mixture import GaussianMixture
from numeric.study._gradients import (
    NORMALISATIONS,
    best_fit,
    gradient_moments,
    normalised,
    pointwise_ratio,
    quadrature_grid,
    second_moment_variance,
    second_moment_z_test,
)
from numeric.study._models import ComponentMeansModel, FeatureModel
from numeric.study._training import score_error, train
from numeric.study._weightings import StudyWeighting, weighting_zoo

__all__ = ["DEFAULT_STUDY_SEED", "gradient_study", "sign_test", "training_study"]

DEFAULT_STUDY_SEED = 20250803
#: Family-wise false-alarm rate of the Monte Carlo cross-checks inside the gradient study.
STUDY_ALPHA = 1e-3
#: Draws of the follow-up Monte Carlo stage, as a multiple of the first stage's.
FOLLOW_UP = 10

#: "Steps to target": the first checkpoint where the excess error is below this
#: fraction of the median initial excess.
TARGET_FRACTION = 0.1

Progress = Callable[[int, int, str], None]

_SCHEDULES = {
    "wide (0.05..5, 8 levels)": (0.05, 5.0, 8),
    "narrow (0.2..2, 8 levels)": (0.2, 2.0, 8),
}


def _jsonable(value: Any) -> Any:
    """Plain JSON: non-finite numbers (diverged runs) become ``None``, arrays lists."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def _schedule(spec: tuple[float, float, int]) -> np.ndarray:
    lo, hi, n = spec
    return np.geomspace(lo, hi, n)


def _models(mixture: GaussianMixture, schedule: np.ndarray):
    return (ComponentMeansModel(mixture),
            FeatureModel(mixture, (float(schedule.min()), float(schedule.max()))))


def _rng(seed: int, *labels: str) -> np.random.Generator:
    keys = [zlib.crc32(label.encode()) for label in labels]
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def _c3_check(sandwiches: dict[tuple[str, str], np.ndarray]) -> dict[str, Any]:
    """C3: the oracle's (raw) sandwich is Loewner-smallest among all weightings tried."""
    oracle = sandwiches[("oracle W*", "raw")]
    scale = float(np.max(np.abs(np.linalg.eigvalsh(oracle))))
    worst_gap, worst_name = math.inf, ""
    for (name, norm), s in sandwiches.items():
        gap = float(np.min(np.linalg.eigvalsh(0.5 * (s + s.T) - oracle))) / scale
        if (name, norm) != ("oracle W*", "raw") and gap < worst_gap:
            worst_gap, worst_name = gap, f"{name} / {norm}"
    tolerance = 1e-9
    return {"min_eigenvalue_of_difference": worst_gap, "closest": worst_name,
            "tolerance": -tolerance, "passed": worst_gap >= -tolerance}


def _monte_carlo_check(model, mixture, schedule, cases, n_samples: int, seed: int,
                       labels: tuple[str, ...]) -> dict[str, Any]:
    """Monte Carlo ``E[g g^T]/4`` against the exact one, entry by entry, in two stages.

    The standard errors are known from the exact fourth moments
    (:func:`numeric.study._gradients.second_moment_variance`): the statistics are
    heavy-tailed (products up to ``u^12`` for the feature model), and sample errors from
    the same draws came out at 25-80% of the true ones, which over-rejected (|z| up to
    9.5 on true formulas). Stage 1 uses ``n_samples`` draws at family-wise rate
    ``STUDY_ALPHA``; a rejected case (the skewness can still slow the central limit) is
    re-tested on ``FOLLOW_UP`` times as many fresh draws: a real discrepancy grows ``|z|``
    by ``sqrt(FOLLOW_UP)``; the case fails only if both stages reject, so the false-alarm
    rate stays at most that of the second stage.
    """
    alpha = STUDY_ALPHA / len(cases)
    stages = []
    for factor in (1, FOLLOW_UP):
        worst, n_tests = 0.0, 0
        for weighting, theta, exact, variance in cases:
            test = second_moment_z_test(model, theta, mixture, schedule, weighting, exact,
                                        variance, n_samples * factor,
                                        _rng(seed, *labels, weighting.name, str(factor)), alpha)
            worst, n_tests = max(worst, test.max_abs_z), n_tests + test.n_tests
        stages.append({"samples": n_samples * factor, "max_abs_z": worst,
                       "threshold": test.threshold, "passed": worst <= test.threshold})
        if stages[-1]["passed"]:
            break
    return {"samples": n_samples, "max_abs_z": stages[0]["max_abs_z"],
            "threshold": stages[0]["threshold"], "n_tests": n_tests,
            "false_alarm_rate": STUDY_ALPHA, "stages": stages,
            "passed": stages[-1]["passed"]}


def gradient_study(quick: bool = False, seed: int = DEFAULT_STUDY_SEED,
                   progress: Progress | None = None) -> dict[str, Any]:
    """C8: gradient covariance, curvature and sandwich of every weighting, three normalisations.

    Exact (Simpson quadrature) at the true parameters (component-means model) or at
    each weighting's own best fit (feature model), cross-checked by Monte Carlo.
    """
    mixtures = ("two-mode-1d", "gaussian-1d") if quick else (
        "two-mode-1d", "three-mode-1d", "gaussian-1d")
    schedules = list(_SCHEDULES.items())[: 1 if quick else None]
    mc_samples = 20_000 if quick else 100_000
    jobs = [(m, s) for m in mixtures for s in schedules]
    cases, pointwise = [], []
    for job, (mixture_name, (schedule_name, spec)) in enumerate(jobs):
        if progress is not None:
            progress(job, len(jobs), f"{mixture_name}, {schedule_name}")
        mixture, schedule = example(mixture_name), _schedule(spec)
        grids = [quadrature_grid(mixture, s) for s in schedule]
        zoo = weighting_zoo(mixture, schedule)
        heuristic = next(w for w in zoo if w.name == "heuristic sigma^2")
        if schedule_name == schedules[0][0]:
            pointwise.append({"mixture": mixture_name, "schedule": schedule_name,
                              "levels": [pointwise_ratio(g) for g in grids]})
        for model in _models(mixture, schedule):
            well_specified = isinstance(model, ComponentMeansModel)

            def parameters(weight, scales, model=model, well_specified=well_specified,
                           grids=grids):
                return (model.true_parameters() if well_specified
                        else best_fit(model, grids, weight, scales))

            theta_h = parameters(heuristic, None)
            reference = float(np.trace(gradient_moments(model, theta_h, grids,
                                                        heuristic).curvature))
            rows, sandwiches, mc = [], {}, []
            for weighting in zoo:
                row = {"name": weighting.name, "formula": weighting.formula,
                       "depends_on_x": weighting.depends_on_x, "normalisations": {}}
                own = parameters(weighting, None)
                for norm in NORMALISATIONS:
                    scales = normalised(norm, grids, weighting, reference, model, own)
                    # a per-sigma rescaling moves the best fit; a global constant does not
                    theta = (own if norm != "equal mean weight per sigma"
                             else parameters(weighting, scales))
                    moments = gradient_moments(model, theta, grids, weighting, scales)
                    summary = moments.summary()
                    summary["per_level_trace_gradient_covariance"] = \
                        moments.per_level_trace.tolist()
                    summary["max_abs_mean_gradient"] = float(np.max(np.abs(
                        moments.mean_gradient)))
                    row["normalisations"][norm] = summary
                    sandwiches[(weighting.name, norm)] = moments.sandwich
                    if norm == "raw" and weighting.name in ("heuristic sigma^2", "oracle W*"):
                        mc.append((weighting, theta, moments.second_moment,
                                   second_moment_variance(model, theta, grids, weighting)))
                rows.append(row)
            labels = (mixture_name, schedule_name, model.name)
            check = _monte_carlo_check(model, mixture, schedule, mc, mc_samples, seed, labels)
            cases.append({
                "mixture": mixture_name, "schedule": schedule_name,
                "sigmas": schedule.tolist(), "model": model.name,
                "well_specified": well_specified, "n_parameters": model.n_parameters,
                "weightings": rows,
                "c3_sandwich_check": {**_c3_check(sandwiches), "applies": well_specified},
                "monte_carlo_check": check,
            })
    if progress is not None:
        progress(len(jobs), len(jobs), "done")
    return _jsonable({"study": "gradients", "claim": "C8", "seed": seed, "quick": quick,
                      "normalisations": list(NORMALISATIONS), "cases": cases,
                      "pointwise": pointwise})


def sign_test(wins: int, trials: int) -> float:
    """Two-sided exact binomial (sign) test p-value of ``wins`` out of ``trials`` at 1/2.

    Examples
    --------
    >>> round(sign_test(10, 10), 6) == round(2 * 0.5**10, 6)
    True
    >>> sign_test(5, 10)
    1.0
    """
    if trials == 0:
        return 1.0
    k = min(wins, trials - wins)
    tail = sum(math.comb(trials, i) for i in range(k + 1)) / 2.0**trials
    return min(1.0, 2.0 * tail)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    return {"median": float(np.median(values)), "mean": float(np.mean(values)),
            "sd": float(np.std(values, ddof=1)), "q25": float(np.quantile(values, 0.25)),
            "q75": float(np.quantile(values, 0.75))}


def _summarise_runs(runs, target: float) -> dict[str, Any]:
    """Best step size by median final excess error; spread, divergences, steps to target."""
    excess = runs.distances
    final = excess[..., -1]
    best = int(np.argmin(np.median(final, axis=1)))
    curve = excess[best]
    hit = curve <= target
    reached = np.where(hit.any(axis=1), runs.checkpoints[np.argmax(hit, axis=1)], -1)
    stable = [float(r) for r, d in zip(runs.rates, runs.diverged.any(axis=1), strict=True)
              if not d]
    with np.errstate(invalid="ignore"):  # quantiles of inf (diverged) entries
        bands = {"q10": np.quantile(curve, 0.1, axis=0), "median": np.median(curve, axis=0),
                 "q90": np.quantile(curve, 0.9, axis=0)}
    return {
        "rates": runs.rates.tolist(),
        "best_rate": float(runs.rates[best]),
        "largest_stable_rate": max(stable) if stable else None,
        "final_error": _quantiles(runs.errors[best, :, -1]),
        "final_excess": _quantiles(final[best]),
        "final_excess_per_seed": final[best].tolist(),
        "final_error_per_seed": runs.errors[best, :, -1].tolist(),
        "diverged_at_best_rate": int(runs.diverged[best].sum()),
        "diverged_per_rate": runs.diverged.sum(axis=1).tolist(),
        "steps_to_target": {"median": (float(np.median(reached[reached >= 0]))
                                       if np.any(reached >= 0) else None),
                            "reached": int(np.sum(reached >= 0)),
                            "per_seed": reached.tolist()},
        "curve": {"steps": runs.checkpoints.tolist(),
                  **{k: [float(v) if np.isfinite(v) else None for v in band]
                     for k, band in bands.items()}},
    }


def _paired(results: dict[str, Any], key: str) -> dict[str, Any]:
    h, o = (results[n][key] for n in ("heuristic sigma^2", "oracle W*"))
    wins = sum(a < b for a, b in zip(h, o, strict=True))
    return {"heuristic_lower": wins, "seeds": len(h), "sign_test_p": sign_test(wins, len(h))}


def _oracle_per_sigma(zoo: tuple[StudyWeighting, ...]) -> StudyWeighting:
    """The oracle's shape in x~ with the heuristic's mean at every level: which of the two
    (the x~-dependence or the sigma-profile) matters for training."""
    oracle = next(w for w in zoo if w.name == "oracle W*")
    expected = next(w for w in zoo if w.name == "expected W*")

    def weight(x: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        return sigma**2 * oracle(x, sigma) / expected(x, sigma)

    return StudyWeighting("oracle W*, per-sigma normalised",
                          r"\sigma^2 W^*(\tilde x, \sigma) / \mathbb{E}_{p_\sigma}[W^*](\sigma)",
                          weight, depends_on_x=True)


def training_study(quick: bool = False, seed: int = DEFAULT_STUDY_SEED,
                   progress: Progress | None = None) -> dict[str, Any]:
    """C9: SGD and Adam for every weighting at its own best step size, over seeds."""
    mixture_name = "two-mode-1d"
    schedule_name, spec = next(iter(_SCHEDULES.items()))
    mixture, schedule = example(mixture_name), _schedule(spec)
    n_seeds = 20
    steps = 300 if quick else 2000
    batch_per_level = 8
    grids = [quadrature_grid(mixture, s, nodes=513) for s in schedule]
    zoo = weighting_zoo(mixture, schedule)
    zoo = (*zoo, _oracle_per_sigma(zoo))
    rate_grids = {"sgd": 10.0 ** np.arange(-5.0, 1.01, 1.0 if quick else 0.5),
                  "adam": 10.0 ** np.arange(-3.0, 0.01, 1.0 if quick else 0.5)}
    models = _models(mixture, schedule)
    total = len(models) * len(rate_grids) * len(zoo)
    done = 0
    experiments = []
    for model in models:
        well_specified = isinstance(model, ComponentMeansModel)
        init_rng = _rng(seed, "initial", model.name)
        if well_specified:
            spread = float(np.sqrt(np.max(mixture.eigenvalues)))
            initial = model.true_parameters() + spread * init_rng.standard_normal(
                (n_seeds, model.n_parameters))
        else:
            initial = np.zeros((n_seeds, model.n_parameters))
        # each weighting's own population optimum: the truth, or its weighted best fit
        optima = {w.name: model.true_parameters() if well_specified else
                  best_fit(model, grids, w) for w in zoo}
        for optimizer, rates in rate_grids.items():
            results = {}
            for weighting in zoo:
                if progress is not None:
                    progress(done, total, f"{model.name}, {optimizer}, {weighting.name}")
                optimum = optima[weighting.name]
                runs = train(model, initial, mixture, schedule, weighting, optimizer, rates,
                             steps, batch_per_level, _rng(seed, "draws", model.name, optimizer),
                             grids, optimum)
                target = TARGET_FRACTION * float(np.median(runs.distances[0, :, 0]))
                results[weighting.name] = _summarise_runs(runs, target)
                results[weighting.name]["formula"] = weighting.formula
                results[weighting.name]["optimum_error"] = float(
                    score_error(model, optimum, grids))
                # full-batch gradient descent on the quadratic model 2 A_W is stable for steps
                # below 1 / lambda_max(A_W): the scale that SGD's stability should follow
                top = float(np.max(np.linalg.eigvalsh(
                    gradient_moments(model, optimum, grids, weighting).curvature)))
                results[weighting.name]["curvature_top_eigenvalue"] = top
                results[weighting.name]["gradient_descent_step_bound"] = 1.0 / top
                done += 1
            experiments.append({
                "model": model.name, "well_specified": well_specified,
                "optimizer": optimizer, "n_parameters": model.n_parameters,
                "initial_error_median": float(np.median(score_error(model, initial, grids))),
                "weightings": results,
                "heuristic_vs_oracle": {"final_error": _paired(results, "final_error_per_seed"),
                                        "final_excess": _paired(results,
                                                                "final_excess_per_seed")},
            })
    if progress is not None:
        progress(total, total, "done")
    return _jsonable({
        "study": "training", "claim": "C9", "seed": seed, "quick": quick,
        "mixture": mixture_name, "schedule": schedule_name, "sigmas": schedule.tolist(),
        "seeds": n_seeds, "steps": steps,
        "batch": {"per_level": batch_per_level, "levels": len(schedule)},
        "error_metric": "mean over levels of sigma^2 E_{p_sigma}[(f - s)^2]",
        "excess": "the same metric between the model and the weighting's own population "
                  "optimum (its best fit; the truth for the well-specified model)",
        "target_fraction": TARGET_FRACTION,
        "experiments": experiments,
    })

"""Claim P1 of ``dsmw verify``: one weighting in every parameterisation.

References here share no formula with :mod:`derive`: the six targets, the five
schedules (``alpha``, ``sigma`` and their derivatives), ``SNR = alpha^2/sigma^2``,
``g^2`` and the sampling densities are written out below in NumPy from their
definitions, and every prediction goes through one ``eps_hat``
(``x0_hat = (x_t - sigma eps_hat)/alpha``). Against them:

* ``k_X`` and every conversion ``w_Y = w_X k_X / k_Y`` sample by sample (exact);
* every zoo weighting converted by :meth:`derive.Weighting.in_space`, sample by
  sample against its native formula on the native loss (exact);
* the weighted losses in two spaces agree in expectation on a Gaussian mixture
  (Monte Carlo on independent draws, z-test with standard errors);
* the minimiser of the weighted loss, per level and pooled over levels, is the same in
  every space (exact Gauss-Hermite expectations);
* the density form integrates over ``lambda`` to the native loss over ``t``
  (composite Gauss-Legendre quadrature).

:data:`WEIGHTING_MUTANTS` are deliberately wrong conversions these checks must catch.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from derive import spaces
from numeric._checking import Check, CheckTask, Mutant, relative_error, swapped
from numeric.examples import example
from numeric.montecarlo import Estimate, concatenate, mean_estimate, z_test
from numeric.weighting_eval import _bind_by_name

__all__ = ["P1_TITLE", "WEIGHTING_MUTANTS", "WeightingMutant", "weighting_tasks"]

Array = NDArray[np.float64]

P1_TITLE = "Weightings across parameterisations"

#: Per-sample identities: a sum of a few products in double precision.
SAMPLE_TOL = 1e-12
#: Lambdified zoo expressions (long compositions of exp/log) against NumPy references.
ZOO_TOL = 1e-9
#: Quadrature over t against quadrature over lambda (both converged far below this).
QUAD_TOL = 1e-8

_SCHEDULE_DEFAULTS = {"sigma_min": 0.01, "sigma_max": 50.0, "beta_min": 0.1, "beta_max": 20.0}
#: t ranges of the numerical checks (inside each schedule's range, away from lambda = +-inf).
_CHECK_RANGE = {"ve": (0.0, 1.0), "vp-linear": (0.02, 0.98), "vp-cosine": (0.02, 0.98),
                "rectified-flow": (0.02, 0.98), "edm": (0.01, 20.0)}
_FULL_RANGE = {"ve": (0.0, 1.0), "vp-linear": (0.0, 1.0), "vp-cosine": (0.0, 1.0),
               "rectified-flow": (0.0, 1.0), "edm": (0.002, 80.0)}
_VALUES = {"sigma_data": 0.5, "P_mean": -1.2, "P_std": 1.2, "gamma": 5.0, "k": 1.0,
           "m": 0.0, "s": 1.0, "b": 2.0}
_NAMES = {"p2": "p2:1:0.5", "min-snr": "min-snr:5", "sigmoid": "sigmoid:2",
          "optimal-gaussian": "optimal-gaussian:1.3"}


# ---------------------------------------------------------------- independent references
def reference_schedule(name: str, t: Array) -> dict[str, Array]:
    """``alpha, sigma, alpha', sigma'`` of a schedule, from its definition."""
    t = np.asarray(t, dtype=np.float64)
    one, zero = np.ones_like(t), np.zeros_like(t)
    if name == "ve":
        lo, hi = _SCHEDULE_DEFAULTS["sigma_min"], _SCHEDULE_DEFAULTS["sigma_max"]
        sigma = lo * (hi / lo) ** t
        return {"alpha": one, "sigma": sigma, "alpha'": zero, "sigma'": sigma * math.log(hi / lo)}
    if name == "vp-linear":
        b0, b1 = _SCHEDULE_DEFAULTS["beta_min"], _SCHEDULE_DEFAULTS["beta_max"]
        beta = b0 + (b1 - b0) * t
        integral = b0 * t + (b1 - b0) * t**2 / 2
        alpha = np.exp(-integral / 2)
        sigma = np.sqrt(-np.expm1(-integral))
        return {"alpha": alpha, "sigma": sigma, "alpha'": -beta * alpha / 2,
                "sigma'": beta * alpha**2 / (2 * sigma)}
    if name == "vp-cosine":
        angle = np.pi * t / 2
        return {"alpha": np.cos(angle), "sigma": np.sin(angle),
                "alpha'": -np.pi / 2 * np.sin(angle), "sigma'": np.pi / 2 * np.cos(angle)}
    if name == "rectified-flow":
        return {"alpha": 1 - t, "sigma": t, "alpha'": -one, "sigma'": one}
    if name == "edm":
        return {"alpha": one, "sigma": t, "alpha'": zero, "sigma'": one}
    raise KeyError(name)


def reference_targets(x0: Array, eps: Array, a: Array, s: Array, da: Array, ds: Array,
                      sigma_data: float | Array) -> dict[str, Array]:
    """Each space's target at ``x_t = a x0 + s eps`` (EDM's ``F`` at level ``s/a``)."""
    x_t = a * x0 + s * eps
    level = s / a
    c_skip = sigma_data**2 / (level**2 + sigma_data**2)
    c_out = level * sigma_data / np.sqrt(level**2 + sigma_data**2)
    return {"score": -eps / s, "eps": eps, "x0": x0, "v": a * eps - s * x0,
            "velocity": da * x0 + ds * eps, "F": (x0 - c_skip * x_t / a) / c_out}


def squared_errors(x0: Array, eps: Array, eps_hat: Array, level: dict[str, Array],
                   sigma_data: float | Array) -> dict[str, Array]:
    """``||X_hat - X||^2`` in every space, every prediction mapped through ``eps_hat``."""
    a, s, da, ds = level["alpha"], level["sigma"], level["alpha'"], level["sigma'"]
    x_t = a * x0 + s * eps
    x0_hat = (x_t - s * eps_hat) / a
    truth = reference_targets(x0, eps, a, s, da, ds, sigma_data)
    predicted = reference_targets(x0_hat, eps_hat, a, s, da, ds, sigma_data)
    return {k: (predicted[k] - truth[k]) ** 2 for k in truth}


def _rounding_scale(x0: Array, eps: Array, eps_hat: Array, level: dict[str, Array],
                    sigma_data: Array) -> dict[str, Array]:
    """Per space, the floor of the relative error of ``(X_hat - X)^2 = k_X (eps_hat -
    eps)^2``: rounding of 10 ulp in the terms it is computed from, divided by ``1e-12``.

    ``X_hat - X`` subtracts terms as large as the targets evaluated on absolute values
    (``truth``, ``predicted``), and ``k_X`` itself can cancel (the velocity's
    ``sigma' - alpha' sigma/alpha``): its terms give the absolute coefficient
    ``c_abs >= sqrt(k_X)``. So ``|lhs - rhs| <= 10 u (2 c_abs |d| size + 2 c_abs^2 d^2)``
    with ``d = eps_hat - eps``, and a relative error below ``1e-12`` against
    ``ref + floor`` means agreement to rounding of those terms; a wrong ``k_X`` is off
    by O(1) wherever the floor does not dominate (most draws).
    """
    a, s = np.abs(level["alpha"]), np.abs(level["sigma"])
    da, ds = np.abs(level["alpha'"]), np.abs(level["sigma'"])
    ax0, aeps, aeh = np.abs(x0), np.abs(eps), np.abs(eps_hat)
    x_t = a * ax0 + s * aeps
    x0_hat = (x_t + s * aeh) / a

    def sizes(x: Array, e: Array, xt: Array) -> dict[str, Array]:
        edm_level = s / a
        c_skip = sigma_data**2 / (edm_level**2 + sigma_data**2)
        c_out = edm_level * sigma_data / np.sqrt(edm_level**2 + sigma_data**2)
        return {"score": e / s, "eps": e, "x0": x, "v": a * e + s * x,
                "velocity": da * x + ds * e, "F": (x + c_skip * xt / a) / c_out}

    truth, predicted = sizes(ax0, aeps, x_t), sizes(x0_hat, aeh, x_t)
    coefficient = sizes(s / a, np.ones_like(s), np.zeros_like(s))
    gap = np.abs(eps_hat - eps)
    ten_ulp = 10 * np.finfo(np.float64).eps
    return {k: ten_ulp / SAMPLE_TOL * (2 * coefficient[k] * gap * (truth[k] + predicted[k])
                                       + 2 * coefficient[k] ** 2 * gap**2) for k in truth}


def _reference_density(record: derive.Weighting, schedule: str, t: Array,
                       level: dict[str, Array]) -> Array:
    """The weighting's sampling density ``p(t)`` from its definition."""
    if record.name == "edm":  # ln(sigma/alpha) ~ N(P_mean, P_std^2)
        u = np.log(level["sigma"] / level["alpha"])
        du = level["sigma'"] / level["sigma"] - level["alpha'"] / level["alpha"]
        z = (u - _VALUES["P_mean"]) / _VALUES["P_std"]
        return np.exp(-z**2 / 2) / (_VALUES["P_std"] * np.sqrt(2 * np.pi)) * np.abs(du)
    if record.name == "sd3":  # logit(t) ~ N(m, s^2)
        z = (np.log(t / (1 - t)) - _VALUES["m"]) / _VALUES["s"]
        return np.exp(-z**2 / 2) / (_VALUES["s"] * np.sqrt(2 * np.pi) * t * (1 - t))
    low, high = _FULL_RANGE[schedule]
    return np.full_like(t, 1.0 / (high - low))


#: The zoo as the papers define it (native space, defaults of the parameters), written here
#: without derive: the reference the records of ``derive.weightings()`` are compared with.
TEXTBOOK_SPACES = {"uniform": "score", "ncsn": "score", "ddpm": "eps", "edm": "x0",
                   "min-snr": "x0", "p2": "eps", "likelihood": "score", "v-prediction": "v",
                   "rectified-flow": "velocity", "sd3": "velocity", "sigmoid": "lambda",
                   "optimal-gaussian": "eps"}
TEXTBOOK_DEFAULTS = {"edm": {"sigma_data": 0.5, "P_mean": -1.2, "P_std": 1.2},
                     "sd3": {"m": 0.0, "s": 1.0}}


def _lambda_speed(level: dict[str, Array]) -> Array:
    """``-dlambda/dt = -2 ((log alpha)' - (log sigma)')`` from the schedule's definition."""
    return -2 * (level["alpha'"] / level["alpha"] - level["sigma'"] / level["sigma"])


def _g_squared(level: dict[str, Array]) -> Array:
    """The forward SDE's ``g^2 = d sigma^2/dt - 2 (log alpha)' sigma^2``."""
    a, s, da, ds = level["alpha"], level["sigma"], level["alpha'"], level["sigma'"]
    return 2 * s * ds - 2 * da / a * s**2


def _textbook_weight(name: str, t: Array, level: dict[str, Array]) -> Array:
    """The weight of ``name`` in its native space (:data:`TEXTBOOK_SPACES`), from its paper:
    NCSN sigma^2 (score), DDPM 1 (eps), EDM (sigma_e^2 + sigma_data^2)/(sigma_e sigma_data)^2
    at EDM's level sigma_e = sigma/alpha (x0), Min-SNR min(SNR, gamma) (x0), P2
    (k + SNR)^-gamma (eps), likelihood g^2 (score), v-prediction, rectified flow and SD3 1,
    Kingma-Gao's sigmoid(b - lambda) (per unit lambda), and the Gaussian-data optimum
    1 + 1/(SNR s^2) (eps)."""
    a, s = level["alpha"], level["sigma"]
    snr, one, v = a**2 / s**2, np.ones_like(np.asarray(t, dtype=np.float64)), _VALUES
    level_edm = s / a
    weights = {
        "uniform": one, "ncsn": s**2, "ddpm": one, "v-prediction": one,
        "rectified-flow": one, "sd3": one,
        "edm": (level_edm**2 + v["sigma_data"] ** 2) / (level_edm * v["sigma_data"]) ** 2,
        "min-snr": np.minimum(snr, v["gamma"]),
        "p2": (v["k"] + snr) ** -v["gamma"],
        "likelihood": _g_squared(level),
        "sigmoid": 1 / (1 + np.exp(np.log(snr) - v["b"])),
        "optimal-gaussian": 1 + 1 / (snr * v["s"] ** 2),
    }
    return weights[name]


def _native_weight(record: derive.Weighting, schedule: str, t: Array,
                   level: dict[str, Array]) -> tuple[str, Array]:
    """``(space, w)``: the weighting's textbook definition (not derive's record), as a
    weight of a loss in ``space`` (a density form is turned into an ``eps`` weight)."""
    space = TEXTBOOK_SPACES[record.name]
    with np.errstate(all="ignore"):
        w = np.broadcast_to(_textbook_weight(record.name, t, level), np.shape(t))
    if space != "lambda":
        return space, np.asarray(w, dtype=np.float64)
    return "eps", w * _lambda_speed(level) / _reference_density(record, schedule, t, level)


def _record_native_weight(record: derive.Weighting, t: Array,
                          level: dict[str, Array]) -> Array:
    """derive's native formula of ``record``, evaluated with NumPy's SNR, lambda and g^2."""
    a, s = level["alpha"], level["sigma"]
    snr = a**2 / s**2
    args = [s, a, snr, np.log(snr), t, _g_squared(level), *(_VALUES[k] for k in _VALUES)]
    plain = record.native.subs({v: sp.Symbol(v.name) for v in record.native.free_symbols})
    with np.errstate(all="ignore"):
        return np.asarray(np.broadcast_to(_native_function(plain)(*args), np.shape(t)),
                          dtype=np.float64)


@functools.cache
def _native_function(plain: sp.Expr):
    """A native formula (plain symbols) lambdified once per expression, in ``sigma, alpha,
    snr, lam, t, g2`` and the parameters of ``_VALUES``."""
    names = ("sigma", "alpha", "snr", "lam", "t", "g2", *_VALUES)
    return sp.lambdify([sp.Symbol(n) for n in names], plain, "numpy")


_LAMBDIFIED: dict[tuple[str, str, str], Callable[[Array], Array]] = {}


def _derived_weight(record: derive.Weighting, space: str, schedule: str):
    """derive's weight of the ``space`` loss as a NumPy function of ``t`` (memoised; a
    mutant's :meth:`WeightingMutant.substituted` empties the memo)."""
    key = (record.name, space, schedule)
    if key not in _LAMBDIFIED:
        _LAMBDIFIED[key] = _in_t(record.in_space(space, schedule, variable="t", simplify=False))
    return _LAMBDIFIED[key]


def _in_t(expr: sp.Expr):
    """A derived expression in ``t`` as a NumPy function, the schedule and weighting
    parameters bound to the values of the checks."""
    return sp.lambdify(spaces.time, _bind_by_name(expr, {**_SCHEDULE_DEFAULTS, **_VALUES}),
                       "numpy")


def _derived_density(record: derive.Weighting, schedule: str):
    return _in_t(record.density_form(schedule, variable="t", simplify=False))


def _records(names: tuple[str, ...], schedule: str) -> list[derive.Weighting]:
    out = []
    for name in names:
        record = derive.weighting(name)
        if record.name == "sd3" and _FULL_RANGE[schedule][1] > 1:
            continue  # a density of t in (0, 1)
        out.append(record)
    return out


# ---------------------------------------------------------------- the checks
def _conversion_task(quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = 2_000 if quick else 50_000
        a, s = np.exp(rng.uniform(-3, 2, n)), np.exp(rng.uniform(-3, 2, n))
        da, ds = rng.normal(size=n), rng.normal(size=n)
        sigma_data = np.exp(rng.uniform(-2, 1, n))
        x0, eps, eps_hat = rng.normal(size=(3, n)) * np.exp(rng.uniform(-2, 2, (3, n)))
        level = {"alpha": a, "sigma": s, "alpha'": da, "sigma'": ds}
        errors = squared_errors(x0, eps, eps_hat, level, sigma_data)
        symbols = [spaces.alpha, derive.sigma, spaces.alpha_dot, spaces.sigma_dot,
                   derive.symbols.sigma_data]
        args = (a, s, da, ds, sigma_data)
        worst = 0.0
        base = (eps_hat - eps) ** 2
        rounding = _rounding_scale(x0, eps, eps_hat, level, sigma_data)
        # one lambdify per family of expressions (each call costs ~10 ms)
        factors = sp.lambdify(symbols, [spaces.conversion_factor(x) for x in spaces.SPACES])
        k = {space: np.broadcast_to(value, (n,)) for space, value in
             zip(spaces.SPACES, factors(*args), strict=True)}
        for space in spaces.SPACES:
            worst = max(worst, relative_error(errors[space], k[space] * base,
                                              rounding[space]))
        weight = np.exp(rng.uniform(-3, 3, n))
        w = sp.Symbol("w", positive=True)
        pairs = [(x, y) for x in spaces.SPACES for y in spaces.SPACES]
        converted = sp.lambdify([w, *symbols], [spaces.convert(w, x, y) for x, y in pairs])(
            weight, *args)
        for (source, target), value in zip(pairs, converted, strict=True):
            w_target = np.broadcast_to(value, (n,))
            worst = max(worst, relative_error(w_target * errors[target],
                                              weight * errors[source],
                                              weight * rounding[source]
                                              + w_target * rounding[target]))
        return Check("(X_hat - X)^2 = k_X (eps_hat - eps)^2 and w_Y = w_X k_X/k_Y, "
                     "sample by sample", "exact", worst, SAMPLE_TOL, worst <= SAMPLE_TOL,
                     f"{n} random (alpha, sigma, alpha', sigma', sigma_data, x0, eps, eps_hat), "
                     "6 spaces, 36 ordered pairs; relative error with a floor of 10 ulp of "
                     "the terms that cancel")
    return run


def _zoo_names(quick: bool) -> tuple[str, ...]:
    if quick:
        return ("edm", "min-snr", "sigmoid")
    return tuple(w.name for w in derive.weightings())


def _schedules(quick: bool) -> tuple[str, ...]:
    return ("vp-cosine",) if quick else spaces.SCHEDULES


def _spaces(quick: bool) -> tuple[str, ...]:
    return ("score", "eps", "x0", "v") if quick else spaces.SPACES


def _zoo_task(quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = 400
        worst, count = 0.0, 0
        for schedule in _schedules(quick):
            t = rng.uniform(*_CHECK_RANGE[schedule], n)
            level = reference_schedule(schedule, t)
            x0, eps, eps_hat = rng.normal(size=(3, n))
            errors = squared_errors(x0, eps, eps_hat, level, _VALUES["sigma_data"])
            for record in _records(_zoo_names(quick), schedule):
                space, w = _native_weight(record, schedule, t, level)
                native = w * errors[space]
                for target in _spaces(quick):
                    with np.errstate(all="ignore"):
                        converted = _derived_weight(record, target, schedule)(t)
                    worst = max(worst, relative_error(converted * errors[target], native))
                    count += 1
        return Check("every zoo weighting converted by derive equals its native loss, "
                     "sample by sample", "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     f"{count} (weighting, schedule, space) triples, {n} draws each, "
                     "native formula with NumPy's SNR = alpha^2/sigma^2")
    return run


def _mixture_draws(rng: np.random.Generator, n: int) -> Array:
    return example("two-mode-1d").sample(n, rng)[:, 0]


def _model(x_t: Array, level: dict[str, Array]) -> Array:
    """An imperfect denoiser: the posterior mean of ``eps`` for N(0.75, 3) data."""
    a, s = level["alpha"], level["sigma"]
    return s * (x_t - a * 0.75) / (a**2 * 3.0 + s**2)


def _monte_carlo_task(quick: bool):
    pairs = (("min-snr", ("eps", "v")), ("edm", ("score", "eps"))) if quick \
        else tuple((w.name, spaces.SPACES) for w in derive.weightings())

    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = 20_000 if quick else 100_000
        estimates = []
        for schedule in (("vp-cosine",) if quick else spaces.SCHEDULES):
            for name, targets in pairs:
                (record,) = _records((name,), schedule) or (None,)
                if record is None:
                    continue
                for target in targets:
                    if target == record.space:
                        continue
                    native, other = _loss_samples(rng, record, schedule, target, n)
                    a, b = mean_estimate(native), mean_estimate(other)
                    estimates.append(Estimate(a.value - b.value,
                                              np.sqrt(a.error**2 + b.error**2), "monte-carlo",
                                              n))
        test = z_test(concatenate(estimates), 0.0, alpha)
        return Check("weighted losses in two spaces agree in expectation (two-mode mixture)",
                     "monte-carlo", test.max_abs_z, test.threshold, test.passed,
                     f"{len(estimates)} z-tests of independent Monte Carlo means, n = {n} each, "
                     f"family-wise rate {alpha:.2g}")
    return run


def _loss_samples(rng: np.random.Generator, record: derive.Weighting, schedule: str,
                  target: str, n: int) -> tuple[Array, Array]:
    """Per-draw weighted losses: native formula in its space, derive's conversion in
    ``target``; independent draws of ``t`` (uniform on the check range), ``x0`` and ``eps``."""
    converted = _derived_weight(record, target, schedule)
    out = []
    for which in ("native", "converted"):
        t = rng.uniform(*_CHECK_RANGE[schedule], n)
        level = reference_schedule(schedule, t)
        x0, eps = _mixture_draws(rng, n), rng.normal(size=n)
        eps_hat = _model(level["alpha"] * x0 + level["sigma"] * eps, level)
        errors = squared_errors(x0, eps, eps_hat, level, _VALUES["sigma_data"])
        if which == "native":
            space, w = _native_weight(record, schedule, t, level)
            out.append(w * errors[space])
        else:
            with np.errstate(all="ignore"):
                out.append(np.broadcast_to(converted(t), (n,)) * errors[target])
    return out[0], out[1]


def _gauss_hermite_errors(t: Array, schedule: str, theta: float = 1.0) -> dict[str, Array]:
    """``E[(X_hat - X)^2]`` at each level for the model ``theta * _model`` (exact: the
    integrand is a polynomial in the Gauss-Hermite variables)."""
    gm = example("two-mode-1d")
    nodes, weights = np.polynomial.hermite_e.hermegauss(6)
    weights = weights / weights.sum()
    level = {k: v[:, None, None] for k, v in reference_schedule(schedule, t).items()}
    total: dict[str, Array] = {}
    for w_k, mean, var in zip(gm.weights, gm.means[:, 0], gm.covariances[:, 0, 0], strict=True):
        x0 = (mean + np.sqrt(var) * nodes)[None, :, None]
        eps = nodes[None, None, :]
        x_t = level["alpha"] * x0 + level["sigma"] * eps
        errors = squared_errors(x0, eps, theta * _model(x_t, level), level,
                                _VALUES["sigma_data"])
        for k, e in errors.items():
            total[k] = total.get(k, 0.0) + w_k * np.einsum("tij,i,j->t", e, weights, weights)
    return total


def _minimiser_task(quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst, count = 0.0, 0
        for schedule in _schedules(quick):
            t = np.linspace(*_CHECK_RANGE[schedule], 9)[1:-1]
            level = reference_schedule(schedule, t)
            # the loss is quadratic in theta: three values fix its minimiser
            losses = [_gauss_hermite_errors(t, schedule, theta) for theta in (0.0, 1.0, 2.0)]
            for record in _records(_zoo_names(quick), schedule):
                space, w = _native_weight(record, schedule, t, level)
                reference = _minimisers([w * loss[space] for loss in losses])
                for target in _spaces(quick):
                    converted = np.broadcast_to(_derived_weight(record, target, schedule)(t),
                                                t.shape)
                    got = _minimisers([converted * loss[target] for loss in losses])
                    worst = max(worst, relative_error(got, reference))
                    count += 1
        return Check("same minimiser in every space, per level and pooled over levels",
                     "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     f"{count} (weighting, schedule, space) triples, 7 levels, model "
                     "theta * E_Gauss[eps | x_t], exact Gauss-Hermite expectations")
    return run


def _minimisers(losses: list[Array]) -> Array:
    """Argmin over theta of each level's quadratic loss and of their sum."""
    l0, l1, l2 = (np.append(v, v.sum()) for v in losses)
    curvature = (l2 - 2 * l1 + l0) / 2
    slope = l1 - l0 - curvature
    return -slope / (2 * curvature)


def _gauss_legendre(f: Callable[[Array], Array], low: float, high: float,
                    panels: int = 200, geometric: bool = False) -> float:
    """Composite 16-point Gauss-Legendre; ``geometric`` panels for integrands that vary
    on the scale of ``t`` itself (EDM's ``t = sigma`` over four decades)."""
    nodes, weights = np.polynomial.legendre.leggauss(16)
    edges = np.geomspace(low, high, panels + 1) if geometric else np.linspace(
        low, high, panels + 1)
    half = np.diff(edges)[:, None] / 2
    x = (edges[:-1, None] + half * (nodes[None, :] + 1)).ravel()
    return float(np.sum((half * weights[None, :]).ravel() * f(x)))


def _invert_decreasing(f: Callable[[Array], Array], y: Array, low: float, high: float
                       ) -> Array:
    """``t`` with ``f(t) = y`` for a decreasing ``f`` on ``[low, high]`` (bisection to the
    last bit; independent of derive's symbolic ``t(lambda)``)."""
    a, b = np.full_like(y, low), np.full_like(y, high)
    for _ in range(80):
        middle = (a + b) / 2
        above = f(middle) > y
        a, b = np.where(above, middle, a), np.where(above, b, middle)
    return (a + b) / 2


def _density_task(quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst, count = 0.0, 0
        for schedule in _schedules(quick):
            low, high = _CHECK_RANGE[schedule]
            def lam_of_t(t: Array, schedule=schedule) -> Array:
                level = reference_schedule(schedule, np.asarray(t, dtype=np.float64))
                return 2 * np.log(level["alpha"] / level["sigma"])

            def t_of_lam(lam: Array, lam_of_t=lam_of_t, low=low, high=high) -> Array:
                return _invert_decreasing(lam_of_t, np.asarray(lam, dtype=np.float64),
                                          low, high)
            for record in _records(_zoo_names(quick), schedule):
                def native(t: Array, record=record, schedule=schedule) -> Array:
                    level = reference_schedule(schedule, t)
                    space, w = _native_weight(record, schedule, t, level)
                    low_t, high_t = _FULL_RANGE[schedule]
                    p = (_reference_density(record, schedule, t, level)
                         if TEXTBOOK_SPACES[record.name] != "lambda" else 1.0 / (high_t - low_t))
                    return p * w * _gauss_hermite_errors(t, schedule)[space]

                density = _derived_density(record, schedule)

                def in_lambda(lam: Array, density=density, schedule=schedule,
                              t_of_lam=t_of_lam) -> Array:
                    t = t_of_lam(lam)
                    return density(t) * _gauss_hermite_errors(t, schedule)["eps"]

                # Min-SNR's kink (SNR = gamma) is a quadrature breakpoint on both sides
                kinks = [math.log(_VALUES["gamma"])] if record.native.has(sp.Min) else []
                lam_low, lam_high = map(float, lam_of_t(np.array([high, max(low, 1e-12)])))
                lam_edges = [lam_low, *(k for k in kinks if lam_low < k < lam_high), lam_high]
                t_edges = sorted({low, high, *(float(t_of_lam(k)) for k in lam_edges[1:-1])})
                a = sum(_gauss_legendre(native, x, y, geometric=schedule == "edm")
                        for x, y in itertools.pairwise(t_edges))
                b = sum(_gauss_legendre(in_lambda, x, y)
                        for x, y in itertools.pairwise(lam_edges))
                worst = max(worst, relative_error(b, a))
                count += 1
        return Check("density form integrated over lambda = native loss integrated over t",
                     "quadrature", worst, QUAD_TOL, worst <= QUAD_TOL,
                     f"{count} (weighting, schedule) pairs, composite Gauss-Legendre "
                     "(200 panels x 16 nodes) over t and over lambda")
    return run


def _textbook_task(quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n, worst, count, problems = 200, 0.0, 0, []
        for schedule in ("vp-cosine", "edm") if quick else _schedules(False):
            t = rng.uniform(*_CHECK_RANGE[schedule], n)
            level = reference_schedule(schedule, t)
            eps = rng.normal(size=n)
            # with eps_hat = eps + 1 every squared error is k_X itself
            k = squared_errors(rng.normal(size=n), eps, eps + 1, level, _VALUES["sigma_data"])
            speed = _lambda_speed(level)
            for record in _records(tuple(w.name for w in derive.weightings()), schedule):
                space = TEXTBOOK_SPACES.get(record.name)
                defaults = {key: float(value) for key, value in record.defaults().items()}
                if space is None or record.space != space:
                    problems.append(f"{record.name}: native space {record.space}, "
                                    f"textbook {space}")
                    continue
                if defaults != TEXTBOOK_DEFAULTS.get(record.name, {}):
                    problems.append(f"{record.name}: defaults {defaults}")
                textbook = _textbook_weight(record.name, t, level)
                worst = max(worst, relative_error(_record_native_weight(record, t, level),
                                                  textbook))
                density = (textbook if space == "lambda" else
                           _reference_density(record, schedule, t, level) * textbook
                           * k[space] / speed)
                with np.errstate(all="ignore"):
                    derived = _derived_density(record, schedule)(t)
                worst = max(worst, relative_error(derived, density))
                count += 2
        if problems:
            worst = math.inf
        return Check("zoo records (space, defaults, formula, density form) vs the papers' "
                     "definitions", "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     "; ".join(problems) or f"{count} comparisons on {n} levels each, "
                     "textbook definitions written in numeric")
    return run


def weighting_tasks(quick: bool) -> list[CheckTask]:
    """The tasks of claim P1."""
    return [
        CheckTask("P1", "conversion factors", "exact", _conversion_task(quick)),
        CheckTask("P1", "zoo definitions", "exact", _textbook_task(quick)),
        CheckTask("P1", "zoo conversions", "exact", _zoo_task(quick)),
        CheckTask("P1", "losses agree in expectation", "monte-carlo", _monte_carlo_task(quick)),
        CheckTask("P1", "same minimiser", "exact", _minimiser_task(quick)),
        CheckTask("P1", "density form", "quadrature", _density_task(quick)),
    ]


# ---------------------------------------------------------------- mutants
@dataclass(frozen=True)
class WeightingMutant(Mutant):
    """A wrong formula of :mod:`derive.spaces`: ``attribute`` replaced by
    ``factory(original)`` (every result built on it is recomputed while it is in place)."""

    def substituted(self) -> contextlib.AbstractContextManager[None]:
        """``derive.spaces.<attribute>`` replaced while the block runs."""
        return swapped(spaces, self.attribute, self.factory, _forget_conversions)


def _forget_conversions() -> None:
    spaces.clear_caches()
    _LAMBDIFIED.clear()


def _one_space(space: str, wrong: Callable[[sp.Expr], sp.Expr]):
    def factory(original: Callable) -> Callable:
        def mutated(name: str) -> sp.Expr:
            value = original(name)
            return wrong(value) if name == space else value
        return mutated
    return factory


WEIGHTING_MUTANTS: tuple[WeightingMutant, ...] = (
    WeightingMutant("k_x0-alpha-sigma-swapped", ("P1",), "conversion_factor",
                    "k_x0 = alpha^2/sigma^2 (alpha and sigma swapped)",
                    _one_space("x0", lambda k: k.subs({spaces.alpha: derive.sigma,
                                                       derive.sigma: spaces.alpha},
                                                      simultaneous=True))),
    WeightingMutant("k_v-missing-square", ("P1",), "conversion_factor",
                    "k_v = (alpha^2 + sigma^2)/alpha (the coefficient, not its square)",
                    _one_space("v", sp.sqrt)),
    WeightingMutant("snr-sigma_data-convention", ("P1",), "snr_definition",
                    "SNR = sigma_data^2/sigma^2 (the convention this project used before)",
                    lambda original: lambda: derive.symbols.sigma_data**2 / derive.sigma**2),
)

"""P1: one weighting in every parameterisation (score, eps, x0, v, velocity, F).

References share no formula with :mod:`derive` (:mod:`numeric.checks._p1_reference`:
the six targets, the five schedules, ``SNR = alpha^2/sigma^2``, ``g^2``, the sampling
densities and the zoo as the papers define it, every prediction through one ``eps_hat``,
``x0_hat = (x_t - sigma eps_hat)/alpha``). Checks, by method:

* exact -- ``k_X`` and every conversion ``w_Y = w_X k_X / k_Y``, sample by sample; the
  zoo's records (native space, defaults, formula, density form) against the papers'
  definitions; every zoo weighting converted by :meth:`derive.Weighting.in_space` against
  its native loss, sample by sample; the minimiser of the weighted loss, per level and
  pooled over levels, is the same in every space (exact Gauss-Hermite expectations);
  each weight's leading term (:attr:`derive.Weighting.leading`) against the weight itself
  as ``sigma -> 0`` (40-digit evaluation);
* monte-carlo -- the weighted losses in two spaces agree in expectation on a Gaussian
  mixture (independent draws, z-test with standard errors);
* quadrature -- the density form integrated over ``lambda`` equals the native loss
  integrated over ``t`` (composite Gauss-Legendre).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive
from derive import spaces
from numeric.checks._derived import derived
from numeric.checks._p1_reference import (
    CHECK_RANGE,
    FULL_RANGE,
    SAMPLE_TOL,
    SCHEDULE_DEFAULTS,
    TEXTBOOK_DEFAULTS,
    TEXTBOOK_SPACES,
    VALUES,
    g_squared,
    lambda_speed,
    native_weight,
    reference_density,
    reference_schedule,
    reference_targets,
    rounding_scale,
    schedule_values,
    squared_errors,
    textbook_weight,
)
from numeric.checks._p1_schedules import schedule_task as _schedule_task
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.examples import example
from numeric.montecarlo import Estimate, concatenate, mean_estimate, z_test
from numeric.weighting_curves import bind_by_name

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE", "clear_caches"]

Array = NDArray[np.float64]

ID = "P1"
TITLE = "Weightings across parameterisations"
#: The contract table (:data:`numeric.checks.CONSUMES`) lists derive facade functions a
#: wrong version of which a claim's checks must catch. P1 reads :mod:`derive.spaces` and the
#: zoo records (``derive.weighting``) instead; its own mutants (``numeric.audit``) and the
#: "zoo definitions" check hold it to account, so it adds no row.
CONSUMES: tuple[str, ...] = ()

#: Lambdified zoo expressions (long compositions of exp/log) against NumPy references.
ZOO_TOL = 1e-9
#: Quadrature over t against quadrature over lambda (both converged far below this).
QUAD_TOL = 1e-8


def _record_native_weight(record: derive.Weighting, t: Array,
                          level: dict[str, Array]) -> Array:
    """derive's native formula of ``record``, evaluated with NumPy's SNR, lambda and g^2."""
    a, s = level["alpha"], level["sigma"]
    snr = a**2 / s**2
    args = [s, a, snr, np.log(snr), t, g_squared(level), *(VALUES[k] for k in VALUES)]
    plain = record.native.subs({v: sp.Symbol(v.name) for v in record.native.free_symbols})
    with np.errstate(all="ignore"):
        return np.asarray(np.broadcast_to(_native_function(plain)(*args), np.shape(t)),
                          dtype=np.float64)


@functools.cache
def _native_function(plain: sp.Expr):
    """A native formula (plain symbols) lambdified once per expression, in ``sigma, alpha,
    snr, lam, t, g2`` and the parameters of ``VALUES``."""
    names = ("sigma", "alpha", "snr", "lam", "t", "g2", *VALUES)
    return sp.lambdify([sp.Symbol(n) for n in names], plain, "numpy")


_LAMBDIFIED: dict[tuple[str, str, str], Callable[[Array], Array]] = {}


def _derived_weight(record: derive.Weighting, space: str, schedule: str):
    """derive's weight of the ``space`` loss as a NumPy function of ``t`` (memoised; a
    mutant's :meth:`WeightingMutant.substituted` empties the memo)."""
    key = (record.name, space, schedule)
    if key not in _LAMBDIFIED:
        _LAMBDIFIED[key] = _in_t(record.in_space(space, schedule, variable="t", simplify=False),
                                 schedule)
    return _LAMBDIFIED[key]


def _in_t(expr: sp.Expr, schedule: str):
    """A derived expression in ``t`` as a NumPy function, the schedule's parameters (read
    from its name, :func:`schedule_values`) and the weightings' bound to the values of the
    checks."""
    values = {**SCHEDULE_DEFAULTS, **schedule_values(schedule), **VALUES}
    return sp.lambdify(spaces.time, bind_by_name(expr, values), "numpy")


def _derived_density(record: derive.Weighting, schedule: str):
    return _in_t(record.density_form(schedule, variable="t", simplify=False), schedule)


def _records(names: tuple[str, ...], schedule: str) -> list[derive.Weighting]:
    out = []
    for name in names:
        record = derive.weighting(name)
        if record.name == "sd3" and FULL_RANGE[schedule][1] > 1:
            continue  # a density of t in (0, 1)
        out.append(record)
    return out


def _conversion_task(draws: int):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = draws
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
        rounding = rounding_scale(x0, eps, eps_hat, level, sigma_data)
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


def _optimal_in_space_task(levels: int):
    """derive's ``optimal_weight_in_space(X) = 1/Var[X | x_t]`` against the posterior
    variance of each space's textbook target on a two-mode mixture."""
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example("two-mode-1d")
        x_t = np.linspace(-3.0, 3.0, 13)
        worst = 0.0
        names = (spaces.alpha, derive.sigma, derive.symbols.h, spaces.alpha_dot,
                 spaces.sigma_dot, derive.symbols.sigma_data)
        formulas = sp.lambdify(names, [derived("optimal_weight_in_space")(space)[0]
                                       for space in spaces.SPACES], "numpy")
        for _ in range(levels):
            a, s = rng.uniform(0.3, 1.5), rng.uniform(0.2, 1.5)
            da, ds, sigma_data = rng.normal(), rng.normal(), rng.uniform(0.3, 2.0)
            # x_t = a x0 + s eps: x_t/a is x0 noised at level s/a
            level = s / a
            _, cov = gm.posterior_moments(x_t[:, None] / a, level)
            variance = cov[:, 0, 0]
            # derive's h: (log p)'' of the data noised at sigma/alpha, at x_t/alpha
            curvature = gm.noised(level).hessian(x_t[:, None] / a)[:, 0, 0]
            # each target is affine in x0 at fixed x_t: its coefficient, from the textbook
            at_one = reference_targets(1.0, -a / s, a, s, da, ds, sigma_data)
            at_zero = reference_targets(0.0, 0.0, a, s, da, ds, sigma_data)
            values = formulas(a, s, curvature, da, ds, sigma_data)
            for space, value in zip(spaces.SPACES, values, strict=True):
                slope = at_one[space] - at_zero[space]
                reference = 1.0 / (slope**2 * variance)
                worst = max(worst, float(np.max(np.abs(np.broadcast_to(value, reference.shape)
                                                       - reference) / reference)))
        return Check("W*_X = 1/Var[X | x_t] in every space vs the posterior variance of "
                     "the textbook target", "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     f"{levels} random (alpha, sigma, alpha', sigma', sigma_data), 13 points "
                     "of a two-mode mixture, 6 spaces")
    return run


def _schedule_factor_task(schedules: tuple[str, ...]):
    """derive's ``schedule_conversion_factor(X, name)`` (``k_X(t)`` on a named schedule)
    against the squared coefficient of ``eps`` in each textbook target at fixed ``x_t``,
    with the schedule's own textbook ``alpha, sigma, alpha', sigma'``."""
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst = 0.0
        for name in schedules:
            low, high = CHECK_RANGE[name]
            t = np.sort(rng.uniform(low, high, 9))
            sigma_data = rng.uniform(0.3, 2.0)
            level = reference_schedule(name, t)
            a, s, da, ds = (level[k] for k in ("alpha", "sigma", "alpha'", "sigma'"))
            # x_t = a x0 + s eps held at 0: one unit of eps moves x0 by -s/a
            at_one = reference_targets(-s / a, np.ones_like(t), a, s, da, ds, sigma_data)
            at_zero = reference_targets(np.zeros_like(t), np.zeros_like(t), a, s, da, ds,
                                        sigma_data)
            parameters = schedule_values(name)
            for space in spaces.SPACES:
                expr = bind_by_name(derived("schedule_conversion_factor")(space, name),
                                    parameters)
                function = sp.lambdify((derive.symbols.t, derive.symbols.sigma_data), expr,
                                       "numpy")
                value = np.broadcast_to(function(t, sigma_data), t.shape)
                reference = (at_one[space] - at_zero[space]) ** 2
                worst = max(worst, float(np.max(np.abs(value - reference)
                                                / np.maximum(reference, 1e-300))))
        return Check("k_X(t) on each schedule vs the textbook targets' eps coefficient",
                     "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     f"{', '.join(schedules)}: 9 random t each, 6 spaces")
    return run


def _zoo_names(zoo: tuple[str, ...] | None) -> tuple[str, ...]:
    """``zoo``, or every record of ``derive.weightings()`` (read now) for ``None``."""
    return zoo if zoo is not None else tuple(w.name for w in derive.weightings())


def _zoo_task(schedules: tuple[str, ...], zoo: tuple[str, ...] | None,
              targets: tuple[str, ...]):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = 400
        worst, count = 0.0, 0
        for schedule in schedules:
            t = rng.uniform(*CHECK_RANGE[schedule], n)
            level = reference_schedule(schedule, t)
            x0, eps, eps_hat = rng.normal(size=(3, n))
            errors = squared_errors(x0, eps, eps_hat, level, VALUES["sigma_data"])
            for record in _records(_zoo_names(zoo), schedule):
                space, w = native_weight(record, schedule, t, level)
                native = w * errors[space]
                for target in targets:
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


def _monte_carlo_task(draws: int, schedules: tuple[str, ...],
                      pairs: tuple[tuple[str, tuple[str, ...]], ...] | None):
    """``pairs`` of (weighting, target spaces); ``None``: every record in every space."""
    if pairs is None:
        pairs = tuple((w.name, spaces.SPACES) for w in derive.weightings())

    def run(rng: np.random.Generator, alpha: float) -> Check:
        n = draws
        estimates = []
        for schedule in schedules:
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
        return Check.from_z_test(
            "weighted losses in two spaces agree in expectation (two-mode mixture)", test,
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
        t = rng.uniform(*CHECK_RANGE[schedule], n)
        level = reference_schedule(schedule, t)
        x0, eps = _mixture_draws(rng, n), rng.normal(size=n)
        eps_hat = _model(level["alpha"] * x0 + level["sigma"] * eps, level)
        errors = squared_errors(x0, eps, eps_hat, level, VALUES["sigma_data"])
        if which == "native":
            space, w = native_weight(record, schedule, t, level)
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
                                VALUES["sigma_data"])
        for k, e in errors.items():
            total[k] = total.get(k, 0.0) + w_k * np.einsum("tij,i,j->t", e, weights, weights)
    return total


def _minimiser_task(schedules: tuple[str, ...], zoo: tuple[str, ...] | None,
                    targets: tuple[str, ...]):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst, count = 0.0, 0
        for schedule in schedules:
            t = np.linspace(*CHECK_RANGE[schedule], 9)[1:-1]
            level = reference_schedule(schedule, t)
            # the loss is quadratic in theta: three values fix its minimiser
            losses = [_gauss_hermite_errors(t, schedule, theta) for theta in (0.0, 1.0, 2.0)]
            for record in _records(_zoo_names(zoo), schedule):
                space, w = native_weight(record, schedule, t, level)
                reference = _minimisers([w * loss[space] for loss in losses])
                for target in targets:
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


def _density_task(schedules: tuple[str, ...], zoo: tuple[str, ...] | None):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst, count = 0.0, 0
        for schedule in schedules:
            low, high = CHECK_RANGE[schedule]
            def lam_of_t(t: Array, schedule=schedule) -> Array:
                level = reference_schedule(schedule, np.asarray(t, dtype=np.float64))
                return 2 * np.log(level["alpha"] / level["sigma"])

            def t_of_lam(lam: Array, lam_of_t=lam_of_t, low=low, high=high) -> Array:
                return _invert_decreasing(lam_of_t, np.asarray(lam, dtype=np.float64),
                                          low, high)
            for record in _records(_zoo_names(zoo), schedule):
                def native(t: Array, record=record, schedule=schedule) -> Array:
                    level = reference_schedule(schedule, t)
                    space, w = native_weight(record, schedule, t, level)
                    low_t, high_t = FULL_RANGE[schedule]
                    p = (reference_density(record, schedule, t, level)
                         if TEXTBOOK_SPACES[record.name] != "lambda" else 1.0 / (high_t - low_t))
                    return p * w * _gauss_hermite_errors(t, schedule)[space]

                density = _derived_density(record, schedule)

                def in_lambda(lam: Array, density=density, schedule=schedule,
                              t_of_lam=t_of_lam) -> Array:
                    t = t_of_lam(lam)
                    return density(t) * _gauss_hermite_errors(t, schedule)["eps"]

                # Min-SNR's kink (SNR = gamma) is a quadrature breakpoint on both sides
                kinks = [math.log(VALUES["gamma"])] if record.native.has(sp.Min) else []
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


def _textbook_task(schedules: tuple[str, ...]):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        n, worst, count, problems = 200, 0.0, 0, []
        for schedule in schedules:
            t = rng.uniform(*CHECK_RANGE[schedule], n)
            level = reference_schedule(schedule, t)
            eps = rng.normal(size=n)
            # with eps_hat = eps + 1 every squared error is k_X itself
            k = squared_errors(rng.normal(size=n), eps, eps + 1, level, VALUES["sigma_data"])
            speed = lambda_speed(level)
            for record in _records(tuple(w.name for w in derive.weightings()), schedule):
                space = TEXTBOOK_SPACES.get(record.name)
                defaults = {key: float(value) for key, value in record.defaults().items()}
                if space is None or record.space != space:
                    problems.append(f"{record.name}: native space {record.space}, "
                                    f"textbook {space}")
                    continue
                if defaults != TEXTBOOK_DEFAULTS.get(record.name, {}):
                    problems.append(f"{record.name}: defaults {defaults}")
                textbook = textbook_weight(record.name, t, level)
                worst = max(worst, relative_error(_record_native_weight(record, t, level),
                                                  textbook))
                density = (textbook if space == "lambda" else
                           reference_density(record, schedule, t, level) * textbook
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


#: Levels at which a weight is compared with its leading term (sigma -> 0).
_LEADING_SIGMAS = (1e-3, 1e-4, 1e-5, 1e-6)
#: Relative gap between a weight and its leading term at the smallest level: a correct
#: term leaves a correction of relative order sigma or smaller; a wrong constant or power
#: leaves a gap of order 1 or larger.
LEADING_TOL = 1e-5


def _leading_task(zoo: tuple[str, ...] | None):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        names = zoo if zoo is not None else tuple(w.name for w in derive.weightings())
        values = {**SCHEDULE_DEFAULTS, **VALUES}
        worst, slopes = 0.0, []
        for name in names:
            record = derive.weighting(name)
            weight = bind_by_name(record.score_space, values)
            term = bind_by_name(record.leading, values)
            gaps = []
            with mpmath.workdps(40):   # the gaps reach 1e-12: no cancellation in doubles
                for level in _LEADING_SIGMAS:
                    at = {derive.sigma: mpmath.mpf(level)}
                    ratio = (sp.N(weight.subs(at), 40) / sp.N(term.subs(at), 40))
                    gaps.append(abs(float(ratio) - 1) if ratio.is_finite else math.inf)
            worst = max(worst, gaps[-1])
            if all(1e-10 < g < math.inf for g in gaps):   # below: the values' own rounding
                slopes.append(np.polyfit(np.log(_LEADING_SIGMAS), np.log(gaps), 1)[0])
        rates = ", ".join(f"{r:.2f}" for r in slopes) or "none (exact)"
        return Check("every weight / its leading term (Weighting.leading) -> 1 as sigma -> 0 "
                     "(VE, score space)", "exact", worst, LEADING_TOL, worst <= LEADING_TOL,
                     f"{len(names)} weightings at sigma = 1e-3 .. 1e-6 (40 digits); gap "
                     f"{worst:.1e} at 1e-6; fitted orders of the gap {rates}")
    return run


def clear_caches() -> None:
    """Forget the lambdified conversions built on :mod:`derive.spaces` (a mutant of
    ``derive.spaces`` calls this after the swap and after the restore)."""
    _LAMBDIFIED.clear()


#: ``schedules`` / ``zoo`` / ``spaces`` of ``None``: every schedule, every record of
#: ``derive.weightings()`` (read when the check runs), every space.
_QUICK_ZOO = {"schedules": ("vp-cosine",), "zoo": ("edm", "min-snr", "sigmoid"),
              "targets": ("score", "eps", "x0", "v")}
#: Every family at its defaults and the instances with parameters and shifts of derive.
_ALL_SCHEDULES = (*spaces.SCHEDULES, *spaces.SCHEDULE_INSTANCES)
_FULL_ZOO = {"schedules": _ALL_SCHEDULES, "zoo": None, "targets": spaces.SPACES}

TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("schedules vs their definition", "exact", _schedule_task,
             quick={"schedules": ("vp-linear", "sub-vp", "linear-logsnr", "vp-cosine:0.008",
                                  "rectified-flow:shift=3", "ve:0.02:100",
                                  "vp-cosine:shift=2")},
             full={"schedules": _ALL_SCHEDULES}),
    TaskSpec("conversion factors", "exact", _conversion_task,
             quick={"draws": 2_000}, full={"draws": 50_000}),
    TaskSpec("zoo definitions", "exact", _textbook_task,
             quick={"schedules": ("vp-cosine", "vp-linear", "edm")},
             full={"schedules": _ALL_SCHEDULES}),
    TaskSpec("zoo conversions", "exact", _zoo_task, quick=_QUICK_ZOO, full=_FULL_ZOO),
    TaskSpec("losses agree in expectation", "monte-carlo", _monte_carlo_task,
             quick={"draws": 20_000, "schedules": ("vp-cosine",),
                    "pairs": (("min-snr", ("eps", "v")), ("edm", ("score", "eps")))},
             full={"draws": 100_000, "schedules": _ALL_SCHEDULES, "pairs": None}),
    TaskSpec("same minimiser", "exact", _minimiser_task, quick=_QUICK_ZOO, full=_FULL_ZOO),
    TaskSpec("conversion factors on each schedule", "exact", _schedule_factor_task,
             # vp-linear's factors take 0.6 s to derive; quick runs it in "zoo definitions"
             quick={"schedules": ("vp-cosine",)}, full={"schedules": _ALL_SCHEDULES}),
    TaskSpec("optimal weight in each space", "exact", _optimal_in_space_task,
             quick={"levels": 3}, full={"levels": 20}),
    TaskSpec("leading terms", "exact", _leading_task, quick={"zoo": ("edm", "min-snr", "p2",
                                                                     "likelihood")},
             full={"zoo": None}),
    TaskSpec("density form", "quadrature", _density_task,
             quick={k: _QUICK_ZOO[k] for k in ("schedules", "zoo")},
             full={k: _FULL_ZOO[k] for k in ("schedules", "zoo")}),
)

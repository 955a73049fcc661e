"""MIX: the closed forms of :class:`numeric.GaussianMixture`, against 40-digit mpmath.

Checks, by method:

* exact -- density, score and Hessian at points in the bulk, between the modes and 50
  standard deviations into the tail; the exact posterior moments ``E[X | x~]`` and
  ``Cov[X | x~]`` (1-D quadrature, information form for d > 1); the derivative ratios
  ``p^(n)/p`` for ``n = 0..12`` (1-D);
* monte-carlo -- exact posterior draws reproduce those posterior moments (z-tests).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.examples import example
from numeric.mixture import GaussianMixture
from numeric.montecarlo import concatenate, moment_estimate, z_test
from numeric.reference import (
    reference_derivative_ratio,
    reference_hessian,
    reference_logpdf,
    reference_posterior_moments,
    reference_score,
)

__all__ = ["CONSUMES", "EXACT_RTOL", "ID", "TASKS", "TITLE"]

ID = "MIX"
TITLE = "Gaussian-mixture closed forms (self-check)"
#: A self-check of numeric's own library: it consumes nothing of derive.
CONSUMES: tuple[str, ...] = ()

#: Relative tolerance of comparisons against 40-digit mpmath references.
EXACT_RTOL = 1e-10

Run = Callable[[np.random.Generator, float], Check]


def _probe_points(gm: GaussianMixture, extra: bool) -> np.ndarray:
    """Points in the bulk, between modes and far in the tails of ``gm`` (``extra``: more
    directions at 3 sd and a point 20 sd to the other side)."""
    d = gm.dim
    spread = np.sqrt(np.max(gm.eigenvalues))
    centre = gm.weights @ gm.means
    directions = np.vstack([np.eye(d), -np.ones((1, d)) / np.sqrt(d)])
    points = [centre, *gm.means, centre + 50.0 * spread * directions[0]]
    if extra:
        points += [centre + 3.0 * spread * u for u in directions]
        points += [centre - 20.0 * spread * directions[0]]
    return np.array(points)


def _density_task(name: str, extra_points: bool) -> Run:
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        pts = _probe_points(gm, extra_points)
        scale = 1.0 / np.sqrt(np.min(gm.eigenvalues))
        errors = []
        for x in pts:
            errors.append(relative_error(gm.logpdf(x), float(reference_logpdf(gm, x)), 1.0))
            errors.append(relative_error(gm.score(x), np.array(reference_score(gm, x), float),
                                         scale))
            errors.append(relative_error(gm.hessian(x), np.array(reference_hessian(gm, x), float),
                                         scale**2))
        err = max(errors)
        return Check(f"density, score, Hessian [{name}]", "exact", err, EXACT_RTOL,
                     err <= EXACT_RTOL, f"{len(pts)} points incl. 50 sd into the tail")
    return run


def _derivative_ratio_task(name: str, extra_points: bool, order_step: int) -> Run:
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        pts = _probe_points(gm, extra_points)
        scale = 1.0 / np.sqrt(np.min(gm.eigenvalues))
        orders = range(0, 13, order_step)
        err = max(
            relative_error(gm.derivative_ratio(x, n),
                           float(reference_derivative_ratio(gm, float(x[0]), n)), scale**n)
            for x in pts for n in orders
        )
        return Check(f"derivative ratios n = 0..12 [{name}]", "exact", err, EXACT_RTOL,
                     err <= EXACT_RTOL, "Hermite recurrence vs mpmath.diff of the density")
    return run


def _posterior_task(name: str, ends_only: bool, sigmas: tuple[float, ...]) -> Run:
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        # ends_only: the centre and the far tail (each 1-D point is a 40-digit quadrature)
        pts = _probe_points(gm, False)
        pts = pts[[0, -1]] if ends_only else pts
        errors = []
        for sigma in sigmas:
            mean, cov = gm.posterior_moments(pts, sigma)
            for i, x in enumerate(pts):
                ref_mean, ref_cov = reference_posterior_moments(gm, x, sigma)
                spread = np.sqrt(np.max(np.abs(ref_cov)))
                errors.append(relative_error(mean[i], ref_mean, spread))
                errors.append(relative_error(cov[i], ref_cov, np.max(np.abs(ref_cov))))
        err = max(errors)
        how = "quadrature" if gm.dim == 1 else "information form"
        return Check(f"posterior moments [{name}]", "exact", err, EXACT_RTOL, err <= EXACT_RTOL,
                     f"vs {how}, sigma in {list(sigmas)}")
    return run


def _posterior_draws_task(name: str, draws: int) -> Run:
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        pts = _probe_points(gm, False)[:3]
        estimates, claims = [], []
        for sigma in (0.3, 1.5):
            means, covs = gm.posterior_moments(pts, sigma)
            for x, m, c in zip(pts, means, covs, strict=True):
                estimates.append(moment_estimate(gm.sample_posterior(x, sigma, draws, rng), m))
                claims.append(np.concatenate([m, c.ravel()]))
        test = z_test(concatenate(estimates), np.concatenate(claims), alpha)
        return Check.from_z_test(
            f"posterior draws match moments [{name}]", test,
            f"{test.n_tests} z-tests, n = {draws} draws each, family-wise "
            f"rate {alpha:.2g}")
    return run


#: Mixtures of the checks; a quick run takes the first of each dimension class.
_MIXTURES = {"two-mode-1d": True, "three-mode-1d": False, "anisotropic-2d": True,
             "two-mode-3d": False}

TASKS: tuple[TaskSpec, ...] = (
    *(row for name, in_quick in _MIXTURES.items() for row in (
        TaskSpec(f"density, score, Hessian [{name}]", "exact", partial(_density_task, name),
                 quick={"extra_points": False} if in_quick else None,
                 full={"extra_points": True}),
        TaskSpec(f"posterior moments [{name}]", "exact", partial(_posterior_task, name),
                 quick={"ends_only": True, "sigmas": (0.3,)} if in_quick else None,
                 full={"ends_only": False, "sigmas": (1e-3, 0.05, 0.7, 5.0, 1e3)}),
        TaskSpec(f"posterior draws match moments [{name}]", "monte-carlo",
                 partial(_posterior_draws_task, name),
                 quick={"draws": 20_000} if in_quick else None, full={"draws": 200_000}),
    )),
    *(TaskSpec(f"derivative ratios n = 0..12 [{name}]", "exact",
               partial(_derivative_ratio_task, name),
               quick={"extra_points": False, "order_step": 3} if in_quick else None,
               full={"extra_points": True, "order_step": 1})
      for name, in_quick in _MIXTURES.items() if example(name).dim == 1),
)

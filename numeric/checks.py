"""The checks run by ``dsmw verify``: each claim against independent references.

Every task compares a quantity computed one way with a reference computed
another way (mpmath at high precision, exact posterior moments, Monte Carlo
draws); see the claim modules for what is compared with what.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from numeric._checking import (
    Check,
    CheckTask,
    ClaimResult,
    VerifyReport,
    relative_error,
    run_tasks,
)
from numeric._validation import InvalidArgumentError
from numeric.examples import example
from numeric.mixture import GaussianMixture
from numeric.montecarlo import DEFAULT_FALSE_ALARM_RATE, concatenate, moment_estimate, z_test
from numeric.reference import (
    reference_derivative_ratio,
    reference_hessian,
    reference_logpdf,
    reference_posterior_moments,
    reference_score,
)

__all__ = ["CLAIM_TITLES", "DEFAULT_SEED", "claim_ids", "mixture_tasks", "tasks", "verify"]

#: Seed of ``dsmw verify`` when none is given (reported in every run).
DEFAULT_SEED = 20250803

#: Relative tolerance of comparisons against 40-digit mpmath references.
EXACT_RTOL = 1e-10

CLAIM_TITLES: dict[str, str] = {
    "MIX": "Gaussian-mixture closed forms (self-check)",
}

_TASK_FACTORIES: dict[str, Callable[[bool], list[CheckTask]]] = {}


def claim_ids() -> tuple[str, ...]:
    """Ids ``dsmw verify`` knows, in report order."""
    return tuple(CLAIM_TITLES)


def _probe_points(gm: GaussianMixture, quick: bool) -> np.ndarray:
    """Points in the bulk, between modes and far in the tails of ``gm``."""
    d = gm.dim
    spread = np.sqrt(np.max(gm.eigenvalues))
    centre = gm.weights @ gm.means
    directions = np.vstack([np.eye(d), -np.ones((1, d)) / np.sqrt(d)])
    points = [centre, *gm.means, centre + 50.0 * spread * directions[0]]
    if not quick:
        points += [centre + 3.0 * spread * u for u in directions]
        points += [centre - 20.0 * spread * directions[0]]
    return np.array(points)



def mixture_tasks(quick: bool) -> list[CheckTask]:
    """Closed forms of :class:`GaussianMixture` against 40-digit mpmath references."""
    names = ["two-mode-1d", "anisotropic-2d"] if quick else [
        "two-mode-1d", "three-mode-1d", "anisotropic-2d", "two-mode-3d"]
    out: list[CheckTask] = []
    for name in names:
        out.append(CheckTask("MIX", f"density, score, Hessian [{name}]", "exact",
                             _density_task(name, quick)))
        out.append(CheckTask("MIX", f"posterior moments [{name}]", "exact",
                             _posterior_task(name, quick)))
        out.append(CheckTask("MIX", f"posterior draws match moments [{name}]", "monte-carlo",
                             _posterior_draws_task(name, quick)))
    for name in names:
        if example(name).dim == 1:
            out.append(CheckTask("MIX", f"derivative ratios n = 0..12 [{name}]", "exact",
                                 _derivative_ratio_task(name, quick)))
    return out


def _density_task(name: str, quick: bool) -> Callable[[np.random.Generator, float], Check]:
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        pts = _probe_points(gm, quick)
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


def _derivative_ratio_task(name: str, quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        pts = _probe_points(gm, quick)
        scale = 1.0 / np.sqrt(np.min(gm.eigenvalues))
        orders = range(0, 13, 3 if quick else 1)
        err = max(
            relative_error(gm.derivative_ratio(x, n),
                           float(reference_derivative_ratio(gm, float(x[0]), n)), scale**n)
            for x in pts for n in orders
        )
        return Check(f"derivative ratios n = 0..12 [{name}]", "exact", err, EXACT_RTOL,
                     err <= EXACT_RTOL, "Hermite recurrence vs mpmath.diff of the density")
    return run


def _posterior_task(name: str, quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        # quick: the centre and the far tail (each 1-D point is a 40-digit mpmath quadrature)
        pts = _probe_points(gm, True)[[0, -1]] if quick else _probe_points(gm, True)
        sigmas = (0.3,) if quick else (1e-3, 0.05, 0.7, 5.0, 1e3)
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


def _posterior_draws_task(name: str, quick: bool):
    def run(rng: np.random.Generator, alpha: float) -> Check:
        gm = example(name)
        n = 20_000 if quick else 200_000
        pts = _probe_points(gm, True)[:3]
        estimates, claims = [], []
        for sigma in (0.3, 1.5):
            means, covs = gm.posterior_moments(pts, sigma)
            for x, m, c in zip(pts, means, covs, strict=True):
                estimates.append(moment_estimate(gm.sample_posterior(x, sigma, n, rng), m))
                claims.append(np.concatenate([m, c.ravel()]))
        test = z_test(concatenate(estimates), np.concatenate(claims), alpha)
        return Check(f"posterior draws match moments [{name}]", "monte-carlo", test.max_abs_z,
                     test.threshold, test.passed,
                     f"{test.n_tests} z-tests, n = {n} draws each, family-wise rate {alpha:.2g}")
    return run


_TASK_FACTORIES["MIX"] = mixture_tasks


def _register_claims() -> None:
    from numeric.claim_checks import CLAIM_TITLES as titles
    from numeric.claim_checks import claim_tasks

    for cid, title in titles.items():
        CLAIM_TITLES[cid] = title
        _TASK_FACTORIES[cid] = functools.partial(claim_tasks, cid)


_register_claims()


def _register_weightings() -> None:
    from numeric.weighting_checks import P1_TITLE, weighting_tasks

    CLAIM_TITLES["P1"] = P1_TITLE
    _TASK_FACTORIES["P1"] = weighting_tasks


_register_weightings()


def tasks(claims: Iterable[str] | None = None, quick: bool = False) -> list[CheckTask]:
    """The tasks of the selected claims (all by default), in report order."""
    selected = _select(claims)
    out: list[CheckTask] = []
    for cid in selected:
        out.extend(_TASK_FACTORIES[cid](quick))
    return out


def _select(claims: Iterable[str] | None) -> Sequence[str]:
    if claims is None:
        return claim_ids()
    wanted = [c.strip().upper() for c in claims if c.strip()]
    unknown = [c for c in wanted if c not in CLAIM_TITLES]
    if unknown or not wanted:
        raise InvalidArgumentError("claims", ",".join(unknown) or "", "unknown claim id",
                                   f"choose from {', '.join(claim_ids())}")
    return [c for c in claim_ids() if c in wanted]


def verify(
    claims: Iterable[str] | None = None,
    seed: int = DEFAULT_SEED,
    quick: bool = False,
    alpha: float = DEFAULT_FALSE_ALARM_RATE,
    progress: Callable[[int, int, CheckTask], None] | None = None,
    jobs: int = 1,
) -> VerifyReport:
    """Run every check of the selected claims and return the report.

    The Monte Carlo checks share the family-wise false-alarm rate ``alpha``
    (Bonferroni), so a run over correct formulas fails with probability at most
    ``alpha``.
    """
    selected = tasks(claims, quick)
    report = run_tasks(selected, CLAIM_TITLES, seed, alpha, progress,
                       extra={"quick": quick}, jobs=jobs)
    return dataclasses.replace(report, claims=tuple(_with_proof_status(c)
                                                    for c in report.claims))


def _with_proof_status(result: ClaimResult) -> ClaimResult:
    """Attach derive's computed proof status (``derive.claim``, cached on disk)."""
    import derive

    if result.id not in derive.PROOF_IDS:
        return result
    claim = derive.claim(result.id)
    refuted = tuple(f"{step.text}: {step.detail}" if step.detail else step.text
                    for step in claim.refuted_steps)
    return dataclasses.replace(result, proof=claim.status, instances=claim.instances,
                               refuted=refuted)

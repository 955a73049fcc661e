"""Mutation testing of the verifier: deliberately wrong formulas that the checks must catch.

Each :class:`Mutant` replaces one public function of :mod:`derive` (the formulas
the checks consume: ``conditional_mean``, ``conditional_covariance``,
``optimal_weight``, ``heuristic_weight``, ``expected_weight_expansion``,
``expected_covariance``, ``fisher_information_of_noise``,
``gaussian_data_optimal_weight``) by a wrong one for the duration of a run, and
the same checks as ``dsmw verify`` are run on the claims it touches. A mutant is
*caught* when at least one check fails; the report says which methods caught it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sympy as sp

import derive
from derive import m, sigma
from numeric._checking import run_tasks
from numeric.weighting_checks import WEIGHTING_MUTANTS

__all__ = ["MUTANTS", "Mutant", "MutantResult", "run_mutants", "substituted"]


@dataclass(frozen=True)
class Mutant:
    """A wrong formula: ``attribute`` of :mod:`derive` replaced by ``factory(original)``."""

    name: str
    claims: tuple[str, ...]
    attribute: str
    description: str
    factory: Callable[[Callable], Callable]


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    caught: bool
    caught_by: tuple[str, ...]
    failed_checks: tuple[str, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.mutant.name, "claims": list(self.mutant.claims),
                "description": self.mutant.description, "caught": self.caught,
                "caught_by": list(self.caught_by), "failed_checks": list(self.failed_checks),
                "seconds": self.seconds}


def _at_order(order: int, wrong: Callable[[Callable, int], sp.Expr]):
    """Replace the Gaussian-noise result at one order, keep the others (a local mutant)."""
    def factory(original: Callable) -> Callable:
        def mutated(n: int = 1, *args, **kwargs):
            noise = args[0] if args else kwargs.get("noise", "gaussian")
            if n == order and noise == "gaussian":
                return wrong(original, n)
            return original(n, *args, **kwargs)
        return mutated
    return factory


def _covariance(order: int, expr: Callable[[], sp.Expr]):
    return _at_order(order, lambda original, n: expr())


def _noise_covariance_power(original: Callable) -> Callable:
    def mutated(order: int = 1, noise: str = "gaussian"):
        value = original(order, noise)
        return value * sigma if noise != "gaussian" else value
    return mutated


def _expected_expansion_halved(original: Callable) -> Callable:
    def mutated():
        expansion, steps = original()
        (fisher,) = expansion.free_symbols - {sigma}
        return expansion.subs(fisher, fisher / 2), steps
    return mutated


def _gaussian_i_q_everywhere(original: Callable) -> Callable:
    def mutated(order: int = 1, noise: str = "gaussian"):
        return original(order, "gaussian")
    return mutated


def _i_q_gaussian(original: Callable) -> Callable:
    return lambda noise="gaussian": sp.Integer(1)


def _edm_without_sigma(original: Callable) -> Callable:
    def mutated():
        weight, steps = original()
        return sp.simplify(weight / sigma**2), steps
    return mutated


def _heuristic(wrong: Callable[[int], sp.Expr]) -> Callable[[Callable], Callable]:
    return lambda original: (lambda order=1: wrong(order))


#: The catalogue: at least one mutant per kind of mistake named in issue 6.
MUTANTS: tuple[Mutant, ...] = (
    Mutant("covariance-1/sigma", ("C1", "C2", "C3"), "conditional_covariance",
           "Sigma_1 = 1/sigma + h (wrong power of sigma)",
           _covariance(1, lambda: 1 / sigma + m(2) - m(1) ** 2)),
    Mutant("covariance-sign-h", ("C1", "C2", "C3"), "conditional_covariance",
           "Sigma_1 = 1/sigma^2 - h (flipped sign)",
           _covariance(1, lambda: 1 / sigma**2 - m(2) + m(1) ** 2)),
    Mutant("covariance-no-score-square", ("C1", "C2", "C3"), "conditional_covariance",
           "Sigma_1 = 1/sigma^2 + m2 (missing -m1^2: the between-component term)",
           _covariance(1, lambda: 1 / sigma**2 + m(2))),
    Mutant("covariance-dropped-factorial", ("C1", "C2", "C3"), "conditional_covariance",
           "Sigma_2 with k! dropped: 1/sigma^4 instead of 2/sigma^4",
           _covariance(2, lambda: m(4) + 4 * m(2) / sigma**2 + 1 / sigma**4 - m(2) ** 2)),
    Mutant("covariance-swapped-ratios", ("C1", "C2", "C3"), "conditional_covariance",
           "Sigma_2 with m4 and m2 swapped in the sum",
           _covariance(2, lambda: m(2) + 4 * m(4) / sigma**2 + 2 / sigma**4 - m(2) ** 2)),
    Mutant("mean-off-by-one", ("C1",), "conditional_mean",
           "E[T_2 | x~] = m3 (off-by-one Hermite order)",
           _at_order(2, lambda original, n: m(3))),
    Mutant("mean-sign", ("C1",), "conditional_mean",
           "E[T_3 | x~] = -m3 (sign of (-1)^n lost)",
           _at_order(3, lambda original, n: -m(3))),
    Mutant("weight-is-covariance", ("C3",), "optimal_weight",
           "W*_1 = Sigma_1 (not inverted)",
           _at_order(1, lambda original, n: 1 / sigma**2 + m(2) - m(1) ** 2)),
    Mutant("weight-first-order-truncation", ("C3",), "optimal_weight",
           "W*_1 = sigma^2 - sigma^4 h (the first-order truncation offered as exact)",
           _at_order(1, lambda original, n: sigma**2 - sigma**4 * (m(2) - m(1) ** 2))),
    Mutant("weight-heuristic-as-exact", ("C3",), "optimal_weight",
           "W*_2 = sigma^4 (the order-n heuristic sigma^(2n) offered as exact)",
           _at_order(2, lambda original, n: sigma**4)),
    Mutant("heuristic-n!-not-1/n!", ("C4",), "heuristic_weight",
           "order-n heuristic sigma^(2n) n! instead of sigma^(2n)/n!",
           _heuristic(lambda n: sigma ** (2 * n) * sp.factorial(n))),
    Mutant("heuristic-wrong-power", ("C4",), "heuristic_weight",
           "order-n heuristic sigma^(2n+2)/n!",
           _heuristic(lambda n: sigma ** (2 * n + 2) / sp.factorial(n))),
    Mutant("expected-weight-half-J", ("C4",), "expected_weight_expansion",
           "E[W*] = sigma^2 + sigma^4 J/2 (wrong Taylor coefficient)",
           _expected_expansion_halved),
    Mutant("noise-covariance-power", ("C2",), "conditional_covariance",
           "non-Gaussian Sigma_1 = Cov[psi(E)|x~]/sigma (wrong power)",
           _noise_covariance_power),
    Mutant("i_q-gaussian-for-all", ("C4",), "fisher_information_of_noise",
           "I_q = 1 for every noise family (the Gaussian value)", _i_q_gaussian),
    Mutant("expected-covariance-gaussian-i_q", ("C5",), "expected_covariance",
           "E[Sigma_1] = 1/sigma^2 - J(p_sigma) under any noise", _gaussian_i_q_everywhere),
    Mutant("edm-missing-sigma^2", ("C7",), "gaussian_data_optimal_weight",
           "Gaussian-data W* = (sigma^2 + s^2)/s^2 (missing the sigma^2 factor)",
           _edm_without_sigma),
)
# claim P1 (weightings across parameterisations): wrong conversions of derive.spaces
MUTANTS = MUTANTS + WEIGHTING_MUTANTS


@contextlib.contextmanager
def substituted(mutant: Mutant) -> Iterator[None]:
    """Replace ``derive.<attribute>`` by the mutant while the block runs."""
    from numeric import claim_checks

    if hasattr(mutant, "substituted"):  # a mutant of derive.spaces (claim P1)
        with mutant.substituted():
            yield
        return
    original = getattr(derive, mutant.attribute)
    setattr(derive, mutant.attribute, mutant.factory(original))
    claim_checks.clear_caches()
    try:
        yield
    finally:
        setattr(derive, mutant.attribute, original)
        claim_checks.clear_caches()


def run_mutants(seed: int, quick: bool = True, alpha: float = 1e-4,
                mutants: tuple[Mutant, ...] = MUTANTS,
                progress: Callable[[int, int, Mutant], None] | None = None
                ) -> list[MutantResult]:
    """Run every mutant through the checks of the claims it touches."""
    from numeric.checks import CLAIM_TITLES
    from numeric.checks import tasks as claim_tasks

    results = []
    for i, mutant in enumerate(mutants):
        start = time.perf_counter()
        with substituted(mutant):
            tasks = claim_tasks(mutant.claims, quick)
            report = run_tasks(tasks, CLAIM_TITLES, seed, alpha)
        failed = [c for claim in report.claims for c in claim.checks if not c.passed]
        results.append(MutantResult(
            mutant, bool(failed), tuple(sorted({c.method for c in failed})),
            tuple(c.name for c in failed), time.perf_counter() - start))
        if progress is not None:
            progress(i + 1, len(mutants), mutant)
    return results

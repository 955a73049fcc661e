"""``dsmw check``: verify a user's own formula for the conditional mean, covariance or weight.

The formula is untrusted text in the vocabulary ``sigma``, ``m1``, ``m2``, ...
(``m_k = p_sigma^(k)/p_sigma`` at ``x~``), ``s`` (= ``m1``, the score) and ``h``
(= ``(log p_sigma)'' = m2 - m1^2``). It is judged by meaning, not spelling:

1. **symbolic**: SymPy compares it with the result of :mod:`derive` (the
   difference is a rational function of independent ``m_k``, so ``together``
   and ``expand`` of its numerator decide equality);
2. **numeric**, either way: it is evaluated on simple and random 1-D Gaussian
   mixtures, points and noise levels and compared with references that do not
   come from :mod:`derive` (exact posterior Hermite moments for Gaussian noise,
   mpmath posterior quadrature for logistic/Student-t). Cases are tried from the
   simplest up, so the first failure reported is the smallest counterexample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

import derive
from numeric._validation import InvalidArgumentError, check_order
from numeric.examples import random_mixture
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, conditional_mean
from numeric.quadrature import noise_functions, quadrature_moments

__all__ = ["QUANTITIES", "FormulaVerdict", "check_formula"]

QUANTITIES = ("mean", "covariance", "weight")
#: Relative tolerance (with a scale floor) of the numeric comparison.
CHECK_TOLERANCE = 1e-8
_MAX_RATIO = 24


@dataclass(frozen=True)
class Case:
    """One numeric test case: a 1-D mixture, a point ``x~`` and a noise level."""

    mixture: GaussianMixture
    x_tilde: float
    sigma: float
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return {"mixture": self.mixture.to_dict(), "x_tilde": self.x_tilde, "sigma": self.sigma}


@dataclass(frozen=True)
class FormulaVerdict:
    """Outcome of :func:`check_formula`."""

    expression: str
    quantity: str
    order: int
    noise: str
    parsed: str
    derived: str | None
    symbolic: str
    cases: int
    failures: int
    worst_error: float
    tolerance: float
    counterexample: dict[str, Any] | None = field(default=None)

    @property
    def holds(self) -> bool:
        return self.failures == 0 and self.symbolic != "disproved"

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "quantity": self.quantity, "order": self.order,
                "noise": self.noise, "parsed": self.parsed, "derived": self.derived,
                "symbolic": self.symbolic,
                "numeric": {"cases": self.cases, "failures": self.failures,
                            "worst_error": self.worst_error, "tolerance": self.tolerance},
                "counterexample": self.counterexample, "holds": self.holds}


def _vocabulary() -> dict[str, sp.Expr]:
    return {"sigma": derive.sigma, "s": derive.s, "h": derive.h,
            **{f"m{k}": derive.m(k) for k in range(1, _MAX_RATIO + 1)}}


def _in_ratios(expr: sp.Expr) -> sp.Expr:
    """Replace ``s`` and ``h`` by ``m1`` and ``m2 - m1^2``."""
    return expr.subs({derive.s: derive.m(1), derive.h: derive.m(2) - derive.m(1) ** 2})


def _derived(quantity: str, n: int, noise: str) -> sp.Expr | None:
    """The result of :mod:`derive` in the ``m_k``, or None if it has no such form."""
    if quantity == "mean":
        return derive.conditional_mean(n)
    if noise != "gaussian":
        return None  # the covariance is a posterior expectation, not a function of the m_k
    cov = derive.conditional_covariance(n)
    return cov if quantity == "covariance" else derive.optimal_weight(n)


def _symbolic(expr: sp.Expr, derived: sp.Expr | None) -> str:
    if derived is None:
        return "not attempted (no closed form in m_k for this noise)"
    numerator, _ = sp.fraction(sp.together(expr - derived))
    return "proved" if sp.expand(numerator) == 0 else "disproved"


def _scale(quantity: str, n: int, sigma: float) -> float:
    """The size of the quantity for a Gaussian at this sigma: the floor of relative errors."""
    covariance = math.factorial(n) * sigma ** (-2 * n)
    return {"mean": math.sqrt(covariance), "covariance": covariance,
            "weight": 1.0 / covariance}[quantity]


def _cases(rng: np.random.Generator, count: int, sigmas: tuple[float, ...]) -> list[Case]:
    """Simple cases first (one standard normal, then a symmetric pair), then random ones."""
    simple = [GaussianMixture([1.0], [[0.0]], [[[1.0]]]),
              GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [[[0.25]], [[0.25]]])]
    cases = [Case(gm, x, s, 0) for gm in simple for x in (0.0, 1.0) for s in sigmas]
    for i in range(count):
        gm = random_mixture(rng, dim=1, n_components=int(rng.integers(1, 5)))
        sigma = float(np.exp(rng.uniform(np.log(0.15), np.log(3.0))))
        noised = gm.noised(sigma)
        bulk = float(noised.sample(1, rng)[0, 0])
        spread = float(np.sqrt(np.max(noised.covariances)))
        tail = float(noised.means[:, 0].max() + 4 * spread)
        cases += [Case(gm, bulk, sigma, i + 1), Case(gm, tail, sigma, i + 1)]
    return cases


def _reference_and_ratios(case: Case, quantity: str, n: int, noise: str, top: int
                          ) -> tuple[float, list[float]]:
    """Reference value of the quantity and ``m_1..m_top`` of ``p_sigma`` at the case."""
    x = np.array([[case.x_tilde]])
    if noise == "gaussian":
        ref = (conditional_mean(case.mixture, x, case.sigma, n)[0] if quantity == "mean"
               else conditional_covariance(case.mixture, x, case.sigma, n)[0])
        noised = case.mixture.noised(case.sigma)
        ratios = [float(noised.derivative_ratio(x, k)[0]) for k in range(1, top + 1)]
    else:
        r = quadrature_moments(case.mixture, x, case.sigma, n, noise, range(1, top + 1))
        ref = r["mean" if quantity == "mean" else "variance"][0]
        ratios = [float(r[f"m{k}"][0]) for k in range(1, top + 1)]
    if quantity == "weight":
        ref = 1.0 / ref
    return float(ref), ratios


def check_formula(expression: str, quantity: str = "covariance", order: int = 1,
                  noise: str = "gaussian", seed: int = 0, random_cases: int | None = None
                  ) -> FormulaVerdict:
    """Check a user's formula for ``quantity`` (``mean``, ``covariance`` or ``weight``)
    of the order-``order`` target, symbolically and numerically.

    Examples
    --------
    >>> check_formula("1/sigma**2 + h").holds
    True
    >>> v = check_formula("1/sigma + h")
    >>> v.holds, v.symbolic, v.counterexample["sigma"]
    (False, 'disproved', 0.5)
    """
    if quantity not in QUANTITIES:
        raise InvalidArgumentError("quantity", quantity, "unknown quantity",
                                   f"choose one of {', '.join(QUANTITIES)}")
    n = check_order(order)
    noise_functions(noise)  # validates the noise family
    parsed = derive.parse_expression(expression, _vocabulary(),
                                     names=f"sigma, s, h, m1 .. m{_MAX_RATIO}")
    expr = _in_ratios(parsed)
    extra = expr.free_symbols - {derive.sigma, *(derive.m(k) for k in range(1, _MAX_RATIO + 1))}
    if extra:  # cannot happen through the parser; guards direct SymPy input
        raise InvalidArgumentError("expression", expression, f"unknown symbols {extra}",
                                   "use sigma, s, h, m1, m2, ...")
    derived = _derived(quantity, n, noise)
    symbolic = _symbolic(expr, derived)
    top = max([2, *(int(v.name[1:]) for v in expr.free_symbols if v.name.startswith("m"))])
    variables = [derive.sigma, *(derive.m(k) for k in range(1, top + 1))]
    function = sp.lambdify(variables, expr, modules="numpy")
    # Quadrature (non-Gaussian noise) costs ~0.3 s per case, the exact route microseconds.
    gaussian = noise == "gaussian"
    if random_cases is None:
        random_cases = 60 if gaussian else 2
    rng = np.random.default_rng(seed)
    cases = _cases(rng, random_cases, (1.0, 0.5, 2.0) if gaussian else (0.5, 2.0))
    failures, worst, counterexample = 0, 0.0, None
    for case in cases:
        reference, ratios = _reference_and_ratios(case, quantity, n, noise, top)
        with np.errstate(all="ignore"):
            got = complex(function(case.sigma, *ratios))
        scale = max(abs(reference), _scale(quantity, n, case.sigma))
        error = abs(got - reference) / scale if np.isfinite(got) else math.inf
        worst = max(worst, error)
        if not error <= CHECK_TOLERANCE:
            failures += 1
            if counterexample is None:
                counterexample = {**case.to_dict(), "expected": reference,
                                  "got": got.real if got.imag == 0 else str(got),
                                  "relative_error": error}
    return FormulaVerdict(expression, quantity, n, noise, str(parsed),
                          None if derived is None else str(derived), symbolic, len(cases),
                          failures, worst, CHECK_TOLERANCE, counterexample)


def format_verdict(verdict: FormulaVerdict) -> str:
    """Human-readable report of a :class:`FormulaVerdict`."""
    lines = [f"formula   {verdict.parsed}",
             f"quantity  {verdict.quantity} of the order-{verdict.order} target, "
             f"{verdict.noise} noise"]
    if verdict.derived is not None:
        lines.append(f"derived   {verdict.derived}")
    lines.append(f"symbolic  {verdict.symbolic}")
    lines.append(f"numeric   {verdict.cases - verdict.failures}/{verdict.cases} cases within "
                 f"{verdict.tolerance:.0e} (worst relative error {verdict.worst_error:.2e})")
    if verdict.counterexample is not None:
        c = verdict.counterexample
        gm = c["mixture"]
        lines += ["smallest counterexample:",
                  f"  mixture  weights {gm['weights']}, means {gm['means']}, "
                  f"covariances {gm['covariances']}",
                  f"  x~ = {c['x_tilde']:.6g}, sigma = {c['sigma']:.6g}",
                  f"  expected {c['expected']:.12g}, got {c['got']}"]
    lines.append("HOLDS" if verdict.holds else "REFUTED")
    return "\n".join(lines)

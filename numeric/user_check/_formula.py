"""A user's own formula for the conditional mean, covariance or weight (``dsmw check``).

The formula is untrusted text in the vocabulary ``sigma``, ``m1``, ``m2``, ...
(``m_k = p_sigma^(k)/p_sigma`` at ``x~``), ``s`` (= ``m1``, the score) and ``h``
(= ``(log p_sigma)'' = m2 - m1^2``). It is judged by meaning, not spelling:

1. **symbolic**: SymPy compares it with the result of :mod:`derive`. The
   difference is brought over one denominator; if its numerator expands to
   zero the formula is *proved*; if the numerator is a polynomial in
   ``sigma`` and the ``m_k`` with exact coefficients and does not expand to
   zero, it is *disproved* (a nonzero polynomial cannot vanish on the open
   set of values the ``m_k`` take); otherwise (``Abs``, ``sqrt``, floats,
   or SymPy ran out of its :data:`SYMBOLIC_SECONDS` budget) it is *undecided*
   and the numeric step decides;
2. **numeric**, either way: it is evaluated on simple and random 1-D Gaussian
   mixtures, points and noise levels and compared with references that do not
   come from :mod:`derive` (exact posterior Hermite moments for Gaussian noise,
   mpmath posterior quadrature for logistic/Student-t). Cases are tried from the
   simplest up, so the first failure reported is the smallest counterexample.

The verdict HOLDS when the formula is not disproved and every numeric case
agrees; a refuted formula is also tried as the other quantities, and the
verdict says if it holds as one of them. Budgets (besides those of
:func:`derive.parse_expression`): orders up to :data:`MAX_ORDER` (Gaussian
noise) or :data:`MAX_QUADRATURE_ORDER` (quadrature), Student-t degrees of
freedom in [:data:`MIN_NU`, :data:`MAX_NU`].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

import derive
from numeric._budget import BudgetExceededError
from numeric._validation import InvalidArgumentError, check_order, check_seed
from numeric.examples import random_mixture
from numeric.mixture import GaussianMixture
from numeric.moments import conditional_covariance, conditional_mean
from numeric.quadrature import noise_functions, quadrature_moments
from numeric.user_check._symbolic import compare

__all__ = ["QUANTITIES", "FormulaVerdict", "check_formula", "check_noise", "check_order_budget",
           "format_verdict"]

QUANTITIES = ("mean", "covariance", "weight")
#: Relative tolerance (with a scale floor) of the numeric comparison.
CHECK_TOLERANCE = 1e-8
_MAX_RATIO = 24
#: Highest order for Gaussian noise (the covariance of order n needs m_1 .. m_2n).
MAX_ORDER = _MAX_RATIO // 2
#: Highest order for logistic / Student-t noise (posterior quadrature, ~1-3 s per case).
MAX_QUADRATURE_ORDER = 4
#: Range of Student-t degrees of freedom (beyond MAX_NU use gaussian noise; below MIN_NU the
#: tails are too heavy for the quadrature to finish in seconds).
MIN_NU, MAX_NU = 0.5, 1000.0
#: Time SymPy gets to decide the identity before the verdict is left to the numeric step.
SYMBOLIC_SECONDS = 5.0


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
    holds_as: tuple[str, ...] = field(default=())
    dim: int = 1

    @property
    def holds(self) -> bool:
        return self.failures == 0 and self.cases > 0 and not self.symbolic.startswith(
            "disproved")

    @property
    def status(self) -> str:
        """``proved`` (SymPy), ``disproved`` (by SymPy or by a numeric counterexample) or
        ``undecided`` (neither; the verdict then rests on the numeric cases agreeing)."""
        if self.symbolic == "proved":
            return "proved"
        if self.symbolic.startswith("disproved") or self.failures:
            return "disproved"
        return "undecided"

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "quantity": self.quantity, "order": self.order,
                "dim": self.dim,
                "status": self.status,
                "noise": self.noise, "parsed": self.parsed, "derived": self.derived,
                "symbolic": self.symbolic,
                "numeric": {"cases": self.cases, "failures": self.failures,
                            "worst_error": self.worst_error, "tolerance": self.tolerance},
                "counterexample": self.counterexample, "holds": self.holds,
                "holds_as": list(self.holds_as)}


def _vocabulary() -> dict[str, sp.Expr]:
    return {"sigma": derive.sigma, "s": derive.s, "h": derive.h,
            **{f"m{k}": derive.m(k) for k in range(1, _MAX_RATIO + 1)}}


def _in_ratios(expr: sp.Expr) -> sp.Expr:
    """Replace ``s`` and ``h`` by ``m1`` and ``m2 - m1^2`` (derive's curvature, C2)."""
    curvature, _ = derive.curvature_in_ratios()
    return expr.subs({derive.s: derive.m(1), derive.h: curvature})


def _derived(quantity: str, n: int, noise: str) -> sp.Expr | None:
    """The result of :mod:`derive` in the ``m_k``, or None if it has no such form."""
    if quantity == "mean":
        return derive.conditional_mean(n)
    if noise != "gaussian":
        return None  # the covariance is a posterior expectation, not a function of the m_k
    cov = derive.conditional_covariance(n)
    return cov if quantity == "covariance" else derive.optimal_weight(n)


def _symbolic(expr: sp.Expr, derived: sp.Expr | None) -> str:
    """``proved``, ``disproved`` or ``undecided (why)``; see the module docstring."""
    if derived is None:
        return ("not attempted: under non-Gaussian noise the covariance Cov[psi(E) | x~]"
                "/sigma^2 (and the weight, its inverse) is a posterior expectation, not a "
                "formula in the m_k; its value is computed by quadrature below")
    result = compare(expr, derived, seconds=SYMBOLIC_SECONDS)
    return result.outcome if result.outcome != "undecided" else f"undecided ({result.reason})"


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


def check_noise(noise: Any) -> str:
    """A noise family ``dsmw check`` can use: gaussian, logistic, or student_t:NU with NU in
    [MIN_NU, MAX_NU]."""
    if isinstance(noise, str) and noise.startswith("student_t:"):
        # Checked before the family is built: SymPy's integrals for nu = 1e308 never finish.
        try:
            nu = float(noise.split(":", 1)[1])
        except ValueError:
            nu = math.nan
        if not MIN_NU <= nu <= MAX_NU:
            raise InvalidArgumentError(
                "--noise", noise, f"the degrees of freedom must be a number from {MIN_NU:g} to "
                f"{MAX_NU:g}",
                f"pass student_t:NU with {MIN_NU:g} <= NU <= {MAX_NU:g} (above {MAX_NU:g} "
                "use --noise gaussian)")
    try:
        noise_functions(noise)  # validates the family and its syntax
    except InvalidArgumentError as exc:
        # the reference families take any NU > 0; dsmw check takes the documented range
        raise InvalidArgumentError(
            "--noise", noise, exc.problem,
            f"pass gaussian, logistic or student_t:NU with {MIN_NU:g} <= NU <= {MAX_NU:g}"
        ) from None
    return noise


def check_order_budget(order: Any, noise: str = "gaussian") -> int:
    """An order within the documented maximum for this noise."""
    n = check_order(order, name="--order")
    top = MAX_ORDER if noise == "gaussian" else MAX_QUADRATURE_ORDER
    if n > top:
        raise BudgetExceededError("--order", order, f"the maximum order for {noise} noise is "
                                  f"{top}", f"pass --order between 1 and {top}")
    return n


Progress = Callable[[int, int, str], None]


def check_formula(expression: str, quantity: str = "covariance", order: int = 1,
                  noise: str = "gaussian", seed: int = 0, random_cases: int | None = None,
                  progress: Progress | None = None, alternatives: bool = True,
                  dim: int = 1) -> FormulaVerdict:
    """Check a user's formula for ``quantity`` (``mean``, ``covariance`` or ``weight``)
    of the order-``order`` target, symbolically and numerically.

    ``progress(done, total, label)`` is called after each numeric case. When the formula
    is refuted and ``alternatives`` is true (Gaussian noise), it is also checked as the
    other quantities; ``holds_as`` lists those it holds for.

    Examples
    --------
    >>> check_formula("1/sigma**2 + h").holds
    True
    >>> v = check_formula("1/sigma + h")
    >>> v.holds, v.symbolic, v.counterexample["sigma"]
    (False, 'disproved', 0.5)
    >>> check_formula("sigma**2/(1 + sigma**2*h)").holds_as
    ('weight',)

    ``dim = 2, 3``: the formula is one entry in index notation
    (:func:`numeric.user_check.check_matrix_formula`), orders 1 and 2, Gaussian noise.
    """
    if quantity not in QUANTITIES:
        raise InvalidArgumentError("quantity", quantity, "unknown quantity",
                                   f"choose one of {', '.join(QUANTITIES)}")
    check_noise(noise)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise InvalidArgumentError("dim", dim, "not an integer", "pass 1, 2 or 3")
    if dim != 1:
        from numeric.user_check._matrix import check_matrix_formula

        if noise != "gaussian":
            raise InvalidArgumentError("noise", noise, "matrix formulas (dim > 1) are "
                                       "derived for Gaussian noise", "use --noise gaussian")
        check_order(order)
        verdict = check_matrix_formula(expression, quantity, int(order), dim, seed,
                                       20 if random_cases is None else random_cases, progress)
        if verdict.holds or not alternatives:
            return verdict
        holds_as = []
        for other in QUANTITIES:
            if other == quantity:
                continue
            try:
                if check_formula(expression, other, order, noise, seed, random_cases,
                                 alternatives=False, dim=dim).holds:
                    holds_as.append(other)
            except InvalidArgumentError:  # e.g. an entry with too many indices for it
                continue
        return replace(verdict, holds_as=tuple(holds_as))
    n = check_order_budget(order, noise)
    seed = check_seed(seed, name="seed")
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
    for done, case in enumerate(cases, start=1):
        reference, ratios = _reference_and_ratios(case, quantity, n, noise, top)
        got = _value(function, case.sigma, ratios)
        scale = max(abs(reference), _scale(quantity, n, case.sigma))
        error = abs(got - reference) / scale if np.isfinite(got) else math.inf
        worst = max(worst, error)
        if progress is not None:
            progress(done, len(cases), f"case {done} (sigma = {case.sigma:.3g})")
        if not error <= CHECK_TOLERANCE:
            failures += 1
            if counterexample is None:
                counterexample = {**case.to_dict(), "expected": reference,
                                  "got": got.real if got.imag == 0 else str(got),
                                  "relative_error": error}
    verdict = FormulaVerdict(expression, quantity, n, noise, str(parsed),
                             None if derived is None else str(derived), symbolic, len(cases),
                             failures, worst, CHECK_TOLERANCE, counterexample)
    if verdict.holds or not alternatives or not gaussian:
        return verdict
    holds_as = tuple(other for other in QUANTITIES if other != quantity and check_formula(
        expression, other, n, noise, seed, random_cases, alternatives=False).holds)
    return replace(verdict, holds_as=holds_as)


def _value(function: Callable, sigma: float, ratios: list[float]) -> complex:
    """The formula at one case; anything non-finite or non-numeric counts as infinite."""
    with np.errstate(all="ignore"):
        try:
            value = function(sigma, *ratios)
            return complex(np.asarray(value, dtype=complex).reshape(()))
        except (ArithmeticError, TypeError, ValueError):
            return complex(math.inf)


def format_verdict(verdict: FormulaVerdict) -> str:
    """Human-readable report of a :class:`FormulaVerdict`."""
    where = "" if verdict.dim == 1 else f", d = {verdict.dim} (one entry in index notation)"
    lines = [f"formula   {verdict.parsed}",
             f"quantity  {verdict.quantity} of the order-{verdict.order} target, "
             f"{verdict.noise} noise{where}"]
    if verdict.derived is not None:
        shown = verdict.derived
        if len(shown) > 400:  # a d^2 x d^2 matrix: the full text is in --json
            shown = shown[:300] + " ... (the whole matrix is in --json)"
        lines.append(f"derived   {shown}")
    symbolic = verdict.symbolic
    if verdict.failures and not symbolic.startswith(("proved", "disproved")):
        symbolic += "; disproved by the numeric counterexample below"
    lines.append(f"symbolic  {symbolic}")
    lines.append(f"numeric   {verdict.cases - verdict.failures}/{verdict.cases} cases within "
                 f"{verdict.tolerance:.0e} (worst relative error {verdict.worst_error:.2e})")
    if verdict.counterexample is not None:
        c = verdict.counterexample
        gm = c["mixture"]
        entry = ", ".join(f"{a} = {v}" for a, v in zip("ijkl", c.get("entry", ()),
                                                       strict=False))
        lines += ["smallest counterexample:",
                  f"  mixture  weights {gm['weights']}, means {gm['means']}, "
                  f"covariances {gm['covariances']}",
                  "  x~ = " + (f"{c['x_tilde']:.6g}" if verdict.dim == 1 else
                               "(" + ", ".join(f"{v:.6g}" for v in c["x_tilde"]) + ")")
                  + f", sigma = {c['sigma']:.6g}"
                  + (f", entry {entry}" if entry else ""),
                  f"  expected {c['expected']:.12g}, got {c['got']}"]
    if verdict.holds_as:
        other = " and ".join(verdict.holds_as)
        lines.append(f"note      refuted as the {verdict.quantity}, but it HOLDS as the "
                     f"{other} (try --quantity {verdict.holds_as[0]})")
    lines.append("HOLDS" if verdict.holds else "REFUTED")
    return "\n".join(lines)

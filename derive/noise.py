"""Noise families as data: a density in the standardised noise ``E``, nothing else.

From the density alone SymPy derives the noise score ``psi = (log q)'``, the
Fisher information ``I_q = E_q[psi^2]``, the derivative ratios ``q^(n)/q`` and
their second moments. Families differ only in their data (density,
parameters, and optional hints that help SymPy integrate: a quantile function
for a change of variables to ``(0, 1)``, or a scale for the substitution
``E = sqrt(scale * w)`` of symmetric densities).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from derive._budget import time_limit
from derive._cache import disk_cached
from derive._errors import InvalidArgumentError
from derive.symbols import E, nu, u

__all__ = ["NoiseFamily", "custom_noise", "noise_family"]

_w = sp.Symbol("w", positive=True)

#: Seconds SymPy gets to integrate one expectation ``E_q[f]`` symbolically; past it (or if
#: SymPy leaves the integral unevaluated) the value comes from quadrature (a ``Float``, see
#: :func:`_by_quadrature`), never a hang.
INTEGRATION_SECONDS = 30.0
#: Digits of that quadrature (mpmath, through ``Integral.evalf``), and its own budget.
QUADRATURE_DIGITS = 30
QUADRATURE_SECONDS = 60.0


class _TooSlow(Exception):
    """SymPy's integration ran past :data:`INTEGRATION_SECONDS`."""


@dataclass(frozen=True)
class NoiseFamily:
    """A noise distribution on the real line, by its density ``q(E)``.

    Examples
    --------
    >>> noise_family("gaussian").fisher_information()
    1
    >>> noise_family("logistic").fisher_information()
    1/3
    """

    name: str
    density: sp.Expr
    parameters: tuple[sp.Symbol, ...] = ()
    quantile: sp.Expr | None = None
    symmetric: bool = False
    substitution_scale: sp.Expr = sp.S.One

    @disk_cached
    def psi(self) -> sp.Expr:
        """Noise score ``psi(E) = q'(E) / q(E)``."""
        return _simplify(sp.diff(sp.log(self.density), E))

    @disk_cached
    def derivative_ratio(self, n: int) -> sp.Expr:
        """``q^(n)(E) / q(E)``."""
        return _simplify(sp.diff(self.density, E, n) / self.density)

    def expectation(self, f: sp.Expr) -> sp.Expr:
        """``E_q[f(E)]`` by SymPy integration, trying the family's hints first."""
        return _expectation(self, sp.sympify(f))

    @disk_cached
    def normalisation(self) -> sp.Expr:
        """``integral q`` (must be 1)."""
        return self.expectation(sp.Integer(1))

    @disk_cached
    def fisher_information(self) -> sp.Expr:
        """``I_q = E_q[psi(E)^2]``."""
        return self.expectation(self.psi() ** 2)

    @disk_cached
    def score_moment(self, n: int) -> sp.Expr:
        """``E_q[(q^(n)/q)^2]``, the order-``n`` analogue of ``I_q``."""
        return self.expectation(self.derivative_ratio(n) ** 2)


def _simplify(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.gammasimp(expr))


def _done(result: sp.Expr) -> bool:
    return not (result.has(sp.Integral) or result.has(sp.meijerg) or result.has(sp.nan))


def _expectation(family: NoiseFamily, f: sp.Expr) -> sp.Expr:
    if f.is_polynomial(E) and not f.free_symbols - {E}:
        # Linearity: a polynomial's expectation from the (cached) moments E_q[E^k].
        poly = sp.Poly(sp.expand(f), E)
        total = sum(c * _moment(family, k) for (k,), c in poly.terms())
        # exact moments are tidied; a quadrature value stays a Float (computed, not derived)
        return total if total.has(sp.Float) else sp.nsimplify(total)
    return _integrate(family, f)


@cache
def _moment(family: NoiseFamily, k: int) -> sp.Expr:
    """``E_q[E^k]`` by integration (0 for odd ``k`` of a symmetric density is integrated too)."""
    return _integrate(family, E**k)


def _integrate(family: NoiseFamily, f: sp.Expr) -> sp.Expr:
    integrand = f * family.density
    attempts = []
    if family.quantile is not None:
        # Change of variables E = F^-1(u): dF = q dE, so E_q[f] = int_0^1 f(F^-1(u)) du.
        attempts.append(lambda: sp.integrate(
            sp.simplify(f.subs(E, family.quantile).rewrite(sp.exp)), (u, 0, 1)))
    if family.symmetric and sp.simplify(integrand.subs(E, -E) - integrand) == 0:
        # Even integrand: 2 * int_0^oo, with E = sqrt(c w) turning it into a Beta integral.
        root = sp.sqrt(family.substitution_scale * _w)
        attempts.append(lambda: 2 * sp.integrate(
            sp.powsimp(sp.simplify(integrand.subs(E, root) * sp.diff(root, _w)), force=True),
            (_w, 0, sp.oo), conds="none"))
    attempts.append(lambda: sp.integrate(integrand, (E, -sp.oo, sp.oo), conds="none"))
    try:
        with time_limit(INTEGRATION_SECONDS, _TooSlow):
            for attempt in attempts:
                last = attempt()
                if _done(last):
                    return _simplify(sp.gammasimp(sp.expand_func(last)))
    except _TooSlow:
        pass
    # SymPy ran out of time, or left the integral unevaluated: compute it instead
    return _by_quadrature(family, integrand, f)


def _by_quadrature(family: NoiseFamily, integrand: sp.Expr, f: sp.Expr) -> sp.Float:
    """``E_q[f]`` by mpmath quadrature to :data:`QUADRATURE_DIGITS` digits: the fallback
    when symbolic integration exceeds its budget. The result is a ``Float`` (an exact
    result is never one), which is how a record shows that its value was computed, not
    derived; a family with free parameters cannot be integrated numerically."""
    parameters = integrand.free_symbols - {E}
    if parameters:
        raise InvalidArgumentError(
            "noise", family.name, f"SymPy did not integrate E_q[{f}] (within "
            f"{INTEGRATION_SECONDS:g} s), and the free parameters "
            f"{sorted(map(str, parameters))} rule out quadrature",
            "give the family a quantile function or a substitution hint")

    def too_slow(elapsed: float) -> InvalidArgumentError:
        return InvalidArgumentError(
            "noise", family.name, f"SymPy did not integrate E_q[{f}] (within "
            f"{INTEGRATION_SECONDS:g} s), nor quadrature within {QUADRATURE_SECONDS:g} s",
            "check that the density is smooth and integrable, or give a quantile function")

    with time_limit(QUADRATURE_SECONDS, too_slow):
        value = sp.Integral(integrand, (E, -sp.oo, sp.oo)).evalf(QUADRATURE_DIGITS)
    if not value.is_Float or not value.is_finite:
        raise InvalidArgumentError("noise", family.name, f"quadrature of E_q[{f}] gave "
                                   f"{value}", "check that the density is integrable")
    return value


def _gaussian() -> NoiseFamily:
    return NoiseFamily("gaussian", sp.exp(-(E**2) / 2) / sp.sqrt(2 * sp.pi), symmetric=True,
                       substitution_scale=sp.Integer(2))


def _logistic() -> NoiseFamily:
    return NoiseFamily("logistic", sp.exp(-E) / (1 + sp.exp(-E)) ** 2,
                       quantile=sp.log(u / (1 - u)), symmetric=True)


def _student_t(dof: sp.Expr = nu) -> NoiseFamily:
    density = (sp.gamma((dof + 1) / 2) / (sp.sqrt(dof * sp.pi) * sp.gamma(dof / 2))
               * (1 + E**2 / dof) ** (-(dof + 1) / 2))
    params = (dof,) if isinstance(dof, sp.Symbol) else ()
    name = "student_t" if params else f"student_t:{dof}"
    return NoiseFamily(name, density, params, symmetric=True, substitution_scale=dof)


_NOISE_FAMILIES = {"gaussian": _gaussian, "logistic": _logistic, "student_t": _student_t}


@cache
def noise_family(spec: str = "gaussian") -> NoiseFamily:
    """A registered family: ``gaussian``, ``logistic``, ``student_t`` (symbolic ``nu``)
    or ``student_t:NU`` (a number ``NU > 0``).

    Examples
    --------
    >>> from derive.symbols import nu
    >>> noise_family("student_t").fisher_information() == (nu + 1) / (nu + 3)
    True
    """
    name, _, arg = str(spec).strip().partition(":")
    if name not in _NOISE_FAMILIES:
        raise InvalidArgumentError("noise", spec, "unknown noise family",
                                   f"choose one of {', '.join(_NOISE_FAMILIES)} "
                                   "(student_t:NU for fixed degrees of freedom)")
    if not arg:
        return _NOISE_FAMILIES[name]()
    if name != "student_t":
        raise InvalidArgumentError("noise", spec, f"{name} takes no parameter",
                                   f"write just '{name}'")
    try:
        dof = sp.nsimplify(sp.sympify(arg, rational=True))
    except (sp.SympifyError, TypeError, ValueError):
        dof = None
    if dof is None or not dof.is_number or not dof.is_positive:
        raise InvalidArgumentError("noise", spec, "degrees of freedom must be a number > 0",
                                   "write e.g. student_t:5")
    return _student_t(dof)


def custom_noise(density: sp.Expr | str, name: str = "custom") -> NoiseFamily:
    """A user-supplied noise density in the variable ``E``; must integrate to one.

    Examples
    --------
    >>> import sympy as sp
    >>> from derive.symbols import E
    >>> laplace_like = custom_noise(sp.exp(-E**2) / sp.sqrt(sp.pi))  # N(0, 1/2)
    >>> laplace_like.fisher_information()
    2
    """
    if isinstance(density, str):
        from derive.parsing import parse_expression

        density = parse_expression(density, {"E": E}, argument="density")
    expr = sp.sympify(density)
    extra = expr.free_symbols - {E}
    if extra:
        raise InvalidArgumentError("density", expr,
                                   f"unknown symbols {sorted(map(str, extra))}",
                                   "write the density in the standardised noise E only")
    family = NoiseFamily(name, expr, symmetric=bool(sp.simplify(expr.subs(E, -E) - expr) == 0))
    total = family.normalisation()
    # a quadrature value (a Float) is one to its 30 digits, up to their last few
    off = abs(total - 1) > sp.Float(10) ** (8 - QUADRATURE_DIGITS) if total.is_Float else (
        sp.simplify(total - 1) != 0)
    if off:
        raise InvalidArgumentError("density", expr, f"integrates to {total}, not 1",
                                   "divide the density by its integral")
    return family

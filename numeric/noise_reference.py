"""Noise families written from their textbook formulas, independently of :mod:`derive`.

These are the *references* the checks compare ``derive.noise_family`` against, and the
densities the quadrature references integrate: nothing here reads ``derive``.

* Gaussian: ``q(e) = exp(-e^2/2)/sqrt(2 pi)``, ``q^(n)/q = (-1)^n He_n(e)``.
* Logistic: ``q = F (1 - F)`` with ``F(e) = 1/(1 + exp(-e))`` and ``F' = q``. Every
  derivative is ``q^(n) = R_n(F) q`` with ``R_1 = 1 - 2F`` and
  ``R_(n+1) = R_n'(F) F (1 - F) + R_n(F) (1 - 2F)`` (chain rule), so the ratios are
  integer polynomials in ``F``.
* Student-t with ``nu`` degrees of freedom: ``q = c u^(-a)``, ``u = 1 + e^2/nu``,
  ``a = (nu + 1)/2``, ``c = Gamma(a)/(sqrt(nu pi) Gamma(nu/2))``. By the chain rule
  ``q^(n) = Q_n(e) u^(-n) q`` with ``Q_0 = 1`` and
  ``Q_(n+1) = Q_n' u - 2 (n + a) e Q_n / nu`` (rational polynomials in ``e``).

Each family evaluates on NumPy arrays (double precision) and on mpmath numbers (any
precision), from the same exact (integer or rational) coefficients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import mpmath
import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError, check_order, check_rng, check_sample_count

__all__ = ["NOISE_NAMES", "ReferenceNoise", "reference_noise"]

#: The families this module knows (``student_t:NU`` with a number ``NU > 0``).
NOISE_NAMES = ("gaussian", "logistic", "student_t:NU")

Poly = tuple[Fraction, ...]  # coefficients, lowest degree first


def _derivative(p: Poly) -> Poly:
    return tuple(k * c for k, c in enumerate(p))[1:] or (Fraction(0),)


def _add(p: Poly, q: Poly) -> Poly:
    size = max(len(p), len(q))
    return tuple((p[k] if k < len(p) else 0) + (q[k] if k < len(q) else 0)
                 for k in range(size))


def _times(p: Poly, q: Poly) -> Poly:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return tuple(out)


def _horner(p: Poly, z: Any, to_number) -> Any:
    value = to_number(p[-1]) + 0 * z
    for c in reversed(p[:-1]):
        value = value * z + to_number(c)
    return value


def _float(c: Fraction) -> float:
    return c.numerator / c.denominator


def _mpf(c: Fraction) -> mpmath.mpf:
    return mpmath.mpf(c.numerator) / c.denominator


@dataclass(frozen=True)
class ReferenceNoise:
    """A noise family from its textbook formula.

    Functions of the standardised noise ``e`` take a NumPy array (double precision) or,
    with ``mp=True``, an mpmath number (the working precision of the caller's
    ``mpmath.workdps`` block).

    Examples
    --------
    >>> logistic = reference_noise("logistic")
    >>> import numpy as np
    >>> e = np.linspace(-4, 4, 9)
    >>> bool(np.allclose(logistic.psi(e), -np.tanh(e / 2)))       # psi = q'/q
    True
    >>> bool(abs(logistic.fisher_information() - 1 / 3) < 1e-12)
    True
    """

    name: str
    dof: Fraction | None = None

    # -- density ------------------------------------------------------------------------
    def log_density(self, e: Any, mp: bool = False) -> Any:
        """``log q(e)``, stable in the tails."""
        if self.name == "gaussian":
            if mp:
                return -e**2 / 2 - mpmath.log(2 * mpmath.pi) / 2
            return -np.square(e) / 2 - 0.5 * math.log(2 * math.pi)
        if self.name == "logistic":
            if mp:
                a = abs(e)
                return -a - 2 * mpmath.log1p(mpmath.exp(-a))
            a = np.abs(e)
            return -a - 2 * np.log1p(np.exp(-a))
        nu, a = self._nu(mp), self._half_dof_plus(mp)
        if mp:
            log_c = mpmath.loggamma(a) - mpmath.loggamma(nu / 2) - mpmath.log(nu * mpmath.pi) / 2
            return log_c - a * mpmath.log1p(e**2 / nu)
        log_c = math.lgamma(a) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
        return log_c - a * np.log1p(np.square(e) / nu)

    def density(self, e: Any, mp: bool = False) -> Any:
        """``q(e)``."""
        return mpmath.exp(self.log_density(e, True)) if mp else np.exp(self.log_density(e))

    def psi(self, e: Any, mp: bool = False) -> Any:
        """Noise score ``psi = q'/q``."""
        return self.ratio(1, e, mp)

    def psi_prime(self, e: Any, mp: bool = False) -> Any:
        """``psi' = q''/q - psi^2``."""
        return self.ratio(2, e, mp) - self.ratio(1, e, mp) ** 2

    def ratio(self, n: int, e: Any, mp: bool = False) -> Any:
        """``q^(n)(e) / q(e)`` for ``n >= 0``."""
        order = check_order(n, minimum=0, name="n")
        number = _mpf if mp else _float
        if order == 0:
            return 1 + 0 * e
        if self.name == "gaussian":
            return (-1) ** order * _horner(_hermite(order), e, number)
        if self.name == "logistic":
            f = (1 + mpmath.tanh(e / 2)) / 2 if mp else (1 + np.tanh(np.asarray(e) / 2)) / 2
            return _horner(_logistic_ratio(order), f, number)
        nu = self._nu(mp)
        u = 1 + e**2 / nu if mp else 1 + np.square(e) / nu
        return _horner(_student_ratio(self.dof, order), e, number) / u**order

    # -- moments ------------------------------------------------------------------------
    def expectation(self, f, mp: bool = False) -> Any:
        """``E_q[f(E)]`` by the trapezoid rule on ``e = sinh(t)``, halving the step until
        two successive rules agree (exponentially convergent for analytic integrands;
        the substitution turns polynomial tails into exponential ones)."""
        if mp:
            return mpmath.quad(lambda e: f(e) * self.density(e, True), [-mpmath.inf, 0,
                                                                        mpmath.inf])
        # polynomial tails (Student-t) need the wider range: sinh(20) ~ 2e8
        reach = 20.0 if self.dof is not None else 12.0
        step, previous = 1 / 8, None
        while True:
            t = np.arange(-reach, reach + step / 2, step)
            e = np.sinh(t)
            with np.errstate(under="ignore"):
                value = float(step * np.sum(f(e) * self.density(e) * np.cosh(t)))
            if previous is not None and abs(value - previous) <= 1e-14 * max(abs(value), 1):
                return value
            if step < 1 / 1024:
                raise ArithmeticError(f"E_q[f] did not converge for {self.name} noise")
            previous, step = value, step / 2

    def normalisation(self) -> float:
        """``integral q`` (1 for a density)."""
        return self.expectation(lambda e: np.ones_like(e))

    def fisher_information(self) -> float:
        """``I_q = E_q[psi^2]``."""
        return self.expectation(lambda e: self.psi(e) ** 2)

    def score_moment(self, n: int) -> float:
        """``E_q[(q^(n)/q)^2]``."""
        return self.expectation(lambda e: self.ratio(n, e) ** 2)

    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """``n`` independent draws of ``E``."""
        count, generator = check_sample_count(n), check_rng(rng)
        if self.name == "gaussian":
            return generator.standard_normal(count)
        if self.name == "logistic":
            return generator.logistic(size=count)
        return generator.standard_t(_float(self.dof), size=count)

    # -- helpers ------------------------------------------------------------------------
    def _nu(self, mp: bool):
        assert self.dof is not None
        return _mpf(self.dof) if mp else _float(self.dof)

    def _half_dof_plus(self, mp: bool):
        assert self.dof is not None
        return _mpf((self.dof + 1) / 2) if mp else _float((self.dof + 1) / 2)


@cache
def _hermite(n: int) -> Poly:
    """Probabilists' Hermite ``He_n``: ``He_(k+1) = e He_k - k He_(k-1)``."""
    previous, current = (Fraction(1),), (Fraction(0), Fraction(1))
    if n == 0:
        return previous
    for k in range(1, n):
        previous, current = current, _add(_times((Fraction(0), Fraction(1)), current),
                                          tuple(-k * c for c in previous))
    return current


@cache
def _logistic_ratio(n: int) -> Poly:
    """``R_n`` with ``q^(n) = R_n(F) q`` for the logistic density (polynomial in ``F``)."""
    one_minus_two_f = (Fraction(1), Fraction(-2))
    if n == 1:
        return one_minus_two_f
    previous = _logistic_ratio(n - 1)
    f_times_one_minus_f = (Fraction(0), Fraction(1), Fraction(-1))
    return _add(_times(_derivative(previous), f_times_one_minus_f),
                _times(previous, one_minus_two_f))


@cache
def _student_ratio(dof: Fraction, n: int) -> Poly:
    """``Q_n`` with ``q^(n) = Q_n(e) (1 + e^2/nu)^(-n) q`` for Student-t."""
    if n == 0:
        return (Fraction(1),)
    previous = _student_ratio(dof, n - 1)
    u = (Fraction(1), Fraction(0), 1 / dof)
    a = (dof + 1) / 2
    slope = (Fraction(0), -2 * (n - 1 + a) / dof)
    return _add(_times(_derivative(previous), u), _times(previous, slope))


@cache
def reference_noise(spec: str) -> ReferenceNoise:
    """The reference family ``gaussian``, ``logistic`` or ``student_t:NU`` (``NU > 0``).

    Examples
    --------
    >>> t5 = reference_noise("student_t:5")
    >>> bool(abs(t5.fisher_information() - 6 / 8) < 1e-12)     # (nu + 1)/(nu + 3)
    True
    """
    if not isinstance(spec, str):
        raise InvalidArgumentError("noise", spec, "not a noise family name",
                                   "pass 'gaussian', 'logistic' or 'student_t:NU'")
    name, _, arg = spec.strip().partition(":")
    if name in ("gaussian", "logistic") and not arg:
        return ReferenceNoise(name)
    if name == "student_t" and arg:
        try:
            dof = Fraction(arg)
        except (ValueError, ZeroDivisionError):
            dof = None
        if dof is not None and dof > 0:
            return ReferenceNoise(name, dof)
    raise InvalidArgumentError("noise", spec, "unknown noise family or degrees of freedom",
                               "pass 'gaussian', 'logistic' or 'student_t:NU' with NU > 0")


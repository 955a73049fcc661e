"""The symbolic half of every user check, written once: does SymPy prove a user's
expression equal to the derived one (or a positive constant multiple of it)?

Both ``dsmw check`` (formulas in ``sigma`` and the ``m_k``) and ``dsmw weighting check``
(weights as functions of ``t``) ask SymPy first and let a numeric comparison decide
whatever SymPy cannot; each renders the :class:`Comparison` in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from numeric._budget import BudgetExceededError, time_budget

__all__ = ["SYMPY_FAILURES", "Comparison", "compare"]

#: What SymPy raises on expressions it cannot handle (as opposed to a wrong identity).
SYMPY_FAILURES = (TypeError, ValueError, NotImplementedError, RecursionError)


@dataclass(frozen=True)
class Comparison:
    """Outcome of :func:`compare`.

    ``outcome`` is ``proved``, ``disproved`` (the difference is a nonzero polynomial with
    exact coefficients: it cannot vanish on an open set), ``undecided`` (``reason`` says
    why) or ``failed`` (SymPy raised one of ``catch``); ``constant`` is the proved factor
    when comparing up to a constant.
    """

    outcome: str
    reason: str = ""
    constant: float | None = None


def compare(user: Any, reference: Any, *, up_to_constant: bool = False,
            variable: Any = None, seconds: float | None = None,
            catch: tuple[type[BaseException], ...] = ()) -> Comparison:
    """Compare ``user`` with ``reference`` symbolically.

    Parameters
    ----------
    user, reference
        SymPy expressions.
    up_to_constant
        Prove ``user / reference`` a positive constant (free of ``variable``) instead of
        ``user - reference == 0``.
    variable
        The free variable of the ratio (only with ``up_to_constant``).
    seconds
        Time SymPy gets (None: unbounded); when it runs out the outcome is ``undecided``.
    catch
        SymPy exceptions that mean "could not compare" (outcome ``failed``) rather than
        propagate.

    Returns
    -------
    Comparison
        The outcome.

    Examples
    --------
    >>> x = sp.Symbol("x", positive=True)
    >>> compare((x + 1) ** 2, x**2 + 2 * x + 1).outcome
    'proved'
    >>> compare(x**2, x).outcome
    'disproved'
    >>> c = compare(2 * x, x, up_to_constant=True, variable=x)
    >>> c.outcome, c.constant
    ('proved', 2.0)
    """
    try:
        if seconds is None:
            return _compare(user, reference, up_to_constant, variable)
        with time_budget(seconds, "the symbolic comparison"):
            return _compare(user, reference, up_to_constant, variable)
    except BudgetExceededError:
        return Comparison("undecided", f"SymPy ran out of its {seconds:g} s budget")
    except catch:
        return Comparison("failed", "SymPy failed")


def _compare(user: Any, reference: Any, up_to_constant: bool, variable: Any) -> Comparison:
    if up_to_constant:
        ratio = sp.simplify(user / reference)
        if not ratio.has(variable) and ratio.is_positive:
            return Comparison("proved", constant=float(ratio))
        return Comparison("undecided", "SymPy could not reduce the ratio to a constant")
    # One denominator, then expand: cheap, and decisive for polynomial differences.
    numerator, _ = sp.fraction(sp.together(user - reference))
    numerator = sp.expand(numerator)
    if numerator == 0:
        return Comparison("proved")
    symbols = sorted(numerator.free_symbols, key=lambda v: v.name)
    exact = not numerator.has(sp.Float)
    if exact and numerator.is_polynomial(*symbols):
        return Comparison("disproved")
    if sp.simplify(numerator) == 0:
        return Comparison("proved")
    if not exact:
        return Comparison("undecided", "floating-point coefficients")
    return Comparison("undecided", "SymPy could not reduce the difference to zero")

"""The frozen records a derivation returns: its steps and the claim they establish."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive._validation import DerivationError

__all__ = ["Claim", "Step", "confirm", "define"]


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what was done, the SymPy result, whether SymPy confirmed it.

    ``confirmed`` is ``True`` when SymPy reduced ``lhs - rhs`` to zero (an identity,
    not a definition); ``None`` for steps that only define or compute.
    """

    text: str
    expr: sp.Basic
    confirmed: bool | None = None


@dataclass(frozen=True)
class Claim:
    """A claim of notes/theory.md as derived here.

    ``proved`` is ``True`` when every confirming step was reduced to an identity by
    SymPy, so the statement holds under the stated ``assumptions``; otherwise the
    parts named in ``numeric`` rest on the numerical checks of :mod:`numeric`.
    """

    id: str
    title: str
    statement: sp.Basic
    steps: tuple[Step, ...]
    proved: bool
    assumptions: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    results: dict[str, sp.Basic] = field(default_factory=dict, compare=False)


def confirm(lhs: sp.Basic, rhs: sp.Basic, text: str, *, method: str = "simplify") -> Step:
    """A step asserting ``lhs == rhs``, confirmed by SymPy or a :class:`DerivationError`.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a")
    >>> confirm((a + 1) ** 2, a**2 + 2 * a + 1, "square").confirmed
    True
    """
    difference = lhs - rhs
    if method == "expand":
        reduced = difference.applyfunc(sp.expand) if isinstance(
            difference, sp.MatrixBase) else sp.expand(difference)
    elif method == "together_matrix":
        reduced = difference.applyfunc(lambda e: sp.expand(sp.numer(sp.together(e))))
    elif method == "together":
        reduced = sp.expand(sp.numer(sp.together(difference)))
    else:
        reduced = sp.simplify(difference)
    is_zero = reduced.is_zero_matrix if isinstance(reduced, sp.MatrixBase) else reduced == 0
    if not is_zero:
        raise DerivationError(f"SymPy did not confirm: {text}\n  lhs = {lhs}\n  rhs = {rhs}\n"
                              f"  lhs - rhs reduces to {reduced}")
    return Step(text, sp.Eq(lhs, rhs, evaluate=False), True)


def define(text: str, expr: sp.Basic) -> Step:
    """A step that defines or computes something (nothing to confirm)."""
    return Step(text, expr, None)

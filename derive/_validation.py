"""Every argument check of :mod:`derive`, and its exceptions.

Messages name the argument, show the value and say the fix, like
:mod:`numeric._validation`, so the CLI prints them as they are (exit 2).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DerivationError", "InvalidArgumentError", "check_order", "check_terms"]


class InvalidArgumentError(ValueError):
    """A bad argument to a derivation: names it, shows its value and says the fix."""

    def __init__(self, name: str, value: Any, problem: str, fix: str) -> None:
        self.name, self.value, self.problem, self.fix = name, value, problem, fix
        text = repr(value)
        if len(text) > 120:
            text = text[:117] + "..."
        super().__init__(f"invalid {name}={text}: {problem}; {fix}")


class DerivationError(RuntimeError):
    """SymPy could not confirm a step that must hold: a bug, never a user error."""


def check_order(order: Any, name: str = "order", minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools refused)."""
    if isinstance(order, bool) or not hasattr(order, "__index__"):
        raise InvalidArgumentError(name, order, "not an integer",
                                   f"pass an integer {name} >= {minimum}")
    value = int(order.__index__())
    if value < minimum:
        raise InvalidArgumentError(name, order, f"{name} must be >= {minimum}",
                                   f"pass an integer {name} >= {minimum}")
    return value


def check_terms(terms: Any) -> int:
    """Number of series terms: an integer >= 1."""
    return check_order(terms, name="terms")

"""Every argument check of :mod:`derive`; its exceptions live in :mod:`derive._errors`.

Messages name the argument, show the value and say the fix, like
:mod:`numeric._validation`, so the CLI prints them as they are (exit 2).
"""

from __future__ import annotations

from typing import Any

from derive._errors import DerivationError, InvalidArgumentError

__all__ = ["DerivationError", "InvalidArgumentError", "check_order", "check_terms"]


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

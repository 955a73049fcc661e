"""The exceptions of :mod:`derive` and :mod:`numeric`: one class each, shared by both.

Imports nothing heavy (no SymPy, no NumPy), so :mod:`numeric` can raise
:class:`InvalidArgumentError` without importing SymPy. A NumPy array in a message is
shortened with NumPy's print options, but only if NumPy is already loaded (a value can
only be an array then).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["DerivationError", "InvalidArgumentError"]

_LIMIT = 120


def _short_repr(value: Any, limit: int = _LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters; an ndarray printed compactly."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=12, edgeitems=2):
            text = np.array2string(value, separator=", ")
        text = text.replace("\n", "")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InvalidArgumentError(ValueError):
    """A bad argument: the message names it, shows its value and says the fix.

    Parameters
    ----------
    name : str
        The argument's name.
    value : object
        The value given (shown in the message, at most 120 characters).
    problem : str
        What is wrong with it.
    fix : str
        How to fix it.

    Examples
    --------
    >>> str(InvalidArgumentError("order", 0, "order must be >= 1", "pass 1"))
    'invalid order=0: order must be >= 1; pass 1'
    """

    def __init__(self, name: str, value: Any, problem: str, fix: str) -> None:
        self.name, self.value, self.problem, self.fix = name, value, problem, fix
        super().__init__(f"invalid {name}={_short_repr(value)}: {problem}; {fix}")


class DerivationError(RuntimeError):
    """SymPy could not confirm a step that must hold: a bug, never a user error."""

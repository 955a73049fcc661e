"""Weightings of your own, by name: ``NAME=EXPR@SPACE`` definitions (``dsmw weighting
--define``), the lookup that treats them like zoo names, and the ``--sigma-data`` value.

Both ``dsmw weighting show`` and ``dsmw weighting check`` read them from here, so a
definition means the same thing in every subcommand.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_sigma_data", "parse_definition", "resolve_weighting", "user_weighting"]


def check_sigma_data(value: Any) -> Any:
    """``--sigma-data``: a positive finite number, as an exact SymPy rational."""
    import sympy as sp

    from numeric._validation import InvalidArgumentError

    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise InvalidArgumentError("--sigma-data", value, "must be a positive number",
                                   "pass the data's standard deviation, e.g. 0.5 or 1")
    return sp.Rational(str(value)) if isinstance(value, str) else sp.nsimplify(number)


def user_weighting(name: str, expression: str, space: str, argument: str = "--define"):
    """A weighting of your own: ``expression`` (the vocabulary of the zoo: ``sigma``,
    ``alpha``, ``snr``, ``lam``, ``t``, ``sigma_data``) as the weight of the ``space``
    loss (or ``lambda``: a density form), sampled uniformly in ``t``. Usable wherever a
    zoo name is (``resolve_weighting``)."""
    import derive
    from derive import spaces
    from derive.weightings import VOCABULARY, Weighting
    from numeric._validation import InvalidArgumentError

    if space not in (*spaces.SPACES, "lambda"):
        raise InvalidArgumentError(argument, space, "unknown space of the weight",
                                   f"choose one of {', '.join((*spaces.SPACES, 'lambda'))}")
    text = name.strip() if isinstance(name, str) else ""
    if not text or ":" in text or any(c.isspace() for c in text):
        raise InvalidArgumentError(argument, name, "a name without spaces or ':'",
                                   "e.g. --define mine='min(snr, 5)@eps'")
    native = derive.parse_expression(expression, dict(VOCABULARY), argument=argument,
                                     names=", ".join(VOCABULARY))
    uniform = derive.weighting("ddpm").density  # the uniform-t sampler of the zoo
    return Weighting(text, "your definition", space, native, (), uniform,
                     "your definition", "")


def parse_definition(text: str):
    """``NAME=EXPR@SPACE`` (``dsmw weighting --define``) as a :func:`user_weighting`."""
    from numeric._validation import InvalidArgumentError

    name, equals, rest = str(text).partition("=")
    expression, at, space = rest.rpartition("@")
    if not equals or not at or not name.strip() or not expression.strip():
        raise InvalidArgumentError("--define", text, "not of the form NAME=EXPR@SPACE",
                                   "e.g. --define mine='min(snr, 5)@eps'")
    return user_weighting(name.strip(), expression, space.strip())


def resolve_weighting(text: str, definitions: dict | None = None):
    """``(record, values)`` of a zoo name (``derive.parse_weighting_name``) or of one of
    your ``definitions`` (by name; they take no parameters)."""
    import derive
    from numeric._validation import InvalidArgumentError

    definitions = definitions or {}
    head = str(text).strip().split(":")[0]
    if head in definitions:
        if ":" in str(text):
            raise InvalidArgumentError("weighting", text, f"your weighting {head} takes no "
                                       "parameters", f"write {head}")
        return definitions[head], {}
    return derive.parse_weighting_name(text)

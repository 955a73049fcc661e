"""Safe parsing of user formulas (untrusted text) into SymPy expressions.

Before SymPy sees the text, every name in it is checked against a whitelist
(the caller's vocabulary plus a few mathematical functions); attribute access,
dunder names, strings, keywords and lambdas are refused. SymPy's
``parse_expr`` then runs with a global namespace that holds only those names.
"""

from __future__ import annotations

import io
import keyword
import tokenize

import sympy as sp
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from derive._validation import InvalidArgumentError

__all__ = ["FUNCTIONS", "MAX_LENGTH", "parse_expression"]

MAX_LENGTH = 2000

#: Mathematical names a formula may use besides its vocabulary.
FUNCTIONS: dict[str, object] = {
    "sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "factorial": sp.factorial,
    "binomial": sp.binomial, "pi": sp.pi, "Abs": sp.Abs, "abs": sp.Abs,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "Rational": sp.Rational,
}

# Names SymPy's own transformations insert while parsing.
_PARSER_NAMES = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
                 "Symbol": sp.Symbol}


def _refuse(text: str, problem: str, fix: str, argument: str):
    return InvalidArgumentError(argument, text, problem, fix)


def parse_expression(
    text: str, vocabulary: dict[str, sp.Expr], argument: str = "expression",
    names: str | None = None,
) -> sp.Expr:
    """Parse ``text`` using only ``vocabulary`` and :data:`FUNCTIONS`.

    ``^`` is read as a power, as mathematicians write it. ``names`` describes the
    vocabulary in error messages (default: the sorted list of its names).

    Examples
    --------
    >>> import sympy as sp
    >>> sigma = sp.Symbol("sigma", positive=True)
    >>> parse_expression("1/sigma^2", {"sigma": sigma}) == sigma**-2
    True
    >>> parse_expression("__import__('os')", {"sigma": sigma})
    Traceback (most recent call last):
    ...
    derive._validation.InvalidArgumentError: invalid expression="__import__('os')": ...
    """
    if not isinstance(text, str):
        raise _refuse(repr(text), "not a string", "pass the formula as text", argument)
    allowed = {**FUNCTIONS, **vocabulary}
    described = names if names is not None else ", ".join(sorted(vocabulary))
    hint = f"use only {described} and {', '.join(sorted(FUNCTIONS))}"
    if len(text) > MAX_LENGTH:
        raise _refuse(text, f"longer than {MAX_LENGTH} characters", "shorten it", argument)
    if not text.strip():
        raise _refuse(text, "empty formula", "write a formula, e.g. 1/sigma**2 + h", argument)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise _refuse(text, f"could not parse ({exc.args[0]})", "check the brackets",
                      argument) from None
    previous = None
    for token in tokens:
        if token.type == tokenize.STRING:
            raise _refuse(text, "strings are not allowed", hint, argument)
        if token.type == tokenize.OP and token.string in {".", ";", ":", "=", "[", "{", "@",
                                                          "lambda", ":="}:
            raise _refuse(text, f"operator '{token.string}' is not allowed", hint, argument)
        if token.type == tokenize.NAME:
            name = token.string
            if name.startswith("_") or keyword.iskeyword(name):
                raise _refuse(text, f"name '{name}' is not allowed", hint, argument)
            if name not in allowed:
                raise _refuse(text, f"unknown symbol '{name}'", hint, argument)
        after_name = previous is not None and previous.type == tokenize.NAME
        if token.type == tokenize.NUMBER and after_name:
            raise _refuse(text, f"could not parse near '{token.string}'", hint, argument)
        previous = token
    try:
        expr = parse_expr(
            text,
            local_dict=dict(allowed),
            global_dict={"__builtins__": {}, **_PARSER_NAMES, **allowed},
            transformations=(*standard_transformations, convert_xor),
            evaluate=True,
        )
    except (SyntaxError, TypeError, ValueError, AttributeError, sp.SympifyError) as exc:
        raise _refuse(text, f"could not parse ({type(exc).__name__}: {exc})",
                      "write it in SymPy syntax, e.g. 1/sigma**2 + h", argument) from None
    if not isinstance(expr, sp.Expr):
        raise _refuse(text, f"not an expression (got {type(expr).__name__})",
                      "write a single formula", argument)
    return expr

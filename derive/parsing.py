"""Safe parsing of user formulas (untrusted text) into SymPy expressions.

Before SymPy sees the text, every name in it is checked against a whitelist
(the caller's vocabulary plus a few mathematical functions); attribute access,
dunder names, strings, keywords and lambdas are refused. SymPy's
``parse_expr`` then runs with a global namespace that holds only those names.

Budgets
-------
SymPy evaluates integer arithmetic and function calls of numbers exactly as it
builds the expression (``9**9**9`` or ``factorial(100000)`` would run for
minutes or exhaust memory). So, before anything is evaluated, the Python code
SymPy *would* run is parsed into a syntax tree and checked against these
budgets, whatever the vocabulary (they are documented in ``notes/theory.md``):

- :data:`MAX_LENGTH` characters of text;
- :data:`MAX_DEPTH` levels of nesting of the syntax tree;
- integer literals of at most :data:`MAX_INTEGER_DIGITS` digits;
- every exponent that is a constant has absolute value at most :data:`MAX_EXPONENT`;
- ``factorial`` and ``binomial`` take integer constants from 0 to :data:`MAX_FACTORIAL`;
- every constant power (``2**60``, ``(10**30)**9``), every float literal (``1e400``) and
  every sum, product or quotient of constants stays finite in double precision (below
  about ``1.8e308``);
- every constant is real: no imaginary unit (``I``, ``1j``), no square root or logarithm
  of a negative constant, no non-integer power of a negative constant (``(-1)**(1/2)``);
  and the parsed formula has no ``I`` in it (``sqrt(-sigma)``).
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    standard_transformations,
    stringify_expr,
)

from derive._errors import InvalidArgumentError

__all__ = ["FUNCTIONS", "FUNCTION_NAMES", "MAX_DEPTH", "MAX_EXPONENT", "MAX_FACTORIAL",
           "MAX_INTEGER_DIGITS", "MAX_LENGTH", "parse_expression"]

#: Longest formula, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of the formula's syntax tree (each bracket, operator or call is a level).
MAX_DEPTH = 60
#: Most digits of an integer literal.
MAX_INTEGER_DIGITS = 30
#: Largest absolute value of a constant exponent (``sigma**64`` is allowed, ``sigma**65`` not).
MAX_EXPONENT = 64
#: Largest argument of ``factorial`` and ``binomial`` (integer constants only).
MAX_FACTORIAL = 50

_ARGUMENT, _LOW, _HIGH = sp.symbols("x lo hi", real=True)


class _Defined:
    """A function defined by a SymPy expression, e.g. ``sigmoid(x) = 1/(1 + exp(-x))``;
    a call with the wrong number of arguments names the function and its arguments."""

    def __init__(self, name: str, arguments: tuple[sp.Symbol, ...], body: sp.Expr) -> None:
        self.name, self.arguments, self.body = name, arguments, body

    def __call__(self, *values: object) -> sp.Expr:
        if len(values) != len(self.arguments):
            signature = ", ".join(map(str, self.arguments))
            raise TypeError(f"{self.name}({signature}) takes {len(self.arguments)} "
                            f"argument{'s' if len(self.arguments) > 1 else ''}, got "
                            f"{len(values)}")
        return self.body.subs(dict(zip(self.arguments, map(sp.sympify, values),
                                       strict=True)), simultaneous=True)

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.arguments))}) = {self.body}"

#: Mathematical names a formula may use besides its vocabulary.
FUNCTIONS: dict[str, object] = {
    "sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "factorial": sp.factorial,
    "binomial": sp.binomial, "pi": sp.pi, "Abs": sp.Abs, "abs": sp.Abs,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "Rational": sp.Rational,
    # the functions published diffusion weightings are written with
    "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "asinh": sp.asinh,
    "acosh": sp.acosh, "atanh": sp.atanh, "erf": sp.erf, "erfc": sp.erfc,
    "min": sp.Min, "max": sp.Max, "Min": sp.Min, "Max": sp.Max,
    "sigmoid": _Defined("sigmoid", (_ARGUMENT,), 1 / (1 + sp.exp(-_ARGUMENT))),
    "softplus": _Defined("softplus", (_ARGUMENT,), sp.log(1 + sp.exp(_ARGUMENT))),
    "logit": _Defined("logit", (_ARGUMENT,), sp.log(_ARGUMENT / (1 - _ARGUMENT))),
    "clip": _Defined("clip", (_ARGUMENT, _LOW, _HIGH), sp.Min(sp.Max(_ARGUMENT, _LOW), _HIGH)),
}

#: The functions as a user writes them (help texts), aliases left out.
FUNCTION_NAMES = ", ".join(
    str(value).split(" =")[0] if isinstance(value, _Defined) and len(value.arguments) > 1
    else name for name, value in FUNCTIONS.items() if name not in ("Abs", "Min", "Max",
                                                                   "Rational"))

# Names SymPy's own transformations insert while parsing.
_PARSER_NAMES = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
                 "Symbol": sp.Symbol}


def _refuse(text: str, problem: str, fix: str, argument: str):
    return InvalidArgumentError(argument, text, problem, fix)


#: The fix of every refusal of a complex constant.
_REAL_FIX = ("a formula must be real: take square roots and logarithms of positive "
             "constants, and powers of negative constants with integer exponents only")
#: The fix of every refusal of a constant beyond double precision.
_DOUBLE_FIX = "use constants below about 1.8e308 in absolute value"


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
    derive._errors.InvalidArgumentError: invalid expression="__import__('os')": ...
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
    # line breaks and indentation are layout (a long formula pasted over several lines)
    source = " ".join(text.split())
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
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
            if name == "I" and name not in allowed:
                raise _refuse(text, "the imaginary unit I is not allowed", _REAL_FIX,
                              argument)
            if name not in allowed:
                raise _refuse(text, f"unknown symbol '{name}'", hint, argument)
        after_name = previous is not None and previous.type == tokenize.NAME
        if token.type == tokenize.NUMBER and after_name:
            raise _refuse(text, f"could not parse near '{token.string}'", hint, argument)
        if token.type == tokenize.NUMBER and token.string[-1:] in {"j", "J"}:
            raise _refuse(text, f"the complex constant {token.string}", _REAL_FIX, argument)
        previous = token
    transformations = (*standard_transformations, convert_xor)
    global_dict = {"__builtins__": {}, **_PARSER_NAMES, **allowed}
    try:
        code = stringify_expr(source, dict(allowed), dict(global_dict), transformations)
        tree = ast.parse(code, mode="eval")
    except (SyntaxError, TypeError, ValueError, RecursionError, MemoryError) as exc:
        raise _refuse(text, f"could not parse ({type(exc).__name__}: {exc})",
                      "write it in SymPy syntax, e.g. 1/sigma**2 + h", argument) from None
    _check_budgets(tree, text, argument)
    try:
        expr = parse_expr(
            source,
            local_dict=dict(allowed),
            global_dict=global_dict,
            transformations=transformations,
            evaluate=True,
        )
    except (SyntaxError, TypeError, ValueError, AttributeError, ZeroDivisionError,
            RecursionError, sp.SympifyError) as exc:
        raise _refuse(text, f"could not parse ({type(exc).__name__}: {exc})",
                      "write it in SymPy syntax, e.g. 1/sigma**2 + h", argument) from None
    if not isinstance(expr, sp.Expr):
        raise _refuse(text, f"not an expression (got {type(expr).__name__})",
                      "write a single formula", argument)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise _refuse(text, f"undefined or infinite ({expr}; e.g. a division by zero)",
                      "write a finite formula", argument)
    if expr.has(sp.I):
        raise _refuse(text, f"complex ({expr})", _REAL_FIX, argument)
    return expr


# Float stand-ins of the functions a constant may use, to bound its size before SymPy
# computes it exactly. A domain error (log(0)) leaves the size unknown, which is harmless:
# SymPy keeps such a constant unevaluated.
_FLOAT_FUNCTIONS = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "Abs": abs, "abs": abs,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "atan": math.atan,
    "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
}
_BOUNDED_FUNCTIONS = {"factorial", "binomial"}
_UNKNOWN = object()  # a constant whose size is not known (e.g. log(-1))


class _Literals(ast.NodeTransformer):
    """``Integer(9)`` -> ``9``, ``Symbol('h')`` -> ``h``: the user's spelling in messages."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = _call_name(node)
        if name in {"Integer", "Float", "Symbol"} and len(node.args) == 1 and isinstance(
                node.args[0], ast.Constant):
            value = node.args[0].value
            return ast.Name(id=str(value), ctx=ast.Load())
        return node


def _show(node: ast.AST) -> str:
    import copy

    return ast.unparse(_Literals().visit(copy.deepcopy(node)))


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _call_name(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def _check_budgets(tree: ast.Expression, text: str, argument: str) -> None:
    """Refuse ``text`` if evaluating ``tree`` could exceed a budget (see the module doc)."""
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise _refuse(text, f"nested {depth} levels deep (budget {MAX_DEPTH})",
                      "simplify the formula or split it", argument)
    values: dict[int, object] = {}  # id(node) -> float value, _UNKNOWN, or absent (symbolic)
    # Post-order: children are checked (and sized) before their parents.
    order, stack = [], [tree.body]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(ast.iter_child_nodes(node))
    for node in reversed(order):
        value = _constant_value(node, values, text, argument)
        if value is not None:
            values[id(node)] = value


def _constant_value(node: ast.AST, values: dict[int, object], text: str, argument: str):
    """The float value of a constant sub-expression, _UNKNOWN, or None if it is symbolic."""
    def child(n: ast.AST):
        return values.get(id(n))

    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, (int, float)) else _UNKNOWN
    if isinstance(node, ast.Call):
        name = _call_name(node)
        args = [child(a) for a in node.args]
        if name == "Integer" and node.args and isinstance(node.args[0], ast.Constant):
            digits = len(str(abs(int(node.args[0].value))))
            if digits > MAX_INTEGER_DIGITS:
                raise _refuse(text, f"an integer of {digits} digits (budget "
                              f"{MAX_INTEGER_DIGITS})", "use a smaller number or a float",
                              argument)
            return float(node.args[0].value)
        if name == "Float" and node.args and isinstance(node.args[0], ast.Constant):
            value = float(node.args[0].value)
            if not math.isfinite(value):
                raise _refuse(text, f"the float literal {node.args[0].value} is beyond "
                              "double precision (about 1.8e308)", _DOUBLE_FIX, argument)
            return value
        if name in _BOUNDED_FUNCTIONS:
            for a, v in zip(node.args, args, strict=True):
                if not (isinstance(v, float) and v.is_integer() and 0 <= v <= MAX_FACTORIAL):
                    raise _refuse(text, f"{name} of {_show(a)}", f"{name} takes integer "
                                  f"constants from 0 to {MAX_FACTORIAL}", argument)
            if name == "factorial" and len(args) == 1:
                return float(math.factorial(int(args[0])))
            if len(args) == 2:
                return float(math.comb(int(args[0]), int(args[1])))
            return _UNKNOWN
        if any(v is None for v in args) or node.keywords:
            return None
        if name == "Rational" and len(args) == 2 and all(isinstance(v, float) for v in args):
            return args[0] / args[1] if args[1] else _UNKNOWN
        if name in _FLOAT_FUNCTIONS and len(args) == 1 and isinstance(args[0], float):
            if name in {"sqrt", "log"} and args[0] < 0:
                raise _refuse(text, f"the constant {_show(node)} is complex", _REAL_FIX,
                              argument)
            try:
                return float(_FLOAT_FUNCTIONS[name](args[0]))
            except (ValueError, OverflowError):
                return _UNKNOWN
        return _UNKNOWN
    if isinstance(node, ast.Name):
        return math.pi if node.id == "pi" else None
    if isinstance(node, ast.UnaryOp):
        v = child(node.operand)
        return -v if isinstance(v, float) and isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        left, right = child(node.left), child(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(node, left, right, text, argument)
        if left is None or right is None:
            return None
        if not (isinstance(left, float) and isinstance(right, float)):
            return _UNKNOWN
        value = _arithmetic(node.op, left, right)
        if isinstance(value, float) and not math.isfinite(value) and math.isfinite(
                left) and math.isfinite(right):
            raise _refuse(text, f"the constant {_show(node)} exceeds double precision "
                          "(about 1.8e308)", _DOUBLE_FIX, argument)
        return value
    return None


def _arithmetic(op: ast.operator, left: float, right: float):
    """``left op right`` in floats (inf on overflow), or _UNKNOWN."""
    try:
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right if right else _UNKNOWN
    except OverflowError:
        return math.inf
    return _UNKNOWN


def _power(node: ast.BinOp, base, exponent, text: str, argument: str):
    if exponent is None:  # a symbolic exponent: SymPy leaves the power unevaluated
        return None
    if isinstance(exponent, float) and not abs(exponent) <= MAX_EXPONENT:
        raise _refuse(text, f"exponent {_show(node.right)} is larger than "
                      f"{MAX_EXPONENT} in absolute value", "use a smaller power", argument)
    if base is None:
        return None
    if not (isinstance(base, float) and isinstance(exponent, float)):
        return _UNKNOWN
    if base < 0 and not exponent.is_integer():
        raise _refuse(text, f"the constant {_show(node)} is complex", _REAL_FIX, argument)
    try:
        value = abs(base) ** exponent if base != 0 or exponent > 0 else math.inf
    except OverflowError:
        value = math.inf
    except ZeroDivisionError:
        return _UNKNOWN
    if base == 0 and exponent <= 0:
        return _UNKNOWN
    if not math.isfinite(value) and math.isfinite(base):
        raise _refuse(text, f"the constant {_show(node)} exceeds double precision "
                      "(about 1.8e308)", "use a smaller constant", argument)
    return value

"""How :func:`derive.claim.confirm` decides an identity: reduction, refutation, witnesses.

Every SymPy call here runs under a time budget (:data:`REDUCE_SECONDS`,
:data:`POINT_SECONDS`); an exhausted budget leaves a step *unconfirmed*, never hangs.
A remainder SymPy reduces to zero is evaluated again, as given, at
:data:`WITNESS_POINTS` random rational points to 50 digits (the second witness), and a
nonzero remainder at rational points refutes. Matrix expressions of symbolic size are
decided on a generic entry and witnessed at concrete sizes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import sympy as sp

from derive._budget import OutOfTime, bounded

__all__ = ["POINT_SECONDS", "REDUCE_SECONDS", "WITNESS_POINTS", "decide_entry",
           "decide_symbolic_size", "parameter_symbols"]


def parameter_symbols(expr: sp.Basic) -> set[sp.Symbol]:
    """The free symbols of ``expr``, with the symbols in matrix shapes (a ``MatrixSymbol``
    of size ``d`` does not list ``d`` among its free symbols)."""
    if isinstance(expr, sp.core.relational.Relational):
        return parameter_symbols(expr.lhs) | parameter_symbols(expr.rhs)
    found = {s for s in getattr(expr, "free_symbols", set()) if isinstance(s, sp.Symbol)}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.MatrixExpr):
            for size in node.shape:
                found |= {s for s in getattr(size, "free_symbols", ()) if isinstance(
                    s, sp.Symbol)}
    return found


_ATTEMPTS = 3
#: Seconds SymPy gets to reduce one identity (simplify, equals), per attempt.
REDUCE_SECONDS = 20.0
#: Seconds for each exact evaluation at a point (the refutation search, the witness pass).
POINT_SECONDS = 4.0
#: Points at which every confirmed identity is evaluated again, to 50 digits.
WITNESS_POINTS = 2



def _reduce(difference: sp.Expr, method: str) -> sp.Expr:
    if method == "expand":
        return sp.expand(difference)
    if method == "together":
        return sp.expand(sp.numer(sp.together(difference)))
    if method == "none":
        return difference
    return sp.simplify(difference)


def _sample_value(symbol: sp.Symbol, rng: random.Random) -> sp.Expr:
    """A rational value in the symbol's domain (positive, nonnegative, integer, real)."""
    if symbol.is_integer:
        low = 1 if symbol.is_positive else 0 if symbol.is_nonnegative else -3
        return sp.Integer(rng.randint(low, low + 5))
    value = sp.Rational(rng.randint(1, 40), rng.randint(7, 19))
    if symbol.is_positive or symbol.is_nonnegative:
        return value
    if symbol.is_nonpositive or symbol.is_negative:
        return -value
    return value if rng.random() < 0.5 else -value


def _concrete_functions(expr: sp.Expr, rng: random.Random) -> tuple[sp.Expr, str]:
    """Replace each undefined function ``f(y_1..y_k)`` by a concrete positive one,
    ``exp(sum_i a_i y_i - b_i y_i^2)`` with random rationals, and evaluate derivatives."""
    functions = sorted({f.func for f in expr.atoms(sp.core.function.AppliedUndef)},
                       key=lambda f: f.__name__)
    shown = []
    for function in functions:
        arity = max(len(f.args) for f in expr.atoms(function))
        ys = sp.symbols(f"_y0:{arity}")
        body = sp.exp(sum(sp.Rational(rng.randint(-9, 9), rng.randint(2, 7)) * y
                          - sp.Rational(rng.randint(1, 9), rng.randint(2, 7)) * y**2 for y in ys))
        expr = expr.replace(function, sp.Lambda(ys, body))
        shown.append(f"{function.__name__} = {body}")
    return expr.doit(), "; ".join(shown)


def _evaluable(expr: sp.Expr, rng: random.Random) -> tuple[sp.Expr, str] | None:
    """``expr`` with concrete functions and plain symbols for matrix entries, ready to be
    evaluated at a point; None where that cannot be done (integrals, non-commutative
    symbols, derivatives left unevaluated)."""
    if not expr.is_commutative or expr.has(sp.Integral):
        return None
    functions = ""
    if expr.has(sp.core.function.AppliedUndef):
        try:
            expr, functions = _concrete_functions(expr, rng)
        except (TypeError, ValueError, AttributeError):
            return None
        if expr.has(sp.core.function.AppliedUndef, sp.Derivative, sp.Subs):
            return None
    elements = expr.atoms(sp.matrices.expressions.matexpr.MatrixElement)
    if any(not isinstance(e.parent, sp.MatrixSymbol) for e in elements):
        return None  # entries of A^-1 or A B are not independent unknowns
    if elements:  # entries of a MatrixSymbol: plain real unknowns
        expr = expr.xreplace({e: sp.Symbol(f"{e.parent}[{e.i}, {e.j}]", real=True)
                              for e in elements})
    return expr, functions


def _counterexample(reduced: sp.Expr, text: str) -> str:
    """A point where ``reduced`` evaluates exactly to a nonzero number, or ``""``.

    Undefined functions are replaced by concrete ones first: an identity that fails for one
    function is false in general. Each evaluation has :data:`POINT_SECONDS`.
    """
    rng = random.Random(text)  # deterministic: the notes are regenerated byte for byte
    prepared = _evaluable(reduced, rng)
    if prepared is None:
        return ""
    reduced, functions = prepared
    symbols = sorted(reduced.free_symbols, key=sp.default_sort_key)
    for _ in range(_ATTEMPTS):
        point = {s: _sample_value(s, rng) for s in symbols}
        try:
            value = bounded(POINT_SECONDS, "evaluation at a point", sp.simplify,
                             reduced.subs(point))
        except (ZeroDivisionError, TypeError, ValueError, OutOfTime):
            continue
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.free_symbols:
            continue
        if value.is_zero is False:
            shown = ", ".join([f"{k} = {v}" for k, v in point.items()]
                              + ([functions] if functions else []))
            return f"lhs - rhs = {value} at {shown}" if shown else f"lhs - rhs = {value}"
    return ""


def _fifty_digit_values(expr: sp.Expr, seed: str, tries: int, what: str
                        ) -> Iterator[tuple[float, sp.Expr, str]]:
    """``(|value|, value, point)`` of ``expr`` to 50 digits at up to ``tries`` random
    rational points (concrete functions for unknown ones), skipping points where it is
    undefined or its evaluation runs out of :data:`POINT_SECONDS`."""
    rng = random.Random(seed)
    prepared = _evaluable(expr, rng)
    if prepared is None:
        return
    expr, functions = prepared
    symbols = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)
                      and not isinstance(s, sp.Dummy)), key=sp.default_sort_key)
    for _ in range(tries):
        point = {s: _sample_value(s, rng) for s in symbols}
        try:
            value = bounded(POINT_SECONDS, what, _value_at, expr, point, rng)
            magnitude = abs(complex(value))
        except (ZeroDivisionError, TypeError, ValueError, OutOfTime):
            continue
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            continue
        yield magnitude, value, ", ".join([f"{k} = {v}" for k, v in point.items()]
                                          + ([functions] if functions else []))


def _witness(difference: sp.Expr, text: str) -> tuple[int, str]:
    """The second witness of a confirmed identity: ``difference`` (as given, not as SymPy
    reduced it) evaluated to 50 digits at :data:`WITNESS_POINTS` random rational points,
    with concrete functions for unknown ones. Returns the number of points where it
    vanished and, if it did not vanish somewhere, the point (a SymPy reduction bug)."""
    vanished = 0
    for magnitude, value, shown in _fifty_digit_values(difference, "witness:" + text,
                                                       WITNESS_POINTS * 2, "witness evaluation"):
        if magnitude < 1e-30:
            vanished += 1
            if vanished >= WITNESS_POINTS:
                break
        elif magnitude > 1e-15:
            return vanished, (f"SymPy reduced lhs - rhs to 0, but it is {sp.N(value, 6)} "
                              f"at {shown}")
    return vanished, ""


def _nonzero_value(expr: sp.Expr, text: str) -> str:
    """A point where ``expr`` is nonzero to 50 digits (``""`` if none was found)."""
    for magnitude, value, shown in _fifty_digit_values(expr, "nonzero:" + text,
                                                       WITNESS_POINTS, "evaluation at a point"):
        if magnitude > 1e-15:
            return f"{sp.N(value, 6)} at {shown}"
    return ""


def _value_at(expr: sp.Expr, point: dict, rng: random.Random) -> sp.Expr:
    """``expr`` at ``point`` to 50 digits: sums of symbolic length done once their length is
    an integer, then each indexed unknown ``m[j]`` left given a random rational value."""
    value = expr.subs(point).doit()
    indexed = sorted(value.atoms(sp.Indexed), key=sp.default_sort_key)
    value = value.xreplace({e: sp.Rational(rng.randint(-40, 40), rng.randint(7, 19))
                            for e in indexed})
    return sp.N(value, 50)


def _decide(reduced: sp.Expr, text: str) -> tuple[str, str]:
    if reduced == 0 or getattr(reduced, "is_ZeroMatrix", False):
        return "confirmed", ""
    witness = _counterexample(reduced, text)
    if witness:
        return "refuted", witness
    if reduced.has(sp.sin, sp.cos, sp.tan) and reduced.is_commutative:
        # simplify can leave half-angle forms (1 - cos 2x vs 2 sin^2 x); Fu's rules reduce them
        try:
            if bounded(REDUCE_SECONDS, "SymPy's fu", lambda e: sp.simplify(sp.fu(e)),
                       reduced) == 0:
                return "confirmed", ""
        except OutOfTime:
            pass
    try:
        equal = (bounded(REDUCE_SECONDS, "SymPy's equals(0)", reduced.equals, 0)
                 if reduced.is_commutative else None)
    except OutOfTime as exc:
        return "unconfirmed", f"lhs - rhs: {exc}"
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        equal = None
    if equal is True:
        return "confirmed", ""
    if equal is False:
        # equals(0) is a heuristic and can say False of a zero expression (SymPy 1.13 does
        # for half-angle trigonometric forms): refute only where a value shows it
        nonzero = _nonzero_value(reduced, text)
        if nonzero:
            return "refuted", f"SymPy: lhs - rhs = {reduced} is not zero ({nonzero})"
        return "unconfirmed", (f"lhs - rhs reduces to {reduced}; SymPy's equals(0) says it is "
                               "not zero, but it vanished at every point tried")
    return "unconfirmed", f"lhs - rhs reduces to {reduced}, which SymPy could not decide"


def decide_entry(entry: sp.Expr, method: str, text: str) -> tuple[str, str, int]:
    """Reduce and decide one scalar identity ``entry == 0``, then witness it."""
    try:
        reduced = bounded(REDUCE_SECONDS, f"SymPy's {method}", _reduce, entry, method)
    except OutOfTime as exc:
        return "unconfirmed", f"lhs - rhs: {exc}", 0
    status, detail = _decide(reduced, text)
    if status != "confirmed":
        return status, detail, 0
    vanished, disagreement = _witness(entry, text)
    if disagreement:
        return "refuted", disagreement, vanished
    return status, detail, vanished


def decide_symbolic_size(difference: sp.MatrixExpr, method: str, text: str
                          ) -> tuple[str, str, int]:
    """Decide ``difference == 0`` for a matrix expression of symbolic size (``d x d``).

    SymPy's matrix algebra (``expand``, ``doit``, ``simplify``) first, then a generic
    entry ``(i, j)`` in index notation. No refutation from a generic entry: the entries
    of ``A`` and ``A^-1`` are not independent unknowns. The second witness is exact, at
    concrete sizes with random rational matrices (:func:`_matrix_witness`).
    """
    def reduce(expr: sp.MatrixExpr) -> sp.Basic:
        expanded = sp.expand(expr).doit()
        return sp.simplify(expanded) if method == "simplify" else expanded

    try:
        reduced = bounded(REDUCE_SECONDS, "SymPy's matrix algebra", reduce, difference)
        zero = reduced == 0 or getattr(reduced, "is_ZeroMatrix", False)
        if not zero:
            entry = bounded(REDUCE_SECONDS, f"SymPy's {method} on the entry (i, j)",
                             lambda e: _reduce(_generic_entry(e), method), difference)
            zero = entry == 0
    except OutOfTime as exc:
        return "unconfirmed", f"lhs - rhs: {exc}", 0
    vanished, disagreement = _matrix_witness(difference, text)
    if not zero:
        if disagreement:  # a concrete instance where it fails: false in general
            return "refuted", disagreement.replace("SymPy reduced lhs - rhs to 0, but ", ""), 0
        return ("unconfirmed", f"lhs - rhs reduces to {reduced}, which SymPy could not "
                "decide for a symbolic size", 0)
    if disagreement:
        return "refuted", disagreement, vanished
    return "confirmed", "", vanished


def _matrix_witness(difference: sp.MatrixExpr, text: str) -> tuple[int, str]:
    """``difference`` at concrete sizes (2 and 3) with random rational matrices (a
    multiple of the identity added, so they are invertible) and rational scalars,
    evaluated exactly: the number of instances where it vanished, or the one where not."""
    rng = random.Random("matrix witness:" + text)
    vanished = 0
    for size in (2, 3):
        sizes = {s: sp.Integer(size) for s in parameter_symbols(difference)
                 if s.is_integer and not isinstance(s, sp.Dummy)}
        values: dict = dict(sizes)
        for symbol in sorted(difference.atoms(sp.MatrixSymbol), key=str):
            rows, cols = (sp.sympify(k).subs(sizes) for k in symbol.shape)
            if not (rows.is_Integer and cols.is_Integer):
                return vanished, ""
            values[symbol] = sp.Matrix(int(rows), int(cols), lambda i, j, n=size: sp.Rational(
                rng.randint(-9, 9), rng.randint(1, 5)) + (4 * n if i == j else 0))
        scalars = {s: _sample_value(s, rng) for s in difference.free_symbols
                   if isinstance(s, sp.Symbol) and s not in values}
        try:
            at = {**values, **scalars}
            explicit = bounded(POINT_SECONDS * 5, "matrix witness", _explicit, difference,
                                sizes, at)
        except (OutOfTime, TypeError, ValueError, ZeroDivisionError, AttributeError):
            continue
        if any(sp.simplify(entry) != 0 for entry in sp.Matrix(explicit)):
            return vanished, (f"SymPy reduced lhs - rhs to 0, but at size {size} with "
                              "random rational matrices it is not")
        vanished += 1
    return vanished, ""


def _explicit(expr: sp.Basic, sizes: dict, values: dict) -> sp.Basic:
    """``expr`` evaluated bottom-up with concrete matrices (``values``) for its matrix
    symbols and integers (``sizes``) for its symbolic sizes; a scalar stays a scalar."""
    M = sp.matrices.expressions
    if isinstance(expr, sp.MatrixSymbol):
        return values[expr]
    if isinstance(expr, M.Identity):
        return sp.eye(int(sp.sympify(expr.rows).subs(sizes)))
    if isinstance(expr, M.ZeroMatrix):
        rows, cols = (int(sp.sympify(k).subs(sizes)) for k in expr.shape)
        return sp.zeros(rows, cols)
    if isinstance(expr, M.FunctionMatrix):
        rows, cols = (int(sp.sympify(k).subs(sizes)) for k in expr.shape)
        return sp.Matrix(rows, cols, lambda a, b: expr.lamda(a, b).subs(sizes).xreplace(
            values))
    if isinstance(expr, M.Inverse):
        return _explicit(expr.arg, sizes, values).inv()
    if isinstance(expr, M.Transpose):
        return _explicit(expr.arg, sizes, values).T
    if isinstance(expr, M.Trace):
        return _explicit(expr.arg, sizes, values).trace()
    if isinstance(expr, M.MatPow):
        return _explicit(expr.base, sizes, values) ** int(expr.exp)
    if isinstance(expr, (M.MatMul, sp.Mul)):
        result = sp.Integer(1)
        for factor in expr.args:
            result = result * _explicit(factor, sizes, values)
        return result
    if isinstance(expr, (M.MatAdd, sp.Add)):
        parts = [_explicit(term, sizes, values) for term in expr.args]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
    if isinstance(expr, sp.MatrixBase):
        return expr.xreplace(values)
    if isinstance(expr, sp.Basic) and expr.args and not isinstance(expr, sp.MatrixExpr):
        return expr.func(*(_explicit(a, sizes, values) for a in expr.args))
    if isinstance(expr, sp.MatrixExpr):
        raise TypeError(f"no explicit form for {type(expr).__name__}")
    return expr.subs(sizes).xreplace(values)


def _generic_entry(difference: sp.MatrixExpr) -> sp.Expr:
    """Entry ``(i, j)`` of a matrix expression of symbolic size, ``i, j`` symbolic: index
    notation, so one scalar identity stands for every entry in every size."""
    i, j = sp.symbols("i j", integer=True, nonnegative=True)
    rows, cols = difference.shape
    entry = difference[i, j].doit()
    # i, j lie in range by construction: a delta's range annotation says nothing more
    entry = entry.replace(lambda e: isinstance(e, sp.KroneckerDelta) and len(e.args) > 2,
                          lambda e: sp.KroneckerDelta(e.args[0], e.args[1]))
    # indices lie in range: KroneckerDelta and Piecewise fold under the assumptions
    in_range = sp.Q.le(i, rows - 1) & sp.Q.le(j, cols - 1)
    return sp.refine(sp.piecewise_fold(entry), in_range)

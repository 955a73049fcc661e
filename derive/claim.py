"""The frozen records a derivation returns: its steps and the claim they establish.

A :class:`Step` carries a *computed* status:

``"confirmed"``
    SymPy reduced ``lhs - rhs`` to zero (or decided the sign that was claimed).
``"refuted"``
    SymPy showed ``lhs - rhs`` is not zero (exact evaluation at a rational point gave a
    nonzero number, or ``difference.equals(0) is False``): the derivation is wrong.
``"unconfirmed"``
    SymPy could not decide.
``"definition"``
    A definition or a computation: nothing to confirm.
``"assumption"``
    A mathematical fact the derivation relies on but SymPy does not establish (e.g.
    differentiating under the integral sign); the claim holds *under* it.

A :class:`Claim`'s status is computed from its steps, never set by hand.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Claim", "Step", "assume", "confirm", "confirm_sign", "define"]

_STEP_STATUSES = ("confirmed", "refuted", "unconfirmed", "definition", "assumption")
ANY = "any"
"""Instance value of a step that establishes a parameter in full generality."""


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what was done, the SymPy result, and its computed status.

    ``instance`` says for which values of the claim's parameters the step was done, as
    ``(("n", 3), ("d", 1))``; the value ``"any"`` marks a step done in full generality
    for that parameter. ``detail`` explains a refuted or unconfirmed step.
    """

    text: str
    expr: sp.Basic
    status: str = "definition"
    instance: tuple[tuple[str, int | str], ...] = ()
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in _STEP_STATUSES:
            raise ValueError(f"unknown step status {self.status!r}; one of {_STEP_STATUSES}")

    @property
    def confirmed(self) -> bool | None:
        """``True`` if confirmed, ``False`` if refuted, ``None`` otherwise (compatibility)."""
        if self.status == "confirmed":
            return True
        if self.status == "refuted":
            return False
        return None

    @property
    def is_identity(self) -> bool:
        """Whether the step asserts something SymPy was asked to confirm."""
        return self.status in ("confirmed", "refuted", "unconfirmed")

    def __reduce__(self) -> tuple:
        # Unpickling a Relational re-evaluates it (seconds for big identities); rebuild it
        # unevaluated instead, so a cached claim loads in milliseconds.
        return (_rebuild_step, (self.text, _freeze(self.expr), self.status, self.instance,
                                self.detail))

    def at(self, **instance: int | str) -> Step:
        """The same step, tagged with the parameter values it was done for."""
        merged = dict(self.instance)
        merged.update(instance)
        return Step(self.text, self.expr, self.status, tuple(sorted(merged.items())),
                    self.detail)


def _freeze(expr: sp.Basic) -> tuple:
    if isinstance(expr, sp.core.relational.Relational):
        return ("relational", type(expr), expr.lhs, expr.rhs)
    return ("expr", expr)


def _thaw(frozen: tuple) -> sp.Basic:
    if frozen[0] == "relational":
        _, kind, lhs, rhs = frozen
        return kind(lhs, rhs, evaluate=False)
    return frozen[1]


def _rebuild_step(text: str, expr: tuple, status: str, instance: tuple, detail: str) -> Step:
    return Step(text, _thaw(expr), status, instance, detail)


def _rebuild_claim(fields: dict) -> Claim:
    fields["statement"] = _thaw(fields["statement"])
    return Claim(**fields)


def _format_values(values: Iterable[int | str]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1..3, 5"`` (runs of three or more integers collapse)."""
    numbers = sorted(v for v in values if isinstance(v, int))
    words = sorted(str(v) for v in values if not isinstance(v, int))
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{numbers[i]}..{numbers[j]}")
        else:
            parts.extend(str(v) for v in numbers[i:j + 1])
        i = j + 1
    return ", ".join(parts + words)


@dataclass(frozen=True)
class Claim:
    """A claim as derived here, with a status computed from its steps.

    ``parameters`` are the quantities the statement is general in (``"n"`` the order,
    ``"d"`` the dimension, ``"N"`` a support size, ...): part of the *statement*. Which
    values the derivation covers is read from the steps' ``instance`` tags.

    ``assumptions`` are the hypotheses in words; ``numeric`` holds the exact names of the
    checks of ``dsmw verify`` that test the claim numerically (the notes print them).
    """

    id: str
    title: str
    statement: sp.Basic
    steps: tuple[Step, ...]
    parameters: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    results: dict[str, sp.Basic] = field(default_factory=dict, compare=False)

    def __reduce__(self) -> tuple:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["statement"] = _freeze(self.statement)
        return (_rebuild_claim, (fields,))

    @property
    def refuted_steps(self) -> tuple[Step, ...]:
        """Steps SymPy showed to be false."""
        return tuple(s for s in self.steps if s.status == "refuted")

    @property
    def unconfirmed_steps(self) -> tuple[Step, ...]:
        """Steps SymPy could not decide."""
        return tuple(s for s in self.steps if s.status == "unconfirmed")

    def combinations(self) -> tuple[tuple[int | str, ...], ...]:
        """The parameter values (in the order of ``parameters``) of every confirmed step
        tagged with all of them; ``"any"`` marks a step done in full generality."""
        found = set()
        for step in self.steps:
            tags = dict(step.instance)
            if step.status == "confirmed" and all(p in tags for p in self.parameters):
                found.add(tuple(tags[p] for p in self.parameters))
        return tuple(sorted(found, key=lambda combo: tuple(map(str, combo))))

    def coverage(self) -> dict[str, tuple[int | str, ...]]:
        """``{parameter: values covered by confirmed steps}``; ``("any",)`` if general."""
        combos = self.combinations()
        coverage = {}
        for index, name in enumerate(self.parameters):
            values = {combo[index] for combo in combos}
            coverage[name] = (ANY,) if ANY in values else tuple(sorted(values, key=str))
        return coverage

    @property
    def instances(self) -> str:
        """Which instances were proved, e.g. ``"n = 1..8 for d = 1; n = 1 for any d"``;
        empty when the claim is proved in full generality (or not proved at all)."""
        if self.status != "proved for instances":
            return ""
        combos = self.combinations()
        if len(self.parameters) != 2:
            return "; ".join(f"{name} any" if values == (ANY,)
                             else f"{name} = {_format_values(values)}"
                             for name, values in self.coverage().items())
        first, second = self.parameters
        by_second: dict[int | str, set[int | str]] = {}
        for a, b in combos:
            by_second.setdefault(b, set()).add(a)
        groups: dict[frozenset, list[int | str]] = {}
        for b, values in by_second.items():
            groups.setdefault(frozenset(values), []).append(b)

        def describe(name: str, values: Iterable[int | str]) -> str:
            values = set(values)
            return f"any {name}" if ANY in values else f"{name} = {_format_values(values)}"

        ordered = sorted(groups.items(), key=lambda item: (-len(item[0]), str(sorted(
            item[1], key=str))))
        return "; ".join(f"{describe(first, values)} for {describe(second, seconds)}"
                         for values, seconds in ordered)

    @property
    def status(self) -> str:
        """``"refuted"``, ``"proved"``, ``"proved for instances"`` or
        ``"checked numerically only"``, computed from the steps."""
        if self.refuted_steps:
            return "refuted"
        identities = [s for s in self.steps if s.is_identity]
        if not identities or self.unconfirmed_steps:
            return "checked numerically only"
        if not self.parameters:
            return "proved"
        combos = self.combinations()
        if not combos:
            return "checked numerically only"
        if any(all(value == ANY for value in combo) for combo in combos):
            return "proved"
        return "proved for instances"

    @property
    def proved(self) -> bool:
        """``status == "proved"`` (compatibility)."""
        return self.status == "proved"


# --------------------------------------------------------------------------- confirmation

_ATTEMPTS = 3


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


def _counterexample(reduced: sp.Expr, text: str) -> str:
    """A point where ``reduced`` evaluates exactly to a nonzero number, or ``""``.

    Undefined functions are replaced by concrete ones first: an identity that fails for one
    function is false in general.
    """
    if not reduced.is_commutative or reduced.has(sp.Integral):
        return ""
    rng = random.Random(text)  # deterministic: the notes are regenerated byte for byte
    functions = ""
    if reduced.has(sp.core.function.AppliedUndef):
        try:
            reduced, functions = _concrete_functions(reduced, rng)
        except (TypeError, ValueError, AttributeError):
            return ""
        if reduced.has(sp.core.function.AppliedUndef, sp.Derivative, sp.Subs):
            return ""
    elements = reduced.atoms(sp.matrices.expressions.matexpr.MatrixElement)
    if elements:  # entries of a MatrixSymbol: plain real unknowns
        reduced = reduced.xreplace({e: sp.Symbol(f"{e.parent}[{e.i}, {e.j}]", real=True)
                                    for e in elements})
    symbols = sorted(reduced.free_symbols, key=sp.default_sort_key)
    for _ in range(_ATTEMPTS):
        point = {s: _sample_value(s, rng) for s in symbols}
        try:
            value = sp.simplify(reduced.subs(point))
        except (ZeroDivisionError, TypeError, ValueError):
            continue
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.free_symbols:
            continue
        if value.is_zero is False:
            shown = ", ".join([f"{k} = {v}" for k, v in point.items()]
                              + ([functions] if functions else []))
            return f"lhs - rhs = {value} at {shown}" if shown else f"lhs - rhs = {value}"
    return ""


def _decide(reduced: sp.Expr, text: str) -> tuple[str, str]:
    if reduced == 0 or getattr(reduced, "is_ZeroMatrix", False):
        return "confirmed", ""
    witness = _counterexample(reduced, text)
    if witness:
        return "refuted", witness
    try:
        equal = reduced.equals(0) if reduced.is_commutative else None
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        equal = None
    if equal is True:
        return "confirmed", ""
    if equal is False:
        return "refuted", f"SymPy: lhs - rhs = {reduced} is not zero"
    return "unconfirmed", f"lhs - rhs reduces to {reduced}, which SymPy could not decide"


def confirm(lhs: sp.Basic, rhs: sp.Basic, text: str, *, method: str = "simplify",
            shown: sp.Basic | None = None) -> Step:
    """A step asserting ``lhs == rhs``; its status is what SymPy could establish.

    ``method`` is how ``lhs - rhs`` is reduced before deciding: ``"simplify"``,
    ``"expand"``, ``"together"`` (expanded numerator of one fraction) or
    ``"together_matrix"`` (the same entry by entry). A nonzero remainder is evaluated
    exactly at rational points: a nonzero value refutes the step. ``shown`` is what the
    notes display instead of ``lhs = rhs`` (e.g. the identity before a reduction).

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a")
    >>> confirm((a + 1) ** 2, a**2 + 2 * a + 1, "square").status
    'confirmed'
    >>> confirm((a + 1) ** 2, a**2 + 1, "wrong square").status
    'refuted'
    """
    difference = lhs - rhs
    if isinstance(difference, sp.MatrixExpr) and all(
            isinstance(size, (int, sp.Integer)) for size in difference.shape):
        difference = difference.as_explicit()  # e.g. MatrixSymbol identities of fixed size
    if isinstance(difference, sp.MatrixBase):
        entry_method = "together" if method == "together_matrix" else method
        outcomes = []
        for index, entry in enumerate(difference):
            outcomes.append(_decide(_reduce(entry, entry_method), f"{text}[{index}]"))
        status = ("refuted" if any(o[0] == "refuted" for o in outcomes) else "unconfirmed"
                  if any(o[0] == "unconfirmed" for o in outcomes) else "confirmed")
        detail = "; ".join(o[1] for o in outcomes if o[1])
        expr = sp.Eq(lhs, rhs, evaluate=False)
    else:
        reduced = _reduce(difference, "together" if method == "together_matrix" else method)
        status, detail = _decide(reduced, text)
        expr = sp.Eq(lhs, rhs, evaluate=False)
    return Step(text, expr if shown is None else shown, status, (), detail)


def confirm_sign(expr: sp.Expr, relation: str, text: str) -> Step:
    """A step asserting ``expr >= 0`` (``">= 0"``), ``> 0``, ``<= 0`` or ``< 0``, decided by
    SymPy's assumptions on the symbols (e.g. ``h`` declared nonpositive).

    Examples
    --------
    >>> import sympy as sp
    >>> y = sp.Symbol("y", positive=True)
    >>> confirm_sign(y**2 / (1 + y), "> 0", "positive").status
    'confirmed'
    >>> confirm_sign(-y, ">= 0", "wrong sign").status
    'refuted'
    """
    predicates = {">= 0": ("is_nonnegative", "is_negative", sp.GreaterThan),
                  "> 0": ("is_positive", "is_nonpositive", sp.StrictGreaterThan),
                  "<= 0": ("is_nonpositive", "is_positive", sp.LessThan),
                  "< 0": ("is_negative", "is_nonnegative", sp.StrictLessThan)}
    holds, fails, relation_class = predicates[relation]
    simplified = sp.factor(sp.together(expr))
    verdict = getattr(simplified, holds)
    if verdict is True:
        status, detail = "confirmed", ""
    elif getattr(simplified, fails) is True:
        status, detail = "refuted", f"SymPy: {simplified} is {fails[3:]}"
    else:
        status, detail = "unconfirmed", f"SymPy could not decide the sign of {simplified}"
    return Step(text, relation_class(expr, 0, evaluate=False), status, (), detail)


def define(text: str, expr: sp.Basic) -> Step:
    """A step that defines or computes something (nothing to confirm)."""
    return Step(text, expr, "definition")


def assume(text: str, expr: sp.Basic) -> Step:
    """A step the derivation relies on without SymPy establishing it (a hypothesis)."""
    return Step(text, expr, "assumption")

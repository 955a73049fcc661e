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

The *generality* of a step is computed from its expression too: a step holds "for any
n" only if an integer symbol standing for ``n`` (named ``n``, or ``n_i`` / ``n0``.. for
the entries of a multi-index) occurs in it, and "for any d" only if the dimension is a
symbol in it (e.g. in the shape of a ``MatrixSymbol`` or the range of a sum). Values
typed by hand (:meth:`Step.at`) only ever name concrete instances: a hand-typed
``"any"`` that the expression does not back is dropped. The steps that carry the
statement's content (:meth:`Step.carrying`) form the claim's *chain*: only they decide
in which generality the claim is proved; side cancellations do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import sympy as sp

from derive._decide import decide_entry, decide_symbolic_size, parameter_symbols

__all__ = ["Claim", "Step", "assume", "confirm", "confirm_sign", "define", "step_record"]

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
    #: whether the step carries the statement's content (part of the claim's chain)
    carries: bool = False
    #: points at which the confirmed identity, evaluated again to 50 digits, vanished
    witnesses: int = 0

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
                                self.detail, self.carries, self.witnesses))

    def at(self, **instance: int | str) -> Step:
        """The same step, tagged with the concrete parameter values it was done for
        (``"any"`` is accepted but counts only where the expression backs it: see
        :meth:`generality`)."""
        merged = dict(self.instance)
        merged.update(instance)
        return replace(self, instance=tuple(sorted(merged.items())))

    def carrying(self) -> Step:
        """The same step, marked as carrying the statement's content (the claim's chain)."""
        return replace(self, carries=True)

    def symbolic_in(self, parameter: str) -> bool:
        """Whether the step's expression is symbolic in ``parameter``: an integer symbol
        named ``parameter`` (or ``parameter_i``, ``parameter0``.. for a multi-index)
        occurs in it, in a matrix shape or a summation range included.

        Examples
        --------
        >>> import sympy as sp
        >>> n, d = sp.symbols("n d", integer=True, positive=True)
        >>> A = sp.MatrixSymbol("A", d, d)
        >>> step = define("trace", sp.Eq(sp.Trace(A + sp.Identity(d)), sp.Trace(A) + d))
        >>> step.symbolic_in("d"), step.symbolic_in("n")
        (True, False)
        >>> define("matrix of size d", sp.Eq(A.T, A)).symbolic_in("d")
        True
        >>> define("concrete", sp.Eq(sp.Symbol("x") ** 3, 0)).at(n="any").symbolic_in("n")
        False
        """
        pattern = re.compile(rf"{re.escape(parameter)}(_?\d+|_[a-z])?")
        return any(symbol.is_integer and pattern.fullmatch(symbol.name)
                   for symbol in parameter_symbols(self.expr))

    def generality(self, parameters: Iterable[str]) -> dict[str, int | str]:
        """``{parameter: value}`` the step was done for: ``"any"`` where its expression is
        symbolic in the parameter, else the concrete value it is tagged with; parameters
        with neither are left out (a hand-typed ``"any"`` not backed is dropped)."""
        tags = dict(self.instance)
        found: dict[str, int | str] = {}
        for name in parameters:
            if self.symbolic_in(name):
                found[name] = ANY
            elif name in tags and tags[name] != ANY:
                found[name] = tags[name]
        return found


def step_record(step: Step, parameters: Iterable[str] = ()) -> dict:
    """A step as plain data (strings and numbers): text, status, the two sides (as
    ``str`` and as ``srepr``, which SymPy parses back exactly), the generality computed
    for ``parameters``, whether it is in the chain, its witnesses and detail."""
    expr = step.expr
    if isinstance(expr, sp.core.relational.Relational):
        sides = {"relation": type(expr).__name__, "lhs": str(expr.lhs), "rhs": str(expr.rhs),
                 "lhs_srepr": sp.srepr(expr.lhs), "rhs_srepr": sp.srepr(expr.rhs)}
    else:
        sides = {"relation": "", "lhs": str(expr), "rhs": "", "lhs_srepr": sp.srepr(expr),
                 "rhs_srepr": ""}
    return {"text": step.text, "status": step.status, **sides,
            "generality": step.generality(parameters), "chain": step.carries,
            "witnesses": step.witnesses, "assumption": step.status == "assumption",
            "detail": step.detail}


def _freeze(expr: sp.Basic) -> tuple:
    if isinstance(expr, sp.core.relational.Relational):
        return ("relational", type(expr), expr.lhs, expr.rhs)
    return ("expr", expr)


def _thaw(frozen: tuple) -> sp.Basic:
    if frozen[0] == "relational":
        _, kind, lhs, rhs = frozen
        return kind(lhs, rhs, evaluate=False)
    return frozen[1]


def _rebuild_step(text: str, expr: tuple, status: str, instance: tuple, detail: str,
                  carries: bool = False, witnesses: int = 0) -> Step:
    return Step(text, _thaw(expr), status, instance, detail, carries, witnesses)


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
    #: the parts of the statement, as values of ``parameters`` (``"any"`` where the part
    #: is general), e.g. ``((1, "any"), ("any", 1))`` for "n = 1 in any d, and any n in
    #: d = 1"; empty: one part, general in every parameter
    scope: tuple[tuple[int | str, ...], ...] = ()

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

    def to_dict(self) -> dict:
        """The proof record as plain data (``dsmw derive --json``): id, title, statement,
        computed status and instances, parameters, assumptions, the numeric checks by name,
        and every step (:func:`step_record`)."""
        return {"id": self.id, "title": self.title, "statement": str(self.statement),
                "statement_srepr": sp.srepr(self.statement), "status": self.status,
                "instances": self.instances, "parameters": list(self.parameters),
                "assumptions": list(self.assumptions), "numeric": list(self.numeric),
                "scope": [list(part) for part in self.scope],
                "chain": [i for i, s in enumerate(self.steps) if s.carries],
                "steps": [step_record(s, self.parameters) for s in self.steps]}

    @property
    def chain(self) -> tuple[Step, ...]:
        """The steps that carry the statement's content (:meth:`Step.carrying`)."""
        return tuple(s for s in self.steps if s.carries)

    def combinations(self) -> tuple[tuple[int | str, ...], ...]:
        """The parameter values (in the order of ``parameters``) of every confirmed step
        of the chain, as computed by :meth:`Step.generality`; ``"any"`` marks a step
        symbolic in that parameter."""
        found = set()
        for step in self.chain:
            values = step.generality(self.parameters)
            if step.status == "confirmed" and all(p in values for p in self.parameters):
                found.add(tuple(values[p] for p in self.parameters))
        return tuple(sorted(found, key=lambda combo: tuple(map(str, combo))))

    def coverage(self) -> dict[str, tuple[int | str, ...]]:
        """``{parameter: values covered by confirmed steps}``; ``("any",)`` if general."""
        combos = self.combinations()
        coverage = {}
        for index, name in enumerate(self.parameters):
            values = {combo[index] for combo in combos}
            coverage[name] = (ANY,) if ANY in values else tuple(sorted(values, key=str))
        return coverage

    def _covered(self, part: tuple[int | str, ...]) -> bool:
        """Whether a confirmed step of the chain is at least as general as ``part``."""
        return any(all(value == ANY or value == wanted for value, wanted in zip(
            combo, part, strict=True)) for combo in self.combinations())

    @property
    def instances(self) -> str:
        """Which instances were proved, e.g. ``"n = 1..8 for d = 1; n = 1 for any d"``
        (for a claim proved in every part of its :attr:`scope`, those parts); empty when
        the claim is proved in full generality (or not proved at all)."""
        if self.status == "proved" and self.scope:
            return self._describe(set(self.scope))
        if self.status != "proved for instances":
            return ""
        return self._describe(set(self.combinations()))

    def _describe(self, combos: set[tuple[int | str, ...]]) -> str:
        """``"n = 1..8 for d = 1; n = 1 for any d"`` for the parameter values ``combos``."""
        if len(self.parameters) != 2:
            return "; ".join(f"{name} any" if values == (ANY,)
                             else f"{name} = {_format_values(values)}"
                             for name, values in self.coverage().items())
        first, second = self.parameters
        by_second: dict[int | str, set[int | str]] = {}
        for a, b in combos:
            by_second.setdefault(b, set()).add(a)
        for b, values in by_second.items():  # "any" covers the instances listed beside it
            if ANY in values:
                by_second[b] = {ANY}
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
        if not identities or self.unconfirmed_steps or not any(
                s.status == "confirmed" for s in self.chain):
            return "checked numerically only"
        if not self.parameters:
            return "proved"
        combos = self.combinations()
        if not combos:
            return "checked numerically only"
        if self.scope:
            return ("proved" if all(self._covered(part) for part in self.scope)
                    else "proved for instances")
        if any(all(value == ANY for value in combo) for combo in combos):
            return "proved"
        return "proved for instances"

    @property
    def proved(self) -> bool:
        """``status == "proved"`` (compatibility)."""
        return self.status == "proved"


# --------------------------------------------------------------------------- confirmation

def confirm(lhs: sp.Basic, rhs: sp.Basic, text: str, *, method: str = "simplify",
            shown: sp.Basic | None = None) -> Step:
    """A step asserting ``lhs == rhs``; its status is what SymPy could establish.

    ``method`` is how ``lhs - rhs`` is reduced before deciding: ``"simplify"``,
    ``"expand"``, ``"together"`` (expanded numerator of one fraction) or
    ``"together_matrix"`` (the same entry by entry). A nonzero remainder is evaluated
    exactly at rational points: a nonzero value refutes the step. A remainder SymPy
    reduces to zero is evaluated again, as given, at random rational points to 50 digits
    (the second witness): a nonzero value there refutes the step too. Every SymPy call has
    a time budget (:data:`REDUCE_SECONDS`, :data:`POINT_SECONDS`): an exhausted budget
    leaves the step *unconfirmed*, saying which call ran out. Matrix expressions of
    symbolic size are decided on a generic entry ``(i, j)``. ``shown`` is what the notes
    display instead of ``lhs = rhs`` (e.g. the identity before a reduction).

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a")
    >>> confirm((a + 1) ** 2, a**2 + 2 * a + 1, "square").status
    'confirmed'
    >>> confirm((a + 1) ** 2, a**2 + 1, "wrong square").status
    'refuted'
    >>> d = sp.Symbol("d", integer=True, positive=True)
    >>> A = sp.MatrixSymbol("A", d, d)
    >>> confirm(A + sp.Identity(d), sp.Identity(d) + A, "any d").status
    'confirmed'
    """
    difference = lhs - rhs
    entry_method = "together" if method == "together_matrix" else method
    if isinstance(difference, sp.MatrixExpr) and all(
            isinstance(size, (int, sp.Integer)) for size in difference.shape):
        difference = difference.as_explicit()  # e.g. MatrixSymbol identities of fixed size
    if isinstance(difference, sp.MatrixBase):
        outcomes = [decide_entry(entry, entry_method, f"{text}[{index}]")
                    for index, entry in enumerate(difference)]
    elif isinstance(difference, sp.MatrixExpr):
        outcomes = [decide_symbolic_size(difference, entry_method, text)]
    else:
        outcomes = [decide_entry(difference, entry_method, text)]
    status = ("refuted" if any(o[0] == "refuted" for o in outcomes) else "unconfirmed"
              if any(o[0] == "unconfirmed" for o in outcomes) else "confirmed")
    detail = "; ".join(o[1] for o in outcomes if o[1])
    witnesses = min(o[2] for o in outcomes)
    expr = sp.Eq(lhs, rhs, evaluate=False)
    return Step(text, expr if shown is None else shown, status, (), detail,
                witnesses=witnesses)


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

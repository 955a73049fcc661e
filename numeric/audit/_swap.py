"""Swapping a formula of :mod:`derive` for a wrong one while a block runs (a mutant).

Every check reads ``derive.<name>`` when it runs (never binding it at import), so a
function replaced on the module is what gets checked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Mutant", "swapped"]


@contextlib.contextmanager
def swapped(owner: Any, attribute: str, factory: Callable[[Callable], Callable],
            forget: Callable[[], None]) -> Iterator[None]:
    """``owner.<attribute>`` replaced by ``factory(original)`` while the block runs (a
    mutant); ``forget`` empties the memos built on it, after the swap and after the restore."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, factory(original))
    forget()
    try:
        yield
    finally:
        setattr(owner, attribute, original)
        forget()


@dataclass(frozen=True)
class Mutant:
    """A wrong formula: ``attribute`` of :mod:`derive` replaced by ``factory(original)``."""

    name: str
    claims: tuple[str, ...]
    attribute: str
    description: str
    factory: Callable[[Callable], Callable]

    def owner(self) -> Any:
        """The module whose ``attribute`` is replaced: the :mod:`derive` facade."""
        import derive

        return derive

    def forget(self) -> None:
        """Empty the memos built on the replaced formula, after the swap and after the
        restore. The checks memoise nothing computed from the :mod:`derive` facade (their
        one memo, the non-Gaussian quadrature table, uses numeric's own noise densities),
        so there is nothing to forget here; mutants of other modules override this."""

    def substituted(self) -> contextlib.AbstractContextManager[None]:
        """``owner().<attribute>`` replaced while the block runs."""
        return swapped(self.owner(), self.attribute, self.factory, self.forget)

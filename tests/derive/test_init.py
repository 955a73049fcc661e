"""The lazy facade :mod:`derive` (``derive/__init__.py``) and the shared exceptions
(``derive/_errors.py``)."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import derive
from derive._errors import DerivationError, InvalidArgumentError


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (same ``sys.path``) and return its stdout."""
    env_path = ":".join(p for p in sys.path if p)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": env_path, "PATH": ""})
    return result.stdout.strip()


def test_import_derive_imports_no_sympy_until_a_name_is_used() -> None:
    out = _fresh("import sys, derive, derive._errors, derive._validation\n"
                 "print('sympy' in sys.modules)\n"
                 "derive.sigma\n"
                 "print('sympy' in sys.modules)")
    assert out.split() == ["False", "True"]


def test_import_numeric_imports_no_sympy() -> None:
    assert _fresh("import sys, numeric; numeric.InvalidArgumentError\n"
                  "print('sympy' in sys.modules)") == "False"


def test_every_public_name_resolves() -> None:
    for name in derive.__all__:
        assert getattr(derive, name) is not None, name
    assert set(derive.__all__) <= set(dir(derive))
    assert derive.CLAIM_IDS == ("C1", "C2", "C3", "C4", "C5", "C6", "C7")
    assert derive.PROOF_IDS == (*derive.CLAIM_IDS, "P1")


def test_names_that_are_also_submodules_stay_the_functions() -> None:
    import derive.claim  # binds the submodule on the package, if first
    import derive.weightings

    assert callable(derive.claim) and not isinstance(derive.claim, types.ModuleType)
    assert callable(derive.weightings)
    assert isinstance(derive.spaces, types.ModuleType)
    assert sys.modules["derive.claim"].Claim is derive.Claim


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        derive.no_such_name  # noqa: B018
    assert not hasattr(derive, "__no_such_dunder__")


def test_setattr_swap_and_restore_is_seen_by_getattr() -> None:
    # as numeric's mutants do it: setattr(derive, name, wrong), getattr(derive, name)
    for name in ("conditional_mean", "claim", "weightings"):
        original = getattr(derive, name)

        def wrong(*args, **kwargs):
            return None

        setattr(derive, name, wrong)
        try:
            assert getattr(derive, name) is wrong
        finally:
            setattr(derive, name, original)
        assert getattr(derive, name) is original
    assert derive.conditional_mean(2) == derive.m(2)


def test_one_invalid_argument_error_for_derive_and_numeric() -> None:
    import numeric
    from numeric._validation import BudgetExceededError

    assert numeric.InvalidArgumentError is derive.InvalidArgumentError is InvalidArgumentError
    assert derive.DerivationError is DerivationError
    assert issubclass(BudgetExceededError, InvalidArgumentError)
    with pytest.raises(numeric.InvalidArgumentError):
        derive.claim("C9")


def test_message_names_the_argument_and_shortens_long_values() -> None:
    error = InvalidArgumentError("order", 0, "order must be >= 1", "pass 1")
    assert str(error) == "invalid order=0: order must be >= 1; pass 1"
    assert (error.name, error.value, error.problem, error.fix) == (
        "order", 0, "order must be >= 1", "pass 1")
    long = str(InvalidArgumentError("text", "x" * 200, "too long", "shorten it"))
    assert long == f"invalid text={('x' * 200)!r:.117}...: too long; shorten it"


def test_message_shortens_numpy_arrays() -> None:
    import numpy as np

    text = str(InvalidArgumentError("points", np.arange(100.0) / 3, "bad", "fix"))
    assert text == ("invalid points=[ 0.      ,  0.333333, ..., 32.666667, 33.      ]: "
                    "bad; fix")

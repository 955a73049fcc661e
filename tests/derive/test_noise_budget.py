"""A noise density SymPy cannot integrate quickly gets its expectations from quadrature
(a Float: computed, not derived), within a bounded time, never a hang."""

from __future__ import annotations

import time

import sympy as sp

import derive.noise as noise
from derive.symbols import E

#: The logistic density at scale 2: normalised, I_q = 1/12; SymPy leaves E_q[psi^2]
#: unevaluated (or takes too long), so it is the fallback's test case.
WIDE_LOGISTIC = sp.exp(-E / 2) / (2 * (1 + sp.exp(-E / 2)) ** 2)


def test_past_the_budget_the_value_comes_from_quadrature(monkeypatch) -> None:
    monkeypatch.setenv("DSMW_NO_CACHE", "1")
    monkeypatch.setattr(noise, "INTEGRATION_SECONDS", 0.05)
    start = time.monotonic()
    family = noise.custom_noise(WIDE_LOGISTIC, "wide-logistic")
    fisher = family.fisher_information()
    assert fisher.is_Float  # the record shows it was computed
    assert abs(fisher - sp.Rational(1, 12)) < sp.Float(10) ** -25
    assert time.monotonic() - start < 2 * noise.QUADRATURE_SECONDS


def test_the_registry_stays_exact() -> None:
    assert noise.noise_family("logistic").fisher_information() == sp.Rational(1, 3)
    assert not noise.noise_family("gaussian").fisher_information().has(sp.Float)


def test_a_free_parameter_rules_out_quadrature(monkeypatch) -> None:
    import pytest

    from derive._errors import InvalidArgumentError

    a = sp.Symbol("a", positive=True)
    family = noise.NoiseFamily("scaled", WIDE_LOGISTIC.subs(E, a * E) * a, (a,))
    monkeypatch.setenv("DSMW_NO_CACHE", "1")
    monkeypatch.setattr(noise, "INTEGRATION_SECONDS", 0.05)
    with pytest.raises(InvalidArgumentError, match="free parameters"):
        family.expectation(sp.tanh(E) ** 2)

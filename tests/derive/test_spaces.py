"""derive.spaces and derive.weightings: k_X, conversions, schedules and the zoo records."""

from __future__ import annotations

import sympy as sp

import derive
from derive import spaces
from derive.weightings import parse_weighting_name

alpha, sigma, t, lam = spaces.alpha, derive.sigma, spaces.time, spaces.lam


def test_conversion_factors_are_the_squared_error_coefficients() -> None:
    assert spaces.conversion_factor("eps") == 1
    assert sp.simplify(spaces.conversion_factor("score") - 1 / sigma**2) == 0
    assert sp.simplify(spaces.conversion_factor("x0") - sigma**2 / alpha**2) == 0
    assert sp.simplify(spaces.conversion_factor("v") - (alpha**2 + sigma**2) ** 2 / alpha**2) == 0
    sd = derive.symbols.sigma_data
    assert sp.simplify(spaces.conversion_factor("F").subs(alpha, 1)
                       - (sigma**2 + sd**2) / sd**2) == 0


def test_convert_divides_by_the_target_factor() -> None:
    w = sp.Symbol("w", positive=True)
    assert sp.simplify(spaces.convert(w, "x0", "eps") - w * sigma**2 / alpha**2) == 0
    assert sp.simplify(spaces.convert(spaces.convert(w, "v", "F"), "F", "v") - w) == 0


def test_schedules_specialise_and_invert() -> None:
    assert sp.simplify(spaces.schedule_conversion_factor("velocity", "rectified-flow")
                       - 1 / (1 - t) ** 2) == 0
    for name in spaces.SCHEDULES:
        s = spaces.schedule(name)
        inverse = s.time_of_lambda().subs(s.defaults)
        lam_of_t = s.lam.subs(s.defaults)
        for value in (-3.0, 0.0, 2.5):
            assert abs(float(lam_of_t.subs(t, inverse.subs(lam, value))) - value) < 1e-10


def test_every_identity_of_the_derivation_is_confirmed() -> None:
    steps = spaces.space_derivation()
    assert sum(1 for s in steps if s.confirmed) >= 25
    assert all(s.confirmed in (True, None) for s in steps)


def test_zoo_records_and_the_edm_entry() -> None:
    names = [w.name for w in derive.weightings()]
    assert names == ["uniform", "ncsn", "ddpm", "edm", "min-snr", "p2", "likelihood",
                     "v-prediction", "rectified-flow", "sd3", "sigmoid", "optimal-gaussian"]
    edm = next(w for w in derive.weightings() if "edm" in w.name.lower())
    sd = derive.symbols.sigma_data
    expected = sigma**2 * (sigma**2 + sd**2) / sd**2
    assert sp.simplify(edm.score_space - expected) == 0
    assert sp.simplify(edm.in_space("score", schedule="ve") - expected) == 0
    assert all(w.paper and w.code for w in derive.weightings())


def test_snr_is_alpha_squared_over_sigma_squared_everywhere() -> None:
    gamma = derive.symbols.gamma
    minsnr = derive.weighting("min-snr")
    assert sp.simplify(minsnr.score_space - sp.Min(gamma, sigma**-2) * sigma**4) == 0
    eps = minsnr.general("eps")
    assert sp.simplify(eps - sp.Min(gamma, alpha**2 / sigma**2) * sigma**2 / alpha**2) == 0


def test_optimal_gaussian_is_one_plus_inverse_snr_s_squared() -> None:
    record, values = parse_weighting_name("optimal-gaussian:2")
    assert values == {"s": 2}
    assert sp.simplify(record.native - (1 + 1 / (spaces.snr * sp.Symbol("s", positive=True)
                                                 ** 2))) == 0


def test_likelihood_weighting_has_a_constant_density_form() -> None:
    assert sp.simplify(derive.weighting("likelihood").density_form("vp-cosine")) == 1


def test_bad_names_are_refused_with_the_fix() -> None:
    import pytest

    for text, fragment in (("nope", "unknown weighting"), ("min-snr", "needs its parameter"),
                           ("p2:1", "needs its parameter"), ("edm:x", "not a number"),
                           ("min-snr:-1", "must be > 0"), ("ncsn:3", "takes 0")):
        with pytest.raises(derive.InvalidArgumentError, match=fragment):
            parse_weighting_name(text)

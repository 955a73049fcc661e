"""The mutants: deliberately wrong formulas that the checks must catch.

Each :class:`Mutant` replaces one public function of :mod:`derive` (one of those
listed in :data:`numeric.checks.CONSUMES`) by a wrong one for the duration of a
run -- a wrong formula, or a wrong *statement* (the Jensen inequality flipped, C4's
bound reversed, the EDM entry of the weighting zoo without its sigma^2, a wrong noise
definition). Claim P1's mutants (:data:`WEIGHTING_MUTANTS`, in :data:`MUTANTS` too)
replace a function of :mod:`derive.spaces` instead.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

import derive
from derive import m, sigma, spaces
from numeric.audit._swap import Mutant
from numeric.checks import p1_spaces

__all__ = ["FACADE_MUTANTS", "MUTANTS", "WEIGHTING_MUTANTS", "WeightingMutant"]


def _at_order(order: int, wrong: Callable[[Callable, int], sp.Expr]):
    """Replace the Gaussian-noise result at one order, keep the others (a local mutant)."""
    def factory(original: Callable) -> Callable:
        def mutated(n: int = 1, *args, **kwargs):
            noise = args[0] if args else kwargs.get("noise", "gaussian")
            if n == order and noise == "gaussian":
                return wrong(original, n)
            return original(n, *args, **kwargs)
        return mutated
    return factory


def _covariance(order: int, expr: Callable[[], sp.Expr]):
    return _at_order(order, lambda original, n: expr())


def _noise_covariance_power(original: Callable) -> Callable:
    def mutated(order: int = 1, noise: str = "gaussian"):
        value = original(order, noise)
        return value * sigma if noise != "gaussian" else value
    return mutated


def _series_sign(original: Callable) -> Callable:
    def mutated(order: int = 1, terms: int = 3):
        series = sp.expand(original(order, terms))
        first = series.coeff(sigma, 2 * order + 2) * sigma ** (2 * order + 2)
        return series - 2 * first
    return mutated


def _expected_expansion_halved(original: Callable) -> Callable:
    def mutated():
        expansion, steps = original()
        (fisher,) = expansion.free_symbols - {sigma}
        return expansion.subs(fisher, fisher / 2), steps
    return mutated


def _gaussian_i_q_everywhere(original: Callable) -> Callable:
    def mutated(order: int = 1, noise: str = "gaussian"):
        return original(order, "gaussian")
    return mutated


def _i_q_gaussian(original: Callable) -> Callable:
    return lambda noise="gaussian": sp.Integer(1)


def _edm_without_sigma(original: Callable) -> Callable:
    def mutated():
        weight, steps = original()
        return sp.simplify(weight / sigma**2), steps
    return mutated


def _target_odd_sign(original: Callable) -> Callable:
    """T_n with the sign of every odd order flipped (d/dx for d/dx~)."""
    def mutated(order: int, density=None):
        return (-1) ** order * original(order, density)
    return mutated


def _gaussian_target_leading_only(original: Callable) -> Callable:
    """T_n = (-E)^n/sigma^n for Gaussian noise: He_n without its lower terms."""
    def mutated(order: int):
        _, step = original(order)
        return (-derive.symbols.E) ** order / sigma**order, step
    return mutated


def _hermite_physicists(original: Callable) -> Callable:
    """The physicists' H_n in place of the probabilists' He_n."""
    def mutated(n: int):
        return sp.hermite(n, derive.symbols.E)
    return mutated


def _linearisation_without_factorial(original: Callable) -> Callable:
    """He_n^2 = sum_k C(n,k)^2 He_(2n-2k): the k! dropped."""
    def mutated(n: int):
        coefficients, steps = original(n)
        return {degree: value / sp.factorial((2 * n - degree) // 2)
                for degree, value in coefficients.items()}, steps
    return mutated


def _gap_unweighted(original: Callable) -> Callable:
    """The Cauchy-Schwarz gap with B = sum w J^2 Sigma (the weight not squared)."""
    def mutated(size: int):
        gap, sum_of_squares, steps = original(size)
        symbols = {str(v): v for v in gap.free_symbols}
        w = [symbols[f"w{i}"] for i in range(1, size + 1)]
        return gap.subs({v: sp.sqrt(v) for v in w}, simultaneous=True), sum_of_squares, steps
    return mutated


def _coefficients_first_correction_sign(original: Callable) -> Callable:
    def mutated(order: int = 1, terms: int = 3):
        coefficients = dict(original(order, terms))
        coefficients[2 * order + 2] = -coefficients[2 * order + 2]
        return coefficients
    return mutated


def _weight_in_space_without_curvature(original: Callable) -> Callable:
    """W*_X with h = 0: the optimum of Gaussian data offered for every data."""
    def mutated(space: str):
        weight, steps = original(space)
        return weight.subs(derive.symbols.h, 0), steps
    return mutated


def _schedule_factor_inverted(original: Callable) -> Callable:
    """k_x0(t) inverted on every schedule (the ratio of eps to x0 the wrong way)."""
    def mutated(space: str, name: str):
        value = original(space, name)
        return 1 / value if space == "x0" else value
    return mutated


def _heuristic(wrong: Callable[[int], sp.Expr]) -> Callable[[Callable], Callable]:
    return lambda original: (lambda order=1: wrong(order))


def _covariance_matrix_sign(original: Callable) -> Callable:
    """d > 1: Sigma_1 = I/sigma^2 + m2 + m1 m1^T (sign of the outer product flipped)."""
    def mutated(dim: int, order: int = 1):
        if order != 1:
            return original(dim, order)
        m1, _ = derive.ratio_symbols(dim)
        return sp.ImmutableMatrix(original(dim) + 2 * m1 * m1.T)
    return mutated


def _order_two_covariance(change: Callable) -> Callable:
    """Order 2 in d dimensions: ``change(dim, Sigma_2)`` in place of ``Sigma_2``."""
    def wrap(original: Callable) -> Callable:
        def mutated(dim: int, order: int = 1):
            if order != 2:
                return original(dim, order)
            return sp.ImmutableMatrix(change(dim, sp.Matrix(original(dim, 2))))
        return mutated
    return wrap


def _one_pairing(dim: int, covariance: sp.Matrix) -> sp.Matrix:
    """Only ``delta_ik delta_jl / sigma^4``: the pairing ``delta_il delta_jk`` forgotten."""
    for i, j in ((a, b) for a in range(dim) for b in range(dim) if a != b):
        covariance[i * dim + j, j * dim + i] -= sigma**-4
    for i in range(dim):
        covariance[i * dim + i, i * dim + i] -= sigma**-4
    return covariance


def _cross_terms_halved(dim: int, covariance: sp.Matrix) -> sp.Matrix:
    """The ``delta m2 / sigma^2`` terms counted twice too few (a factor 1/2)."""
    m2 = derive.ratio_tensor(dim, 2)
    for p in range(dim * dim):
        for q in range(dim * dim):
            i, j, k, l = p // dim, p % dim, q // dim, q % dim
            cross = (int(i == k) * m2[j, l] + int(i == l) * m2[j, k]
                     + int(j == k) * m2[i, l] + int(j == l) * m2[i, k])
            covariance[p, q] -= cross / (2 * sigma**2)
    return covariance


def _series_term(power: int, change: Callable) -> Callable:
    """The ``sigma^power`` coefficient of the matrix weight series replaced by ``change``."""
    def wrap(original: Callable) -> Callable:
        def mutated(dim: int, order: int = 2):
            series = dict(original(dim, order))
            if power in series:
                series[power] = sp.ImmutableMatrix(change(series[power]))
            return series
        return mutated
    return wrap


def _sandwich_half(original: Callable) -> Callable:
    """A^-1 B (one inverse dropped): the wrong asymptotic covariance."""
    def mutated(params: int):
        a, b = sp.MatrixSymbol("A", params, params), sp.MatrixSymbol("B", params, params)
        return a.inverse() * b
    return mutated


def _optimal_sandwich_not_inverted(original: Callable) -> Callable:
    return lambda params: sp.MatrixSymbol("F", params, params)


def _excess_sign(original: Callable) -> Callable:
    """C4's bound stated the wrong way round: W* - sigma^2 replaced by sigma^2 - W*."""
    return lambda order=1: -original(order)


def _trace_over_d(original: Callable) -> Callable:
    """tr E[W*] = d sigma^2 + sigma^4 tr J / d (the trace form written as a per-coordinate mean)."""
    def mutated(dim: int):
        expansion, steps = original(dim)
        (trace,) = expansion.free_symbols - {sigma}
        return expansion.subs(trace, trace / dim), steps
    return mutated


def _order_n_power(original: Callable) -> Callable:
    """C5 at order n with the power of sigma changed: sigma^(-2n) -> sigma^(-2n+2), n >= 2."""
    def mutated(order: int = 1, noise: str = "gaussian"):
        value = original(order, noise)
        if order < 2 or noise != "gaussian":
            return value
        (mean_square,) = value.free_symbols - {sigma}
        return sp.expand((value + mean_square) * sigma**2) - mean_square
    return mutated


def _jensen_flipped(original: Callable) -> Callable:
    """C6's inequality flipped: E[Sigma_1]^-1 - E[W*] (claimed >= 0)."""
    return lambda dim=1: -original(dim)


class _ScoreSpaceDividedBySigma2:
    """A weighting record whose score-space form lost a factor ``sigma^2`` (the rest of the
    record is the original's)."""

    def __init__(self, original: Any) -> None:
        self._original = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)

    @property
    def score_space(self) -> sp.Expr:
        return sp.simplify(self._original.score_space / sigma**2)


def _edm_entry_without_sigma(original: Callable) -> Callable:
    """The EDM entry of the weighting zoo with a factor sigma^2 dropped."""
    def mutated():
        return tuple(_ScoreSpaceDividedBySigma2(w) if w.name.lower() == "edm" else w
                     for w in original())
    return mutated


def _logistic_at_twice_the_scale(original: Callable) -> Callable:
    """A wrong noise definition: 'logistic' with scale 2 (a normalised density, I_q = 1/12)."""
    def mutated(spec: str = "gaussian"):
        family = original(spec)
        if str(spec).strip() != "logistic":
            return family
        wide = sp.exp(-derive.E / 2) / (2 * (1 + sp.exp(-derive.E / 2)) ** 2)
        return dataclasses.replace(family, density=wide, quantile=2 * family.quantile)
    return mutated


#: The catalogue: at least one mutant per claim statement (and per kind of mistake).
FACADE_MUTANTS: tuple[Mutant, ...] = (
    Mutant("covariance-1/sigma", ("C1", "C2"), "conditional_covariance",
           "Sigma_1 = 1/sigma + h (wrong power of sigma)",
           _covariance(1, lambda: 1 / sigma + m(2) - m(1) ** 2)),
    Mutant("covariance-sign-h", ("C1", "C2"), "conditional_covariance",
           "Sigma_1 = 1/sigma^2 - h (flipped sign)",
           _covariance(1, lambda: 1 / sigma**2 - m(2) + m(1) ** 2)),
    Mutant("covariance-no-score-square", ("C1", "C2"), "conditional_covariance",
           "Sigma_1 = 1/sigma^2 + m2 (missing -m1^2: the between-component term)",
           _covariance(1, lambda: 1 / sigma**2 + m(2))),
    Mutant("covariance-homoskedastic", ("C2",), "conditional_covariance",
           "Sigma_1 = 1/sigma^2 (the heteroskedasticity statement denied)",
           _covariance(1, lambda: 1 / sigma**2)),
    Mutant("covariance-dropped-factorial", ("C1", "C2"), "conditional_covariance",
           "Sigma_2 with k! dropped: 1/sigma^4 instead of 2/sigma^4",
           _covariance(2, lambda: m(4) + 4 * m(2) / sigma**2 + 1 / sigma**4 - m(2) ** 2)),
    Mutant("covariance-swapped-ratios", ("C1", "C2"), "conditional_covariance",
           "Sigma_2 with m4 and m2 swapped in the sum",
           _covariance(2, lambda: m(2) + 4 * m(4) / sigma**2 + 2 / sigma**4 - m(2) ** 2)),
    Mutant("curvature-plus-score-square", ("C2",), "curvature_in_ratios",
           "h = m_2 + m_1^2 (the sign of the score's square)",
           lambda original: lambda: (m(2) + m(1) ** 2, original()[1])),
    Mutant("covariance-matrix-outer-sign", ("C2",), "conditional_covariance_matrix",
           "d > 1: Sigma_1 = I/sigma^2 + m2 + m1 m1^T (sign of the outer product)",
           _covariance_matrix_sign),
    Mutant("order-two-covariance-one-pairing", ("C2",), "conditional_covariance_matrix",
           "order 2, d > 1: Sigma_2 with delta_ik delta_jl/sigma^4 only (the pairing "
           "delta_il delta_jk forgotten)", _order_two_covariance(_one_pairing)),
    Mutant("order-two-covariance-cross-halved", ("C2",), "conditional_covariance_matrix",
           "order 2, d > 1: Sigma_2 with the delta m2 / sigma^2 terms halved",
           _order_two_covariance(_cross_terms_halved)),
    Mutant("matrix-weight-series-sign", ("C4",), "optimal_weight_matrix_series",
           "order 2, d > 1: W*_2 = sigma^4 Pi/2 + sigma^6 B/4 + ... (sign of the sigma^6 term)",
           _series_term(6, lambda c: -c)),
    Mutant("matrix-weight-series-score-term", ("C4",), "optimal_weight_matrix_series",
           "order 2, d > 1: the sigma^6 coefficient built from Hess log p_sigma = m2 - m1 m1^T "
           "instead of m2 (a term with nonzero mean)",
           _series_term(6, lambda c: c.subs({
               sym: sym - sp.Symbol(f"m1_{sym.name.split('_')[1]}", real=True)
               * sp.Symbol(f"m1_{sym.name.split('_')[2]}", real=True)
               for sym in c.free_symbols if sym.name.startswith("m2_")}, simultaneous=True))),
    Mutant("noise-covariance-power", ("C2",), "conditional_covariance",
           "non-Gaussian Sigma_1 = Cov[psi(E)|x~]/sigma (wrong power)",
           _noise_covariance_power),
    Mutant("mean-off-by-one", ("C1",), "conditional_mean",
           "E[T_2 | x~] = m3 (off-by-one Hermite order)",
           _at_order(2, lambda original, n: m(3))),
    Mutant("mean-sign", ("C1",), "conditional_mean",
           "E[T_3 | x~] = -m3 (sign of (-1)^n lost)",
           _at_order(3, lambda original, n: -m(3))),
    Mutant("weight-is-covariance", ("C3",), "optimal_weight",
           "W*_1 = Sigma_1 (not inverted)",
           _at_order(1, lambda original, n: 1 / sigma**2 + m(2) - m(1) ** 2)),
    Mutant("weight-first-order-truncation", ("C3",), "optimal_weight",
           "W*_1 = sigma^2 - sigma^4 h (the first-order truncation offered as exact)",
           _at_order(1, lambda original, n: sigma**2 - sigma**4 * (m(2) - m(1) ** 2))),
    Mutant("weight-heuristic-as-exact", ("C3",), "optimal_weight",
           "W*_2 = sigma^4 (the order-n heuristic sigma^(2n) offered as exact)",
           _at_order(2, lambda original, n: sigma**4)),
    Mutant("sandwich-one-inverse", ("C3",), "sandwich_covariance",
           "asymptotic covariance A^-1 B instead of A^-1 B A^-1", _sandwich_half),
    Mutant("optimal-sandwich-not-inverted", ("C3",), "optimal_sandwich",
           "the optimal sandwich F instead of F^-1", _optimal_sandwich_not_inverted),
    Mutant("heuristic-n!-not-1/n!", ("C4",), "heuristic_weight",
           "order-n heuristic sigma^(2n) n! instead of sigma^(2n)/n!",
           _heuristic(lambda n: sigma ** (2 * n) * sp.factorial(n))),
    Mutant("heuristic-wrong-power", ("C4",), "heuristic_weight",
           "order-n heuristic sigma^(2n+2)/n!",
           _heuristic(lambda n: sigma ** (2 * n + 2) / sp.factorial(n))),
    Mutant("series-first-correction-sign", ("C4",), "taylor_expansion",
           "W*_n's series with the sigma^(2n+2) coefficient's sign flipped (-sigma^4 h -> "
           "+sigma^4 h at n = 1)", _series_sign),
    Mutant("expected-weight-half-J", ("C4",), "expected_weight_expansion",
           "E[W*] = sigma^2 + sigma^4 J/2 (wrong Taylor coefficient)",
           _expected_expansion_halved),
    Mutant("trace-form-over-d", ("C4",), "expected_trace_expansion",
           "d > 1: tr E[W*] = d sigma^2 + sigma^4 tr J / d", _trace_over_d),
    Mutant("bound-flipped", ("C4",), "weight_excess",
           "C4's bound the wrong way round: sigma^2 - W* (heuristic an upper bound)",
           _excess_sign),
    Mutant("i_q-gaussian-for-all", ("NOISE", "C4"), "fisher_information_of_noise",
           "I_q = 1 for every noise family (the Gaussian value)", _i_q_gaussian),
    Mutant("expected-covariance-gaussian-i_q", ("C5",), "expected_covariance",
           "E[Sigma_1] = 1/sigma^2 - J(p_sigma) under any noise", _gaussian_i_q_everywhere),
    Mutant("expected-covariance-order-n-power", ("C5",), "expected_covariance",
           "C5 at order n >= 2 with sigma^(-2n+2) instead of sigma^(-2n)", _order_n_power),
    Mutant("jensen-flipped", ("C6",), "jensen_gap",
           "C6's inequality flipped: E[W*] <= E[Sigma_1]^-1", _jensen_flipped),
    Mutant("edm-missing-sigma^2", ("C7",), "gaussian_data_optimal_weight",
           "Gaussian-data W* = (sigma^2 + s^2)/s^2 (missing the sigma^2 factor)",
           _edm_without_sigma),
    Mutant("edm-zoo-entry-missing-sigma^2", ("C7",), "weightings",
           "the EDM entry of weightings() with a factor sigma^2 dropped",
           _edm_entry_without_sigma),
    Mutant("noise-logistic-scale-2", ("NOISE",), "noise_family",
           "a wrong noise definition: 'logistic' with scale 2", _logistic_at_twice_the_scale),
    Mutant("target-odd-order-sign", ("C1",), "target",
           "T_n with the sign of every odd order flipped", _target_odd_sign),
    Mutant("gaussian-target-leading-term-only", ("C1",), "gaussian_target",
           "Gaussian T_n = (-E)^n/sigma^n (He_n without its lower terms)",
           _gaussian_target_leading_only),
    Mutant("hermite-physicists", ("C1",), "hermite_e",
           "the physicists' Hermite H_n for the probabilists' He_n", _hermite_physicists),
    Mutant("linearisation-without-factorial", ("C2",), "square_linearisation",
           "He_n^2 = sum_k C(n,k)^2 He_(2n-2k) (k! dropped)",
           _linearisation_without_factorial),
    Mutant("gap-weight-not-squared", ("C3",), "lagrange_gap",
           "the Cauchy-Schwarz gap with B = sum w J^2 Sigma", _gap_unweighted),
    Mutant("coefficients-first-correction-sign", ("C4",), "taylor_coefficients",
           "taylor_coefficients with the sigma^(2n+2) coefficient's sign flipped",
           _coefficients_first_correction_sign),
    Mutant("weight-in-space-without-curvature", ("P1",), "optimal_weight_in_space",
           "W*_X with h = 0 (the Gaussian-data optimum for every data)",
           _weight_in_space_without_curvature),
    Mutant("schedule-factor-x0-inverted", ("P1",), "schedule_conversion_factor",
           "k_x0(t) = 1/k_x0 on every schedule", _schedule_factor_inverted),
)


@dataclass(frozen=True)
class WeightingMutant(Mutant):
    """A wrong formula of :mod:`derive.spaces`: ``attribute`` replaced by
    ``factory(original)`` (every result built on it is recomputed while it is in place)."""

    def owner(self) -> Any:
        return spaces

    def forget(self) -> None:
        """derive.spaces' own memos and P1's lambdified conversions are built on it."""
        spaces.clear_caches()
        p1_spaces.clear_caches()


def _one_space(space: str, wrong: Callable[[sp.Expr], sp.Expr]):
    def factory(original: Callable) -> Callable:
        def mutated(name: str) -> sp.Expr:
            value = original(name)
            return wrong(value) if name == space else value
        return mutated
    return factory


_COSINE_S = sp.Symbol("cosine_s", positive=True)
_SHIFT = sp.Symbol("shift", positive=True)


def _on_family(prefix: str, wrong: Callable[[spaces.Schedule], spaces.Schedule]):
    """A wrong version of every schedule whose name starts with ``prefix`` (``"vp-cosine:"``
    for the offset cosine, which always has a parameter)."""
    def factory(original: Callable) -> Callable:
        def mutated(name: str) -> spaces.Schedule:
            built = original(name)
            family = name.split(":")[0]
            hit = name.startswith(prefix) if prefix.endswith(":") else family == prefix
            return wrong(built) if hit and "shift=" not in name else built
        return mutated
    return factory


def _on_shift(wrong: Callable[[spaces.Schedule], spaces.Schedule]):
    def factory(original: Callable) -> Callable:
        def mutated(name: str) -> spaces.Schedule:
            built = original(name)
            return wrong(built) if built.base is not None else built
        return mutated
    return factory


def _without_half(vp: spaces.Schedule) -> spaces.Schedule:
    alpha = vp.alpha**2
    return dataclasses.replace(vp, alpha=alpha, sigma=sp.sqrt(1 - alpha**2))


class ZooMutant(WeightingMutant):
    """A wrong formula of :mod:`derive.weightings` (the zoo's own derivations)."""

    def owner(self) -> Any:
        # the module, not the facade's function of the same name
        return importlib.import_module("derive.weightings")


WEIGHTING_MUTANTS: tuple[WeightingMutant, ...] = (
    WeightingMutant("k_x0-alpha-sigma-swapped", ("P1",), "conversion_factor",
                    "k_x0 = alpha^2/sigma^2 (alpha and sigma swapped)",
                    _one_space("x0", lambda k: k.subs({spaces.alpha: derive.sigma,
                                                       derive.sigma: spaces.alpha},
                                                      simultaneous=True))),
    WeightingMutant("k_v-missing-square", ("P1",), "conversion_factor",
                    "k_v = (alpha^2 + sigma^2)/alpha (the coefficient, not its square)",
                    _one_space("v", sp.sqrt)),
    WeightingMutant("snr-sigma_data-convention", ("P1",), "snr_definition",
                    "SNR = sigma_data^2/sigma^2 (the convention this project used before)",
                    lambda original: lambda: derive.symbols.sigma_data**2 / derive.sigma**2),
    WeightingMutant("density-form-without-jacobian", ("P1",), "density_form",
                    "W = p(t) w_X k_X without |dt/dlambda| (the change of variable forgotten)",
                    lambda original: lambda weight, space, density: (
                        original(weight, space, density) * spaces.lambda_speed)),
    WeightingMutant("vp-linear-half-forgotten", ("P1",), "_built",
                    "VP-linear: alpha = exp(-int_0^t beta), the 1/2 of score_sde forgotten",
                    _on_family("vp-linear", _without_half)),
    WeightingMutant("sub-vp-std-unsquared", ("P1",), "_built",
                    "sub-VP: sigma = 1 - alpha (score_sde's std is 1 - alpha^2)",
                    _on_family("sub-vp", lambda s: dataclasses.replace(
                        s, sigma=1 - s.alpha, through_alpha=1 - spaces.alpha))),
    WeightingMutant("cosine-offset-unnormalised", ("P1",), "_built",
                    "offset cosine: alpha = cos((t + s)/(1 + s) pi/2), f(0) forgotten",
                    _on_family("vp-cosine:", lambda s: dataclasses.replace(
                        s, alpha=s.alpha * sp.cos(_COSINE_S / (1 + _COSINE_S) * sp.pi / 2),
                        sigma=sp.sqrt(1 - (s.alpha * sp.cos(
                            _COSINE_S / (1 + _COSINE_S) * sp.pi / 2)) ** 2)))),
    WeightingMutant("linear-logsnr-reversed", ("P1",), "_built",
                    "linear log-SNR: alpha and sigma swapped (alpha^2 = sigmoid(-lambda))",
                    _on_family("linear-logsnr", lambda s: dataclasses.replace(
                        s, alpha=s.sigma, sigma=s.alpha))),
    WeightingMutant("shift-inverted", ("P1",), "_built",
                    "shift S read as 1/S (sigma/alpha divided by S, not multiplied)",
                    _on_shift(lambda s: dataclasses.replace(
                        s, alpha=s.alpha.subs(_SHIFT, 1 / _SHIFT),
                        sigma=s.sigma.subs(_SHIFT, 1 / _SHIFT)))),
    WeightingMutant("schedule-parameters-ignored", ("P1",), "_built",
                    "a schedule's parameters in its name ignored (ve:0.02:100 read as ve)",
                    lambda original: lambda name: dataclasses.replace(
                        original(name.split(":")[0]), name=name)
                    if name.split(":")[0] == "ve" else original(name)),
    ZooMutant("leading-term-doubled", ("P1",), "leading_term",
              "Weighting.leading twice the leading term of the weight",
              lambda original: lambda expr: 2 * original(expr)),
    ZooMutant("leading-term-next-power", ("P1",), "leading_term",
              "Weighting.leading one power of sigma^2 too high",
              lambda original: lambda expr: derive.sigma**2 * original(expr)),
)

#: Every mutant: derive's facade functions (C1-C7, NOISE) and derive.spaces (P1).
MUTANTS = FACADE_MUTANTS + WEIGHTING_MUTANTS

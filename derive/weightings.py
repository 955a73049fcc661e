"""The weighting zoo as records: each weighting in its native space, in every space, and
as a density over ``lambda = log SNR``.

Conventions (:mod:`derive.spaces`): ``x_t = alpha x0 + sigma eps``, ``SNR =
alpha^2/sigma^2``, ``lambda = log SNR``. A record's ``native`` formula is written in
the vocabulary ``sigma``, ``alpha``, ``snr``, ``lam``, ``t``, ``sigma_data``, ``g2``
(the SDE's ``g(t)^2``) and the weighting's own parameters; :meth:`Weighting.in_space`
converts it with ``w_Y = w_X k_X / k_Y`` onto a schedule, and
:meth:`Weighting.density_form` folds in its noise-level sampling density.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

import derive.spaces as spaces
from derive._budget import OutOfTime, bounded
from derive._errors import DerivationError, InvalidArgumentError
from derive._levels import g2, on_level
from derive.claim import Step, confirm, define
from derive.symbols import gamma, h, k_p2, s_data, sigma, sigma_data

__all__ = [
    "LEADING_SECONDS",
    "VOCABULARY",
    "SamplingDensity",
    "Weighting",
    "leading_term",
    "optimal_weight_in_space",
    "parse_weighting_name",
    "weighting",
    "weighting_derivation",
    "weightings",
]

p_mean, p_std = sp.Symbol("P_mean", real=True), sp.Symbol("P_std", positive=True)
logit_m, logit_s = sp.Symbol("m", real=True), sp.Symbol("s", positive=True)
bias = sp.Symbol("b", real=True)
data_sd = sp.Symbol("s", positive=True)
_SPEED = spaces.lambda_speed  # -dlambda/dt on a schedule

#: Names a weighting formula may use besides its parameters.
VOCABULARY: dict[str, sp.Symbol] = {
    "sigma": sigma, "alpha": spaces.alpha, "snr": spaces.snr, "lam": spaces.lam,
    "t": spaces.time, "sigma_data": sigma_data,
}


@dataclass(frozen=True)
class SamplingDensity:
    """How noise levels are drawn: a density of ``t`` (on the schedule's range) or of
    ``lambda`` (``variable``), as a SymPy expression in :data:`derive.spaces.time` or
    :data:`derive.spaces.lam`."""

    variable: str
    expr: sp.Expr
    text: str

    def of_time(self, schedule: str) -> sp.Expr:
        """``p(t)`` on the named schedule (``p_lambda(lambda(t)) |lambda'(t)|`` for a
        density of ``lambda``; the uniform density over the schedule's ``t`` range).

        Written in ``t``, ``lam`` and ``speed = -dlambda/dt``, the symbols that
        :func:`_level` replaces by functions of the chosen variable."""
        sched = spaces.schedule(schedule)
        low, high = sched.t_range
        if self.variable == "t" and self is _UNIFORM:
            return 1 / (high - low)
        if self.variable == "t":
            if high > 1:
                raise InvalidArgumentError("schedule", schedule,
                                           f"{self.text} is a density of t in (0, 1)",
                                           "choose a schedule with t in [0, 1]")
            return self.expr
        return self.expr * _SPEED  # p_lambda(lambda) |dlambda/dt|, in the level symbols


_UNIFORM = SamplingDensity("t", sp.Integer(1), "uniform t")


@dataclass(frozen=True)
class Weighting:
    """One weighting of the literature.

    Attributes
    ----------
    name
        CLI name (``edm``, ``min-snr``, ...).
    title
        Human-readable name.
    space
        Native space (:data:`derive.spaces.SPACES`) or ``lambda`` when the weighting is
        given directly as a density form (Kingma & Gao's sigmoid weighting).
    native
        The native formula (see :data:`VOCABULARY`).
    parameters
        ``(symbol, default)`` pairs in CLI order; ``default`` is ``None`` when required.
    density
        The noise-level sampling density it is defined with.
    paper, code
        The source paper and the repository path of a reference implementation.
    """

    name: str
    title: str
    space: str
    native: sp.Expr
    parameters: tuple[tuple[sp.Symbol, sp.Expr | None], ...]
    density: SamplingDensity
    paper: str
    code: str

    @property
    def source(self) -> str:
        return self.paper

    @property
    def score_space(self) -> sp.Expr:
        """The weight of the score loss ``||s - T_1||^2`` on the VE schedule, in ``sigma``."""
        return self.in_space("score", "ve", variable="sigma")

    @property
    def leading(self) -> sp.Expr:
        """Leading term of :attr:`score_space` as ``sigma -> 0``."""
        return leading_term(self.score_space)

    def in_space(self, space: str, schedule: str = "ve", variable: str = "auto",
                 values: dict[str, float] | None = None, simplify: bool = True) -> sp.Expr:
        """The weight of the ``space`` loss on the named schedule.

        ``variable``: ``t``, ``lambda`` or ``sigma`` (only where ``alpha = 1``); ``auto``
        is ``sigma`` on the VE and EDM schedules and ``t`` elsewhere. ``values`` binds
        parameters (schedule ones included) by name. ``simplify=False`` skips SymPy's
        simplification (the same function, faster, e.g. for numerical evaluation).
        """
        variable = _variable(variable, schedule)
        expr = (_in_space(self.name, space, schedule, variable, simplify) if _registered(self)
                else _in_space_of(self, space, schedule, variable, simplify))
        return _bind(expr, values)

    def density_form(self, schedule: str = "ve", variable: str = "lambda",
                     values: dict[str, float] | None = None, simplify: bool = True) -> sp.Expr:
        """``W = p(t) w_X(t) k_X(t) |dt/dlambda|`` (``variable`` ``lambda`` or ``t``)."""
        variable = _variable(variable, schedule)
        expr = (_density(self.name, schedule, variable, simplify) if _registered(self)
                else _density_of(self, schedule, variable, simplify))
        return _bind(expr, values)

    def general(self, space: str) -> sp.Expr:
        """The weight of the ``space`` loss for a general schedule (plain symbols)."""
        return _general(self.name, space) if _registered(self) else _general_of(self, space)

    def defaults(self) -> dict[str, sp.Expr]:
        return {s.name: d for s, d in self.parameters if d is not None}


def _registered(record: Weighting) -> bool:
    """Whether ``record`` is the zoo's record of its name (whose results are memoised by
    name); a weighting of your own is computed afresh."""
    try:
        return weighting(record.name) == record
    except InvalidArgumentError:
        return False


def _variable(variable: str, schedule: str) -> str:
    unit_alpha = spaces.schedule(schedule).alpha == 1  # VE, EDM: sigma alone is the level
    if variable == "auto":
        return "sigma" if unit_alpha else "t"
    if variable not in ("t", "lambda", "sigma"):
        raise InvalidArgumentError("variable", variable, "unknown variable",
                                   "choose t, lambda or sigma")
    if variable == "sigma" and not unit_alpha:
        raise InvalidArgumentError("variable", variable,
                                   f"sigma alone does not fix the level on {schedule}",
                                   "use t or lambda")
    return variable


def _bind(expr: sp.Expr, values: dict[str, float] | None) -> sp.Expr:
    if not values:
        return expr
    table = {s: sp.nsimplify(values[s.name]) if isinstance(values[s.name], (int, float))
             else values[s.name] for s in expr.free_symbols if s.name in values}
    return expr.subs(table)


#: Seconds SymPy gets for each attempt at a leading term (and each limit in a ``Min``).
LEADING_SECONDS = 10.0


def leading_term(expr: sp.Expr) -> sp.Expr:
    """The leading term of a weight ``expr`` as ``sigma -> 0+``.

    A ``Min`` keeps only the arguments that stay finite (an argument that diverges, e.g.
    the SNR, is never the minimum). Power laws with a symbolic exponent (``sigma_max`` to
    a power in ``log sigma``, as likelihood weighting gives on the VE schedule), where
    SymPy's series fails, are retried in the form ``exp(expand(log expr))``. Every SymPy
    call runs under :data:`LEADING_SECONDS`; when no form gives a term, the error says so.

    Examples
    --------
    >>> leading_term(sigma**2 + sigma**4)
    sigma**2
    >>> s1, s2 = sp.symbols("s1 s2", positive=True)
    >>> span = sp.log(s2 / s1)    # likelihood weighting on the VE schedule, up to a constant
    >>> leading_term(s2 ** (sp.log(sigma**2 / s1**2) / span)
    ...              * s1 ** (sp.log(s2**2 / sigma**2) / span))
    sigma**2
    """
    def finite_at_zero(argument: sp.Expr) -> bool:
        try:
            return bounded(LEADING_SECONDS, "SymPy's limit", sp.limit, argument, sigma, 0,
                           "+") is not sp.oo
        except (OutOfTime, NotImplementedError, ValueError):
            return True   # undecided: kept, so the minimum is never narrowed wrongly

    def small_sigma_branch(e: sp.Min) -> sp.Expr:
        finite = [a for a in e.args if finite_at_zero(a)]
        return sp.Min(*finite) if finite else e

    resolved = expr.replace(lambda e: isinstance(e, sp.Min), small_sigma_branch)
    forms = [resolved]
    constant, varying = resolved.as_independent(sigma, as_Add=False)
    if all(f.is_positive or (f.is_Pow and f.base.is_positive)
           for f in sp.Mul.make_args(varying)):   # log, exp inverse on it: no branch lost
        exponent = sp.expand(sp.expand_log(sp.log(varying), force=True))
        power = sp.cancel(exponent.coeff(sp.log(sigma)))
        rest = sp.cancel(exponent - power * sp.log(sigma))
        if not rest.has(sigma) and not power.has(sigma):   # a power law sigma^a e^b
            forms.append(constant * sigma**power * sp.exp(rest))
    failures = []
    for form in forms:
        try:
            term = bounded(LEADING_SECONDS, "SymPy's leading term",
                           lambda f: sp.powsimp(f.as_leading_term(sigma), force=True), form)
        except OutOfTime as exc:
            failures.append(str(exc))
            continue
        except (sp.PoleError, NotImplementedError, ValueError) as error:
            failures.append(f"{type(error).__name__}: {error}")
            continue
        if not term.has(sp.Order) and term != 0:
            return term
        failures.append(f"no nonzero term ({term})")
    raise DerivationError(f"no leading term as sigma -> 0 found for {expr}: "
                          + "; ".join(failures))


# ---------------------------------------------------------------- the optimal weight
@spaces._cached
def optimal_weight_in_space(space: str) -> tuple[sp.Expr, tuple[Step, ...]]:
    """``W*_X = 1/Var[X | x_t]`` for a general schedule, with its derivation.

    ``h`` is the curvature ``(log p)''`` of the data noised by ``VE`` at
    ``sigma/alpha = SNR^(-1/2)``, evaluated at ``x_t/alpha`` (C2 gives
    ``Var[eps | x_t] = 1 + (sigma/alpha)^2 h``).
    """
    from derive._claims import c2_covariance  # the C2 covariance, looked up at call time
    from derive.symbols import m

    level = sp.Symbol("sigma_e", positive=True)
    sigma_1 = c2_covariance.conditional_covariance(1).subs(sigma, level)
    sigma_1 = sigma_1.subs({m(2): h + m(1) ** 2})
    # x_t/alpha = x0 + sigma_e eps with sigma_e = sigma/alpha; eps = (x_t/alpha - x0)/sigma_e
    var_eps = sp.expand(level**2 * sigma_1)
    _, coefficient = spaces._error_coefficient(space)
    var_target = spaces._to_plain(coefficient) ** 2 * var_eps
    weight = sp.factor(sp.cancel(1 / var_target.subs(level, sigma / spaces.alpha)))
    steps = (
        define("Var[eps | x_t] = Cov[x0 | y]/sigma_e^2 = sigma_e^2 Sigma_1(y) at the VE "
               "level sigma_e = sigma/alpha, y = x_t/alpha (C2)",
               sp.Eq(sp.Symbol(r"\mathrm{Var}[\epsilon|x_t]"), var_eps)),
        confirm(var_eps, 1 + level**2 * h, "Var[eps | x_t] = 1 + sigma_e^2 h"),
        confirm(weight, spaces.convert(1 / (1 + sigma**2 / spaces.alpha**2 * h), "eps", space),
                f"W*_{space} = 1/Var[{space} target | x_t] = W*_eps k_eps/k_{space}: the "
                "optimum converts like any weight"),
    )
    return weight, steps


@spaces._cached
def _gaussian_optimal_eps() -> tuple[sp.Expr, tuple[Step, ...]]:
    """``W*_eps = 1/Var[eps | x_t]`` for ``N(mu, s^2)`` data, by Gaussian conditioning.

    ``(x0 - mu, eps)`` are independent Gaussians, so ``Var[eps | x_t] = Var[eps] -
    Cov(eps, x_t)^2 / Var[x_t]``; the moments come from expanding the polynomials.
    """
    z, e = sp.Symbol("z", real=True), sp.Symbol("e", real=True)  # x0 - mu, eps
    moments = {(2, 0): data_sd**2, (0, 2): sp.Integer(1), (1, 1): sp.Integer(0)}

    def expect(poly: sp.Expr) -> sp.Expr:
        terms = sp.Poly(sp.expand(poly), z, e).as_dict()
        return sp.expand(sum(c * moments[m] for m, c in terms.items()))

    centred = spaces.alpha * z + sigma * e  # x_t - alpha mu
    var_eps = 1 - expect(e * centred) ** 2 / expect(centred**2)
    weight = sp.expand(sp.cancel((1 / var_eps).subs(spaces.alpha, sp.sqrt(spaces.snr) * sigma)))
    steps = (confirm(weight, 1 + 1 / (spaces.snr * data_sd**2),
                     "Gaussian data N(mu, s^2): Var[eps | x_t] = 1 - sigma^2/(alpha^2 s^2 + "
                     "sigma^2), so W*_eps = 1 + 1/(SNR s^2) at every x_t"),)
    return weight, steps


def _gaussian_optimal_through_curvature() -> Step:
    """The same optimum from :func:`optimal_weight_in_space` (C2) with the Gaussian
    curvature ``h = -1/(s^2 + sigma^2/alpha^2)`` of ``x_t/alpha``."""
    mu, y = sp.Symbol("mu", real=True), sp.Symbol("y", real=True)
    variance = data_sd**2 + sigma**2 / spaces.alpha**2  # independent variances add
    log_density = -(y - mu) ** 2 / (2 * variance) - sp.log(2 * sp.pi * variance) / 2
    weight = optimal_weight_in_space("eps")[0].subs(h, sp.diff(log_density, y, 2))
    return confirm(weight.subs(spaces.alpha, sp.sqrt(spaces.snr) * sigma),
                   _gaussian_optimal_eps()[0],
                   "the same optimum from W*_eps = 1/(1 + sigma_e^2 h) (C2) with the "
                   "Gaussian curvature h = -1/(s^2 + sigma^2/alpha^2)")


def _gaussian_optimal_against_c7() -> Step:
    """The same optimum from C7's convolution integral (VE score space), moved to ``eps``."""
    from derive._claims import c7_edm  # looked up at call time

    weight_ve, _ = c7_edm.gaussian_data_optimal_weight()
    level = sp.Symbol("sigma_e", positive=True)
    eps_weight = (weight_ve.subs(sigma, level) * spaces.conversion_factor("score").subs(
        sigma, level)).subs(s_data, data_sd)
    return confirm(eps_weight.subs(level, 1 / sp.sqrt(spaces.snr)), _gaussian_optimal_eps()[0],
                   "C7's W* (VE score space, convolution integral) times k_score at "
                   "sigma_e = SNR^(-1/2) gives the same eps-space optimum")


# ---------------------------------------------------------------- the zoo
def _edm_density() -> SamplingDensity:
    u = sp.Symbol("u", real=True)  # u = ln sigma_e ~ N(P_mean, P_std^2); lambda = -2 u
    normal = sp.exp(-(u - p_mean) ** 2 / (2 * p_std**2)) / (p_std * sp.sqrt(2 * sp.pi))
    density = normal.subs(u, -spaces.lam / 2) * sp.Rational(1, 2)
    return SamplingDensity("lambda", density,
                           "ln(sigma/alpha) ~ N(P_mean, P_std^2), i.e. lambda ~ "
                           "N(-2 P_mean, 4 P_std^2)")


def _sd3_density() -> SamplingDensity:
    u = sp.Symbol("u", real=True)  # u = logit t ~ N(m, s^2)
    normal = sp.exp(-(u - logit_m) ** 2 / (2 * logit_s**2)) / (logit_s * sp.sqrt(2 * sp.pi))
    logit = sp.log(spaces.time / (1 - spaces.time))
    density = normal.subs(u, logit) * sp.factor(sp.diff(logit, spaces.time))
    return SamplingDensity("t", density, "logit(t) ~ N(m, s^2)")


@spaces._cached
def _zoo() -> dict[str, Weighting]:
    gaussian_eps, _ = _gaussian_optimal_eps()
    records = [
        Weighting("uniform", "uniform (plain DSM)", "score", sp.Integer(1), (), _UNIFORM,
                  "Vincent 2011 (denoising score matching)", "-"),
        Weighting("ncsn", "NCSN heuristic sigma^2", "score", sigma**2, (), _UNIFORM,
                  "Song & Ermon 2019",
                  "ermongroup/ncsn losses/dsm.py (anneal_dsm_score_estimation, "
                  "anneal_power=2); yang-song/score_sde_pytorch losses.py (get_smld_loss_fn)"),
        Weighting("ddpm", "DDPM simple", "eps", sp.Integer(1), (), _UNIFORM,
                  "Ho et al. 2020",
                  "hojonathanho/diffusion diffusion_tf/diffusion_utils_2.py (training_losses, "
                  "'mse'); yang-song/score_sde_pytorch losses.py (get_ddpm_loss_fn)"),
        # EDM's noise level is that of x_t/alpha, sigma/alpha = SNR^(-1/2): on VE and EDM
        # (alpha = 1) it is sigma; on VP it keeps EDM's weight equal to the Gaussian-data
        # optimum 1/Var[x0 | x_t] (C7) on every schedule.
        Weighting("edm", "EDM", "x0", ((sigma / spaces.alpha) ** 2 + sigma_data**2)
                  / (sigma / spaces.alpha * sigma_data) ** 2,
                  ((sigma_data, sp.Rational(1, 2)), (p_mean, sp.Rational(-6, 5)),
                   (p_std, sp.Rational(6, 5))), _edm_density(),
                  "Karras et al. 2022", "NVlabs/edm training/loss.py (EDMLoss)"),
        Weighting("min-snr", "Min-SNR-gamma", "x0", sp.Min(spaces.snr, gamma),
                  ((gamma, None),), _UNIFORM, "Hang et al. 2023",
                  "TiankaiHang/Min-SNR-Diffusion-Training guided_diffusion/gaussian_diffusion.py; "
                  "huggingface/diffusers training_utils.py (compute_snr, snr_gamma)"),
        Weighting("p2", "P2", "eps", 1 / (k_p2 + spaces.snr) ** gamma,
                  ((k_p2, None), (gamma, None)), _UNIFORM, "Choi et al. 2022",
                  "jychoi118/P2-weighting guided_diffusion/gaussian_diffusion.py"),
        Weighting("likelihood", "likelihood weighting g(t)^2", "score", g2, (), _UNIFORM,
                  "Song et al. 2021 (maximum likelihood training)",
                  "yang-song/score_sde_pytorch losses.py (get_sde_loss_fn, "
                  "likelihood_weighting)"),
        Weighting("v-prediction", "v-prediction", "v", sp.Integer(1), (), _UNIFORM,
                  "Salimans & Ho 2022", "-"),
        Weighting("rectified-flow", "rectified flow, uniform t", "velocity", sp.Integer(1), (),
                  _UNIFORM, "Liu et al. 2023",
                  "huggingface/diffusers training_utils.py "
                  "(compute_density_for_timestep_sampling, weighting_scheme='none')"),
        Weighting("sd3", "rectified flow, logit-normal t (SD3)", "velocity", sp.Integer(1),
                  ((logit_m, sp.Integer(0)), (logit_s, sp.Integer(1))), _sd3_density(),
                  "Esser et al. 2024",
                  "huggingface/diffusers training_utils.py "
                  "(compute_density_for_timestep_sampling, 'logit_normal')"),
        Weighting("sigmoid", "sigmoid weighting (Kingma & Gao)", "lambda",
                  1 / (1 + sp.exp(spaces.lam - bias)), ((bias, None),), _UNIFORM,
                  "Kingma & Gao 2023", "-"),
        Weighting("optimal-gaussian", "optimal W* for N(mu, S^2) data (C7)", "eps",
                  gaussian_eps, ((data_sd, None),), _UNIFORM,
                  "this project (C3, C7)", "derive.weightings (this package)"),
    ]
    return {w.name: w for w in records}


def weightings() -> tuple[Weighting, ...]:
    """Every named weighting, in listing order.

    Examples
    --------
    >>> [w.name for w in weightings()][:4]
    ['uniform', 'ncsn', 'ddpm', 'edm']
    """
    return tuple(_zoo().values())


def weighting(name: str) -> Weighting:
    """The weighting called ``name`` (no parameters; see :func:`parse_weighting_name`)."""
    zoo = _zoo()
    if name not in zoo:
        raise InvalidArgumentError("weighting", name, "unknown weighting",
                                   f"choose one of {', '.join(zoo)} (dsmw weighting list)")
    return zoo[name]


def parse_weighting_name(text: str) -> tuple[Weighting, dict[str, sp.Expr]]:
    """``"p2:1:0.5"`` -> the P2 record and ``{"k": 1, "gamma": 1/2}`` (defaults filled in).

    Examples
    --------
    >>> record, values = parse_weighting_name("edm")
    >>> record.name, values["sigma_data"]
    ('edm', 1/2)
    >>> parse_weighting_name("min-snr:5")[1]
    {'gamma': 5}
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgumentError("weighting", text, "empty name",
                                   "e.g. edm, min-snr:5 (dsmw weighting list)")
    name, *given = text.strip().split(":")
    record = weighting(name)
    if len(given) > len(record.parameters):
        raise InvalidArgumentError("weighting", text,
                                   f"{name} takes {len(record.parameters)} parameter(s)",
                                   f"write {_usage(record)}")
    values: dict[str, sp.Expr] = {}
    for i, (symbol, default) in enumerate(record.parameters):
        if i < len(given):
            try:
                value = sp.Rational(given[i])
            except (TypeError, ValueError, sp.SympifyError):
                raise InvalidArgumentError("weighting", text,
                                           f"parameter {symbol.name}={given[i]!r} is not a "
                                           "number", f"write {_usage(record)}") from None
            if (symbol.is_positive and value <= 0) or not value.is_finite:
                raise InvalidArgumentError("weighting", text,
                                           f"parameter {symbol.name} must be > 0",
                                           f"write {_usage(record)}")
        elif default is None:
            raise InvalidArgumentError("weighting", text,
                                       f"{name} needs its parameter {symbol.name}",
                                       f"write {_usage(record)}")
        else:
            value = default
        values[symbol.name] = value
    return record, values


def _usage(record: Weighting) -> str:
    required = "".join(f":{s.name.upper()}" for s, d in record.parameters if d is None)
    optional = "".join(f":{s.name.upper()}" for s, d in record.parameters if d is not None)
    return record.name + required + (f"[{optional}]" if optional else "")


# ---------------------------------------------------------------- conversions
def _plain(record: Weighting) -> sp.Expr:
    """Native formula in the plain symbols (``snr``, ``lam`` replaced; ``g2``, ``t`` kept)."""
    ratio = spaces.snr_definition()
    return record.native.subs({spaces.snr: ratio, spaces.lam: sp.log(ratio)})


@spaces._cached
def _general(name: str, space: str) -> sp.Expr:
    return _general_of(weighting(name), space)


def _general_of(record: Weighting, space: str) -> sp.Expr:
    if record.space == "lambda":
        raise InvalidArgumentError("weighting", record.name, "is defined by its density form; its "
                                   "weight in a space depends on the schedule",
                                   "use in_space(space, schedule)")
    return sp.simplify(_plain(record) * spaces.conversion_factor(record.space)
                       / spaces.conversion_factor(space))




def _eps_weight_of_density(record: Weighting, schedule: str) -> sp.Expr:
    """A weighting given as ``W(lambda)``: ``w_eps = W(lambda) |dlambda/dt| / p(t)``."""
    return record.native * _SPEED / record.density.of_time(schedule)


@spaces._cached
def _in_space(name: str, space: str, schedule: str, variable: str, simplify: bool
              ) -> sp.Expr:
    return _in_space_of(weighting(name), space, schedule, variable, simplify)


def _in_space_of(record: Weighting, space: str, schedule: str, variable: str,
                 simplify: bool) -> sp.Expr:
    spaces._check_space(space)
    if record.space == "lambda":
        native, source = _eps_weight_of_density(record, schedule), "eps"
    else:
        native, source = _plain(record), record.space
    expr = native * spaces.conversion_factor(source) / spaces.conversion_factor(space)
    return on_level(expr, schedule, variable, simplify)


@spaces._cached
def _density(name: str, schedule: str, variable: str, simplify: bool) -> sp.Expr:
    return _density_of(weighting(name), schedule, variable, simplify)


def _density_of(record: Weighting, schedule: str, variable: str, simplify: bool
                ) -> sp.Expr:
    if record.space == "lambda":
        return on_level(record.native, schedule, variable, simplify)
    # W = p(t) w_X k_X |dt/dlambda|
    expr = spaces.density_form(_plain(record), record.space,
                               record.density.of_time(schedule))
    return on_level(expr, schedule, variable, simplify)


@spaces._cached
def weighting_derivation() -> tuple[Step, ...]:
    """Confirmed identities of the zoo: the optimum in every space, C7 in ``eps`` space,
    likelihood weighting's density form, and the EDM and Min-SNR conversions."""
    steps: list[Step] = []
    for i, space in enumerate(spaces.SPACES):  # the Var[eps | x_t] steps once
        found = optimal_weight_in_space(space)[1]
        steps += found if i == 0 else found[-1:]
    steps += _gaussian_optimal_eps()[1]
    steps.append(_gaussian_optimal_through_curvature())
    steps.append(_gaussian_optimal_against_c7())
    for schedule in spaces.SCHEDULES:
        w = sp.expand_trig(weighting("likelihood").density_form(schedule, variable="t",
                                                                 simplify=False))
        steps.append(confirm(w, 1 / (spaces.schedule(schedule).t_range[1]
                                     - spaces.schedule(schedule).t_range[0]),
                             f"{schedule}: likelihood weighting g^2 with uniform t has a "
                             "constant density form (the ELBO)"))
    edm = weighting("edm")
    steps.append(confirm(edm.in_space("score", "ve", "sigma"),
                         sigma**2 * (sigma**2 + sigma_data**2) / sigma_data**2,
                         "EDM's denoiser weight on the VE score loss: lambda_EDM sigma^4"))
    steps.append(confirm(edm.in_space("F", "edm", "sigma"), sp.Integer(1),
                         "EDM's weight on its F loss is 1 (lambda_EDM = 1/c_out^2)"))
    minsnr = weighting("min-snr")
    steps.append(confirm(minsnr.general("eps") - sp.Min(spaces.snr_definition(), gamma)
                         / spaces.snr_definition(), sp.Integer(0),
                         "Min-SNR-gamma in eps space: min(SNR, gamma)/SNR"))
    steps.append(confirm(minsnr.general("v").subs(spaces.alpha, sp.sqrt(1 - sigma**2))
                         - sp.Min(spaces.snr_definition(), gamma).subs(
                             spaces.alpha, sp.sqrt(1 - sigma**2))
                         / (spaces.snr_definition().subs(spaces.alpha, sp.sqrt(1 - sigma**2))
                            + 1), sp.Integer(0),
                         "Min-SNR-gamma in v space on a VP schedule: min(SNR, gamma)/(SNR + 1)"))
    return tuple(steps)

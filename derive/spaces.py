"""Parameterisations of a diffusion loss and the noise schedules, derived with SymPy.

Forward process ``x_t = alpha(t) x0 + sigma(t) eps``, ``eps ~ N(0, I)``;
``SNR = alpha^2/sigma^2`` and ``lambda = log SNR``. A network predicts one of
six *targets* (score ``-eps/sigma``, ``eps``, ``x0``, ``v = alpha eps - sigma x0``,
the velocity ``dx_t/dt = alpha' x0 + sigma' eps`` and EDM's ``F``); every
prediction is mapped through one ``eps_hat`` (``x0_hat = (x_t - sigma eps_hat)/alpha``).
Each target is affine in ``eps`` at fixed ``x_t``, so its squared error is
``k_X ||eps_hat - eps||^2``: :func:`conversion_factor` derives ``k_X`` for general
``alpha(t)``, ``sigma(t)`` by SymPy from the definitions, and a weight converts as
``w_Y = w_X k_X / k_Y`` (:func:`convert`).

The *density form* of a weighting (Kingma & Gao 2023) is the ``eps``-space weight
per unit ``lambda`` with the noise-level sampling density ``p(t)`` folded in,
``W(lambda) = p(t) w_X(t) k_X(t) |dt/dlambda|`` (:func:`density_form`).

Functions that other functions of :mod:`derive` consume are looked up through this
module at call time, so a deliberately wrong replacement (a mutant of the checks)
reaches every result built from it once :func:`clear_caches` has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from derive._budget import OutOfTime, bounded
from derive._errors import InvalidArgumentError
from derive._schedule_specs import (
    SHOWN_IN_T,
    build_schedule,
    normalisation,
    parse_schedule_name,
    real_between,
    shift_symbol,
)
from derive.claim import Step, confirm, define
from derive.symbols import sigma, sigma_data

__all__ = [
    "SCHEDULES",
    "SHOWN_IN_T",
    "SPACES",
    "Schedule",
    "alpha",
    "alpha_dot",
    "clear_caches",
    "conversion_factor",
    "convert",
    "density_form",
    "lam",
    "lambda_speed",
    "schedule",
    "schedule_conversion_factor",
    "sigma_dot",
    "snr",
    "snr_definition",
    "space_derivation",
    "time",
]

#: Seconds SymPy may spend tidying one schedule's expression.
TIDY_SECONDS = 3.0

#: The spaces a loss can be written in, in report order.
SPACES = ("score", "eps", "x0", "v", "velocity", "F")

time = sp.Symbol("t", positive=True)
"""Schedule time ``t``."""
alpha = sp.Symbol("alpha", positive=True)
"""Signal scale ``alpha`` at one noise level."""
alpha_dot = sp.Symbol("alpha'", real=True)
"""``d alpha/dt`` at one noise level."""
sigma_dot = sp.Symbol("sigma'", real=True)
"""``d sigma/dt`` at one noise level."""
snr = sp.Symbol("snr", positive=True)
"""Signal-to-noise ratio ``alpha^2/sigma^2`` as a free symbol of a weighting's formula."""
lam = sp.Symbol("lam", real=True)
"""Log signal-to-noise ratio ``lambda = log SNR``."""
lambda_speed = sp.Symbol("speed", positive=True)
"""``-d lambda/dt`` at one noise level (``lambda`` decreases along every schedule)."""

_x0 = sp.Symbol("x0", real=True)
_eps = sp.Symbol("epsilon", real=True)
_eps_hat = sp.Symbol(r"\hat\epsilon", real=True)
_x_t = sp.Symbol("x_t", real=True)
_alpha_t = sp.Function("alpha", positive=True)(time)
_sigma_t = sp.Function("sigma", positive=True)(time)
_caches: list = []


def _cached(function):
    wrapped = cache(function)
    _caches.append(wrapped)
    return wrapped


def clear_caches() -> None:
    """Forget every memoised result of :mod:`derive.spaces` and :mod:`derive.weightings`."""
    for cached in _caches:
        cached.cache_clear()


def snr_definition() -> sp.Expr:
    """``SNR = alpha^2/sigma^2`` in the symbols :data:`alpha`, ``sigma``.

    Examples
    --------
    >>> snr_definition().subs({alpha: 1}) == sigma**-2
    True
    """
    return alpha**2 / sigma**2


@_cached
def _edm_preconditioning() -> tuple[sp.Expr, sp.Expr, tuple[Step, ...]]:
    """EDM's ``c_skip`` and ``c_out`` at EDM noise level ``sigma`` (``alpha = 1``), derived.

    Karras et al. (2022, appendix B.6) choose ``c_skip`` to minimise the variance of the
    ``F`` target ``(x0 - c_skip (x0 + sigma eps))/c_out`` for data of variance
    ``sigma_data^2`` and ``c_out`` to make it one; SymPy takes the expectation of the
    square (``E[x0 eps] = 0``), solves the stationarity condition and confirms the
    closed forms.

    Returns
    -------
    tuple
        ``(c_skip, c_out, steps)``.
    """
    c = sp.Symbol("c", real=True)
    unscaled = sp.expand(((1 - c) * _x0 - c * sigma * _eps) ** 2)
    # E[x0^2] = sigma_data^2 (centred data), E[eps^2] = 1, E[x0 eps] = 0
    moments = {_x0**2: sigma_data**2, _eps**2: sp.Integer(1), _x0 * _eps: sp.Integer(0)}
    variance = sp.expand(sum(coefficient * moments[monomial] for monomial, coefficient in
                             sp.Poly(unscaled, _x0, _eps).as_dict().items()
                             for monomial in [_x0 ** monomial[0] * _eps ** monomial[1]]))
    # V is quadratic in c: its stationary point solves a linear equation
    slope, intercept = sp.Poly(sp.diff(variance, c), c).all_coeffs()
    c_skip = sp.factor(-intercept / slope)
    c_out = sp.sqrt(sp.factor(variance.subs(c, c_skip)))
    steps = (
        define("variance of the unscaled F target (x0 - c (x0 + sigma eps)), "
               "E[x0^2] = sigma_data^2", sp.Eq(sp.Symbol("V(c)"), variance)),
        confirm(c_skip, sigma_data**2 / (sigma**2 + sigma_data**2),
                "c_skip minimises it: c_skip = sigma_data^2/(sigma^2 + sigma_data^2)"),
        confirm(c_out, sigma * sigma_data / sp.sqrt(sigma**2 + sigma_data**2),
                "c_out = sqrt(V(c_skip)) = sigma sigma_data/sqrt(sigma^2 + sigma_data^2)"),
    )
    return c_skip, c_out, steps


def _targets() -> dict[str, sp.Expr]:
    """Each space's regression target as a function of ``(x0, eps, x_t)`` and ``t``."""
    c_skip, c_out, _ = _edm_preconditioning()
    edm_level = _sigma_t / _alpha_t  # EDM's sigma of the rescaled input x_t/alpha
    return {
        "score": -_eps / _sigma_t,
        "eps": _eps,
        "x0": _x0,
        "v": _alpha_t * _eps - _sigma_t * _x0,
        "velocity": sp.diff(_alpha_t, time) * _x0 + sp.diff(_sigma_t, time) * _eps,
        "F": ((_x0 - c_skip.subs(sigma, edm_level) * _x_t / _alpha_t)
              / c_out.subs(sigma, edm_level)),
    }


def _check_space(space: str, name: str = "space") -> str:
    if space not in SPACES:
        raise InvalidArgumentError(name, space, "unknown space",
                                   f"choose one of {', '.join(SPACES)}")
    return space


def _to_plain(expr: sp.Expr) -> sp.Expr:
    """Replace ``alpha(t)``, ``sigma(t)`` and their derivatives by plain symbols."""
    return expr.subs({sp.diff(_alpha_t, time): alpha_dot, sp.diff(_sigma_t, time): sigma_dot}
                     ).subs({_alpha_t: alpha, _sigma_t: sigma})


@_cached
def _error_coefficient(space: str) -> tuple[sp.Expr, sp.Expr]:
    """``(X_hat - X, c_X)`` with ``X_hat - X = c_X (eps_hat - eps)``, general schedule."""
    target = _targets()[space]
    x0_hat = (_x_t - _sigma_t * _eps_hat) / _alpha_t
    predicted = target.subs({_x0: x0_hat, _eps: _eps_hat}, simultaneous=True)
    error = (predicted - target).subs(_x_t, _alpha_t * _x0 + _sigma_t * _eps)
    coefficient = sp.factor(sp.cancel(sp.expand(error) / (_eps_hat - _eps)))
    return error, coefficient


@_cached
def conversion_factor(space: str) -> sp.Expr:
    """``k_X``: the squared error in ``space`` per unit ``||eps_hat - eps||^2``.

    Derived from the target's definition for a general schedule, in the plain symbols
    :data:`alpha`, ``sigma``, :data:`alpha_dot`, :data:`sigma_dot` and ``sigma_data``.

    Examples
    --------
    >>> conversion_factor("x0") == sigma**2 / alpha**2
    True
    >>> conversion_factor("score") == 1 / sigma**2
    True
    """
    _check_space(space)
    _, coefficient = _error_coefficient(space)
    return sp.factor(_to_plain(coefficient) ** 2)


def convert(weight: sp.Expr, source: str, target: str) -> sp.Expr:
    """A weight of the ``source``-space loss rewritten for the ``target``-space loss.

    ``w_Y = w_X k_X / k_Y``, in the plain symbols of :func:`conversion_factor`.

    Examples
    --------
    >>> convert(sp.Integer(1), "x0", "eps") == sigma**2 / alpha**2
    True
    >>> sp.simplify(convert(convert(sp.Integer(3), "v", "F"), "F", "v"))
    3
    """
    _check_space(source, "source")
    _check_space(target, "target")
    return weight * conversion_factor(source) / conversion_factor(target)


def _log_snr(alpha_of_t: sp.Expr, sigma_of_t: sp.Expr) -> sp.Expr:
    """``lambda(t) = log(alpha^2/sigma^2)`` of a schedule (through :func:`snr_definition`)."""
    return sp.expand_log(sp.log(snr_definition().subs({alpha: alpha_of_t, sigma: sigma_of_t},
                                                       simultaneous=True)), force=True)


@dataclass(frozen=True)
class Schedule:
    """A noise schedule ``alpha(t)``, ``sigma(t)`` on ``t`` in ``t_range``.

    ``parameters`` maps the schedule's symbols to their defaults; ``lambda(t)`` is
    decreasing in ``t`` for every schedule here.
    """

    name: str
    title: str
    alpha: sp.Expr
    sigma: sp.Expr
    t_range: tuple[sp.Expr, sp.Expr]
    parameters: tuple[tuple[sp.Symbol, sp.Expr], ...]
    source: str
    steps: tuple[Step, ...]
    #: ``sigma`` as a function of :data:`alpha` where the schedule is defined so (VP:
    #: ``sqrt(1 - alpha^2)``, sub-VP: ``1 - alpha^2``); ``t(lambda)`` is solved through it.
    through_alpha: sp.Expr | None = None
    #: The unshifted schedule's name, for a shifted one.
    base: str | None = None

    @property
    def normalisation(self) -> str | None:
        """``"alpha=1"``, ``"alpha^2+sigma^2=1"``, ``"alpha+sigma=1"`` or ``None``, found by
        SymPy from the formulas (:func:`derive._schedule_specs.normalisation`)."""
        return normalisation(self.alpha, self.sigma)

    @property
    def lam(self) -> sp.Expr:
        """``lambda(t)``."""
        return _log_snr(self.alpha, self.sigma)

    @property
    def defaults(self) -> dict[sp.Symbol, sp.Expr]:
        return dict(self.parameters)

    def at(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` in the plain symbols, evaluated on this schedule (a function of ``t``)."""
        return expr.subs({alpha_dot: sp.diff(self.alpha, time),
                          sigma_dot: sp.diff(self.sigma, time)}).subs(
            {alpha: self.alpha, sigma: self.sigma}, simultaneous=True)

    def time_of_lambda(self) -> sp.Expr:
        """``t(lambda)``, the inverse of :attr:`lam` (derived by SymPy, see :attr:`steps`)."""
        return _time_of_lambda(self.name)

    def g_squared(self) -> sp.Expr:
        """``g(t)^2`` of the forward SDE ``dx = f x dt + g dW`` with these marginals."""
        return _g_squared(self.name)


@_cached
def _built(name: str) -> Schedule:
    return build_schedule(name, Schedule)


#: Schedule families, as the CLI spells them (each also takes parameters and a shift:
#: :func:`derive._schedule_specs.parse_schedule_name`).
SCHEDULES = ("ve", "vp-linear", "vp-cosine", "rectified-flow", "edm", "sub-vp",
             "linear-logsnr")


def schedule(name: str) -> Schedule:
    """The named schedule: a family of :data:`SCHEDULES`, with parameters and a shift
    (``ve:0.02:100``, ``vp-cosine:0.008``, ``rectified-flow:shift=3``).

    Examples
    --------
    >>> schedule("rectified-flow").lam == 2 * sp.log(1 - time) - 2 * sp.log(time)
    True
    >>> schedule("ve:0.02:100").defaults[sp.Symbol("sigma_max", positive=True)]
    100
    """
    return _built(parse_schedule_name(name).text)


def _alpha_of_lambda(sched: Schedule) -> sp.Expr:
    """``alpha`` at level ``lambda`` of a schedule with ``sigma = F(alpha)``: the root of
    ``alpha^2/F(alpha)^2 = e^lambda`` in ``(0, 1)``."""
    roots = sp.solve(sp.Eq(alpha**2 / sched.through_alpha**2, sp.exp(lam)), alpha)
    # probed away from lambda = 0, where a root can be 0/0
    alphas = [r for r in roots if real_between(r.subs(lam, sp.Rational(1, 3)), 0, 1)]
    if len(alphas) != 1:
        raise InvalidArgumentError("schedule", sched.name, f"no unique alpha(lambda): {roots}",
                                   "report this as a bug")
    return alphas[0]


@_cached
def _time_of_lambda(name: str) -> sp.Expr:
    sched = schedule(name)
    if sched.base is not None:
        # lambda_S(t) = lambda(t) - 2 log S (confirmed in space_derivation): t_S(lambda) =
        # t(lambda + 2 log S)
        return schedule(sched.base).time_of_lambda().subs(lam, lam + 2 * sp.log(shift_symbol))
    if sched.through_alpha is not None:
        # sigma = F(alpha): alpha^2/F(alpha)^2 = e^lam gives alpha; then solve alpha(t)
        level_alpha = _alpha_of_lambda(sched)
        if sched.alpha.has(sp.exp):
            equation = sp.Eq(sp.expand_log(sp.log(sched.alpha**2), force=True),
                             sp.log(level_alpha**2))
        else:
            equation = sp.Eq(sched.alpha**2, level_alpha**2)
    else:
        level = sp.simplify(sp.expand_log(sched.lam, force=True))
        equation = (sp.Eq(level, lam) if level.is_polynomial(time)  # e.g. linear log-SNR
                    else sp.Eq(sched.sigma / sched.alpha, sp.exp(-lam / 2)))
    roots = sp.solve(equation, time)
    # the root inside the schedule's range (the others are outside it or complex)
    low, high = (sp.N(v.subs(sched.defaults)) for v in sched.t_range)
    middle = (sched.lam.subs(sched.defaults).subs(time, (low + high) / 2))
    probe = {**sched.defaults, lam: middle}
    inside = [r for r in roots if real_between(r.subs(probe), float(low) - 1e-12,
                                                float(high) + 1e-12)]
    if len(inside) != 1:
        raise InvalidArgumentError("schedule", name, f"no unique inverse t(lambda): {roots}",
                                   "report this as a bug")
    return sp.expand_log(inside[0], force=True)


@_cached
def _g_squared(name: str) -> sp.Expr:
    sched = schedule(name)
    g2 = sp.Symbol("g2", positive=True)
    drift = sp.diff(sched.alpha, time) / sched.alpha  # f = d log alpha/dt keeps E[x_t|x0]
    # Var[x_t | x0] = sigma^2 obeys d sigma^2/dt = 2 f sigma^2 + g^2
    _, solved = sp.solve_linear(sp.diff(sched.sigma**2, time) - 2 * drift * sched.sigma**2 - g2,
                                symbols=[g2])
    return sp.expand_log(solved, force=True)


@_cached
def schedule_conversion_factor(space: str, name: str) -> sp.Expr:
    """``k_X(t)`` on the named schedule: :func:`conversion_factor` specialised.

    Examples
    --------
    >>> sp.simplify(schedule_conversion_factor("velocity", "rectified-flow")
    ...             - 1 / (1 - time)**2)
    0
    """
    _check_space(space)
    expr = schedule(name).at(conversion_factor(space))
    try:  # simplification only tidies: past its budget the exact, untidy form is kept
        return bounded(TIDY_SECONDS, f"simplifying k_{space} on {name}", sp.simplify, expr)
    except OutOfTime:
        return sp.together(expr)


def density_form(weight: sp.Expr, space: str, density: sp.Expr) -> sp.Expr:
    """``W = p(t) w_X(t) k_X(t) |dt/dlambda|``: the ``eps``-space weight per unit of
    ``lambda`` of a ``space`` loss weighted by ``weight`` with levels drawn from
    ``density`` (a density of ``t``), for a general schedule.

    ``lambda(t)`` decreases, so ``|dt/dlambda| = 1/`` :data:`lambda_speed`; a schedule's
    own form follows by substituting its ``alpha``, ``sigma`` and ``-lambda'(t)``
    (:class:`derive.Weighting.density_form` does).

    Examples
    --------
    >>> density_form(sp.Integer(1), "eps", sp.Integer(1)) == 1 / lambda_speed
    True
    """
    _check_space(space)
    return density * weight * conversion_factor(space) / lambda_speed


#: Schedules with parameters and shifts whose derivation :func:`space_derivation` carries
#: (instances: each family's parameters are symbols, a shift is one number).
SCHEDULE_INSTANCES = ("ve:0.02:100", "vp-cosine:0.008", "rectified-flow:shift=3",
                      "vp-cosine:shift=2")


def _schedule_steps(name: str) -> list[Step]:
    """``t(lambda)`` inverts ``lambda(t)``, ``g^2 = -sigma^2 lambda'``, the factors ``k_X``,
    a VP schedule's special forms and a shift's ``lambda_S = lambda - 2 log S``."""
    sched = schedule(name)
    steps = list(sched.steps)
    inverse = sched.time_of_lambda()
    steps.append(define(f"{name}: lambda(t)", sp.Eq(lam, sched.lam)))
    base, offset = sched, sp.Integer(0)
    if sched.base is not None:
        # lambda_S = lambda_base - 2 log S (confirmed below): t_S(lambda) inverts lambda_S iff
        # it inverts lambda_base at lambda + 2 log S
        base, offset = schedule(sched.base), 2 * sp.log(shift_symbol)
    if base.through_alpha is not None:
        # lambda is a function of alpha^2 alone here: confirm through it
        steps.append(confirm(sp.expand_log(sp.log(base.alpha.subs(time, inverse) ** 2),
                                           force=True),
                             sp.expand_log(sp.log(_alpha_of_lambda(base) ** 2),
                                           force=True).subs(lam, lam + offset),
                             f"{name}: t(lambda) = {inverse} gives the alpha^2 of level "
                             "lambda, i.e. it inverts lambda(t)", method="together"))
    else:
        steps.append(confirm(sp.expand_log(base.lam.subs(time, inverse), force=True),
                             lam + offset, f"{name}: t(lambda) = {inverse} inverts lambda(t)"))
    steps.append(confirm(sched.g_squared(), -sched.sigma**2 * sp.diff(sched.lam, time),
                         f"{name}: g^2 = d sigma^2/dt - 2 (alpha'/alpha) sigma^2 "
                         "= -sigma^2 lambda'(t)"))
    if sched.base is not None:
        steps.append(confirm(sched.lam, schedule(sched.base).lam - 2 * sp.log(shift_symbol),
                             f"{name}: lambda_S(t) = lambda(t) - 2 log S"))
    for space in SPACES:
        steps.append(define(f"{name}: k_{space}(t)",
                            sp.Eq(sp.Symbol(f"k_{{{space}}}"),
                                  schedule_conversion_factor(space, name))))
    if sched.normalisation == "alpha^2+sigma^2=1":
        steps.append(confirm(sched.alpha**2 + sched.sigma**2, sp.Integer(1),
                             f"{name} is variance preserving"))
        ratio = sched.alpha**2 / sched.sigma**2
        for space, expected in (("score", 1 + ratio), ("x0", 1 / ratio),
                                ("v", 1 / sched.alpha**2)):
            steps.append(confirm(schedule_conversion_factor(space, name), expected,
                                 f"{name}: k_{space} = "
                                 + {"score": "1 + SNR", "x0": "1/SNR", "v": "1/alpha^2"}[space]))
    return steps


@_cached
def space_derivation() -> tuple[Step, ...]:
    """Every step that establishes ``k_X``, its specialisations and the density form.

    General schedule: for each space, the squared-error identity
    ``(X_hat - X)^2 = k_X (eps_hat - eps)^2``; the velocity factor equals
    ``(sigma lambda'/2)^2``; ``g^2 = -sigma^2 lambda'``, so likelihood weighting has
    density form 1. Per schedule: ``t(lambda)`` inverts ``lambda(t)``, and the
    variance-preserving, rectified-flow and EDM special forms.
    """
    steps: list[Step] = [define("SNR = alpha^2/sigma^2, lambda = log SNR",
                                sp.Eq(snr, snr_definition()))]
    _, _, edm_steps = _edm_preconditioning()
    steps += edm_steps
    for space in SPACES:
        error, _ = _error_coefficient(space)
        k = conversion_factor(space)
        steps.append(confirm(_to_plain(error**2), k * (_eps_hat - _eps) ** 2,
                             f"{space}: (X_hat - X)^2 = k_{space} (eps_hat - eps)^2 for general "
                             "alpha(t), sigma(t), with x0_hat = (x_t - sigma eps_hat)/alpha")
                     .carrying())
    lam_t = sp.log(_alpha_t**2 / _sigma_t**2)
    steps.append(confirm(conversion_factor("velocity"),
                         _to_plain((_sigma_t * sp.diff(lam_t, time) / 2) ** 2),
                         "velocity: k = (sigma lambda'(t)/2)^2"))
    for name in (*SCHEDULES, *SCHEDULE_INSTANCES):
        steps += _schedule_steps(name)
    steps.append(confirm(schedule_conversion_factor("velocity", "rectified-flow"),
                         1 / (1 - time) ** 2, "rectified flow: k_velocity = 1/(1 - t)^2"))
    steps.append(confirm(schedule_conversion_factor("F", "edm"),
                         (time**2 + sigma_data**2) / sigma_data**2,
                         "EDM: k_F = (sigma^2 + sigma_data^2)/sigma_data^2 (sigma = t)"))
    return tuple(steps)

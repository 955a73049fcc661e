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

from derive._errors import InvalidArgumentError
from derive.claim import Step, confirm, define
from derive.symbols import sigma, sigma_data

__all__ = [
    "SCHEDULES",
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


_sigma_min, _sigma_max = sp.symbols("sigma_min sigma_max", positive=True)
_beta_min, _beta_max = sp.symbols("beta_min beta_max", positive=True)


def _vp_linear() -> Schedule:
    u = sp.Symbol("u", positive=True)
    beta = _beta_min + (_beta_max - _beta_min) * u
    # score_sde's VP SDE: alpha(t) = exp(-1/2 int_0^t beta), sigma^2 = 1 - alpha^2
    alpha_of_t = sp.exp(-sp.integrate(beta, (u, 0, time)) / 2)
    sigma_of_t = sp.sqrt(1 - alpha_of_t**2)
    steps = (define("beta(t) = beta_min + (beta_max - beta_min) t; alpha = exp(-1/2 int_0^t "
                    "beta), sigma = sqrt(1 - alpha^2)",
                    sp.Eq(sp.Symbol(r"\alpha(t)"), alpha_of_t)),)
    return Schedule("vp-linear", "VP, linear beta (score_sde)", alpha_of_t, sigma_of_t,
                    (sp.Integer(0), sp.Integer(1)),
                    ((_beta_min, sp.Rational(1, 10)), (_beta_max, sp.Integer(20))),
                    "Song et al. 2021; yang-song/score_sde_pytorch sde_lib.py (VPSDE)", steps)


@_cached
def _schedules() -> dict[str, Schedule]:
    ve_sigma = _sigma_min * (_sigma_max / _sigma_min) ** time
    out = [
        Schedule("ve", "VE, geometric sigma", sp.Integer(1), ve_sigma,
                 (sp.Integer(0), sp.Integer(1)),
                 ((_sigma_min, sp.Rational(1, 100)), (_sigma_max, sp.Integer(50))),
                 "Song et al. 2021; yang-song/score_sde_pytorch sde_lib.py (VESDE)", ()),
        _vp_linear(),
        Schedule("vp-cosine", "VP, cosine (no offset)", sp.cos(sp.pi * time / 2),
                 sp.sin(sp.pi * time / 2), (sp.Integer(0), sp.Integer(1)), (),
                 "Nichol & Dhariwal 2021 without the offset s", ()),
        Schedule("rectified-flow", "rectified flow", 1 - time, time,
                 (sp.Integer(0), sp.Integer(1)), (),
                 "Liu et al. 2023; Esser et al. 2024", ()),
        Schedule("edm", "EDM (t = sigma)", sp.Integer(1), time,
                 (sp.Rational(1, 500), sp.Integer(80)), (),
                 "Karras et al. 2022; NVlabs/edm training/loss.py (EDMLoss)", ()),
    ]
    return {s.name: s for s in out}


#: Schedule names, as the CLI spells them.
SCHEDULES = ("ve", "vp-linear", "vp-cosine", "rectified-flow", "edm")


def schedule(name: str) -> Schedule:
    """The named schedule (one of :data:`SCHEDULES`).

    Examples
    --------
    >>> schedule("rectified-flow").lam == 2 * sp.log(1 - time) - 2 * sp.log(time)
    True
    """
    if name not in SCHEDULES:
        raise InvalidArgumentError("schedule", name, "unknown schedule",
                                   f"choose one of {', '.join(SCHEDULES)}")
    return _schedules()[name]


@_cached
def _time_of_lambda(name: str) -> sp.Expr:
    sched = schedule(name)
    if name == "vp-linear":
        # alpha^2 + sigma^2 = 1 and alpha^2/sigma^2 = e^lam give alpha^2; solve log alpha^2
        a2 = sp.Symbol("a2", positive=True)
        (alpha_squared,) = sp.solve(sp.Eq(a2 / (1 - a2), sp.exp(lam)), a2)
        equation = sp.Eq(sp.expand_log(sp.log(sched.alpha**2), force=True),
                         sp.log(alpha_squared))
    else:
        equation = sp.Eq(sched.sigma / sched.alpha, sp.exp(-lam / 2))
    roots = sp.solve(equation, time)
    # the root inside the schedule's range (the others are negative or complex)
    probe = {**sched.defaults, lam: sp.Integer(0)}
    inside = [r for r in roots if sp.N(r.subs(probe)).is_positive]
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
    sched = schedule(name)
    return sp.simplify(sched.at(conversion_factor(space)))


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
    for sched in (schedule(n) for n in SCHEDULES):
        steps += sched.steps
        inverse = sched.time_of_lambda()
        steps.append(define(f"{sched.name}: lambda(t)", sp.Eq(lam, sched.lam)))
        if sched.name == "vp-linear":
            # lambda is a function of alpha^2 alone on a VP schedule: confirm through it
            steps.append(confirm(sp.expand_log(sp.log(sched.alpha.subs(time, inverse) ** 2),
                                               force=True),
                                 lam - sp.log(1 + sp.exp(lam)),
                                 f"{sched.name}: t(lambda) = {inverse} gives log alpha^2 = "
                                 "lambda - log(1 + e^lambda), i.e. it inverts lambda(t)",
                                 method="together"))
        else:
            steps.append(confirm(sp.expand_log(sched.lam.subs(time, inverse), force=True), lam,
                                 f"{sched.name}: t(lambda) = {inverse} inverts lambda(t)"))
        steps.append(confirm(sched.g_squared(), -sched.sigma**2 * sp.diff(sched.lam, time),
                             f"{sched.name}: g^2 = d sigma^2/dt - 2 (alpha'/alpha) sigma^2 "
                             "= -sigma^2 lambda'(t)"))
        for space in SPACES:
            steps.append(define(f"{sched.name}: k_{space}(t)",
                                sp.Eq(sp.Symbol(f"k_{{{space}}}"),
                                      schedule_conversion_factor(space, sched.name))))
    vp = [schedule("vp-linear"), schedule("vp-cosine")]
    for sched in vp:
        steps.append(confirm(sched.alpha**2 + sched.sigma**2, sp.Integer(1),
                             f"{sched.name} is variance preserving"))
        ratio = sched.alpha**2 / sched.sigma**2
        for space, expected in (("score", 1 + ratio), ("x0", 1 / ratio),
                                ("v", 1 / sched.alpha**2)):
            steps.append(confirm(schedule_conversion_factor(space, sched.name), expected,
                                 f"{sched.name}: k_{space} = "
                                 + {"score": "1 + SNR", "x0": "1/SNR", "v": "1/alpha^2"}[space]))
    steps.append(confirm(schedule_conversion_factor("velocity", "rectified-flow"),
                         1 / (1 - time) ** 2, "rectified flow: k_velocity = 1/(1 - t)^2"))
    steps.append(confirm(schedule_conversion_factor("F", "edm"),
                         (time**2 + sigma_data**2) / sigma_data**2,
                         "EDM: k_F = (sigma^2 + sigma_data^2)/sigma_data^2 (sigma = t)"))
    return tuple(steps)

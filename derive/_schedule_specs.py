"""Noise schedules by name, with their parameters: ``NAME[:P1[:P2]][:shift=S]``.

Every schedule is built from its definition in the source it cites (``alpha(t)`` and
``sigma(t)``); :mod:`derive.spaces` derives ``lambda(t)``, its inverse ``t(lambda)``,
``g(t)^2`` and the conversion factors from them. A name with parameters
(``ve:0.02:100``) is the same family with other defaults; ``:shift=S`` multiplies
``sigma/alpha`` by ``S`` (``lambda -> lambda - 2 log S``) and renormalises the way the
family is normalised, which is found from the formulas (``alpha = 1``; ``alpha^2 +
sigma^2 = 1``; ``alpha + sigma = 1``), not declared. For rectified flow this is SD3's
``sigma -> S sigma/(1 + (S - 1) sigma)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import sympy as sp

from derive._budget import OutOfTime, bounded
from derive._errors import InvalidArgumentError
from derive.claim import define

__all__ = ["FAMILIES", "SHOWN_IN_T", "ScheduleName", "build_schedule", "normalisation",
           "parse_schedule_name", "real_between", "shift_symbol"]

time = sp.Symbol("t", positive=True)
alpha_symbol = sp.Symbol("alpha", positive=True)
sigma_min, sigma_max = sp.symbols("sigma_min sigma_max", positive=True)
beta_min, beta_max = sp.symbols("beta_min beta_max", positive=True)
lambda_min, lambda_max = sp.symbols("lambda_min lambda_max", real=True)
cosine_s = sp.Symbol("cosine_s", positive=True)
shift_symbol = sp.Symbol("shift", positive=True)

#: The clamp of the offset cosine schedule on ``alpha^2`` (StableCascade's GDF
#: ``CosineSchedule(clamp_range=[0.0001, 0.9999])``).
COSINE_CLAMP = (sp.Rational(1, 10_000), 1 - sp.Rational(1, 10_000))


@dataclass(frozen=True)
class Family:
    """A schedule family: its positional parameters ``(symbol, default)`` in the order
    the name gives them, and what it is called."""

    name: str
    parameters: tuple[tuple[sp.Symbol, sp.Expr], ...]
    usage: str


#: The families, as the CLI spells them, with their parameters and defaults.
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("ve", ((sigma_min, sp.Rational(1, 100)), (sigma_max, sp.Integer(50))),
           "ve[:SIGMA_MIN:SIGMA_MAX]"),
    Family("vp-linear", ((beta_min, sp.Rational(1, 10)), (beta_max, sp.Integer(20))),
           "vp-linear[:BETA_MIN:BETA_MAX]"),
    Family("vp-cosine", (), "vp-cosine[:S] (S: the offset, 0.008 in improved DDPM)"),
    Family("rectified-flow", (), "rectified-flow"),
    Family("edm", ((sigma_min, sp.Rational(1, 500)), (sigma_max, sp.Integer(80))),
           "edm[:SIGMA_MIN:SIGMA_MAX] (the range of t = sigma)"),
    Family("sub-vp", ((beta_min, sp.Rational(1, 10)), (beta_max, sp.Integer(20))),
           "sub-vp[:BETA_MIN:BETA_MAX]"),
    Family("linear-logsnr", ((lambda_min, sp.Integer(-5)), (lambda_max, sp.Rational(133, 10))),
           "linear-logsnr[:LAMBDA_MIN:LAMBDA_MAX]"),
)}

#: Families whose formulas are shown in ``t``: their ``t(lambda)`` is a long root expression
#: (``dsmw weighting show``, and the density forms of notes/weightings.md).
SHOWN_IN_T = ("vp-linear", "sub-vp")

_FIX = ("write NAME[:P1[:P2]][:shift=S], e.g. ve:0.02:100, vp-cosine:0.008, "
        "rectified-flow:shift=3; families: " + ", ".join(FAMILIES))


@dataclass(frozen=True)
class ScheduleName:
    """A parsed schedule name: its family, the values of the family's parameters (the
    defaults where the name gives none), the cosine offset (``None``: no offset) and the
    shift (``None``: none)."""

    text: str
    family: str
    values: tuple[tuple[sp.Symbol, sp.Expr], ...]
    offset: sp.Expr | None = None
    shift: sp.Expr | None = None

    def numbers(self) -> dict[str, float]:
        """The parameters by name, as floats (for references written without SymPy)."""
        out = {s.name: float(v) for s, v in self.values}
        if self.offset is not None:
            out["cosine_s"] = float(self.offset)
        if self.shift is not None:
            out["shift"] = float(self.shift)
        return out


def _number(text: str, what: str, name: str) -> sp.Expr:
    try:
        value = sp.Rational(text.strip())
        finite = math.isfinite(float(value))
    except (TypeError, ValueError):
        finite = False
    if not finite:
        raise InvalidArgumentError("schedule", name, f"{what} {text!r} is not a finite number",
                                   _FIX)
    return value


def parse_schedule_name(name: str) -> ScheduleName:
    """The family, parameter values and shift of a schedule name.

    Examples
    --------
    >>> parse_schedule_name("ve:0.02:100").numbers()
    {'sigma_min': 0.02, 'sigma_max': 100.0}
    >>> parse_schedule_name("rectified-flow:shift=3").shift
    3
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("schedule", name, "not a schedule name", _FIX)
    head, *rest = name.strip().split(":")
    if head not in FAMILIES:
        raise InvalidArgumentError("schedule", name, f"unknown schedule {head!r}", _FIX)
    family = FAMILIES[head]
    shift = None
    if rest and rest[-1].strip().startswith("shift="):
        shift = _number(rest.pop().split("=", 1)[1], "the shift", name)
        if not shift > 0:
            raise InvalidArgumentError("schedule", name, "the shift must be positive",
                                       "e.g. shift=3 (SD3) or shift=1 for none")
    if any("=" in part for part in rest):
        raise InvalidArgumentError("schedule", name, "only shift=S may be given by name, "
                                   "and last", _FIX)
    numbers = [_number(p, "parameter", name) for p in rest]
    offset = None
    if head == "vp-cosine":
        if len(numbers) > 1:
            raise InvalidArgumentError("schedule", name, "vp-cosine takes one parameter, "
                                       "the offset S", "e.g. vp-cosine:0.008")
        if numbers:
            offset = numbers[0]
            if not 0 < offset < 1:
                raise InvalidArgumentError("schedule", name, "the cosine offset S must be in "
                                           "(0, 1)", "e.g. vp-cosine:0.008 (improved DDPM)")
        values: tuple = ()
    else:
        if numbers and len(numbers) != len(family.parameters):
            raise InvalidArgumentError("schedule", name, f"{head} takes "
                                       f"{len(family.parameters)} parameters "
                                       f"({family.usage}), got {len(numbers)}", _FIX)
        chosen = numbers or [d for _, d in family.parameters]
        values = tuple((s, v) for (s, _), v in zip(family.parameters, chosen, strict=True))
        _check_values(head, dict(values), name)
    return ScheduleName(name.strip(), head, values, offset, shift)


def _check_values(family: str, values: dict[sp.Symbol, sp.Expr], name: str) -> None:
    if family in ("ve", "edm"):
        if not 0 < values[sigma_min] < values[sigma_max]:
            raise InvalidArgumentError("schedule", name, "needs 0 < SIGMA_MIN < SIGMA_MAX",
                                       f"e.g. {family}:0.002:80")
    elif family in ("vp-linear", "sub-vp"):
        if not 0 < values[beta_min] < values[beta_max]:
            raise InvalidArgumentError("schedule", name, "needs 0 < BETA_MIN < BETA_MAX",
                                       f"e.g. {family}:0.1:20")
    elif family == "linear-logsnr" and not values[lambda_min] < values[lambda_max]:
        raise InvalidArgumentError("schedule", name, "needs LAMBDA_MIN < LAMBDA_MAX",
                                   "e.g. linear-logsnr:-5:13.3 (VDM's gamma in [-13.3, 5])")


def _vp_alpha() -> tuple[sp.Expr, tuple]:
    u = sp.Symbol("u", positive=True)
    beta = beta_min + (beta_max - beta_min) * u
    # score_sde: alpha(t) = exp(-1/2 int_0^t beta)
    alpha_of_t = sp.exp(-sp.integrate(beta, (u, 0, time)) / 2)
    step = define("beta(t) = beta_min + (beta_max - beta_min) t; alpha = exp(-1/2 int_0^t "
                  "beta)", sp.Eq(sp.Symbol(r"\alpha(t)"), alpha_of_t))
    return alpha_of_t, (step,)


def build_schedule(name: str, schedule_class: type):
    """The :class:`derive.spaces.Schedule` of a schedule name (see the module docstring)."""
    spec = parse_schedule_name(name)
    one = sp.Integer(1)
    unit = (sp.Integer(0), one)
    if spec.family == "ve":
        sched = schedule_class(
            "ve", "VE, geometric sigma", one, sigma_min * (sigma_max / sigma_min) ** time, unit,
            spec.values, "Song et al. 2021; yang-song/score_sde_pytorch sde_lib.py (VESDE)", ())
    elif spec.family in ("vp-linear", "sub-vp"):
        alpha_of_t, steps = _vp_alpha()
        vp = spec.family == "vp-linear"
        through = sp.sqrt(1 - alpha_symbol**2) if vp else 1 - alpha_symbol**2
        sched = schedule_class(
            spec.family, "VP, linear beta (score_sde)" if vp else "sub-VP, linear beta "
            "(score_sde)", alpha_of_t, through.subs(alpha_symbol, alpha_of_t), unit,
            spec.values, "Song et al. 2021; yang-song/score_sde_pytorch sde_lib.py ("
            + ("VPSDE)" if vp else "subVPSDE)"), steps, through)
    elif spec.family == "vp-cosine" and spec.offset is None:
        sched = schedule_class("vp-cosine", "VP, cosine (no offset)", sp.cos(sp.pi * time / 2),
                               sp.sin(sp.pi * time / 2), unit, (),
                               "Nichol & Dhariwal 2021 without the offset s", ())
    elif spec.family == "vp-cosine":
        angle = (time + cosine_s) / (1 + cosine_s) * sp.pi / 2
        alpha_of_t = sp.cos(angle) / sp.cos(cosine_s / (1 + cosine_s) * sp.pi / 2)
        through = sp.sqrt(1 - alpha_symbol**2)
        steps = (define("alpha^2 = f(t)/f(0), f(t) = cos^2((t + s)/(1 + s) pi/2), clamped to "
                        f"[{COSINE_CLAMP[0]}, {COSINE_CLAMP[1]}]",
                        sp.Eq(sp.Symbol(r"\alpha(t)"), alpha_of_t)),)
        sched = schedule_class(
            "vp-cosine", "VP, cosine with offset s (improved DDPM, clamped)", alpha_of_t,
            through.subs(alpha_symbol, alpha_of_t), _clamped_range(alpha_of_t, spec.offset),
            ((cosine_s, spec.offset),),
            "Nichol & Dhariwal 2021; openai/improved-diffusion gaussian_diffusion.py "
            "(betas_for_alpha_bar); Stability-AI/StableCascade gdf/schedulers.py "
            "(CosineSchedule)", steps, through)
    elif spec.family == "rectified-flow":
        sched = schedule_class("rectified-flow", "rectified flow", 1 - time, time, unit, (),
                               "Liu et al. 2023; Esser et al. 2024", ())
    elif spec.family == "edm":
        values = dict(spec.values)
        sched = schedule_class("edm", "EDM (t = sigma)", one, time,
                               (values[sigma_min], values[sigma_max]), (),
                               "Karras et al. 2022; NVlabs/edm training/loss.py (EDMLoss)", ())
    else:  # linear-logsnr
        level = lambda_max - (lambda_max - lambda_min) * time
        steps = (define("lambda(t) = lambda_max - (lambda_max - lambda_min) t; alpha^2 = "
                        "sigmoid(lambda), sigma^2 = sigmoid(-lambda)",
                        sp.Eq(sp.Symbol(r"\lambda(t)"), level)),)
        sched = schedule_class(
            "linear-logsnr", "VP, linear log-SNR (VDM)", sp.sqrt(1 / (1 + sp.exp(-level))),
            sp.sqrt(1 / (1 + sp.exp(level))), unit, spec.values,
            "Kingma et al. 2021; google-research/vdm (FixedLinearSchedule, gamma = -lambda)",
            steps)
    sched = dataclasses.replace(sched, name=spec.text)
    if spec.shift is not None:
        sched = _shifted(sched, spec.shift)
    return sched


def real_between(value: sp.Expr, low: float, high: float) -> bool:
    """Whether ``value`` evaluates to a real number in ``(low, high)``."""
    try:
        number = complex(sp.N(value))
    except (TypeError, ValueError):
        return False
    return abs(number.imag) < 1e-9 and low < number.real < high


def _clamped_range(alpha_of_t: sp.Expr, offset: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """The ``t`` where the clamp of ``alpha^2`` to :data:`COSINE_CLAMP` is inactive: each
    end solves ``alpha(t)^2 = c`` (SymPy) for the root in ``(0, 1)``; outside it the level
    does not move, so the weight at every level is the weight on this range."""
    ends = []
    for c in reversed(COSINE_CLAMP):
        roots = sp.solve(sp.Eq(alpha_of_t.subs(cosine_s, offset) ** 2, c), time)
        inside = [r for r in roots if real_between(r, 0, 1)]
        if len(inside) != 1:
            raise InvalidArgumentError("schedule", f"vp-cosine:{offset}", "no unique clamp "
                                       f"point alpha^2 = {c} in (0, 1): {roots}",
                                       "report this as a bug")
        ends.append(inside[0])
    return ends[0], ends[1]


def normalisation(alpha_of_t: sp.Expr, sigma_of_t: sp.Expr) -> str | None:
    """How a schedule is normalised, found from its formulas: ``"alpha=1"``,
    ``"alpha^2+sigma^2=1"``, ``"alpha+sigma=1"`` or ``None``."""
    for label, expr in (("alpha=1", alpha_of_t - 1),
                        ("alpha^2+sigma^2=1", alpha_of_t**2 + sigma_of_t**2 - 1),
                        ("alpha+sigma=1", alpha_of_t + sigma_of_t - 1)):
        try:
            if bounded(3.0, "the schedule's normalisation", sp.simplify, expr) == 0:
                return label
        except OutOfTime:
            continue
    return None


def _shifted(sched, shift: sp.Expr):
    """``sigma/alpha -> S sigma/alpha`` with the family's normalisation kept."""
    kind = normalisation(sched.alpha, sched.sigma)
    a, s = sched.alpha, shift_symbol * sched.sigma
    if kind == "alpha=1":
        new_alpha, new_sigma = a, s
    elif kind == "alpha^2+sigma^2=1":
        norm = sp.sqrt(a**2 + s**2)
        new_alpha, new_sigma = a / norm, s / norm
    elif kind == "alpha+sigma=1":
        new_alpha, new_sigma = a / (a + s), s / (a + s)
    else:
        raise InvalidArgumentError("schedule", sched.name, "a shift is defined for schedules "
                                   "with alpha = 1, alpha^2 + sigma^2 = 1 or alpha + sigma = 1",
                                   "drop the shift")
    step = define(f"shift S: sigma/alpha -> S sigma/alpha, keeping {kind}",
                  sp.Eq(sp.Symbol(r"\sigma_S/\alpha_S"), new_sigma / new_alpha))
    return dataclasses.replace(
        sched, title=f"{sched.title}, shifted", alpha=new_alpha, sigma=new_sigma,
        parameters=(*sched.parameters, (shift_symbol, shift)),
        source=sched.source + "; shift as in Esser et al. 2024 (SD3)",
        steps=(*sched.steps, step), through_alpha=None, base=sched.name.rsplit(":", 1)[0])

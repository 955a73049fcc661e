"""The zoo's weights on a schedule: the level quantities (``alpha``, ``sigma``, their
derivatives, ``g^2``, ``lambda``, ``-dlambda/dt``) as functions of ``t``, ``lambda`` or
``sigma``, and the shortest tidy form of the result (used by :mod:`derive.weightings`)."""

from __future__ import annotations

import sympy as sp

import derive.spaces as spaces
from derive._budget import OutOfTime, bounded
from derive.symbols import sigma

__all__ = ["g2", "on_level", "tidy"]

#: ``g(t)^2``, the diffusion coefficient squared (the likelihood weighting's weight).
g2 = sp.Symbol("g2", positive=True)
_SPEED = spaces.lambda_speed  # -dlambda/dt on a schedule


@spaces._cached
def _level(schedule: str, variable: str, simplify: bool = True) -> dict[sp.Symbol, sp.Expr]:
    """``alpha``, ``sigma``, their ``t``-derivatives, ``g^2``, ``t``, ``lambda`` and
    ``-dlambda/dt`` on the schedule as functions of ``variable`` (simplified once)."""
    sched = spaces.schedule(schedule)
    raw = {spaces.alpha: sched.alpha, sigma: sched.sigma,
           spaces.alpha_dot: sp.diff(sched.alpha, spaces.time),
           spaces.sigma_dot: sp.diff(sched.sigma, spaces.time), g2: sched.g_squared(),
           spaces.lam: sched.lam, _SPEED: -sp.diff(sched.lam, spaces.time),
           spaces.time: spaces.time}
    if variable == "t":
        return {k: tidy(v) if simplify else v for k, v in raw.items()}
    if variable == "lambda":
        inverse = sched.time_of_lambda()
        out = {k: tidy(sp.expand_log(v.subs(spaces.time, inverse), force=True),
                        positive=k in _POSITIVE) for k, v in raw.items()}
        out[spaces.lam] = spaces.lam
        return out
    (inverse,) = sp.solve(sp.Eq(sched.sigma, sigma), spaces.time)
    out = {k: tidy(sp.expand_log(sp.powsimp(v.subs(spaces.time, inverse), force=True),
                                  force=True)) for k, v in raw.items()}
    out[sigma] = sigma
    return out


def tidy(expr: sp.Expr, positive: bool = False) -> sp.Expr:
    """The shortest of ``expr``, its ``simplify`` and (for a positive quantity)
    ``exp(simplify(log expr))``; a form that leaves the reals (log branches) is dropped."""
    candidates = [expr]
    try:  # tidying is optional: past its budget the exact form given is kept
        candidates.append(bounded(spaces.TIDY_SECONDS, "tidying a weight", sp.simplify,
                                  sp.powsimp(expr, force=True)))
        if positive and expr.has(sp.exp, sp.Pow):
            candidates.append(sp.exp(bounded(spaces.TIDY_SECONDS, "tidying a weight",
                                             sp.simplify,
                                             sp.expand_log(sp.log(expr), force=True))))
    except OutOfTime:
        pass
    real = [c for c in candidates if not c.has(sp.I)]
    return min(real, key=sp.count_ops)


_POSITIVE = (spaces.alpha, sigma, g2, spaces.time, spaces.sigma_dot, _SPEED)


def on_level(expr: sp.Expr, schedule: str, variable: str, simplify: bool) -> sp.Expr:
    level = _level(schedule, variable, simplify or variable != "t")
    out = expr.subs(level, simultaneous=True)
    return tidy(out) if simplify else out



"""P1's check of the schedules themselves: derive's ``alpha(t)``, ``sigma(t)``, their
derivatives, ``lambda(t)``, ``t(lambda)``, ``g^2`` and the range of ``t`` (parameters and
shifts included) against the NumPy definitions of :mod:`numeric.checks._p1_reference`."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

import derive
from derive import spaces
from numeric.checks._p1_reference import (
    CHECK_RANGE,
    FULL_RANGE,
    VALUES,
    g_squared,
    reference_schedule,
)
from numeric.checks._records import Check
from numeric.weighting_curves import bind_by_name

__all__ = ["ZOO_TOL", "schedule_task"]

#: Lambdified expressions against NumPy references (as P1's zoo checks).
ZOO_TOL = 1e-9


def schedule_task(schedules: tuple[str, ...]):
    """derive's schedules (``alpha``, ``sigma`` and their t-derivatives, ``lambda(t)``, the
    inverse ``t(lambda)``, ``g^2`` and the range of ``t``), parameters and shift included,
    against the definitions written here (:func:`reference_schedule`, with the parameters
    read from the name)."""
    def run(rng: np.random.Generator, alpha: float) -> Check:
        worst, where = 0.0, ""
        for name in schedules:
            sched = derive.schedule(name)
            # derive's own parameter values, as dsmw weighting binds them: a name whose
            # parameters derive dropped then disagrees with the definition here
            values = {**VALUES, **{s.name: v for s, v in sched.parameters}}
            try:
                time_of_lambda = sched.time_of_lambda()
            except derive.InvalidArgumentError as exc:
                # derive cannot invert its own lambda(t): the schedule is wrong, not the check
                return Check("schedules vs their definition", "exact", math.inf, ZOO_TOL, False,
                             f"{name}: {exc}")
            low, high = CHECK_RANGE[name]
            t = np.sort(rng.uniform(low, high, 7))
            level = reference_schedule(name, t)
            time = spaces.time
            exprs = [sched.alpha, sched.sigma, sp.diff(sched.alpha, time),
                     sp.diff(sched.sigma, time), sched.lam, sched.g_squared()]
            function = sp.lambdify(time, [bind_by_name(e, values) for e in exprs], "numpy")
            reference = [level["alpha"], level["sigma"], level["alpha'"], level["sigma'"],
                         np.log(level["alpha"] ** 2 / level["sigma"] ** 2), g_squared(level)]
            inverse = sp.lambdify(spaces.lam, bind_by_name(time_of_lambda, values), "numpy")
            derived_values = [np.broadcast_to(v, t.shape) for v in function(t)]
            derived_values.append(np.broadcast_to(inverse(reference[4]), t.shape))
            derived_values.append(np.array([float(v) for v in sched.t_range]))
            reference += [t, np.array(FULL_RANGE[name])]
            labels = ("alpha", "sigma", "alpha'", "sigma'", "lambda", "g^2", "t(lambda)",
                      "t range")
            for label, got, ref in zip(labels, derived_values, reference, strict=True):
                error = float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1.0)))
                if error > worst:
                    worst, where = error, f"{name}: {label}"
        return Check("schedules vs their definition", "exact", worst, ZOO_TOL, worst <= ZOO_TOL,
                     f"{len(schedules)} schedules (parameters and shifts included), 7 random "
                     f"t each: alpha, sigma, their derivatives, lambda, t(lambda), g^2, range"
                     + (f"; worst at {where}" if where else ""))
    return run

"""NOISE: :mod:`derive`'s noise families against numeric's textbook formulas.

Checks, by method:

* exact -- density, normalisation, ``psi``, ``I_q`` and ``q^(n)/q`` of every family of
  derive's registry against :mod:`numeric.noise_reference` (written from textbooks);
* quadrature -- the double-precision posterior grid that the non-Gaussian checks of
  C1, C2, C4 and C5 use, against 20-digit mpmath quadrature.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

import derive
from numeric.checks._derived import derived
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import NOISES
from numeric.examples import example
from numeric.noise_reference import reference_noise
from numeric.quadrature import (
    QUADRATURE_TOLERANCE,
    noise_functions,
    posterior_grid,
    posterior_integrals,
)

__all__ = ["CONSUMES", "ID", "NOISE_SPECS", "TASKS", "TITLE"]

ID = "NOISE"
TITLE = "Noise families of derive vs textbook formulas (self-check)"
CONSUMES = ("noise_family", "fisher_information_of_noise")

NOISE_SPECS = ("gaussian", "logistic", "student_t:5")


def _noise_definitions(top: int):
    orders = range(1, top + 1)

    def run(rng, alpha) -> Check:
        e = np.linspace(-8.0, 8.0, 33)
        errors, worst = [], ""
        for spec in NOISE_SPECS:
            family, ref = derived("noise_family")(spec), reference_noise(spec)
            density = sp.lambdify(derive.E, family.density, "numpy")(e)
            compared = [("density", density, ref.density(e), 0.0),
                        ("psi", sp.lambdify(derive.E, family.psi(), "numpy")(e),
                         ref.psi(e), 1.0)]
            compared += [(f"q^({n})/q",
                          sp.lambdify(derive.E, family.derivative_ratio(n), "numpy")(e),
                          ref.ratio(n, e), 1.0) for n in orders]
            compared += [("normalisation", float(family.normalisation()), ref.normalisation(),
                          0.0),
                         ("I_q", float(family.fisher_information()), ref.fisher_information(),
                          0.0),
                         ("fisher_information_of_noise",
                          float(derived("fisher_information_of_noise")(spec)),
                          ref.fisher_information(), 0.0)]
            for what, got, want, floor in compared:
                err = relative_error(np.broadcast_to(got, np.shape(want)), want, floor)
                if not errors or err > max(errors):
                    worst = f"{spec} {what}"
                errors.append(err)
        err = max(errors)
        return Check("derive's noise families vs textbook densities", "exact", err, 1e-10,
                     err <= 1e-10, f"{', '.join(NOISE_SPECS)}: density, normalisation, psi, "
                     f"I_q, q^(n)/q for n <= {max(orders)}; worst: {worst}")
    return run


def _grid_vs_mpmath(cases: tuple[tuple[str, float, float], ...]):
    """The double-precision posterior grid that the checks use, against 20-digit mpmath
    at each ``(noise, sigma, x~)`` of ``cases``."""

    def run(rng, alpha) -> Check:
        gm = example("two-mode-1d")
        errors = []
        for noise, sigma, x in cases:
            fns = noise_functions(noise)
            grid = posterior_grid(gm, [x], sigma, noise, (1,), (2,))
            # 20 digits are ample against double precision and ~30% cheaper than 30
            with mpmath.workdps(20):
                r = posterior_integrals(gm, x, sigma, noise,
                                        (fns.ratio(1), lambda e, f=fns: f.ratio(1)(e) ** 2),
                                        (2,))
                mean = r.expectation(0)
                pairs = [(mean / sigma, grid.mean[1][0], 1 / sigma),
                         ((r.expectation(1) - mean**2) / sigma**2, grid.variance[1][0], 0.0),
                         (r.derivative_ratio(2), grid.ratio[2][0], sigma**-2)]
            errors += [relative_error(got, float(want), floor) for want, got, floor in pairs]
        err = max(errors)
        return Check("double-precision posterior quadrature vs 20-digit mpmath", "quadrature",
                     err, QUADRATURE_TOLERANCE, err <= QUADRATURE_TOLERANCE,
                     f"{len(cases)} point(s); the grid is what the non-Gaussian checks use")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("noise definitions", "exact", _noise_definitions,
             quick={"top": 2}, full={"top": 5}),
    TaskSpec("posterior grid vs mpmath", "quadrature", _grid_vs_mpmath,
             quick={"cases": (("logistic", 0.5, 0.0),)},
             full={"cases": tuple((noise, s, x) for noise in NOISES for s in (0.05, 1.0)
                                  for x in (-2.0, 0.3))}),
)

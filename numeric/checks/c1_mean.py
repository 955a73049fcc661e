"""C1: the conditional mean of the order-n target is ``m_n = p_sigma^(n)/p_sigma``.

Checks, by method:

* exact -- derive's ``conditional_mean(n)`` against the exact posterior Hermite moments
  of the mixture (1-D, every order; d = 2, 3 at order 1, per coordinate);
* monte-carlo -- ``T_n`` over exact posterior draws; ``E[(T_n - m_n(X~)) g(X~)] = 0`` for
  bounded test functions ``g`` over joint draws ``(X, X~)``;
* quadrature -- ``m_n`` from the data against ``E[T_n | x~]`` from the noise density,
  under logistic and Student-t noise;
* exact -- the targets themselves: derive's ``target(n)`` (for the abstract ``q`` made
  Gaussian, and for the logistic and Student-t densities), ``gaussian_target(n)`` and
  ``hermite_e(n)`` against numeric's textbook ratios ``q^(n)/q`` (a recurrence on the
  textbook density, to 30 digits) and numpy's ``hermeval``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp
from numpy.polynomial import hermite_e as herme

import derive
from numeric.checks._derived import derived, evaluate_matrix
from numeric.checks._draws import JOINT_DRAWS_QUICK, joint_draw_estimate, posterior_draws_task
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import (
    EXACT_TOL,
    NOISES,
    ONE_D,
    QUAD_TOL,
    exact_sweep,
    in_table,
    noise_grid,
    noise_table,
)
from numeric.examples import example
from numeric.formula import evaluate
from numeric.moments import conditional_mean
from numeric.montecarlo import concatenate, z_test
from numeric.noise_reference import reference_noise

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE"]

ID = "C1"
TITLE = "Conditional mean of the order-n target"
CONSUMES = ("conditional_mean", "conditional_covariance", "target", "gaussian_target",
            "hermite_e")
#: (x, x~, sigma) at which the targets are compared: E = (x~ - x)/sigma from -2.5 to 3
_TARGET_POINTS = ((0.0, 0.7, 0.5), (1.0, -1.5, 1.0), (-0.3, 2.7, 0.9), (0.2, 0.2, 2.0))


def _componentwise_mean(dim: int) -> sp.Matrix:
    """derive's order-1 conditional mean with ``m_1`` read as each coordinate ``m1_i``."""
    m1, _ = derived("ratio_symbols")(dim)
    mean = derived("conditional_mean")(1)
    return sp.Matrix(dim, dim, lambda i, j: mean.subs(derive.m(1), m1[i]) if i == j else 0)


def _c1_exact(top: int):
    orders = range(1, top + 1)

    def one_d(gm, x, sigma, n):
        return (evaluate(derived("conditional_mean")(n), gm, x, sigma),
                conditional_mean(gm, x, sigma, n), sigma ** (-n))

    def multi_d(gm, x, sigma):
        # derive's E[T_1 | x~] per coordinate vs (E[X | x~] - x~)/sigma^2 from the posterior
        formula = np.diagonal(evaluate_matrix(_componentwise_mean(gm.dim), gm, x, sigma),
                              axis1=-2, axis2=-1)
        return formula, conditional_mean(gm, x, sigma), 1 / sigma

    def run(rng, alpha) -> Check:
        err = exact_sweep(orders, rng, one_d, multi_d)
        return Check(f"m_n vs exact posterior Hermite moments, n <= {max(orders)}", "exact",
                     err, EXACT_TOL, err <= EXACT_TOL, "1-D any order; d = 2, 3 order 1")
    return run


def _c1_quadrature(top: int, n_points: int, sigmas: tuple[float, ...]):
    def run(rng, alpha) -> Check:
        errors = []
        for noise, sigma in noise_grid(sigmas):
            table = noise_table(noise, sigma, top, n_points)
            for n in range(1, top + 1):
                # formula: m_n (data route); reference: E[T_n | x~] with T_n from q (noise route)
                formula = in_table(derived("conditional_mean")(n), table, sigma)
                errors.append(relative_error(formula, table[f"mean{n}"], sigma ** (-n)))
        err = max(errors)
        return Check(f"m_n vs E[T_n | x~] under {', '.join(NOISES)} noise, n <= {top}",
                     "quadrature", err, QUAD_TOL, err <= QUAD_TOL,
                     "double-precision posterior quadrature; derivatives on the data vs on q")
    return run


def _c1_targets(top: int, noises: tuple[str, ...]):
    xs, xts, sigmas = (derive.symbols.x, derive.symbols.x_tilde, derive.sigma)
    e_symbol = derive.symbols.E

    def target_expression(noise: str, n: int) -> sp.Expr:
        if noise == "gaussian":  # the abstract q of target(n), made the standard normal
            q = sp.Lambda(e_symbol, sp.exp(-e_symbol**2 / 2) / sp.sqrt(2 * sp.pi))
            return derived("target")(n).replace(sp.Function("q"), q).doit()
        return derived("target")(n, derive.noise_family(noise).density)

    def run(rng, alpha) -> Check:
        errors = []
        with mpmath.workdps(30):
            for noise in noises:
                reference = reference_noise(noise)
                for n in range(1, top + 1):
                    formula = sp.lambdify((xs, xts, sigmas), target_expression(noise, n),
                                          "mpmath")
                    for x0, xt0, s0 in _TARGET_POINTS:
                        e0 = mpmath.mpf(xt0 - x0) / s0
                        expected = reference.ratio(n, e0, mp=True) / mpmath.mpf(s0) ** n
                        got = formula(mpmath.mpf(x0), mpmath.mpf(xt0), mpmath.mpf(s0))
                        errors.append(float(abs(got - expected) / (1 + abs(expected))))
        for n in range(1, top + 1):
            gaussian = sp.lambdify((e_symbol, sigmas), derived("gaussian_target")(n)[0],
                                   "numpy")
            hermite = sp.lambdify(e_symbol, derived("hermite_e")(n), "numpy")
            unit = np.zeros(n + 1)
            unit[n] = 1.0
            for x0, xt0, s0 in _TARGET_POINTS:
                e0 = (xt0 - x0) / s0
                he = herme.hermeval(e0, unit)  # numpy's recurrence, not derive's
                errors.append(abs(float(gaussian(e0, s0)) - (-1) ** n * he / s0**n)
                              / (1 + abs(he / s0**n)))
                errors.append(abs(float(hermite(e0)) - he) / (1 + abs(he)))
        err = max(errors)
        return Check(f"T_n = q_sigma^(n)/q_sigma and He_n vs textbook ratios, n <= {top}",
                     "exact", err, EXACT_TOL, err <= EXACT_TOL,
                     f"{', '.join(noises)} noise at {len(_TARGET_POINTS)} points (30 digits); "
                     "gaussian_target and hermite_e against numpy's hermeval")
    return run


def _joint_monte_carlo(draws: int, mixtures: tuple[str, ...], orders: tuple[int, ...]):
    count = draws

    def run(rng, alpha) -> Check:
        estimates = [joint_draw_estimate(example(name), sigma, n, count, rng)
                     for name in mixtures for sigma in (0.3, 1.0) for n in orders]
        test = z_test(concatenate(estimates), 0.0, alpha)
        return Check.from_z_test(
            "E[(T_n - m_n(X~)) g(X~)] = 0 and E[((T_n - m_n)^2 - Sigma_n) g] = 0", test,
            f"{test.n_tests} z-tests on {count} joint draws (X, X~) each, "
            f"family-wise rate {alpha:.2g}, standard errors known under the null")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("mean vs exact", "exact", _c1_exact, quick={"top": 4}, full={"top": 6}),
    TaskSpec("mean vs posterior draws", "monte-carlo", posterior_draws_task,
             quick={"which": "mean", "draws": 20_000},
             full={"which": "mean", "draws": 100_000}),
    TaskSpec("mean vs joint-draw Monte Carlo", "monte-carlo", _joint_monte_carlo,
             quick={"draws": JOINT_DRAWS_QUICK, "mixtures": ("two-mode-1d",), "orders": (1, 2)},
             full={"draws": 200_000, "mixtures": ONE_D, "orders": (1, 2, 3)}),
    TaskSpec("targets vs their definition", "exact", _c1_targets,
             # target(n) for a concrete density grows fast with n (Student-t at n = 5:
             # 3 MB of expression, 30 s), so the full run stops at n = 4
             quick={"top": 3, "noises": ("gaussian",)},
             full={"top": 4, "noises": ("gaussian", "logistic", "student_t:5")}),
    TaskSpec("mean under non-Gaussian noise", "quadrature", _c1_quadrature,
             quick={"top": 3, "n_points": 5, "sigmas": (0.5,)},
             full={"top": 4, "n_points": 9, "sigmas": (0.3, 1.0)}, shares="noise-table"),
)

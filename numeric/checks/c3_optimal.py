"""C3: the optimal weight is the inverse covariance: ``W* = Sigma_n^-1`` gives the
Loewner-smallest sandwich covariance of the estimator.

Checks, by method:

* quadrature -- the sandwich at derive's ``optimal_weight(n)`` equals derive's
  ``optimal_sandwich`` ``F^-1`` and is Loewner-below the sandwich of the constant
  (heuristic) weight and of two perturbations ``W*(1 +- g/2)`` (Simpson over ``p_sigma``);
* monte-carlo -- at ``W*`` the weighted gradient's second moment ``E[g g^T]/4`` equals
  ``E[J^T W* J]`` (joint draws, standard errors from exact central moments);
* exact -- the discrete form of the inequality: derive's ``lagrange_gap(N)`` (the gap
  ``B sum J^2/Sigma - A^2`` and its sum of squares) at random supports against the gap
  computed in NumPy from ``A = sum w J^2``, ``B = sum w^2 J^2 Sigma``; it vanishes at
  ``w = 1/Sigma`` and is positive elsewhere.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from numeric.checks._derived import derived, matrix_function
from numeric.checks._draws import noised_with_target
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import EXACT_TOL, grid_error, simpson_grid
from numeric.examples import example
from numeric.formula import evaluate
from numeric.moments import conditional_covariance, target_central_moments
from numeric.montecarlo import Estimate, concatenate, z_test

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE"]

ID = "C3"
TITLE = "Optimal weight = inverse covariance (smallest sandwich)"
CONSUMES = ("optimal_weight", "sandwich_covariance", "optimal_sandwich", "lagrange_gap")

_BASIS_CENTRES = (-2.0, 0.0, 1.5)


def _basis(x_tilde: np.ndarray) -> np.ndarray:
    """Jacobian ``J(x~)`` of a correctly specified model ``m_n + theta . phi``: bumps."""
    return np.stack([np.exp(-((x_tilde - c) ** 2) / 2) for c in _BASIS_CENTRES], axis=-1)


def _c3_sandwich_quadrature(orders: tuple[int, ...]):

    def run(rng, alpha) -> Check:
        p = len(_BASIS_CENTRES)
        sandwich = matrix_function(derived("sandwich_covariance")(p), ("A", "B"), p)
        optimal = matrix_function(derived("optimal_sandwich")(p), ("F",), p)
        gm = example("two-mode-1d")
        equal_errors, margins, strict, grid_errors = [], [], [], []
        for n in orders:
            weight_expr = derived("optimal_weight")(n)
            for sigma in (0.3, 1.0):
                def sandwiches(x, wts, n=n, sigma=sigma, weight_expr=weight_expr):
                    phi = _basis(x[:, 0])
                    cov = conditional_covariance(gm, x, sigma, n)
                    w_star = evaluate(weight_expr, gm, x, sigma)
                    bump = np.exp(-((x[:, 0] - 0.5) ** 2))
                    # a constant weight is the heuristic of every order (the sandwich does
                    # not change when W is multiplied by a constant)
                    weights = [w_star, np.ones_like(w_star), w_star * (1 + 0.5 * bump),
                               w_star * (1 - 0.5 * bump)]

                    def expect(values):
                        return np.einsum("n,n,ni,nj->ij", wts, values, phi, phi)

                    fisher = expect(1.0 / cov)
                    return np.stack([np.asarray(optimal(fisher), dtype=float)]
                                    + [np.asarray(sandwich(expect(w), expect(w**2 * cov)),
                                                  dtype=float) for w in weights])

                computed = sandwiches(*simpson_grid(gm, sigma))
                grid_errors.append(grid_error(sandwiches, gm, sigma))
                claimed, best, others = computed[0], computed[1], computed[2:]
                scale = float(np.max(np.abs(claimed)))
                equal_errors.append(relative_error(best, claimed, scale))
                for k, other in enumerate(others):
                    gap = other - best
                    smallest = float(np.min(np.linalg.eigvalsh((gap + gap.T) / 2))) / scale
                    margins.append(smallest)
                    if k > 0:      # the two perturbations W*(1 +- g/2) differ from W*
                        strict.append(smallest)
        err = max(equal_errors)
        worst = min(margins)
        ok = err <= 1e-9 and worst >= -1e-9 and min(strict) > 1e-9
        return Check("sandwich at derived W*_n = optimal_sandwich F^-1, Loewner-smallest",
                     "quadrature", err, 1e-9, ok,
                     f"n = {', '.join(map(str, orders))}; vs constant (heuristic) and "
                     f"W*(1 +- g/2): smallest eigenvalue of the excess / |F^-1| = {worst:.3g} "
                     f"(perturbations: {min(strict):.3g}, must be > 0); Simpson 4097 nodes, "
                     f"2049-node difference {max(grid_errors):.1e}")
    return run


def _c3_gradient_monte_carlo(draws: int):
    count = draws

    def run(rng, alpha) -> Check:
        gm = example("two-mode-1d")
        pairs = [(i, j) for i in range(len(_BASIS_CENTRES)) for j in range(i, len(_BASIS_CENTRES))]
        estimates = []
        for n in (1, 2):
            weight_expr = derived("optimal_weight")(n)
            for sigma in (0.3, 1.0):
                x_tilde, target = noised_with_target(gm.sample(count, rng), sigma, n, rng)
                exact_mean = gm.noised(sigma).derivative_ratio(x_tilde, n)
                w = evaluate(weight_expr, gm, x_tilde, sigma)
                phi = _basis(x_tilde[:, 0])
                squared = (target - exact_mean) ** 2
                # per-sample E[g g^T]/4 - J^T W J at the true parameters: zero iff W Sigma = 1
                rows = np.column_stack([w * phi[:, i] * phi[:, j] * (w * squared - 1)
                                        for i, j in pairs])
                mu2, mu4 = target_central_moments(gm, x_tilde, sigma, n, (2, 4))
                products = np.column_stack([phi[:, i] * phi[:, j] for i, j in pairs])
                within = np.mean(products**2 * (w**4 * np.maximum(mu4 - mu2**2, 0))[:, None],
                                 axis=0)
                between = np.var(products * (w * (w * mu2 - 1))[:, None], axis=0)
                estimates.append(Estimate(rows.mean(axis=0),
                                          np.sqrt((within + between) / count),
                                          "monte-carlo", count))
        test = z_test(concatenate(estimates), 0.0, alpha)
        return Check.from_z_test(
            "weighted gradient at W*: E[g g^T]/4 = E[J^T W* J] (joint draws)", test,
            f"{test.n_tests} z-tests, n = 1, 2, {count} draws (X, X~) each, "
            f"standard errors from exact central moments, family-wise rate {alpha:.2g}")
    return run


def _c3_lagrange_gap(sizes: tuple[int, ...], supports: int):
    def run(rng, alpha) -> Check:
        errors, smallest = [], np.inf
        for size in sizes:
            gap, sum_of_squares, _ = derived("lagrange_gap")(size)
            names = [f"{base}{i}" for base in ("w", "J", "Sigma") for i in range(1, size + 1)]
            symbols = sorted(gap.free_symbols | sum_of_squares.free_symbols, key=str)
            if sorted(map(str, symbols)) != sorted(names):
                return Check(f"Cauchy-Schwarz gap, N = {size}", "exact", np.inf, EXACT_TOL,
                             False, f"unexpected symbols {sorted(map(str, symbols))}")
            by_name = {str(v): v for v in symbols}
            ordered = [by_name[name] for name in names]
            both = sp.lambdify(ordered, [gap, sum_of_squares], "numpy")
            for _ in range(supports):
                w, jac, cov = (rng.uniform(0.2, 2.0, size), rng.normal(size=size),
                               rng.uniform(0.2, 2.0, size))
                for optimal, weights in ((False, w), (True, 1 / cov)):
                    a = np.sum(weights * jac**2)
                    b = np.sum(weights**2 * jac**2 * cov)
                    scale = b * np.sum(jac**2 / cov)
                    reference = scale - a**2
                    values = both(*weights, *jac, *cov)
                    errors.extend(abs(float(v) - reference) / scale for v in values)
                    if not optimal:  # away from w = 1/Sigma the gap is strictly positive
                        smallest = min(smallest, min(float(v) for v in values) / scale)
        err = max(errors)
        return Check(f"Cauchy-Schwarz gap vs NumPy, N = {', '.join(map(str, sizes))}",
                     "exact", err, EXACT_TOL, err <= EXACT_TOL and smallest > 0,
                     f"{supports} random supports each, and w = 1/Sigma (gap 0); smallest "
                     f"relative gap at a random weighting {smallest:.2e}")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("sandwich by quadrature", "quadrature", _c3_sandwich_quadrature,
             quick={"orders": (1, 2)}, full={"orders": (1, 2, 3)}),
    TaskSpec("weighted gradient by Monte Carlo", "monte-carlo", _c3_gradient_monte_carlo,
             quick={"draws": 50_000}, full={"draws": 400_000}),
    TaskSpec("Cauchy-Schwarz gap", "exact", _c3_lagrange_gap,
             quick={"sizes": (2, 3), "supports": 5}, full={"sizes": (2, 3, 5), "supports": 20}),
)

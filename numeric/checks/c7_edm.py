"""C7: the EDM weight is the optimal weight for Gaussian data.

Checks, by method:

* exact -- derive's ``gaussian_data_optimal_weight`` and the EDM entry of
  ``weightings()`` equal the exact ``1/Sigma_1`` of Gaussian data at every ``x~`` and
  every level from 1e-3 to 50;
* monte-carlo -- over exact posterior draws, ``Var[T_1 | x~] = 1/W`` for both weights
  (errors known under the null: the posterior is Gaussian).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import derive
from numeric.checks._derived import derived, one_symbol
from numeric.checks._records import Check, TaskSpec, relative_error
from numeric.checks._shared import SIGMAS
from numeric.examples import example
from numeric.moments import conditional_covariance
from numeric.montecarlo import Estimate, concatenate, z_test

__all__ = ["CONSUMES", "ID", "TASKS", "TITLE", "edm_weight"]

ID = "C7"
TITLE = "EDM weight = optimal weight for Gaussian data"
CONSUMES = ("gaussian_data_optimal_weight", "weightings")


def edm_weight() -> sp.Expr:
    """The score-space weight of the EDM entry of ``derive.weightings()``, in ``sigma``
    and ``sigma_data`` (the one place numeric looks the entry up)."""
    (edm,) = [w for w in derived("weightings")() if w.name.lower() == "edm"]
    return edm.score_space


def _c7_weights(variance: float):
    """``[(label, f(sigma))]``: derive's Gaussian-data W* and the EDM weight at s_d^2 = variance."""
    weight = derived("gaussian_data_optimal_weight")()[0]
    s_d = one_symbol(weight, {derive.sigma})
    edm = edm_weight()
    sigma_data = one_symbol(edm, {derive.sigma})
    return [("gaussian_data_optimal_weight",
             sp.lambdify(derive.sigma, weight.subs(s_d, np.sqrt(variance)))),
            ("EDM entry of weightings()",
             sp.lambdify(derive.sigma, edm.subs(sigma_data, np.sqrt(variance))))]


def _c7_exact():
    def run(rng, alpha) -> Check:
        gm = example("gaussian-1d")
        variance = float(gm.covariances[0, 0, 0])
        errors = []
        for _, weight in _c7_weights(variance):
            for sigma in (1e-3, *SIGMAS, 50.0):
                x = gm.noised(sigma).sample(25, rng)
                errors.append(relative_error(1.0 / conditional_covariance(gm, x, sigma),
                                             float(weight(sigma))))
        err = max(errors)
        return Check("Gaussian-data W* and the EDM weight = exact 1/Sigma_1 everywhere", "exact",
                     err, 1e-12, err <= 1e-12, "random x~, sigma from 1e-3 to 50; both the "
                     "derived W* and the EDM entry of the weighting zoo")
    return run


def _c7_monte_carlo(draws: int):
    count = draws

    def run(rng, alpha) -> Check:
        gm = example("gaussian-1d")
        variance = float(gm.covariances[0, 0, 0])
        estimates = []
        for _, weight in _c7_weights(variance):
            for sigma in (0.3, 1.0, 3.0):
                for x in gm.noised(sigma).sample(2, rng):
                    draws = gm.sample_posterior(x, sigma, count, rng)[:, 0]
                    target = (draws - x[0]) / sigma**2        # T_1 = -E/sigma
                    mean, _ = gm.posterior_moments(x, sigma)
                    claimed = 1.0 / float(weight(sigma))
                    rows = (target - (mean[0] - x[0]) / sigma**2) ** 2 / claimed - 1.0
                    # Gaussian posterior: Var[(T - m)^2] = 2 Var[T]^2 under the null
                    estimates.append(Estimate(rows.mean(), np.sqrt(2.0 / count), "monte-carlo",
                                              count))
        test = z_test(concatenate(estimates), 0.0, alpha)
        return Check.from_z_test(
            "posterior draws: Var[T_1 | x~] = 1/W (derived W*, EDM weight)", test,
            f"{test.n_tests} z-tests, {count} draws each, errors known under the "
            f"null (Gaussian posterior), family-wise rate {alpha:.2g}")
    return run


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("EDM exact", "exact", _c7_exact),
    TaskSpec("EDM posterior draws", "monte-carlo", _c7_monte_carlo,
             quick={"draws": 20_000}, full={"draws": 200_000}),
)

"""C7 — for Gaussian data the optimal weight is EDM's loss weight.

``p_sigma`` of ``N(mu, s^2)`` data is found by SymPy as the convolution integral;
its curvature is constant, so ``W* = 1/(1/sigma^2 + h)`` is the same at every
``x~``. EDM weights the denoiser loss ``||D - x||^2`` by
``(sigma^2 + sigma_data^2) / (sigma sigma_data)^2``; with Tweedie's
``D = x~ + sigma^2 s`` and ``T_1 = (x - x~)/sigma^2`` we get
``D - x = sigma^2 (s - T_1)``, so in score space the EDM weight is
``lambda_EDM sigma^4``, equal to ``W*`` at ``sigma_data = s``.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from derive._cache import disk_cached
from derive.claim import Claim, Step, assume, confirm, define
from derive.symbols import s_data, sigma, sigma_data, x, x_tilde

__all__ = ["derive_c7", "gaussian_data_optimal_weight"]


@cache
@disk_cached
def gaussian_data_optimal_weight() -> tuple[sp.Expr, tuple[Step, ...]]:
    """``W*`` for ``N(mu, s_d^2)`` data from the convolution integral, with the steps."""
    mu = sp.Symbol("mu", real=True)
    prior = sp.exp(-(x - mu) ** 2 / (2 * s_data**2)) / sp.sqrt(2 * sp.pi * s_data**2)
    kernel = sp.exp(-(x_tilde - x) ** 2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    # powsimp first: one exponential integrates about 2x faster than a product of two
    p_sigma = sp.simplify(sp.integrate(sp.powsimp(prior * kernel), (x, -sp.oo, sp.oo),
                                       conds="none"))
    var = s_data**2 + sigma**2
    curvature = sp.simplify(sp.diff(sp.log(p_sigma), x_tilde, 2))
    weight = sp.simplify(1 / (1 / sigma**2 + curvature))
    steps = [step.at(d=1) for step in [
        confirm(p_sigma, sp.exp(-(x_tilde - mu) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var),
                "p_sigma = N(mu, s_d^2 + sigma^2) by the convolution integral"),
        confirm(curvature, -1 / var, "h = (log p_sigma)'' = -1/(s_d^2 + sigma^2), constant"),
        confirm(weight, sigma**2 * (sigma**2 + s_data**2) / s_data**2,
                "W* = 1/(1/sigma^2 + h) = sigma^2 (sigma^2 + s_d^2)/s_d^2"),
    ]]
    return weight, tuple(steps)


def _isotropic_steps(dim: int) -> list[Step]:
    """``N(mu, s_d^2 I)`` data in ``dim`` dimensions: ``W* = sigma^2 (sigma^2 + s_d^2)/s_d^2 I``."""
    from derive._claims.c2_covariance import conditional_covariance_matrix
    from derive.symbols import ratio_symbols

    coords = sp.symbols(f"xt0:{dim}", real=True)
    means = sp.symbols(f"mu0:{dim}", real=True)
    var = s_data**2 + sigma**2
    # p_sigma of isotropic data factorises over coordinates: the product of the d = 1 result.
    p_sigma = sp.Mul(*(sp.exp(-(coords[i] - means[i]) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)
                       for i in range(dim)))
    m1, m2 = ratio_symbols(dim)
    ratios = {m1[i]: sp.diff(p_sigma, coords[i]) / p_sigma for i in range(dim)}
    ratios.update({m2[i, j]: sp.diff(p_sigma, coords[i], coords[j]) / p_sigma
                   for i in range(dim) for j in range(i, dim)})
    covariance = conditional_covariance_matrix(dim).subs(ratios).applyfunc(sp.simplify)
    weight = covariance.inv().applyfunc(sp.simplify)
    return [
        confirm(weight, sigma**2 * (sigma**2 + s_data**2) / s_data**2 * sp.eye(dim),
                f"d = {dim}, isotropic data N(mu, s_d^2 I): W* = Sigma_1^-1 (Sigma_1 from "
                "conditional_covariance_matrix) = sigma^2 (sigma^2 + s_d^2)/s_d^2 I at every x~")
        .at(d=dim),
    ]


def _any_dimension_steps() -> list[Step]:
    """Isotropic data in any dimension, in index notation (``d``, ``i``, ``j`` symbolic)."""
    d = sp.Symbol("d", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    xt, mu = sp.IndexedBase("xt", real=True), sp.IndexedBase("mu", real=True)
    var = s_data**2 + sigma**2
    log_p = (-sp.Sum((xt[k] - mu[k]) ** 2, (k, 0, d - 1)) / (2 * var)
             - d * sp.log(2 * sp.pi * var) / 2)
    hessian_ij = sp.refine(sp.piecewise_fold(sp.diff(log_p, xt[i], xt[j]).doit()),
                           sp.Q.le(i, d - 1) & sp.Q.le(j, d - 1))
    delta = sp.KroneckerDelta(i, j)
    covariance_ij = delta / sigma**2 + hessian_ij  # C2 for any d: Sigma_1 = I/sigma^2 + H
    precision = sp.simplify(covariance_ij / delta)
    hessian = sp.FunctionMatrix(d, d, sp.Lambda((i, j), hessian_ij))
    identity = sp.Identity(d)
    return [
        confirm(hessian_ij, -delta / var, "any d, isotropic data: H_ij = D_ij log p_sigma = "
                "-delta_ij/(s_d^2 + sigma^2) (index notation)"),
        confirm(covariance_ij, precision * delta,
                "any d: Sigma_1 = I/sigma^2 + H = c I with c = s_d^2/(sigma^2 (sigma^2 + s_d^2))",
                method="together"),
        confirm(hessian, -identity / var, "any d: the d x d matrix of those entries is "
                "H = -I/(s_d^2 + sigma^2) (d symbolic, decided on the generic entry (i, j))")
        .carrying(),
        confirm((identity / sigma**2 - identity / var).inverse(),
                sigma**2 * (sigma**2 + s_data**2) / s_data**2 * identity,
                "any d: W* = Sigma_1^-1 = (I/sigma^2 + H)^-1 = (I/sigma^2 - I/(s_d^2 + "
                "sigma^2))^-1 = sigma^2 (sigma^2 + s_d^2)/s_d^2 I (d x d, d symbolic)")
        .carrying(),
    ]


def _edm_weighting() -> sp.Expr:
    """The score-space EDM weight of :func:`derive.weightings` (the entry named "edm")."""
    from derive.weightings import weightings

    (edm,) = [w for w in weightings() if w.name.lower() == "edm"]
    return edm.score_space


def derive_c7() -> Claim:
    weight, derived = gaussian_data_optimal_weight()
    steps = list(derived)
    steps.append(assume("isotropic Gaussian data and noise factorise over coordinates: "
                        "p_sigma = N(mu, (s_d^2 + sigma^2) I) is the product of the d = 1 result",
                        sp.Symbol(r"p_\sigma = \prod_i N(\mu_i, s_d^2 + \sigma^2)")))
    for dim in (2, 3):
        steps.extend(_isotropic_steps(dim))
    steps.extend(_any_dimension_steps())
    score = sp.Symbol("s", real=True)
    denoiser = x_tilde + sigma**2 * score  # Tweedie
    t_1 = (x - x_tilde) / sigma**2
    lam_edm = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    steps.append(confirm(denoiser - x, sigma**2 * (score - t_1),
                         "Tweedie: D - x = sigma^2 (s - T_1), so ||D - x||^2 = "
                         "sigma^4 ||s - T_1||^2", method="expand"))
    steps.append(define("EDM weight on the denoiser loss", sp.Eq(sp.Symbol(r"\lambda_{EDM}"),
                                                                  lam_edm)))
    steps.append(confirm((lam_edm * sigma**4).subs(sigma_data, s_data), weight,
                         "score-space EDM weight lambda_EDM sigma^4 = W* at sigma_data = s_d")
                 .at(d=1))
    steps.append(confirm(_edm_weighting().subs(sigma_data, s_data), weight,
                         "the EDM entry of weightings(), in score space, equals W* at "
                         "sigma_data = s_d").at(d=1))
    steps.append(confirm(sp.series(weight, sigma, 0, 4).removeO(), sigma**2,
                         "its first-order term is sigma^2, the heuristic", method="expand"))
    return Claim(
        id="C7",
        title="EDM correspondence for Gaussian data",
        statement=sp.Eq(sp.Symbol("W^*"), sigma**2 * (sigma**2 + s_data**2) / s_data**2),
        steps=tuple(steps),
        parameters=("d",),
        assumptions=("Gaussian data N(mu, s_d^2 I) and Gaussian noise; the convolution "
                     "integral done for d = 1, the isotropic case by factorisation (explicit "
                     "for d = 2, 3; in index notation for any d, with C2's any-d Sigma_1)",),
        numeric=("EDM exact", "EDM posterior draws"),
        results={"W*": weight},
    )

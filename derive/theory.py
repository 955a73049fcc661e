"""``notes/theory.md``: the project's own theory document (notation, claims C1-C9, budgets,
glossary of every printed column), generated so that each formula it states is the one
:mod:`derive` derives (pure SymPy, no I/O: the text is returned).
"""

from __future__ import annotations

import sympy as sp

import derive.noise as noise
import derive.parsing as parsing
from derive._claims._order_two import index_notation_entry, symbolic_weight_series
from derive._claims._trace_any_dimension import expected_trace_any_dimension
from derive._claims.c1_mean import conditional_mean, gaussian_target
from derive._claims.c2_covariance import conditional_covariance, curvature_in_ratios
from derive._claims.c3_optimal import optimal_weight
from derive._claims.c4_taylor import expected_weight_expansion, heuristic_weight, taylor_expansion
from derive._claims.c5_expected import expected_covariance, fisher_information_of_noise
from derive._claims.c7_edm import gaussian_data_optimal_weight
from derive.symbols import h, m, sigma

__all__ = ["theory_note"]


def _latex(expr: sp.Expr) -> str:
    # Symbols named like "J(p_\\sigma)" are printed as named, not split into sub/superscripts.
    names = {v: v.name for v in expr.free_symbols if "(" in v.name}
    return sp.latex(expr, symbol_names=names)


def _matrix_algebra(expr: sp.Basic) -> sp.Expr:
    """A matrix expression as a polynomial in non-commuting symbols (for printing only)."""
    if isinstance(expr, sp.MatrixSymbol):
        return sp.Symbol("\\Pi" if expr.name == "Pi" else expr.name, commutative=False)
    kinds = {sp.MatAdd: sp.Add, sp.MatMul: sp.Mul}
    if type(expr) in kinds:
        return kinds[type(expr)](*map(_matrix_algebra, expr.args))
    if isinstance(expr, sp.MatPow):
        return sp.Pow(_matrix_algebra(expr.args[0]), expr.args[1])
    return expr


def _tex(expr: sp.Expr) -> str:
    return f"${_latex(expr)}$"


def _rhs(expr: sp.Expr) -> str:
    """The right-hand side of an equation whose ``$lhs = `` is already open."""
    return f"{_latex(expr)}$"


def _notation() -> list[str]:
    t1, _ = gaussian_target(1)
    t2, _ = gaussian_target(2)
    h_ratios, _ = curvature_in_ratios()
    return [
        "## Setting and notation",
        "",
        "- Data $X \\sim p$ on $\\mathbb{R}^d$; noise $E \\sim q$ independent of $X$, with a "
        "smooth everywhere-positive density $q$; noisy input $\\tilde X = X + \\sigma E$, "
        "$\\sigma > 0$ (the forward process at noise level $\\sigma$).",
        "- $q_\\sigma(\\tilde x \\mid x) = \\sigma^{-d} q((\\tilde x - x)/\\sigma)$; the noised "
        "data density $p_\\sigma = p * q_\\sigma$.",
        "- $\\psi = \\nabla \\log q$ is the noise score, $I_q = \\mathbb{E}_q[\\psi\\psi^T]$ "
        "the Fisher information of the noise.",
        "- $J(p) = \\mathbb{E}_p[\\nabla \\log p\\, \\nabla \\log p^T]$, the Fisher information "
        "of the data as a location family; $J(p_\\sigma)$ the same for the noised density.",
        "- **$T_n$**, the order-$n$ DSM target: $T_n(\\tilde x, x) = \\nabla^n_{\\tilde x} "
        "q_\\sigma(\\tilde x \\mid x) / q_\\sigma(\\tilde x \\mid x)$. For Gaussian noise, with "
        "$E = (\\tilde x - x)/\\sigma$: $T_1 = " + _rhs(t1) + ", $T_2 = " + _rhs(t2)
        + ", and in one dimension $T_n = (-1)^n He_n(E)/\\sigma^n$ (probabilists' Hermite "
        "polynomials).",
        "- **Loss convention**: $T_1 = -(\\tilde x - x)/\\sigma^2$ for Gaussian noise, i.e. "
        "the model $f_\\theta(\\tilde x, \\sigma)$ regresses the *score* (not the noise "
        "$E$, not the denoised $x$).",
        "- **$m_k$** $= p_\\sigma^{(k)}(\\tilde x)/p_\\sigma(\\tilde x)$, the derivative ratio "
        "of the noised density at the noisy point ($m_0 = 1$). **$s$** $= m_1 = "
        "(\\log p_\\sigma)'$, the score. **$h$** $= (\\log p_\\sigma)'' = "
        + _rhs(h_ratios) + ", the curvature ($H_\\sigma$, the Hessian, for $d > 1$).",
        "- The weighted order-$n$ DSM loss: $L_W(\\theta) = \\mathbb{E}[(f_\\theta - T_n)^T "
        "W(\\tilde x, \\sigma)(f_\\theta - T_n)]$; the **weighting** is $W$ (a scalar "
        "$w(\\tilde x, \\sigma)$ in one dimension). The heuristic (Song & Ermon 2019) is "
        "$W = \\sigma^2 I$ for $n = 1$.",
        "- $\\Sigma_n(\\tilde x) = \\mathrm{Cov}[T_n \\mid \\tilde X = \\tilde x]$, the "
        "conditional covariance; $W^* = \\Sigma_n^{-1}$ the optimal weighting (C3); "
        "$\\mathbb{E}[W^*]$ its mean over $\\tilde x \\sim p_\\sigma$.",
        "",
    ]


def _claims(max_order: int) -> list[str]:
    n2 = min(2, max_order)
    w1 = optimal_weight(1)
    # In h = m_2 - m_1^2, as the expansion is usually written: sigma^2 - sigma^4 h + ...
    series = sp.collect(sp.expand(taylor_expansion(1, 3).subs(m(2), h + m(1) ** 2)), sigma)
    expected, _ = expected_weight_expansion()
    edm, _ = gaussian_data_optimal_weight()
    return [
        "## The claims",
        "",
        "Each claim has an id used in reports, tests and notes. *Proved* below means SymPy "
        "derived it in the stated generality (see the claim's note `C1.md` ... `C7.md`); "
        "`dsmw verify` checks C1-C7 numerically; C8 and C9 are measured by `dsmw study`.",
        "",
        "**C1 - conditional mean, any order, any noise.** $\\mathbb{E}[T_n \\mid \\tilde X = "
        "\\tilde x] = m_n(\\tilde x)$ (e.g. " + _tex(conditional_mean(1)) + " for $n = 1$). "
        "Assumption: differentiation under the integral is allowed ($q$ smooth, positive, "
        "with integrable derivatives). Consequence: for every positive-definite $W$ the "
        "unrestricted minimiser of $L_W$ is $m_n$; the weighting changes efficiency, never "
        "the target.",
        "",
        "**C2 - heteroskedasticity.** $\\Sigma_n$ depends on $\\tilde x$ and on $\\sigma$. "
        "Gaussian noise, $d = 1$: $\\Sigma_1 = " + _rhs(conditional_covariance(1))
        + " $= 1/\\sigma^2 + h = \\mathrm{Var}[X \\mid \\tilde x]/\\sigma^4$, and for order "
        f"{n2}: $\\Sigma_{{{n2}}} = " + _rhs(conditional_covariance(n2)) + " (the general "
        "order from the Hermite linearisation of $He_n^2$). Any noise, $n = 1$: $\\Sigma_1 = "
        "\\mathrm{Cov}[\\psi(E) \\mid \\tilde x]/\\sigma^2$. Order 2 in any dimension "
        "$d$ ($T_2 = (E E^T - I)/\\sigma^2$, $\\Sigma_2$ a $d^2 \\times d^2$ matrix on "
        "row-major $\\mathrm{vec}\\,T_2$, $m_2$ and $m_4$ the ratio tensors "
        "$\\nabla^k p_\\sigma / p_\\sigma$): $\\Sigma_{2,(ij)(kl)} = "
        + _rhs(index_notation_entry()) + " (the Hermite product in index notation for a "
        "symbolic $d$; for $d = 2, 3$ also from C1's moments). $\\Sigma_2$ is singular "
        "($T_2$ is symmetric), so $W^*_2$ is its pseudo-inverse.",
        "",
        "**C3 - the optimal weighting is the inverse conditional covariance.** For a "
        "correctly specified model with Jacobian $J_\\theta$, the weighted M-estimator's "
        "asymptotic covariance $A_W^{-1} B_W A_W^{-1}/N$ ($A_W = \\mathbb{E}[J^T W J]$, "
        "$B_W = \\mathbb{E}[J^T W \\Sigma W J]$, the *sandwich*) is Loewner-smallest at "
        "$W^* = \\Sigma_n^{-1}$ (up to a positive constant). Gaussian noise, $d = 1$, "
        "$n = 1$: $W^* = " + _rhs(w1) + ".",
        "",
        "**C4 - the heuristic is the first-order Taylor term.** Gaussian noise: "
        "$W^* = " + _rhs(series) + " $+ O(\\sigma^8)$ pointwise, and "
        "$\\mathbb{E}[W^*] = " + _rhs(expected) + " $+ O(\\sigma^8)$ ($J$ = $J(p)$; the "
        "$\\sigma^6$ coefficient vanishes); in any dimension $d$, $\\operatorname{tr}"
        "\\mathbb{E}[W^*] = " + _rhs(expected_trace_any_dimension()[0].subs(
            sp.Symbol("trJ", positive=True), sp.Symbol(r"\operatorname{tr} J(p)")))
        + " $+ O(\\sigma^8)$ (derived with a $d \\times d$ matrix symbol for $H_\\sigma$). "
        "The order-$n$ heuristic is $W^*_n = "
        + _rhs(heuristic_weight(n2)) + f" for $n = {n2}$ ($\\sigma^{{2n}}/n!$ in general). "
        "Log-concave data: $W^* \\ge \\sigma^2$ everywhere (the heuristic is a lower bound); "
        "multimodal data: $W^* < \\sigma^2$ between the modes. Symmetric non-Gaussian noise: "
        "$W^*_1 \\to \\sigma^2 / I_q$ as $\\sigma \\to 0$. Order 2 in any $d$: with "
        "$\\sigma^4 \\Sigma_2 = 2\\Pi + \\sigma^2 B + \\sigma^4 C$ ($\\Pi$ the projector "
        "on symmetric matrices, $B_{(ij)(kl)} = \\delta_{ik} m_{2,jl} + \\delta_{il} "
        "m_{2,jk} + \\delta_{jk} m_{2,il} + \\delta_{jl} m_{2,ik}$, $C_{(ij)(kl)} = "
        "m_{4,ijkl} - m_{2,ij} m_{2,kl}$), $W^*_2 = \\sigma^4 \\left("
        + sp.latex(sp.collect(sp.expand(_matrix_algebra(symbolic_weight_series(
            sp.Symbol("d"), sigma**2))), sigma), order="rev-lex") + "\\right) "
        "+ O(\\sigma^{10})$; $\\mathbb{E}[B] = 0$ (integration by parts, "
        "$\\mathbb{E}[\\nabla^2 p_\\sigma / p_\\sigma] = 0$), so $\\mathbb{E}[W^*_2] = "
        "\\sigma^4 \\Pi/2 + O(\\sigma^8)$: no $\\sigma^6$ term.",
        "",
        "*Conditions of C4's remainder.* With $t = \\sigma^2$, the exact identity "
        "$W^* = \\sigma^2 \\sum_{k<4} (-\\sigma^2 h_\\sigma)^k + \\sigma^2 (\\sigma^2 "
        "h_\\sigma)^4/(1 + \\sigma^2 h_\\sigma)$ ($1 + \\sigma^2 h_\\sigma = \\sigma^2 "
        "\\Sigma_1 > 0$) is averaged over $p_\\sigma$; $\\mathbb{E}[W^*] = \\sigma^2 + "
        "\\sigma^4 J(p) + O(\\sigma^8)$ then needs (i) $\\mathbb{E}[h_\\sigma] = "
        "-J(p_\\sigma)$: the boundary term $p_\\sigma (\\log p_\\sigma)'$ of the "
        "integration by parts vanishes at infinity; (ii) $J(p_t)$ differentiable at $t = 0$ "
        "with $J'(0) = -\\mathbb{E}[h_0^2]$ (the heat flow $\\partial_t p = \\tfrac12 "
        "p''$, differentiated under the integral, boundary terms vanishing), $J(p) < "
        "\\infty$, and $\\mathbb{E}[h_t^2]$ continuous at $t = 0$; (iii) "
        "$\\mathbb{E}[|h_\\sigma|^3]$ bounded and $\\sigma^2 \\mathbb{E}[h_\\sigma^4 / "
        "(1 + \\sigma^2 h_\\sigma)]$ bounded as $\\sigma \\to 0$. All hold for Gaussian "
        "mixtures ($h_\\sigma$ is bounded uniformly in $\\tilde x$ and in $\\sigma \\le 1$, "
        "and $p_\\sigma$ has Gaussian tails); data with a point mass, or with curvature "
        "$h$ unbounded where $p$ has mass, are not covered. The pointwise series converges "
        "where $\\sigma^2 |h_\\sigma| < 1$.",
        "",
        "**C5 - expected conditional covariance.** $\\mathbb{E}[\\Sigma_1] = I_q/\\sigma^2 - "
        "J(p_\\sigma)$; Gaussian noise: " + _tex(expected_covariance(1)) + ". Noise Fisher "
        "informations derived by integration: Gaussian "
        + _tex(fisher_information_of_noise("gaussian")) + ", logistic "
        + _tex(fisher_information_of_noise("logistic")) + ", Student-t with $\\nu$ degrees "
        "of freedom " + _tex(fisher_information_of_noise("student_t")) + ".",
        "",
        "**C6 - Jensen.** $\\mathbb{E}[W^*] \\succeq (\\mathbb{E}[\\Sigma_1])^{-1}$, with "
        "equality iff $\\Sigma_1$ is constant in $\\tilde x$. Conditions: $\\Sigma_1(\\tilde "
        "x)$ positive definite for every $\\tilde x$ and $\\mathbb{E}[\\Sigma_1]$ finite "
        "(operator convexity of the inverse on positive-definite matrices); "
        "$\\mathbb{E}[W^*]$ may be $+\\infty$, and the inequality then holds trivially. It "
        "is infinite for Gaussian-mixture data under logistic noise ($\\mathrm{Cov}[\\psi(E) "
        "\\mid \\tilde x]$ decays like $e^{-2|\\tilde x|/\\sigma}$ in the tails, where "
        "$p_\\sigma$ decays like $e^{-|\\tilde x|/\\sigma}$) and under Student-t noise with "
        "$\\nu \\le 4$ ($W^*$ grows like $\\tilde x^4$, $p_\\sigma$ decays like "
        "$|\\tilde x|^{-\\nu-1}$); `dsmw verify` checks C6 with Gaussian noise, where "
        "both sides are finite.",
        "",
        "**C7 - EDM correspondence.** Gaussian data $N(\\mu, s_d^2)$, Gaussian noise: "
        "$W^* = " + _rhs(edm) + " for every $\\tilde x$, the EDM loss weight (Karras et "
        "al. 2022) converted to the score loss, with $\\sigma_{data} = s_d$.",
        "",
        "**C8 - gradient variance.** At the true parameters the per-sample gradient "
        "$g_W = 2 J^T W (f - T)$ has $\\mathrm{Cov}[g_W] = 4\\mathbb{E}[J^T W \\Sigma W J]$; "
        "in one dimension the heuristic's and the optimal weighting's pointwise ratio is "
        "$(1 + \\sigma^2 h)^2$. Whether the heuristic has the lower variance depends on how "
        "weightings are normalised (raw, equal mean weight per $\\sigma$, equal curvature "
        "$\\mathrm{tr}\\,A_W$): the study reports all three. Measured by `dsmw study "
        "gradients` (`study.md`). A spot check made before the study, which did not record "
        "its conventions (two-mode mixture, 8 levels from 0.05 to 5, component-means model), "
        "found the raw gradient variance about 6x lower with the heuristic and the sandwich "
        "about 2x lower with the optimal weighting; `study.md` compares it with the "
        "study's measured factors.",
        "",
        "**C9 - training.** The paper's empirical claim: SGD over a multi-$\\sigma$ schedule "
        "is more stable (lower spread over seeds, fewer divergent runs at a given step size) "
        "with the heuristic than with the oracle $W^*$, each at its best step size. Measured "
        "by `dsmw study training` (`study.md`), whichever way it goes.",
        "",
        *_p1(),
    ]


def _p1() -> list[str]:
    from derive.render_weightings import latex
    from derive.spaces import SPACES, conversion_factor

    factors = ", ".join(f"{space} ${latex(conversion_factor(space))}$" for space in SPACES)
    return [
        "**P1 - one weighting in every parameterisation** (this project's addition, checked "
        "by `dsmw verify` after C7). Forward process $x_t = \\alpha(t) x_0 + \\sigma(t) "
        "\\epsilon$, $\\mathrm{SNR} = \\alpha^2/\\sigma^2$, $\\lambda = \\log "
        "\\mathrm{SNR}$. With every prediction mapped through one $\\hat\\epsilon$, the "
        "squared error of space $X$ is $k_X \\|\\hat\\epsilon - \\epsilon\\|^2$ with "
        f"(derived for general $\\alpha$, $\\sigma$) {factors}; a weight converts as "
        "$w_Y = w_X k_X / k_Y$, and the density form $W(\\lambda) = p(t) w_X k_X "
        "|dt/d\\lambda|$ is the same loss per unit $\\lambda$. The zoo in every space and "
        "the derivation: `weightings.md`.",
        "",
    ]


def _budgets() -> list[str]:
    p = parsing
    return [
        "## Budgets (every command answers in bounded time)",
        "",
        "Exit status of every command: 0 passed / holds, 1 failed / refuted, 2 bad input, "
        "an exceeded budget or an environment problem (one message naming the argument, "
        "the value and the fix; never a traceback). Formulas (`dsmw check EXPR`) are "
        "checked before SymPy evaluates anything:",
        "",
        f"- at most {p.MAX_LENGTH} characters and {p.MAX_DEPTH} levels of nesting;",
        f"- integer literals of at most {p.MAX_INTEGER_DIGITS} digits;",
        f"- constant exponents of absolute value at most {p.MAX_EXPONENT} (`9**9**9` is "
        "refused);",
        f"- `factorial` and `binomial` of integer constants from 0 to {p.MAX_FACTORIAL};",
        "- constant powers finite in double precision (below about 1.8e308); undefined "
        "formulas (`1/0`) are refused;",
        "- float literals, and sums, products and quotients of constants, finite in double "
        "precision (`1e400` is refused);",
        "- real constants only: `I`, `1j`, square roots and logarithms of negative "
        "constants and non-integer powers of negative constants are refused (a formula "
        "that SymPy finds complex is refused too).",
        "",
        "Destinations (`--out`, `--save`, `--plots`, `--plot`): a path that exists and is "
        "not a regular file (a device, a FIFO, a socket, a directory where a file is "
        "meant; the target of a symlink is what counts), or a folder destination that is "
        "not a directory, is refused before any work; files are written atomically and "
        "only regular files are replaced.",
        "",
        "Other limits: `dsmw check --order` at most 12 for Gaussian noise (the covariance of "
        "order $n$ needs $m_1 .. m_{2n}$, $m_{24}$ at most) and 4 for logistic and "
        "Student-t noise (posterior quadrature); `student_t:NU` with $0.5 \\le \\nu \\le "
        "1000$; SymPy gets 5 s to decide an identity (then the verdict is left to the "
        "numeric cases) and a whole check 120 s; an expectation over a noise family "
        f"(`I_q`, normalisation, moments) gets {noise.INTEGRATION_SECONDS:g} s of symbolic "
        f"integration, then {noise.QUADRATURE_DIGITS}-digit quadrature (the value is then "
        "a Float: computed, not derived); `dsmw derive --order` at most 12; "
        "`dsmw verify --jobs` at most 64; `dsmw reliability --repetitions` at most 100000. "
        "Seeds are non-negative integers (numpy's rule).",
        "",
    ]


def _glossary() -> list[str]:
    return [
        "## What the printed words mean",
        "",
        "**`dsmw verify`** prints one row per claim:",
        "",
        "| column | meaning |",
        "|---|---|",
        "| claim | the claim id (MIX: the Gaussian-mixture closed forms the other checks use; "
        "NOISE: derive's noise families against numeric's own textbook densities; P1: the "
        "weightings across parameterisations) |",
        "| status | PASS if every check of the claim passed, FAIL otherwise |",
        "| proof (derive) | the proof status computed from the claim's derivation steps: "
        "*proved* (every identity confirmed by SymPy in the generality of the statement; a "
        "statement with parts, such as C2's *n = 1 in any d* and *any n in d = 1*, lists its "
        "parts in brackets, each carried by a confirmed step at least that general), "
        "*proved for instances* (the values are listed in brackets after the title, e.g. "
        "`[n = 1..8 for d = 1; n = 1 for any d]`), *checked numerically only* (some identity "
        "SymPy could not decide) or *refuted* (a step shown false: the run fails); `-` for "
        "the self-checks MIX and NOISE |",
        "| checks | how many independent checks the claim has in this run |",
        "| worst (error / tolerance) | the largest error of any check next to that check's "
        "tolerance; a check passes when error <= tolerance. Exact and quadrature checks: "
        "relative error; Monte Carlo checks: the largest \\|z\\| against the Bonferroni "
        "threshold of the run's family-wise false-alarm rate (`--alpha`); `rate` checks: "
        "the distance of a fitted convergence exponent from the claimed one |",
        "| methods | the references used: `exact` (closed-form posterior moments), "
        "`quadrature` (mpmath or grid quadrature), `monte-carlo` (calibrated z-tests on exact "
        "draws), `rate` (fitted convergence exponent) |",
        "| title | the claim in words |",
        "",
        "The last line gives the number of checks and claims, the seed, the Monte Carlo "
        "family-wise false-alarm rate and the wall time. `--mutants` runs deliberately "
        "wrong formulas through the same checks: *caught* means a check failed on it.",
        "",
        "**`dsmw check`** prints:",
        "",
        "| line | meaning |",
        "|---|---|",
        "| formula | the formula as SymPy parsed it |",
        "| quantity | what it claims to be: the conditional mean $m_n$, covariance "
        "$\\Sigma_n$ or weight $W^* = 1/\\Sigma_n$ of the order-$n$ target, for the noise "
        "family |",
        "| derived | the result of the derivation it is compared with, in $\\sigma$ and "
        "$m_k$ |",
        "| symbolic | *proved*: the difference reduces to zero; *disproved*: the difference is "
        "a nonzero polynomial in $\\sigma$ and the $m_k$ with exact coefficients (it cannot "
        "vanish on the open set of values they take); *undecided*: neither (Abs, sqrt, "
        "floating-point coefficients, or SymPy's time budget ran out); *not attempted*: no "
        "closed form in $m_k$ for this noise. When it is undecided and a numeric case "
        "fails, the line adds *disproved by the numeric counterexample*; `--json` gives the "
        "overall `status` (proved / disproved / undecided) |",
        "| numeric | how many cases (simple then random 1-D mixtures, points, noise levels) "
        "agree with an independent reference within the relative tolerance, and the worst "
        "relative error |",
        "| smallest counterexample | the first failing case, simplest first |",
        "| note | the formula is refuted as this quantity but holds as another |",
        "| HOLDS / REFUTED | HOLDS when not disproved and every numeric case agrees (exit 0); "
        "REFUTED otherwise (exit 1) |",
        "",
        "**`dsmw study gradients`** (C8): for each mixture, noise schedule and score model, "
        "ratios heuristic/oracle of `tr Cov[g]` (trace of the per-sample gradient "
        "covariance at the true parameters) under the three normalisations: *raw* (weights "
        "as they are), *per-sigma* (every weighting rescaled at each noise level to the "
        "heuristic's mean weight $\\sigma^2$), *curv.* / *equal curvature* (one constant per "
        "weighting making $\\mathrm{tr}\\,A_W$ equal to the heuristic's); *tr A* the "
        "curvature $\\mathrm{tr}\\,\\mathbb{E}[J^T W J]$; *sandwich* "
        "$\\mathrm{tr}\\,A^{-1} B A^{-1}$, the estimate's asymptotic covariance; *C3* whether "
        "the oracle's sandwich is Loewner-smallest (`n/a` for the misspecified model, where "
        "C3 does not apply); *MC* the Monte Carlo cross-check of the exact moments. "
        "Schedules: *wide* = 8 noise levels geometrically spaced from 0.05 to 5, *narrow* = 8 "
        "levels from 0.2 to 2; $\\sigma$ is drawn uniformly from the schedule's levels. "
        "Models: *component means* (well-specified: the exact score with the component "
        "means as parameters) and *Hermite features* (misspecified).",
        "",
        "**`dsmw study training`** (C9), one line per weighting at its best step size: "
        "*best step* the step size of the grid with the smallest median final excess; "
        "*excess* the excess error, the $\\sigma^2$-weighted Fisher divergence "
        "$\\mathrm{mean}_\\sigma \\sigma^2 \\mathbb{E}_{p_\\sigma}[(f_\\theta - "
        "f_{\\theta^*_W})^2]$ between the trained model and that weighting's own best fit "
        "(*median* and *sd* over seeds); *diverged* the number of runs, summed over the "
        "whole step-size grid, whose parameters stopped being finite or grew past the "
        "divergence bound, out of (seeds x step sizes) runs; *steps to target* the median "
        "first checkpoint where the excess falls below 0.1 of the median initial excess "
        "(none if never).",
        "",
        "**`dsmw weighting show`**: the native space and formula, parameters, sampling "
        "density and source; the weight in the chosen space on the chosen schedule (in "
        "$\\lambda$, LaTeX, and for any $\\alpha$, $\\sigma$); its density form. "
        "**`dsmw weighting check`**: *symbolic* (proved / not proved), *numeric* (the largest "
        "relative difference over the $\\lambda$ grid, where it is largest and the ratio "
        "yours / named there); SAME (exit 0) or DIFFERENT (exit 1).",
        "",
        "**`dsmw data`** prints the fit (K, covariance type, variance floor relative to the "
        "mean feature variance and how it was chosen, log-likelihood per point, BIC) and one "
        "row per noise level: *sigma* (on a schedule also *lambda*, *t* and *sigma/alpha*); "
        "*tr E[W\\*]/d* the expected optimal weight (Monte Carlo over $\\tilde x \\sim "
        "p_\\sigma$ with the exact posterior covariance at each draw) and its *SE*; "
        "*E[W\\*]/sigma^2* (on a schedule *E[W\\*]/NCSN*) its ratio to the heuristic; "
        "*5%-95% of tr W\\*/d* the spread of the optimal weight within the level; *first "
        "order* $\\sigma^2 + \\sigma^4 \\mathrm{tr}\\,J(p)/d$ (C4); *Hill index* a tail "
        "index of the draws of $\\mathrm{tr}\\,W^*$, marked (!) below 2, where the variance "
        "looks infinite and the SE is not trustworthy; *draws* the Monte Carlo draws used; "
        "a `*` after the SE when the draw cap stopped before the SE target; then the zoo's "
        "weights in the same space. The *verdict* names the weighting closest to "
        "$\\mathrm{tr}\\,E[W^*]/d$ by the mean absolute log ratio over the levels, as it is "
        "and up to a constant factor.",
        "",
    ]


def theory_note(max_order: int = 4) -> str:
    """The Markdown of ``notes/theory.md`` (deterministic).

    Examples
    --------
    >>> text = theory_note(2)
    >>> all(f"**C{k} " in text for k in range(1, 10))
    True
    """
    lines = [
        "<!-- Generated by `dsmw derive` from derive/theory.py; do not edit by hand. -->",
        "",
        "# Theory: what dsmw verifies, and what its words mean",
        "",
        "This project checks, symbolically (SymPy) and numerically (exact posterior moments, "
        "mpmath quadrature, Monte Carlo), the claims of Zhang et al., *Why Heuristic "
        "Weighting Works: A Theoretical Analysis of Denoising Score Matching* (arXiv "
        "2508.01597), in its own precise formulation below. Every displayed formula is "
        "generated from the derivation in `derive/`, not typed in.",
        "",
        *_notation(),
        *_claims(max_order),
        *_budgets(),
        *_glossary(),
    ]
    return "\n".join(lines)

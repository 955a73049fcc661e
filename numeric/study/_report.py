"""Text, Markdown and figures from the studies' JSON (the only place the studies format).

``notes/study.md`` is a pure function of ``notes/study-gradients.json`` and
``notes/study-training.json`` (:func:`render_study_notes`); a test regenerates it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from numeric._io import pyplot, strict_json

__all__ = [
    "FIGURE_NAMES",
    "format_gradient_summary",
    "format_training_summary",
    "gradient_verdicts",
    "render_study_notes",
    "save_study",
    "study_notes",
    "summary",
    "training_verdicts",
    "write_plots",
]

FIGURE_NAMES = {"gradients": "study-gradient-variance.png", "training": "study-training.png"}
_H, _O = "heuristic sigma^2", "oracle W*"
_NORMS = ("raw", "equal mean weight per sigma", "equal curvature tr A")


def _exact_for_gaussian(case: dict[str, Any]) -> bool:
    """The Hermite-feature model on single-Gaussian data: its degree-1 feature with a
    constant log-sigma coefficient *is* the score of ``p_sigma``, so the model is exact
    there, whatever the saved record's label says."""
    from numeric.examples import EXAMPLES, example

    return (case["model"].startswith("Hermite") and case["mixture"] in EXAMPLES
            and example(case["mixture"]).n_components == 1)


def _specified(case: dict[str, Any]) -> bool:
    """Whether the model contains the true score (C3 applies)."""
    return bool(case["well_specified"]) or _exact_for_gaussian(case)


def _model(case: dict[str, Any]) -> str:
    """The model's label, corrected for the Hermite features on Gaussian data."""
    if _exact_for_gaussian(case):
        return "Hermite features (exact for Gaussian data)"
    return case["model"]


def _g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    return f"{x:.{digits}g}"


def _by_name(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["name"]: w["normalisations"] for w in case["weightings"]}


def _ratio(case: dict[str, Any], norm: str, key: str) -> float:
    rows = _by_name(case)
    return rows[_H][norm][key] / rows[_O][norm][key]


# -- verdicts -------------------------------------------------------------------------
def gradient_verdicts(study: dict[str, Any]) -> list[str]:
    """Plain statements about C8, each with its numbers."""
    cases = study["cases"]
    lines = []
    for norm in _NORMS:
        ratios = [_ratio(c, norm, "trace_gradient_covariance") for c in cases]
        lower = sum(r < 1 - 1e-9 for r in ratios)
        equal = sum(abs(r - 1) <= 1e-9 for r in ratios)
        lines.append(
            f"Gradient covariance, {norm}: the heuristic's `tr Cov[g]` is lower than the "
            f"oracle's in {lower} of {len(ratios)} cases"
            + (f" (equal in {equal})" if equal else "")
            + f"; heuristic/oracle ratio from {_g(min(ratios))} to {_g(max(ratios))}.")
    per_level = [[a / b for a, b in zip(
        _by_name(c)[_H]["raw"]["per_level_trace_gradient_covariance"],
        _by_name(c)[_O]["raw"]["per_level_trace_gradient_covariance"], strict=True)]
        for c in cases]
    smallest = [r[0] for r in per_level]
    largest = [r[-1] for r in per_level]
    lines.append(
        f"Per noise level (raw), heuristic/oracle `tr Cov[g | sigma]` is "
        f"{_g(min(smallest))}-{_g(max(smallest))} at the smallest sigma of each schedule "
        f"(W* -> sigma^2 there, C4) and {_g(min(largest))}-{_g(max(largest))} at the largest, "
        f"where W* ~ sigma^2 (sigma^2 + Var X)/Var X outgrows sigma^2: the raw advantage "
        f"comes from the large noise levels.")
    sandwich = [_ratio(c, "raw", "trace_sandwich") for c in cases if _specified(c)]
    c3 = [c["c3_sandwich_check"] for c in cases if _specified(c)]
    lines.append(
        f"Sandwich `tr A^-1 B A^-1` (the estimate's asymptotic covariance), well-specified "
        f"model: heuristic/oracle from {_g(min(sandwich))} to {_g(max(sandwich))}; the oracle's "
        f"sandwich is Loewner-smallest among all weightings and normalisations in "
        f"{sum(c['passed'] for c in c3)} of {len(c3)} cases, as C3 requires "
        f"(smallest eigenvalue of the difference "
        f"{_g(min(c['min_eigenvalue_of_difference'] for c in c3))}, relative).")
    mis = [c for c in cases if not _specified(c)]
    if mis:
        beaten = [c for c in mis if not c["c3_sandwich_check"]["passed"]]
        lines.append(
            f"Misspecified feature model (C3 does not apply: each weighting has its own best "
            f"fit): the oracle's sandwich is not the smallest in {len(beaten)} of {len(mis)} "
            f"cases" + (f" (e.g. {beaten[0]['mixture']}: "
                        f"{beaten[0]['c3_sandwich_check']['closest']} is smaller)"
                        if beaten else "") + ".")
    mc = [c["monte_carlo_check"] for c in cases]
    first = sum(m["stages"][0]["passed"] for m in mc)
    retested = [m for m in mc if not m["stages"][0]["passed"]]
    line = (f"Monte Carlo cross-check of the exact `E[g g^T]` (heuristic and oracle, every "
            f"entry, standard errors known from the exact fourth moments, family-wise "
            f"false-alarm rate {mc[0]['false_alarm_rate']:g} per case): {first} of {len(mc)} "
            f"cases pass at {mc[0]['samples']} draws")
    if retested:
        follow = ", ".join(f"|z| {_g(m['stages'][0]['max_abs_z'])} -> "
                           f"{_g(m['stages'][-1]['max_abs_z'])}" for m in retested)
        line += (f"; the other {len(retested)} were re-tested on "
                 f"{retested[0]['stages'][-1]['samples']} fresh draws, where a real "
                 f"discrepancy would grow |z| by "
                 f"{_g(math.sqrt(retested[0]['stages'][-1]['samples'] / mc[0]['samples']))}x: "
                 f"{follow}")
    lines.append(line + f". Overall {sum(m['passed'] for m in mc)} of {len(mc)} agree.")
    return lines


def _theory_spot_check(study: dict[str, Any] | None) -> str:
    """The C8 spot check recorded in notes/theory.md (two-mode mixture, 8 levels 0.05..5,
    component means)."""
    if study is None:
        return ""
    for c in study["cases"]:
        if (c["mixture"], c["well_specified"]) == ("two-mode-1d", True) and \
                c["schedule"].startswith("wide"):
            raw = 1 / _ratio(c, "raw", "trace_gradient_covariance")
            sandwich = _ratio(c, "raw", "trace_sandwich")
            return (f"Against the spot check recorded under C8 in theory.md (same mixture, "
                    f"8 levels from 0.05 to 5, "
                    f"component-means model: raw gradient variance \"about 6x lower\" with the "
                    f"heuristic, sandwich \"about 2x lower\" with the optimal weighting): "
                    f"measured here {_g(raw, 2)}x and {_g(sandwich, 2)}x. Same direction, "
                    f"smaller factors; the spot check's conventions (how sigma is drawn, which "
                    f"loss parametrisation) are not recorded, so the gap is reported, not "
                    f"explained.")
    return ""


def training_verdicts(study: dict[str, Any]) -> list[str]:
    """Plain statements about C9, each with its numbers."""
    lines = []
    for e in study["experiments"]:
        r = e["weightings"]
        h, o = r[_H], r[_O]
        pair = e["heuristic_vs_oracle"]["final_excess"]
        lines.append(
            f"{e['model']}, {e['optimizer'].upper()}: final excess error (median over "
            f"{pair['seeds']} seeds) heuristic {_g(h['final_excess']['median'])} vs oracle "
            f"{_g(o['final_excess']['median'])}; spread (sd) {_g(h['final_excess']['sd'])} vs "
            f"{_g(o['final_excess']['sd'])}; heuristic lower on {pair['heuristic_lower']}/"
            f"{pair['seeds']} seeds (sign test p = {_g(pair['sign_test_p'], 2)}); divergent runs "
            f"over the step-size grid {sum(h['diverged_per_rate'])} vs "
            f"{sum(o['diverged_per_rate'])}, at the best step size {h['diverged_at_best_rate']} vs "
            f"{o['diverged_at_best_rate']}; largest stable step {_g(h['largest_stable_rate'])} vs "
            f"{_g(o['largest_stable_rate'])}; steps to target (median) "
            f"{_g(h['steps_to_target']['median'])} vs {_g(o['steps_to_target']['median'])}."
            + _per_sigma_oracle(r))
    lines.append(_stability_scale(study))
    return lines


def _stability_scale(study: dict[str, Any]) -> str:
    """Does SGD's largest stable step follow the curvature bound 1/lambda_max(A_W)?"""
    pairs = [(r["largest_stable_rate"], r["gradient_descent_step_bound"], r["rates"])
             for e in study["experiments"] if e["optimizer"] == "sgd"
             for r in e["weightings"].values() if r["largest_stable_rate"] is not None]
    within = earlier = later = 0
    for stable, bound, rates in pairs:
        above = [q for q in rates if q > stable]
        if stable > bound * (1 + 1e-9):
            later += 1          # stable beyond the full-batch bound
        elif above and min(above) <= bound:
            earlier += 1        # a step below the bound already diverged: gradient noise
        else:
            within += 1         # the bound lies between the last stable and the next step
    return (f"SGD's largest stable step follows the curvature: it is the last grid step below "
            f"the full-batch bound 1/lambda_max(A_W) for {within} of {len(pairs)} (model, "
            f"weighting) pairs; {earlier} diverged already below the bound (gradient noise) "
            f"and {later} stayed stable above it. Which weighting tolerates larger steps is "
            f"therefore decided mainly by lambda_max(A_W), a matter of the weights' scale and "
            f"shape, not of the gradient variance.")


def _per_sigma_oracle(results: dict[str, Any]) -> str:
    shaped = results.get("oracle W*, per-sigma normalised")
    if shaped is None:
        return ""
    return (f" The oracle's x~-shape with the heuristic's mean weight per sigma: final excess "
            f"{_g(shaped['final_excess']['median'])} (sd {_g(shaped['final_excess']['sd'])}), "
            f"{sum(shaped['diverged_per_rate'])} divergent runs, largest stable step "
            f"{_g(shaped['largest_stable_rate'], 2)}.")


def summary(gradients: dict[str, Any] | None, training: dict[str, Any] | None) -> list[str]:
    """The answer to the paper's claim in a few sentences, from the numbers."""
    out = []
    if gradients is not None:
        cases = gradients["cases"]
        counts = {n: (sum(_ratio(c, n, "trace_gradient_covariance") < 1 - 1e-9 for c in cases),
                      sum(_ratio(c, n, "trace_gradient_covariance") > 1 + 1e-9 for c in cases))
                  for n in _NORMS}
        c3 = [c["c3_sandwich_check"]["passed"] for c in cases if _specified(c)]
        out.append(
            f"*Lower gradient variance with the heuristic* depends on the normalisation: "
            f"with the weights as they are (raw) the heuristic's gradient covariance is lower "
            f"in {counts['raw'][0]} of {len(cases)} cases; with every weighting rescaled to the "
            f"same mean weight at each noise level it is lower in "
            f"{counts['equal mean weight per sigma'][0]} and higher in "
            f"{counts['equal mean weight per sigma'][1]}; at equal curvature it is lower in "
            f"{counts['equal curvature tr A'][0]} and higher in "
            f"{counts['equal curvature tr A'][1]}. The raw advantage is largely one of scale: "
            f"the oracle weight sigma^2/(1 + sigma^2 h) exceeds sigma^2 wherever p_sigma is "
            f"locally log-concave (h < 0, most of the mass), so its raw gradients are larger. "
            f"What governs the estimate's accuracy is the sandwich covariance, and there the "
            f"oracle is never beaten when the model is correctly specified ({sum(c3)} of "
            f"{len(c3)} cases, C3).")
    if training is not None:
        for e in training["experiments"]:
            pair = e["heuristic_vs_oracle"]["final_excess"]
            h, o = e["weightings"][_H], e["weightings"][_O]
            significant = pair["sign_test_p"] < 0.05
            better = "heuristic" if pair["heuristic_lower"] > pair["seeds"] / 2 else "oracle"
            out.append(
                f"*Training, {e['model']}, {e['optimizer'].upper()}*: "
                + (f"the {better} weighting ends closer to its own optimum on most seeds "
                   f"(heuristic lower on {pair['heuristic_lower']}/{pair['seeds']}, sign test "
                   f"p = {_g(pair['sign_test_p'], 2)})" if significant else
                   f"no significant difference in final excess error (heuristic lower on "
                   f"{pair['heuristic_lower']}/{pair['seeds']} seeds, p = "
                   f"{_g(pair['sign_test_p'], 2)})")
                + f"; divergent runs over the step-size grid {sum(h['diverged_per_rate'])} "
                f"(heuristic) vs {sum(o['diverged_per_rate'])} (oracle); largest step size "
                f"without a divergence {_g(h['largest_stable_rate'], 2)} vs "
                f"{_g(o['largest_stable_rate'], 2)}.")
        out.append(_stability_scale(training))
    return out


# -- terminal summaries ---------------------------------------------------------------
def format_gradient_summary(study: dict[str, Any]) -> str:
    """One line per case: heuristic/oracle ratios under the three normalisations."""
    cases = study["cases"]
    width = max([len("mixture"), *(len(c["mixture"]) for c in cases)])
    model = max([len("model"), *(len(_model(c)) for c in cases)])
    out = [f"C8 gradient study (seed {study['seed']}{', quick' if study['quick'] else ''})",
           "heuristic/oracle ratios of tr Cov[g] (raw, equal mean weight per sigma, equal "
           "curvature tr A) and of the sandwich tr A^-1 B A^-1",
           f"{'mixture':<{width}}  {'model':<{model}}  {'raw':>9} {'per-sigma':>9} "
           f"{'curv.':>9} {'sandwich':>9} {'C3':>4} {'MC':>4}"]
    for c in cases:
        ratios = [_ratio(c, n, "trace_gradient_covariance") for n in _NORMS]
        c3 = ("ok" if c["c3_sandwich_check"]["passed"] else "FAIL") if _specified(c) \
            else "n/a"
        out.append(f"{c['mixture']:<{width}}  {_model(c):<{model}}  {_g(ratios[0]):>9} "
                   f"{_g(ratios[1]):>9} {_g(ratios[2]):>9} "
                   f"{_g(_ratio(c, 'raw', 'trace_sandwich')):>9} {c3:>4} "
                   f"{'ok' if c['monte_carlo_check']['passed'] else 'FAIL':>4}")
    return "\n".join([*out, "", *gradient_verdicts(study)])


def format_training_summary(study: dict[str, Any]) -> str:
    """Per experiment, one line per weighting at its best step size."""
    out = [f"C9 training study (seed {study['seed']}, {study['seeds']} seeds, "
           f"{study['steps']} steps{', quick' if study['quick'] else ''})"]
    for e in study["experiments"]:
        out.append(f"\n{e['model']}, {e['optimizer']}")
        out.append(f"  {'weighting':<18} {'best step':>9} {'excess median':>13} {'sd':>9} "
                   f"{'diverged':>8} {'steps to target':>15}")
        for name, r in e["weightings"].items():
            out.append(f"  {name:<18} {_g(r['best_rate'], 2):>9} "
                       f"{_g(r['final_excess']['median']):>13} {_g(r['final_excess']['sd']):>9} "
                       f"{sum(r['diverged_per_rate']):>8} "
                       f"{_g(r['steps_to_target']['median']):>15}")
    return "\n".join([*out, "", *training_verdicts(study)])


# -- Markdown -------------------------------------------------------------------------
def _weighting_table(study: dict[str, Any]) -> list[str]:
    rows = ["| weighting | score-space weight $w(\\tilde x, \\sigma)$ |", "|---|---|"]
    for w in study["cases"][0]["weightings"]:
        rows.append(f"| {w['name']} | ${w['formula']}$ |")
    return rows


def _case_table(case: dict[str, Any]) -> list[str]:
    rows = ["| weighting | tr Cov[g] raw | per-sigma | equal curvature | tr A raw "
            "| sandwich raw | sandwich per-sigma |", "|---|---|---|---|---|---|---|"]
    for name, n in _by_name(case).items():
        rows.append(
            f"| {name} | {_g(n['raw']['trace_gradient_covariance'], 4)} "
            f"| {_g(n['equal mean weight per sigma']['trace_gradient_covariance'], 4)} "
            f"| {_g(n['equal curvature tr A']['trace_gradient_covariance'], 4)} "
            f"| {_g(n['raw']['trace_curvature'], 4)} | {_g(n['raw']['trace_sandwich'], 4)} "
            f"| {_g(n['equal mean weight per sigma']['trace_sandwich'], 4)} |")
    return rows


def _pointwise_table(entry: dict[str, Any]) -> list[str]:
    rows = ["| sigma | p_sigma-mass where heuristic is smaller (h < 0) | heuristic larger "
            "(h > 0) on | E[(1+sigma^2 h)^2] | min | max | identity gap |",
            "|---|---|---|---|---|---|---|"]
    for lv in entry["levels"]:
        where = ", ".join(f"[{a:.2f}, {b:.2f}]" for a, b in lv["heuristic_larger_on"]) or "-"
        rows.append(f"| {_g(lv['sigma'])} | {_g(lv['mass_heuristic_smaller'])} | {where} "
                    f"| {_g(lv['expected_ratio'])} | {_g(lv['min_ratio'])} "
                    f"| {_g(lv['max_ratio'])} | {_g(lv['identity_gap'], 2)} |")
    return rows


def _training_table(e: dict[str, Any]) -> list[str]:
    rows = ["| weighting | best step | final excess median [q25, q75] | sd | final error median "
            "| error of own optimum | diverged (best step / grid) | largest stable step "
            "| 1/lambda_max(A_W) | steps to target (reached) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in e["weightings"].items():
        fx = r["final_excess"]
        rows.append(
            f"| {name} | {_g(r['best_rate'], 2)} | {_g(fx['median'])} [{_g(fx['q25'])}, "
            f"{_g(fx['q75'])}] | {_g(fx['sd'])} | {_g(r['final_error']['median'])} "
            f"| {_g(r['optimum_error'])} "
            f"| {r['diverged_at_best_rate']} / {sum(r['diverged_per_rate'])} "
            f"| {_g(r['largest_stable_rate'], 2)} | {_g(r['gradient_descent_step_bound'], 2)} "
            f"| {_g(r['steps_to_target']['median'])} "
            f"({r['steps_to_target']['reached']}) |")
    return rows


def render_study_notes(gradients: dict[str, Any] | None, training: dict[str, Any] | None,
                       figures: tuple[str, ...] = ()) -> str:
    """``notes/study.md`` from the studies' JSON (and the names of saved figures)."""
    md = ["<!-- Generated by `dsmw study ... --save notes` from notes/study-*.json; "
          "do not edit by hand. -->", "",
          "# Gradient variance and training stability (C8, C9)", "",
          "The paper's practical claim: the heuristic weighting $\\sigma^2$ \"can achieve lower "
          "variance than the optimal weighting with respect to parameter gradients, which can "
          "facilitate more stable and efficient training\". This note reports what the "
          "studies measured, whichever way it goes.", ""]
    md += ["## Summary", ""] + [f"- {line}" for line in summary(gradients, training)] + [""]
    if gradients is not None:
        md += ["## Verdicts: gradient variance (C8)", ""]
        md += [f"- {line}" for line in gradient_verdicts(gradients)] + [""]
    spot = _theory_spot_check(gradients)
    if spot:
        md += [spot, ""]
    if training is not None:
        md += ["## Verdicts: training (C9)", ""]
        md += [f"- {line}" for line in training_verdicts(training)] + [""]
    md += ["## Method", "",
           "Data: one-dimensional Gaussian mixtures (`numeric.examples`). Loss: "
           "$L_W(\\theta) = \\mathrm{mean}_\\sigma\\, \\mathbb{E}[w(\\tilde X, \\sigma)"
           "(f_\\theta(\\tilde X, \\sigma) - T)^2]$ with $T = -(\\tilde X - X)/\\sigma^2$ and "
           "$\\sigma$ uniform over a geometric schedule. Per-sample gradient "
           "$g = 2 w (f - T) J$, $J = \\partial f/\\partial\\theta$; conditioning on "
           "$\\tilde x$ gives $\\mathbb{E}[g g^\\top] = 4\\,\\mathbb{E}[w^2((f-s)^2 + "
           "\\Sigma_1) J J^\\top]$, curvature $A_W = \\mathbb{E}[w J J^\\top]$, "
           "$B_W = \\mathrm{Cov}[g]/4$ and sandwich $A_W^{-1} B_W A_W^{-1}$. Expectations over "
           "$\\tilde x$ are Simpson quadrature (4097 nodes per level, error from the "
           "half grid, ~1e-15 relative); each case is cross-checked against Monte Carlo "
           "over joint draws $(X, \\tilde X)$ that use the noisy target itself, with "
           "standard errors from the exact fourth moments (sample errors of these "
           "heavy-tailed products came out at 25-80% of the true ones).", "",
           "Models (analytic gradients, tested against finite differences): *component "
           "means* — the exact score of $p_\\sigma$ with the means as parameters, evaluated at "
           "the true means (well-specified); *Hermite features* — "
           "$f = \\sum_{ij}\\theta_{ij} He_i(u) P_j(\\log\\sigma)/\\sqrt{v+\\sigma^2}$ "
           "(degree 3 by 2, 12 parameters), evaluated at each weighting's own population best "
           "fit (misspecified for multimodal data, exact for Gaussian data).", "",
           "Normalisations: *raw*; *equal mean weight per sigma* (every weighting rescaled at "
           "each level to the heuristic's mean weight $\\sigma^2$, so all weightings that do "
           "not depend on $\\tilde x$ coincide with the heuristic); *equal curvature* (one "
           "constant making $\\mathrm{tr} A_W$ equal the heuristic's). The sandwich does not "
           "change under a global constant, so raw and equal-curvature sandwiches agree.", ""]
    if gradients is not None:
        md += ["### Weightings", "", *_weighting_table(gradients), "",
               "with $\\sigma_{data}$ the data's standard deviation, $\\gamma = 5$, and "
               "$\\sigma_{min}, \\sigma_{max}$ the schedule's ends.", ""]
    if training is not None:
        md += [f"Training: {training['mixture']}, schedule {training['schedule']}; each step "
               f"draws {training['batch']['per_level']} pairs $(X, E)$ at every one of the "
               f"{training['batch']['levels']} levels; {training['steps']} steps; "
               f"{training['seeds']} seeds, which share their draws across weightings and "
               f"step sizes (common random numbers); every weighting at its own best step size "
               f"(lowest median final error) from the grid. Error: "
               f"{training['error_metric']}; *excess*: {training['excess']}. The error metric "
               f"is the heuristic's own population objective, so under misspecification the "
               f"heuristic's best fit has the lowest error by construction (column *error of "
               f"own optimum*); the excess removes that bias and measures how far optimisation "
               f"got towards each weighting's own target. A run diverges when "
               f"its parameters leave the finite numbers or exceed 1e6. Steps to target: first "
               f"checkpoint with excess below {training['target_fraction']} of the median "
               f"initial excess.", ""]
    if gradients is not None:
        md += ["## Gradient variance (C8)", ""]
        for c in gradients["cases"]:
            c3 = c["c3_sandwich_check"]
            md += [f"### {c['mixture']}, {c['schedule']}, {_model(c)}", "",
                   *_case_table(c), "",
                   f"C3 sandwich check ({'applies' if _specified(c) else 'does not apply'}): "
                   f"smallest eigenvalue of (sandwich of W - sandwich of oracle) over all "
                   f"weightings, relative: {_g(c3['min_eigenvalue_of_difference'])} (closest: "
                   f"{c3['closest']}); {'passed' if c3['passed'] else 'not smallest'}. Monte "
                   f"Carlo over {c['monte_carlo_check']['n_tests']} entries: "
                   + "; ".join(f"{st['samples']} draws, max |z| {_g(st['max_abs_z'])} "
                               f"(threshold {_g(st['threshold'])})"
                               for st in c["monte_carlo_check"]["stages"]) + ".", ""]
        md += ["### Pointwise ratio $(1 + \\sigma^2 h)^2$ (heuristic over oracle)", "",
               "The per-sample gradient variance densities are $\\sigma^4 \\Sigma_1$ and "
               "$\\Sigma_1^{-1}$; their ratio $(\\sigma^2\\Sigma_1)^2$ (from the exact posterior) "
               "equals $(1 + \\sigma^2 h)^2$ (from the Hessian of $p_\\sigma$): *identity gap* "
               "is the largest relative difference of the two routes.", ""]
        for entry in gradients["pointwise"]:
            md += [f"**{entry['mixture']}**, {entry['schedule']}", "",
                   *_pointwise_table(entry), ""]
    if training is not None:
        md += ["## Training (C9)", ""]
        for e in training["experiments"]:
            md += [f"### {e['model']}, {e['optimizer'].upper()}", "", *_training_table(e), ""]
    if figures:
        md += ["## Figures", ""] + [f"![{name}]({name})" for name in figures] + [""]
    reruns = []
    for study in (gradients, training):
        if study is not None:
            reruns.append(f"`dsmw study {study['study']} --seed {study['seed']}"
                          f"{' --quick' if study['quick'] else ''} --save notes`")
    md += ["Re-run: " + "; ".join(reruns) + " (add `--plots notes` for the figures).", ""]
    return "\n".join(md)


# -- figures --------------------------------------------------------------------------
def write_plots(directory: str | Path, gradients: dict[str, Any] | None = None,
                training: dict[str, Any] | None = None) -> list[Path]:
    """PNG figures: gradient variance vs sigma per weighting; training curves with bands."""
    from numeric._io import check_output_dir

    plt = pyplot("--plots", directory)
    out_dir = check_output_dir("--plots", directory)
    written = []
    if gradients is not None:
        first = gradients["cases"][0]["schedule"]
        cases = [c for c in gradients["cases"] if c["schedule"] == first]
        fig, axes = _grid(plt, len(cases))
        for ax, case in zip(axes.ravel(), cases, strict=False):
            for name, norms in _by_name(case).items():
                ax.loglog(case["sigmas"], norms["raw"]["per_level_trace_gradient_covariance"],
                          marker="o", ms=3, label=name,
                          lw=2.5 if name in (_H, _O) else 1.0)
            ax.set_title(f"{case['mixture']}: {_model(case)}", fontsize=9)
            ax.set_xlabel("sigma")
            ax.set_ylabel("tr Cov[g | sigma] (raw)")
        written.append(_finish(plt, fig, axes, out_dir / FIGURE_NAMES["gradients"]))
    if training is not None:
        experiments = training["experiments"]
        fig, axes = _grid(plt, len(experiments))
        for ax, e in zip(axes.ravel(), experiments, strict=False):
            for name, r in e["weightings"].items():
                curve = r["curve"]
                steps = curve["steps"]

                def clean(values):
                    return [v if v is not None and v > 0 else float("nan") for v in values]

                line = ax.semilogy(steps, clean(curve["median"]), label=name,
                                   lw=2.5 if name in (_H, _O) else 1.0)[0]
                ax.fill_between(steps, clean(curve["q10"]), clean(curve["q90"]),
                                color=line.get_color(), alpha=0.15)
            ax.set_title(f"{e['model']}, {e['optimizer']}", fontsize=9)
            ax.set_xlabel("step")
            ax.set_ylabel("excess error (10-90% over seeds)")
        written.append(_finish(plt, fig, axes, out_dir / FIGURE_NAMES["training"]))
    return written


def _grid(plt, panels: int):
    rows = (panels + 1) // 2
    return plt.subplots(rows, 2, squeeze=False, figsize=(11, 3.8 * rows))


def _finish(plt, fig, axes, path: Path) -> Path:
    axes.ravel()[0].legend(fontsize=7)
    import io

    from numeric._io import atomic_write_bytes

    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110, format="png")
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())


# -- notes ----------------------------------------------------------------------------
def _json_name(kind: str) -> str:
    return f"study-{kind}.json"


def study_notes(directory: str | Path) -> str:
    """``study.md`` from the JSON files (and figures) present in ``directory``."""
    import json

    folder = Path(directory)
    loaded = {}
    for kind in ("gradients", "training"):
        path = folder / _json_name(kind)
        loaded[kind] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    figures = tuple(name for kind, name in FIGURE_NAMES.items()
                    if loaded[kind] is not None and (folder / name).exists())
    return render_study_notes(loaded["gradients"], loaded["training"], figures)


def save_study(result: dict[str, Any], directory: str | Path) -> list[Path]:
    """Write ``study-<kind>.json`` into ``directory`` and regenerate ``study.md`` there."""
    from numeric._io import atomic_write_text, check_output_dir

    folder = check_output_dir("--save", directory)
    data = atomic_write_text(folder / _json_name(result["study"]),
                             strict_json(result, indent=1) + "\n")
    notes = atomic_write_text(folder / "study.md", study_notes(folder))
    return [data, notes]

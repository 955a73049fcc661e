"""Text, JSON, figure and note of ``dsmw data``."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

from numeric._io import (
    atomic_write_bytes,
    atomic_write_text,
    check_output_dir,
    pyplot,
    strict_json,
)

__all__ = ["data_notes", "format_data_report", "plot_report", "save_report", "strict_json"]

NOTE_NAME = "data.md"


def _g(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "inf" if value == math.inf else "n/a"
    return f"{value:.{digits}g}"


def _is_default(report: dict[str, Any]) -> bool:
    """VE score space (reports written before schedules existed are that too)."""
    return report.get("schedule", "ve") == "ve" and report.get("space", "score") == "score"


def _level_rows(report: dict[str, Any], every: int = 1) -> list[str]:
    zoo = report["zoo"]
    names = list(zoo)
    default = _is_default(report)
    if default:
        first, ratio_name, extra = "| sigma", "E[W*]/sigma^2", 0
    else:
        first, ratio_name, extra = "| lambda | t | sigma/alpha", "E[W*]/NCSN", 2
        on = report["levels"]
        ncsn = zoo["sigma^2 (NCSN)"]
    header = (f"{first} | tr E[W*]/d | SE | {ratio_name} | 5%-95% of tr W*/d | first order "
              "| Hill index | draws | " + " | ".join(names) + " |")
    rows = [header, "|" + "---|" * (8 + extra + len(names))]
    levels = report["curve"]["levels"]
    for i, lv in enumerate(levels):
        if i % every and i != len(levels) - 1:
            continue
        s = lv["sigma"]
        q = lv["quantiles"]
        flag = " (!)" if lv["variance_looks_infinite"] else ""
        met = "" if lv["target_met"] else "*"
        if default:
            lead, ratio = f"| {s:.3g}", lv["mean"] / s**2
        else:
            lead = f"| {on['lambda'][i]:.3g} | {on['t'][i]:.4g} | {s:.3g}"
            ratio = lv["mean"] / ncsn[i]
        rows.append(
            f"{lead} | {_g(lv['mean'])} | {_g(lv['se'], 2)}{met} | "
            f"{_g(ratio)} | {_g(q['0.05'], 3)}-{_g(q['0.95'], 3)} | "
            f"{_g(lv['first_order'])} | {_tail_index(lv['tail_index'])}{flag} | {lv['n_draws']} | "
            + " | ".join(_g(zoo[n][i], 3) for n in names) + " |")
    return rows


#: Hill indices above this are shown as "> 100": a tail that light is a finite-variance
#: tail whatever the exact estimate (it can reach 1e13 on nearly constant weights).
_HILL_SHOWN = 100.0


def _tail_index(value: float | None) -> str:
    if value is not None and value > _HILL_SHOWN:
        return f"> {_HILL_SHOWN:g}"
    return _g(value, 3)


def _legend(levels: list[dict[str, Any]]) -> str:
    """The legend of the marks the table shows, and only of those."""
    marks = []
    if any(lv["variance_looks_infinite"] for lv in levels):
        marks.append("(!) Hill tail index < 2: the variance looks infinite")
    if not all(lv["target_met"] for lv in levels):
        marks.append("* SE target missed")
    return "; ".join(marks)


def _summary_lines(report: dict[str, Any]) -> list[str]:
    d, fit, prep = report["dataset"], report["fit"], report["preparation"]
    v = report["verdict"]
    dropped = prep["dropped_zero_variance"]
    lines = [
        f"data: {d['name']} ({d['source']}), {d['n_points']} points, {d['raw_features']} "
        f"features; {len(dropped)} dropped for zero variance"
        + (f" (columns {', '.join(map(str, dropped))})" if dropped else "")
        + f"; {'standardised' if prep['standardised'] else 'not standardised'}; "
        f"sigma_data = {prep['sigma_data']:.4g}",
        f"fit: K = {fit['n_components']} {fit['covariance_type']}, variance floor "
        f"{fit['floor']:g} x mean feature variance (reg_covar {fit['reg_covar']:.3g}; "
        + ("chosen by held-out log-likelihood" if fit["held_out_log_likelihood_by_floor"]
           else "given")
        + f"), log-likelihood {fit['log_likelihood_per_point']:.4g} per point, BIC "
        f"{fit['bic']:.6g}, {'converged' if fit['converged'] else 'NOT converged'} in "
        f"{fit['n_iterations']} iterations, {fit['fit_seconds']:.1f} s",
    ]
    if fit.get("floor_at_grid_edge"):
        lines.append("the held-out likelihood is best at the edge of the floors tried: the "
                     "floor is a limit of the search, not an interior optimum")
    if fit["held_out_log_likelihood_by_floor"]:
        lines.append(f"held-out log-likelihood per point by floor (K = "
                     f"{fit['n_components']}): " + ", ".join(
            f"{e['floor']:g}: {e['held_out_log_likelihood_per_point']:.4g}"
            for e in fit["held_out_log_likelihood_by_floor"]))
    if len(fit["bic_by_components"]) > 1:
        lines.append("BIC by K (each at its own floor): " + ", ".join(
            f"{e['components']}: {e['bic']:.6g}"
            + (f" (floor {e['floor']:g})" if e.get("floor") is not None else "")
            for e in fit["bic_by_components"]))
    if not _is_default(report):
        lines.append(f"schedule {report['schedule']}, weights in {report['space']} space: "
                     f"{len(report['sigmas'])} levels, lambda = log SNR from "
                     f"{report['levels']['lambda'][-1]:.3g} to "
                     f"{report['levels']['lambda'][0]:.3g}; E[W*] from the VE posterior of "
                     "x_t/alpha at sigma/alpha, times k_score(sigma/alpha)/k_"
                     f"{report['space']}; sigma below means sigma/alpha")
    c = report["curve"]
    lines.append(f"tr J(p)/d = {c['fisher_trace_per_dim']:.5g} +- "
                 f"{c['fisher_trace_per_dim_se']:.2g} (Monte Carlo, {c['fisher_draws']} draws);"
                 f" curve {c['seconds']:.1f} s, target SE <= {c['rel_se_target']:g} x value")
    for entry in report["floor_sensitivity"]:
        lines.append(f"floor {entry['floor']:g} instead: the curve moves by a factor up to "
                     f"{math.exp(entry['max_abs_log_ratio']):.3g} (log-likelihood "
                     f"{entry['log_likelihood_per_point']:.4g} per point, tr J/d "
                     f"{entry['fisher_trace_per_dim']:.4g})")
    if report["levels_variance_looks_infinite"]:
        lines.append("variance looks infinite (Hill index < 2) at sigma = " + ", ".join(
            f"{s:.3g}" for s in report["levels_variance_looks_infinite"])
            + ": those SEs are not trustworthy; see the Bernstein half-widths in --json")
    wide = [lv["sigma"] for lv in report["curve"]["levels"]
            if lv["bernstein_halfwidth_95"] is not None
            and lv["bernstein_halfwidth_95"] > lv["mean"]]
    if wide:
        lines.append("the assumption-free 95% half-width (empirical Bernstein, from the bound "
                     "sigma^2 (1 + sigma^2/lambda_min)) exceeds the value itself at sigma = "
                     + ", ".join(f"{s:.3g}" for s in wide)
                     + ": there a rare, much larger tr W* cannot be ruled out by the draws")
    if report["levels_target_missed"]:
        cap = report.get("max_draws_per_level")
        lines.append("SE target missed (draw cap" + (f" of {cap}" if cap else "")
                     + " reached) at sigma = " + ", ".join(
            f"{s:.3g}" for s in report["levels_target_missed"]))
    if report["levels_below_sigma_squared"]:
        lines.append("E[W*] below the heuristic sigma^2 (by > 2 SE) at sigma = " + ", ".join(
            f"{s:.3g}" for s in report["levels_below_sigma_squared"]))
    where = ("" if _is_default(report) else
             f" in {report['space']} space on {report['schedule']}")
    lines.append(
        f"verdict{where}: closest to tr E[W*]/d ({v['metric']}): {v['closest']} "
        f"({v['closest_value']:.3g}); up to a constant factor: {v['closest_up_to_a_constant']}"
        f" ({v['closest_up_to_a_constant_value']:.3g}); not in the zoo: first-order "
        f"prediction {v['first_order_value']:.3g}, EDM with sigma_data^2 = d / tr Cov[X]^-1 "
        f"= {report['large_sigma']['harmonic_sigma_data'] ** 2:.3g} "
        f"{v['edm_harmonic_value']:.3g}")
    return lines


def format_data_report(report: dict[str, Any]) -> str:
    """The table, the fit summary and the verdict line, as printed by ``dsmw data``."""
    lines = _summary_lines(report)[:-1]
    legend = _legend(report["curve"]["levels"])
    lines += ["", *_level_rows(report), "", *([legend] if legend else []),
              _summary_lines(report)[-1]]
    if "in_every_space" in report["verdict"]:
        lines.append(f"({report['verdict']['in_every_space']})")
    return "\n".join(lines)


def _zoo_colour(index: int) -> str:
    """C2..C7 (as before schedules existed), then colours that no other curve uses."""
    extra = ("C9", "C1", "teal", "navy", "olive", "black")
    return f"C{index + 2}" if index + 2 < 8 else extra[(index - 6) % len(extra)]


def plot_report(report: dict[str, Any]) -> bytes:
    """PNG bytes: ``tr E[W*]/d`` with its error band and within-level spread, ``sigma^2``,
    the first-order prediction and the zoo; right, each divided by ``sigma^2``."""
    import numpy as np

    plt = pyplot("--plot")
    s = np.array(report["sigmas"])
    levels = report["curve"]["levels"]
    mean = np.array([lv["mean"] for lv in levels])
    se = np.array([lv["se"] for lv in levels])
    q05 = np.array([lv["quantiles"]["0.05"] for lv in levels])
    q95 = np.array([lv["quantiles"]["0.95"] for lv in levels])
    first = np.array([lv["first_order"] for lv in levels])
    default = _is_default(report)
    heuristic = s**2 if default else np.array(report["zoo"]["sigma^2 (NCSN)"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, scale, label in ((axes[0], np.ones_like(s), "weight"),
                             (axes[1], heuristic,
                              "weight / sigma^2" if default else "weight / NCSN's")):
        ax.fill_between(s, q05 / scale, q95 / scale, color="tab:blue", alpha=0.15,
                        label="tr W*(x~)/d, 5%-95% within level")
        ax.fill_between(s, (mean - 2 * se) / scale, (mean + 2 * se) / scale,
                        color="tab:blue", alpha=0.5)
        ax.plot(s, mean / scale, color="tab:blue", lw=2.5, label="tr E[W*]/d (+-2 SE)")
        ax.plot(s, first / scale, color="black", ls=":", lw=1.5,
                label="sigma^2 + sigma^4 tr J/d")
        ax.plot(s, np.array(report["large_sigma"]["edm_harmonic"]) / scale, color="C8",
                ls="-.", lw=1.2, label="EDM, sigma_data^2 = d / tr Cov^-1")
        for index, (name, w) in enumerate(report["zoo"].items()):
            if name == "uniform" and ax is axes[1]:
                continue
            heuristic = "NCSN" in name
            # fixed colours, so both panels match (tab:blue is E[W*] itself)
            ax.plot(s, np.array(w) / scale, lw=2.0 if heuristic else 1.2,
                    ls="-" if heuristic else "--",
                    color="tab:red" if heuristic else _zoo_colour(index), label=name)
        heavy = report["levels_variance_looks_infinite"]
        if heavy:
            ax.plot(heavy, [np.interp(h, s, mean / scale) for h in heavy], "rx", ms=7,
                    label="variance looks infinite")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sigma" if default else "sigma/alpha = exp(-lambda/2)")
        ax.set_ylabel(label)
        ax.set_ylim(max(np.min(q05 / scale) / 10, 1e-12), None)
    axes[1].legend(fontsize=7, loc="upper left")
    fit = report["fit"]
    where = "" if default else f"{report['space']} space on {report['schedule']}, "
    fig.suptitle(f"{report['dataset']['name']}: {where}K = {fit['n_components']} "
                 f"{fit['covariance_type']}, d = {report['dataset']['features']}, "
                 f"floor {fit['floor']:g}", fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _json_name(name: str) -> str:
    return f"data-{name}.json"


def save_report(report: dict[str, Any], directory: str | Path) -> list[Path]:
    """Write ``data-<name>.json`` and ``data-<name>.png`` into ``directory`` and regenerate
    ``data.md`` there from every ``data-*.json`` it holds."""
    folder = check_output_dir("--save", directory)
    name = report["dataset"]["name"]
    # compact: the fitted mixture of digits alone is ~40 000 numbers
    written = [atomic_write_text(folder / _json_name(name), strict_json(report, None) + "\n"),
               atomic_write_bytes(folder / f"data-{name}.png", plot_report(report))]
    written.append(atomic_write_text(folder / NOTE_NAME, data_notes(folder)))
    return written


def _section(report: dict[str, Any]) -> list[str]:
    name = report["dataset"]["name"]
    levels = report["curve"]["levels"]
    # the statements below are about VE score space at sigma/alpha: undo the conversion
    factor = report.get("levels", {}).get("factor_from_ve_score") or [1.0] * len(levels)
    ve_means = [lv["mean"] / f for lv, f in zip(levels, factor, strict=True)]
    ratios = [m / lv["sigma"] ** 2 for m, lv in zip(ve_means, levels, strict=True)]
    first_ok = [lv["sigma"] for lv in levels
                if abs(lv["first_order"] / lv["mean"] - 1) <= 0.1]
    lines = [f"## `{name}`", "", *[f"- {line}" for line in _summary_lines(report)], ""]
    if not _is_default(report):
        lines += [f"The table and figure are in {report['space']} space on the "
                  f"{report['schedule']} schedule; the ratios below are VE score-space "
                  "ones at `sigma/alpha` (a ratio of two weights is the same in every "
                  "space).", ""]
    spread = [lv["quantiles"]["0.95"] / lv["quantiles"]["0.05"] for lv in levels]
    widest = int(max(range(len(levels)), key=spread.__getitem__))
    top = levels[-1]
    limit = top["sigma"] ** 4 * report["large_sigma"]["inverse_covariance_trace_per_dim"]
    lines += [
        f"What the numbers show: `tr E[W*]/d` divided by `sigma^2` runs from "
        f"{min(ratios):.3g} to {max(ratios):.3g} over the levels "
        f"(at sigma = {levels[0]['sigma']:.3g}: {ratios[0]:.4g}; at sigma = "
        f"{top['sigma']:.3g}: {ratios[-1]:.4g}). "
        + (f"The first-order prediction is within 10% of it up to sigma = "
           f"{max(first_ok):.3g} (at {len(first_ok)} of {len(levels)} levels). "
           if first_ok else "The first-order prediction is nowhere within 10% of it. ")
        + ("It lies below `sigma^2` by more than 2 SE at "
           f"{len(report['levels_below_sigma_squared'])} level(s). "
           if report["levels_below_sigma_squared"] else
           "It is nowhere below `sigma^2` by more than 2 SE. ")
        + f"At the largest sigma it is {ve_means[-1] / limit:.3g} times the large-sigma form "
        f"`sigma^4 tr Cov[X]^-1 / d` (EDM's form with `sigma_data^2 = d / tr Cov[X]^-1 = "
        f"{report['large_sigma']['harmonic_sigma_data'] ** 2:.3g}`, against the "
        f"`sigma_data^2 = {report['preparation']['sigma_data'] ** 2:.3g}` EDM uses). "
        f"Within a level the 95% quantile of `tr W*(x~)/d` is at most {spread[widest]:.3g} "
        f"times its 5% quantile (at sigma = {levels[widest]['sigma']:.3g}). "
        + ("No level looks heavy-tailed (every Hill index >= 2). "
           if not report["levels_variance_looks_infinite"] else
           f"{len(report['levels_variance_looks_infinite'])} level(s) look heavy-tailed "
           "(Hill index < 2): their standard errors are flagged, not trusted. ")
        + (f"Changing the floor tenfold either way moves the curve by a factor up to "
           f"{max(math.exp(e['max_abs_log_ratio']) for e in report['floor_sensitivity']):.3g}."
           if report["floor_sensitivity"] else ""),
        "", f"![{name}](data-{name}.png)", "",
        "Every 4th level (all of them in `data-" + name + ".json`):", "",
        *_level_rows(report, every=4), ""]
    return lines


def data_notes(directory: str | Path) -> str:
    """``data.md`` from every ``data-*.json`` in ``directory`` (sorted by name)."""
    folder = Path(directory)
    reports = [json.loads(p.read_text(encoding="utf-8"))
               for p in sorted(folder.glob("data-*.json"))]
    lines = [
        "# The optimal weighting of real data",
        "",
        "Generated by `dsmw data --dataset NAME --save notes` from `notes/data-NAME.json`; "
        "do not edit by hand (a test regenerates this file and fails on drift).",
        "",
        "Method. Each data set is loaded, its zero-variance features dropped, the rest "
        "standardised; a Gaussian mixture is fitted with scikit-learn (variance floor "
        "relative to the data, chosen by held-out log-likelihood) and converted to an "
        "analytic mixture. At each noise level `x~` is drawn from `p_sigma` and the exact "
        "posterior covariance gives `W*(x~) = sigma^4 Cov[X | x~]^-1` (Gaussian noise, "
        "first order); `tr E[W*]/d` is their mean, with its standard error, drawn until "
        "that error is at most the target fraction of the value. `tr J(p)/d` (Monte "
        "Carlo over `x ~ p`) gives the first-order prediction `sigma^2 + sigma^4 tr J/d`. "
        "The zoo is in score space (variance-exploding, `x~ = x + sigma E`), with "
        "`sigma_data` the data's root mean feature variance. The verdict's metric is the "
        "mean absolute log ratio to `tr E[W*]/d` over the levels, as is and after the best "
        "constant factor. The Hill index estimates the upper tail index of `tr W*(x~)/d` "
        "from the top `sqrt(n)` draws; below 2 the draws look as if the variance were "
        "infinite (it is finite: `tr W*/d <= sigma^2 (1 + sigma^2/lambda_min)`, but that "
        "bound can be far above the mean), and the level is flagged.",
        "",
        "Checks of this pipeline (`tests/numeric/data/test_data.py`, each also run on a "
        "deliberately wrong value, which it rejects): in d = 1 the Monte Carlo curve "
        "against Simpson quadrature of the exact weight (z-test, family-wise false-alarm "
        "rate 1e-4; 3% off is rejected); the small-sigma slope "
        "`(tr E[W*]/d - sigma^2)/sigma^4` against `tr J(p)/d` from separate draws, on "
        "random and on fitted mixtures (10% off is rejected); convergence of the curve "
        "fitted to samples of a known mixture to the true one, at a measured rate (about "
        "`n^-1/2`; a one-component fit does not converge); the coverage of the standard "
        "errors over 300 repeated runs (fixed and adaptive draw counts); and a rare, very "
        "narrow component where the normal interval undercovers and the Bernstein one "
        "does not.",
        "",
    ]
    if not reports:
        lines.append("No data set has been run yet.")
    summary = ["| data set | d | K | floor | tr J/d | closest | closest up to a constant | "
               "flagged levels |", "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        summary.append(
            f"| {r['dataset']['name']}"
            + ("" if _is_default(r) else f" ({r['space']}, {r['schedule']})")
            + f" | {r['dataset']['features']} | "
            f"{r['fit']['n_components']} | {r['fit']['floor']:g} | "
            f"{r['curve']['fisher_trace_per_dim']:.4g} | {r['verdict']['closest']} | "
            f"{r['verdict']['closest_up_to_a_constant']} | "
            f"{len(r['levels_variance_looks_infinite'])} |")
    if reports:
        lines += [*summary, ""]
    for r in reports:
        lines += _section(r)
    return "\n".join(lines).rstrip() + "\n"

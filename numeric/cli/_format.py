"""Plain-text rendering of the reports ``dsmw`` prints: verify, the mutants and the
weighting zoo (the other reports format themselves next to their data)."""

from __future__ import annotations

from typing import Any

from numeric.checks import Check, VerifyReport

__all__ = ["format_check", "format_mutant_report", "format_verify_report",
           "format_weighting_list", "format_weighting_show"]


def _fmt(x: float) -> str:
    return f"{x:.2e}" if x == x and abs(x) != float("inf") else str(x)


def format_check(check: Check) -> str:
    """``name  method  error <= tolerance  ok`` on one line."""
    mark = "ok" if check.passed else "FAIL"
    # the relation printed is the one the numbers have: a check can fail with its error
    # within tolerance (a detection not reached, a sign, a crash), and then says why
    within = check.error <= check.tolerance
    relation = "<=" if within else "> "
    what = "|z|" if check.method == "monte-carlo" else "err"
    why = ""
    if not check.passed and within:
        if check.crashed:
            why = "  (crashed)"
        elif check.method == "monte-carlo" and check.detect <= check.tolerance:
            why = f"  (fails: detection z {_fmt(check.detect)} <= {_fmt(check.tolerance)})"
        else:
            why = "  (fails on another condition: " + (check.detail[:120] or "see --json") + ")"
    return (f"    {mark:<4} {check.method:<11} {what} {_fmt(check.error)} {relation} "
            f"{_fmt(check.tolerance)}  {check.name}{why}")


def format_verify_report(report: VerifyReport, verbose: bool = False) -> str:
    """One row per claim (id, title, methods, worst error vs tolerance, status), then totals."""
    lines = [f"{'claim':<5} {'status':<6} {'proof (derive)':<24} {'checks':>6}  "
             f"{'worst (error / tolerance)':<26} {'methods':<29} title [proved for]"]
    for claim in report.claims:
        worst = claim.worst()
        ratio = f"{_fmt(worst.error)} / {_fmt(worst.tolerance)}"
        status = "PASS" if claim.passed else "FAIL"
        instances = f" [{claim.instances}]" if claim.instances else ""
        lines.append(f"{claim.id:<5} {status:<6} {claim.proof or '-':<24} "
                     f"{len(claim.checks):>6}  {ratio:<26} {','.join(claim.methods):<29} "
                     f"{claim.title}{instances}")
        lines.extend(f"    REFUTED derivation step: {step}" for step in claim.refuted)
        if verbose or not claim.passed:
            lines.extend(format_check(c) for c in claim.checks if verbose or not c.passed)
    n_checks = sum(len(c.checks) for c in report.claims)
    n_failed = sum(not ch.passed for c in report.claims for ch in c.checks)
    verdict = "all checks passed" if report.passed else f"{n_failed} check(s) FAILED"
    lines.append("")
    n_claims = len(report.claims)
    lines.append(f"{verdict}: {n_checks} check{'s' * (n_checks != 1)}, {n_claims} "
                 f"claim{'s' * (n_claims != 1)}, "
                 f"seed {report.seed}, Monte Carlo family-wise false-alarm rate "
                 f"{report.alpha:g} over {report.monte_carlo_tasks} MC "
                 f"check{'s' * (report.monte_carlo_tasks != 1)}, "
                 f"{report.seconds:.1f} s")
    return "\n".join(lines)


def format_mutant_report(results, seed: int) -> str:
    """One row per mutant: name, claims, caught or SURVIVED, and by which methods."""
    width = max(len(r.mutant.name) for r in results)
    lines = [f"{'mutant':<{width}}  claims      result    caught by                    description"]
    for r in results:
        lines.append(f"{r.mutant.name:<{width}}  {','.join(r.mutant.claims):<10}  "
                     f"{'caught' if r.caught else 'SURVIVED':<8}  "
                     f"{','.join(r.caught_by) or '-':<27}  {r.mutant.description}")
    caught = sum(r.caught for r in results)
    lines.append("")
    lines.append(f"{caught} of {len(results)} mutants caught (quick checks, seed {seed}); "
                 "a check that crashed never counts as catching a mutant")
    return "\n".join(lines)


def _usage(record) -> str:
    from derive.weightings import _usage as usage

    return usage(record)


def format_weighting_list() -> str:
    """One line per weighting: usage, native space and formula, parameters, density."""
    import sympy as sp

    import derive

    lines = [f"{'name':<34} {'space':<9} {'native weight':<30} parameters (default)"]
    for w in derive.weightings():
        params = ", ".join(f"{s.name}" + (f"={d}" if d is not None else " (required)")
                           for s, d in w.parameters) or "-"
        lines.append(f"{_usage(w):<34} {w.space:<9} {sp.sstr(w.native):<30} {params}")
        lines.append(f"{'':<34} sampling: {w.density.text}; {w.paper}")
    return "\n".join(lines)


def format_weighting_show(shown: dict[str, Any]) -> str:
    """What :func:`numeric.weighting_views.show_weighting` returned, as text."""
    d = shown["schedule_definition"]
    lines = [f"{shown['title']} ({shown['name']}): native space {shown['native_space']}, "
             f"weight {shown['native']}",
             f"  parameters: {shown['parameters'] or '-'}; sampling: {shown['sampling']}",
             "  source: " + "; ".join(p for p in (shown['paper'], shown['code']) if p),
             f"schedule {shown['schedule']}: alpha = {d['alpha']}, sigma = {d['sigma']}, "
             f"t in [{d['t_range'][0]}, {d['t_range'][1]}]",
             f"weight of the {shown['space']} loss, in {shown['variable']}:",
             f"  {shown['weight']}", f"  LaTeX: {shown['weight_latex']}"]
    if shown["general_schedule"] is not None:
        lines.append(f"  any schedule (alpha, sigma): {shown['general_schedule']}")
    lines += [f"density form W = p(t) w k |dt/dlambda|, in {shown['density_form_variable']}"
              + (f" (lambda = {d['lambda']})" if shown["density_form_variable"] == "t" else "")
              + ":", f"  {shown['density_form']}", f"  LaTeX: {shown['density_form_latex']}"]
    return "\n".join(lines)

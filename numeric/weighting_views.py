"""One named weighting shown in a space on a schedule, and the curves of several in one
figure: what ``dsmw weighting show`` and ``dsmw weighting plot`` print and draw.

Formulas come from :mod:`derive`; the curves from :mod:`numeric.weighting_curves`.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["plot_weightings", "show_weighting"]


def show_weighting(text: str, space: str | None, schedule: str, *, sigma_data: Any = None,
                   definitions: dict | None = None) -> dict[str, Any]:
    """The named weighting in ``space`` on ``schedule``, and its density form.

    Parameters
    ----------
    text
        A weighting name with optional parameters, e.g. ``"min-snr:5"``.
    space
        The loss space (None: the weighting's native space; ``"lambda"`` shows eps).
    schedule
        The noise schedule, e.g. ``"vp-cosine"``.
    sigma_data
        The data's standard deviation where the formulas use ``sigma_data`` (default: the
        weighting's own, else left as the symbol).
    definitions
        Your weightings by name (``numeric.weighting_definitions.parse_definition``).

    Returns
    -------
    dict
        Strings only (SymPy ``sstr`` and LaTeX): what ``dsmw weighting show`` prints.
    """
    import sympy as sp

    import derive
    from derive.render_weightings import latex
    from numeric.weighting_curves import (
        bind_by_name,
        check_schedule_name,
        check_space_name,
        display_variable,
    )
    from numeric.weighting_definitions import check_sigma_data, resolve_weighting

    record, values = resolve_weighting(text, definitions)
    if sigma_data is not None:
        values = {**values, "sigma_data": check_sigma_data(sigma_data)}
    check_schedule_name(schedule)
    space = check_space_name(space or ("eps" if record.space == "lambda" else record.space))
    if space == "lambda":
        space = "eps"
    variable = display_variable(schedule)
    weight = record.in_space(space, schedule, variable=variable, values=values)
    density_variable = "t" if variable == "t" else "lambda"
    density = record.density_form(schedule, variable=density_variable, values=values)
    sched = derive.schedule(schedule)
    general = None if record.space == "lambda" else record.general(space)
    if general is not None:
        general = bind_by_name(general, values)
    return {
        "name": text, "title": record.title, "native_space": record.space,
        "native": sp.sstr(record.native), "parameters": {k: str(v) for k, v in values.items()},
        "sampling": record.density.text, "paper": record.paper, "code": record.code,
        "space": space, "schedule": schedule,
        "schedule_definition": {"alpha": sp.sstr(sched.alpha), "sigma": sp.sstr(sched.sigma),
                                "lambda": sp.sstr(sched.lam),
                                "t_range": [str(v) for v in sched.t_range]},
        "variable": variable,
        "weight": sp.sstr(weight), "weight_latex": latex(weight),
        "general_schedule": None if general is None else sp.sstr(general),
        "density_form_variable": density_variable,
        "density_form": sp.sstr(density), "density_form_latex": latex(density),
    }


def plot_weightings(names: list[str], space: str, schedule: str, mixture: str | None,
                    out: str) -> str:
    """Write a PNG of the named weightings (and ``E[W*]`` of a mixture) over ``lambda``.

    Every argument is checked (and the destination proved writable) before plotting.

    Parameters
    ----------
    names
        Weighting names, e.g. ``["edm", "min-snr:5"]``.
    space
        The loss space, or ``"lambda"`` for the density form.
    schedule
        The noise schedule.
    mixture
        The name of a 1-D example mixture whose ``E[W*]`` is added, or None.
    out
        The ``.png`` file to write (atomically).

    Returns
    -------
    str
        The path written.
    """
    from pathlib import Path

    import derive
    from numeric._io import atomic_write_bytes, check_output_dir, check_output_file, pyplot
    from numeric._validation import InvalidArgumentError
    from numeric.weighting_curves import (
        check_schedule_name,
        check_space_name,
        expected_optimal_curve,
        level_grid,
        weight_curve,
    )

    check_space_name(space)
    check_schedule_name(schedule)
    for text in names:
        derive.parse_weighting_name(text)
    if not str(out).endswith(".png"):
        raise InvalidArgumentError("--out", out, "not a .png file", "e.g. --out weights.png")
    target = Path(out)
    check_output_file("--out", target)
    check_output_dir("--out", target.parent if str(target.parent) else ".")
    gm = None
    if mixture is not None:
        from numeric._validation import check_one_dimensional
        from numeric.examples import example

        gm = example(mixture)
        check_one_dimensional(gm, "E[W*] curves")
    plt = pyplot("--out", out)
    t, _ = level_grid(schedule, 241)
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=110)
    for text in names:
        curve = weight_curve(text, space, schedule, t)
        ax.plot(curve.lam, curve.values, label=text)
    if gm is not None:
        coarse_t, _ = level_grid(schedule, 61)
        curve = expected_optimal_curve(gm, space, schedule, coarse_t)
        ax.plot(curve.lam, curve.values, "k--", label=f"E[W*] ({mixture})")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\lambda = \log \mathrm{SNR}$")
    ylabel = "density form W(lambda)" if space == "lambda" else f"weight of the {space} loss"
    ax.set_ylabel(ylabel)
    ax.set_title(f"schedule {schedule}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    # fixed metadata: the same inputs give the same bytes
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(target, buffer.getvalue())
    return str(target)

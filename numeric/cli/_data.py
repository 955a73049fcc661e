"""``dsmw data``: the optimal weighting of a data set.

Everything heavy is imported inside :func:`run` so that ``dsmw --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from numeric.cli._app import EXIT_OK, add_quiet, check_jobs_budget, progress_enabled

__all__ = ["add_parser", "run"]


def _components(text: str) -> int | tuple[int, int]:
    try:
        if "-" in text.strip("-"):
            low, high = text.split("-", 1)
            return int(low), int(high)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --components {text!r}: pass K (e.g. 10) or a range lo-hi for BIC "
            "(e.g. 1-8)") from None


def _sigmas(text: str) -> list[float]:
    """``a,b,c`` (explicit levels) or ``geom:lo:hi:n``."""
    try:
        if text.startswith("geom:"):
            _, low, high, count = text.split(":")
            import numpy as np

            return [float(s) for s in np.geomspace(float(low), float(high), int(count))]
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid --sigmas {text!r}: pass levels 'a,b,c' or 'geom:LO:HI:N' "
            "(e.g. geom:0.01:10:40)") from None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``dsmw data`` on the subparsers ``sub`` of the main parser."""
    data = sub.add_parser(
        "data", help="the optimal weighting of a data set: E[W*] of a fitted Gaussian "
        "mixture against every weighting",
        description="Fit a Gaussian mixture to a data set (scikit-learn, the 'data' extra), "
        "then compute tr E[W*]/d of the fitted analytic mixture by Monte Carlo "
        "with the exact posterior covariance at each draw (in VE score space over sigma by "
        "default, or in any --space on any --schedule over lambda = log SNR), its standard "
        "error, its spread within each level, the first-order prediction sigma^2 + sigma^4 tr J/d "
        "and the weighting zoo; print a table and a verdict (the weighting closest to "
        "E[W*] by mean absolute log ratio). Features of zero variance are dropped and "
        "reported; the rest are standardised unless --no-standardise.",
        epilog="examples: dsmw data --dataset iris;  dsmw data --dataset iris --schedule "
        "vp-cosine --space eps;  dsmw data --dataset digits --save notes;"
        "  dsmw data --file points.csv --components 1-6 --plot w.png")
    source = data.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", metavar="NAME",
                        help="a data set bundled with scikit-learn: digits, iris, wine, "
                        "breast_cancer")
    source.add_argument("--file", metavar="PATH",
                        help="a .npy array or .csv file (optional header), one point per row")
    data.add_argument("--components", type=_components, default=None, metavar="K|LO-HI",
                      help="mixture components K, or a range LO-HI chosen by BIC "
                      "(default 10 for digits, 1-6 otherwise)")
    data.add_argument("--covariance", choices=("full", "diag"), default="full",
                      help="component covariances (default full)")
    data.add_argument("--floor", type=float, default=None,
                      help="variance floor relative to the mean feature variance (default: "
                      "chosen by held-out log-likelihood)")
    data.add_argument("--no-standardise", action="store_true",
                      help="keep the features' own scales (zero-variance ones are still "
                      "dropped)")
    data.add_argument("--sigmas", type=_sigmas, default=None, metavar="LEVELS",
                      help="noise levels by sigma/alpha (sigma on ve and edm), 'a,b,c' or "
                      "'geom:LO:HI:N' (default geom:0.01:10:40 on ve)")
    data.add_argument("--schedule", default="ve", metavar="P",
                      help="noise schedule: ve, vp-linear, vp-cosine, rectified-flow, edm "
                      "(default ve); the posterior of x_t/alpha = x0 + (sigma/alpha) eps is "
                      "the VE one at sigma/alpha")
    data.add_argument("--space", default="score", metavar="S",
                      help="space of the weights: score, eps, x0, v, velocity, F (default "
                      "score); E[W*] and the zoo are converted with the derived k_X")
    data.add_argument("--levels", type=int, default=None, metavar="N",
                      help="N levels equally spaced in lambda = log SNR over the schedule's "
                      "range (default: the sigma grid on ve, 40 levels otherwise)")
    data.add_argument("--rel-se", type=float, default=0.01,
                      help="target standard error relative to the value (default 0.01)")
    data.add_argument("--max-draws", type=int, default=1 << 16,
                      help="cap of draws per noise level (default 65536)")
    data.add_argument("--no-sensitivity", action="store_true",
                      help="skip the refits at a tenth and ten times the floor")
    data.add_argument("--jobs", type=int, default=1, metavar="N",
                      help="worker processes over the noise levels (default 1; the result "
                      "does not depend on N)")
    data.add_argument("--seed", type=int, default=0, help="seed of the fit and every draw")
    data.add_argument("--label", default=None,
                      help="suffix of the run's name (saved as data-NAME-LABEL.json), e.g. "
                      "to keep a run with another --floor beside the default one")
    add_quiet(data)
    data.add_argument("--json", action="store_true",
                      help="print everything (fitted mixture included) as strict JSON")
    data.add_argument("--plot", metavar="FILE", default=None,
                      help="write the figure as PNG (needs the 'plots' extra)")
    data.add_argument("--save", metavar="DIR", default=None,
                      help="write DIR/data-NAME.json and .png and regenerate DIR/data.md "
                      "(use --save notes for the published note)")
    data.set_defaults(handler=run)
    return data


def run(args: argparse.Namespace) -> int:
    """Fit the data set, compute its optimal weighting and print (plot, save) the report."""
    from pathlib import Path

    from numeric._io import check_output_dir, check_output_file, strict_json
    from numeric._validation import (
        InvalidArgumentError,
        check_order,
        check_schedule,
        check_seed,
    )
    from numeric.data._schedule import check_schedule_name, check_space_name

    # The data library checks these only after loading and fitting: checked here, at the
    # door, with the library's own checks, so that a bad value is refused at once.
    check_seed(args.seed)
    check_order(args.jobs, minimum=1, name="jobs")
    check_jobs_budget(args.jobs)
    if args.sigmas is not None:
        check_schedule(args.sigmas, "sigmas")
    check_schedule_name(args.schedule)
    check_space_name(args.space)
    if not 0 < args.rel_se < 1:
        raise InvalidArgumentError("--rel-se", args.rel_se, "must lie in (0, 1)",
                                   "pass e.g. 0.01")
    if args.levels is not None:
        if args.levels < 2:
            raise InvalidArgumentError("--levels", args.levels, "need at least 2 levels",
                                       "pass e.g. --levels 40")
        if args.sigmas is not None:
            raise InvalidArgumentError("--levels", args.levels, "give either --levels or "
                                       "--sigmas", "drop one of them")
    if args.max_draws < 2:
        raise InvalidArgumentError("--max-draws", args.max_draws, "need at least 2 draws",
                                   "pass e.g. 65536")
    if args.floor is not None and not args.floor > 0:
        raise InvalidArgumentError("--floor", args.floor, "the variance floor must be > 0",
                                   "pass e.g. 0.01, or leave it out to choose it")
    # destinations and optional extras first, before a long computation
    if args.plot is not None:
        check_output_file("--plot", args.plot)
        check_output_dir("--plot", Path(args.plot).resolve().parent)
    if args.save is not None:
        check_output_dir("--save", args.save, ("data.md",))
    if args.plot is not None or args.save is not None:
        from numeric._io import pyplot

        pyplot("--plot" if args.plot is not None else "--save", args.plot or args.save)
    from numeric.data import (
        format_data_report,
        load_dataset,
        plot_report,
        save_report,
        timed_report,
    )

    dataset = load_dataset(args.dataset, args.file)
    if args.label is not None:
        import re

        if not re.fullmatch(r"[A-Za-z0-9._-]+", args.label):
            raise InvalidArgumentError("--label", args.label, "letters, digits, '.', '_' and "
                                       "'-' only", "pass e.g. --label floor-1e-6")
        from dataclasses import replace

        dataset = replace(dataset, name=f"{dataset.name}-{args.label}")
    if args.save is not None:  # the run's own files, now that its name is known
        for suffix in (".json", ".png"):
            check_output_file("--save", Path(args.save) / f"data-{dataset.name}{suffix}",
                              args.save)
    from numeric.data import default_components

    components = args.components
    if components is None:  # the library's default, clipped to the size of the data
        components = default_components(dataset.name, dataset.n_points)

    def progress(message: str) -> None:
        # each stage is a line of its own, on a terminal or not (none with --quiet)
        if progress_enabled(args):
            sys.stderr.write(f"dsmw data: {message}\n")

    report = timed_report(dataset, components=components, covariance_type=args.covariance,
                          floor=args.floor, standardise=not args.no_standardise,
                          sigmas=args.sigmas, seed=args.seed, rel_se=args.rel_se,
                          schedule=args.schedule, space=args.space, levels=args.levels,
                          max_draws=args.max_draws, jobs=args.jobs,
                          sensitivity=not args.no_sensitivity, progress=progress)
    written = []
    if args.plot is not None:
        from numeric._io import atomic_write_bytes

        written.append(atomic_write_bytes(args.plot, plot_report(report)))
    if args.save is not None:
        written += save_report(report, args.save)
    if args.json:
        print(strict_json(report, indent=1))
    else:
        print(format_data_report(report))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK

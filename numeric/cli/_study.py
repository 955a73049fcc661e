"""``dsmw study gradients|training``: the C8 and C9 studies of the weighting zoo."""

from __future__ import annotations

import argparse
from typing import Any

from numeric.cli._app import EXIT_OK, EXIT_USAGE, add_quiet, describe, error, progress_enabled

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register ``dsmw study`` on the subparsers ``sub``."""
    study = sub.add_parser(
        "study", help="gradient-variance (C8) and training (C9) studies of the weightings",
        description="Compare the weighting zoo (uniform, sigma^2, oracle W*, E[W*], EDM, "
        "Min-SNR, likelihood) on 1-D Gaussian mixtures: 'gradients' computes per-sample "
        "gradient covariance, curvature and sandwich under three normalisations (C8); "
        "'training' runs SGD and Adam over seeds and step sizes (C9).")
    study.add_argument("which", choices=("gradients", "training"), help="which study")
    study.add_argument("--seed", type=int, default=None,
                       help="seed of every random draw (default: a fixed seed, reported)")
    study.add_argument("--quick", action="store_true",
                       help="a smaller run (gradients 8-15 s, training 20-95 s on "
                       "2 cores, depending on load)")
    study.add_argument("--json", action="store_true", help="print the results as JSON")
    add_quiet(study)
    study.add_argument("--plots", metavar="DIR", default=None,
                       help="write matplotlib PNGs into DIR (needs the 'plots' extra)")
    study.add_argument("--save", metavar="DIR", default=None,
                       help="write DIR/study-<which>.json and regenerate DIR/study.md "
                       "(use --save notes for the published note)")
    study.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run one study; print (or save and plot) its results."""
    from numeric._io import check_output_dir, pyplot, strict_json
    from numeric._validation import check_seed
    from numeric.cli._progress import progress_printer
    from numeric.study import _report as report
    from numeric.study import _runner as runner

    # The runner seeds its generators only deep inside the run: the seed is checked here,
    # by the library's check, so that a bad one is refused at once.
    seed = check_seed(runner.DEFAULT_STUDY_SEED if args.seed is None else args.seed)
    # Fail early, before a long run: matplotlib missing, or a destination not writable.
    if args.plots is not None:
        pyplot("--plots", args.plots)
        check_output_dir("--plots", args.plots, (report.FIGURE_NAMES[args.which],))
    if args.save is not None:
        check_output_dir("--save", args.save, (f"study-{args.which}.json", "study.md"))
    show = progress_printer(progress_enabled(args), lambda label: label,
                           command=f"dsmw study {args.which}")
    study = runner.gradient_study if args.which == "gradients" else runner.training_study

    def progress(done: int, total: int, label: str) -> None:
        if show is not None:
            show(done, total, label)

    result = study(quick=args.quick, seed=seed, progress=progress)
    written = []
    try:
        if args.plots is not None:
            written += report.write_plots(args.plots, **{args.which: result})
        if args.save is not None:
            written += report.save_study(result, args.save)
    except (OSError, ValueError) as exc:  # the run is done: never lose it
        print(strict_json(result, indent=1))
        error(args, f"saving failed after the run ({describe(exc)}); the results are "
              "printed above as JSON")
        return EXIT_USAGE
    if args.json:
        print(strict_json(result, indent=1))
    else:
        summary = (report.format_gradient_summary if args.which == "gradients"
                   else report.format_training_summary)
        print(summary(result))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK

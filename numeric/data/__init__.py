"""The optimal weighting of real data: Gaussian mixtures fitted to data sets.

Load a data set (:func:`load_dataset`), drop its zero-variance features and standardise
it (:func:`prepare`), fit a Gaussian mixture with scikit-learn (:func:`fit_mixture`, the
``data`` extra), and compute the expected optimal weight ``tr E[W*](sigma)/d`` of the
fitted analytic mixture with its error, spread and first-order prediction
(:func:`expected_weight_curve`) against the weighting zoo (:func:`zoo_weights`), in VE score
space or in any space on any schedule (:func:`schedule_levels`);
:func:`data_report` runs all of it. The checks of the pipeline are in
:mod:`numeric.data` too (:func:`convergence_check`, :func:`quadrature_check`,
:func:`slope_check`).
"""

from numeric.data._checks import (
    ConvergenceResult,
    convergence_check,
    quadrature_check,
    slope_check,
)
from numeric.data._curve import (
    QUANTILES,
    ExpectedWeightCurve,
    LevelResult,
    expected_weight_curve,
    fisher_trace,
    hill_tail_index,
    trace_optimal_weight,
)
from numeric.data._fit import (
    DEFAULT_FLOORS,
    FittedMixture,
    default_components,
    fit_mixture,
    to_numeric_mixture,
)
from numeric.data._load import BUNDLED_DATASETS, Dataset, Prepared, load_dataset, prepare
from numeric.data._report import (
    data_notes,
    format_data_report,
    plot_report,
    save_report,
    strict_json,
)
from numeric.data._run import DEFAULT_SIGMAS, compare_weightings, data_report, timed_report
from numeric.data._schedule import (
    DEFAULT_LEVELS,
    ScheduleLevels,
    optimal_weight_factor,
    schedule_levels,
    trace_weight_on_schedule,
)
from numeric.data._zoo import zoo_weights

__all__ = [
    "BUNDLED_DATASETS",
    "DEFAULT_FLOORS",
    "DEFAULT_LEVELS",
    "DEFAULT_SIGMAS",
    "QUANTILES",
    "ConvergenceResult",
    "Dataset",
    "ExpectedWeightCurve",
    "FittedMixture",
    "LevelResult",
    "Prepared",
    "ScheduleLevels",
    "compare_weightings",
    "convergence_check",
    "data_notes",
    "data_report",
    "default_components",
    "expected_weight_curve",
    "fisher_trace",
    "fit_mixture",
    "format_data_report",
    "hill_tail_index",
    "load_dataset",
    "optimal_weight_factor",
    "plot_report",
    "prepare",
    "quadrature_check",
    "save_report",
    "schedule_levels",
    "slope_check",
    "strict_json",
    "timed_report",
    "to_numeric_mixture",
    "trace_optimal_weight",
    "trace_weight_on_schedule",
    "zoo_weights",
]

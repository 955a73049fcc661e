"""Gradient variance and training studies of the DSM weightings (claims C8, C9).

Public API (re-exported; implementation in the submodules):

* models: :class:`ComponentMeansModel`, :class:`FeatureModel`, :func:`mixture_score_1d`
* weightings: :func:`weighting_zoo`, :class:`StudyWeighting`
* C8: :func:`gradient_moments`, :func:`quadrature_grid`, :func:`normalised`,
  :func:`pointwise_ratio`, :func:`monte_carlo_gradient_covariance`, :func:`gradient_study`
* C9: :func:`train`, :func:`score_error`, :func:`training_study`
* reports: :func:`render_study_notes`, :func:`study_notes`, :func:`save_study`,
  :func:`write_plots`
"""

from numeric.study._gradients import (
    NORMALISATIONS,
    GradientMoments,
    best_fit,
    gradient_moments,
    monte_carlo_gradient_covariance,
    normalised,
    pointwise_ratio,
    quadrature_grid,
    second_moment_variance,
    second_moment_z_test,
)
from numeric.study._models import ComponentMeansModel, FeatureModel, mixture_score_1d
from numeric.study._report import render_study_notes, save_study, study_notes, write_plots
from numeric.study._runner import DEFAULT_STUDY_SEED, gradient_study, training_study
from numeric.study._training import score_error, train
from numeric.study._weightings import StudyWeighting, weighting_zoo

__all__ = [
    "DEFAULT_STUDY_SEED",
    "NORMALISATIONS",
    "ComponentMeansModel",
    "FeatureModel",
    "GradientMoments",
    "StudyWeighting",
    "best_fit",
    "gradient_moments",
    "gradient_study",
    "mixture_score_1d",
    "monte_carlo_gradient_covariance",
    "normalised",
    "pointwise_ratio",
    "quadrature_grid",
    "render_study_notes",
    "save_study",
    "score_error",
    "second_moment_variance",
    "second_moment_z_test",
    "study_notes",
    "train",
    "training_study",
    "weighting_zoo",
    "write_plots",
]

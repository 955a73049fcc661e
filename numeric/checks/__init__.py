"""The verification layer: every claim checked against references independent of it.

One module per claim, mirroring ``derive/_claims/`` (``mix``, ``noise``, ``c1_mean`` ..
``c7_edm``, ``p1_spaces``); each opens with its checks grouped by method and ends with its
``TASKS`` table (names, methods and the run sizes of a quick and a full run, as data).
Private modules hold what they share: the records (``_records``), the runner
(``_runner``), ``verify`` and the claim registry (``_verify``), evaluation of derive's
formulas (``_derived``), shared settings and grids (``_shared``), Monte Carlo estimates
(``_draws``) and P1's references (``_p1_reference``).
"""

from numeric.checks._draws import (
    JOINT_DRAWS_QUICK,
    joint_draw_estimate,
    posterior_draw_estimate,
)
from numeric.checks._records import (
    METHODS,
    Check,
    CheckTask,
    ClaimResult,
    TaskSpec,
    VerifyReport,
    relative_error,
)
from numeric.checks._runner import run_tasks, task_rng
from numeric.checks._verify import (
    CLAIM_MODULES,
    CLAIM_TITLES,
    CONSUMES,
    DEFAULT_SEED,
    CalibrationTask,
    calibration_tasks,
    claim_ids,
    tasks,
    verify,
)
from numeric.checks.c7_edm import edm_weight

__all__ = [
    "CLAIM_MODULES",
    "CLAIM_TITLES",
    "CONSUMES",
    "DEFAULT_SEED",
    "JOINT_DRAWS_QUICK",
    "METHODS",
    "CalibrationTask",
    "Check",
    "CheckTask",
    "ClaimResult",
    "TaskSpec",
    "VerifyReport",
    "calibration_tasks",
    "claim_ids",
    "edm_weight",
    "joint_draw_estimate",
    "posterior_draw_estimate",
    "relative_error",
    "run_tasks",
    "task_rng",
    "tasks",
    "verify",
]

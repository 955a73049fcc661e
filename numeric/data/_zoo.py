"""The weighting zoo on a noise schedule, in the space of ``tr E[W*]/d``.

Every weighting is one of :func:`derive.weightings`, converted there to a weight on the
first-order score loss ``||s - T_1||^2`` under the variance-exploding convention
``x~ = x + sigma E`` (``alpha = 1``, so ``SNR = 1/sigma^2``); this module only substitutes
the data's ``sigma_data``, the constants below and the schedule's ends, and evaluates on
the grid.
That one function, :func:`zoo_weights`, is the only place the zoo is evaluated.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError

__all__ = ["MIN_SNR_GAMMA", "P2_GAMMA", "P2_K", "zoo_weights"]

Array = NDArray[np.float64]

#: gamma of Min-SNR-gamma (Hang et al. 2023 recommend 5).
MIN_SNR_GAMMA = 5.0
#: k and gamma of P2 (Choi et al. 2022 use k = 1 and gamma = 1 or 0.5).
P2_K, P2_GAMMA = 1.0, 1.0

# derive's name -> (reported name, gamma to substitute)
_USED = {
    "uniform": ("uniform", None),
    "ncsn": ("sigma^2 (NCSN)", None),
    "edm": ("EDM", None),
    "min-snr": ("Min-SNR-5", MIN_SNR_GAMMA),
    "p2": ("P2 (k=1, gamma=1)", P2_GAMMA),
    "likelihood": ("likelihood (VE, geometric)", None),
}
#: derive's "optimal-gaussian" is EDM's weight with s_d = sigma_data: not repeated.


#: Unit weights native to other spaces, shown on every schedule but ``ve`` (on ``ve`` they
#: are the NCSN weight or multiples of sigma^4, which nobody trains with).
_UNIT = {
    "ddpm": ("DDPM (eps, 1)", None),
    "v-prediction": ("v-prediction (v, 1)", None),
    "rectified-flow": ("rectified flow (velocity, 1)", None),
}


def zoo_weights(sigmas: Array, sigma_data: float, space: str = "score", schedule: str = "ve",
                t: Array | None = None, parameters: dict[str, float] | None = None
                ) -> dict[str, Array]:
    """Weights of the zoo in ``space`` on ``schedule`` for data of scale ``sigma_data``.

    On ``ve`` and ``edm`` (``alpha = 1``) the weights are evaluated at ``sigmas``; on the
    other schedules at the times ``t``. ``parameters`` binds the schedule's parameters
    (default: the ends of ``sigmas`` on ``ve``, the schedule's defaults elsewhere); on
    ``ve`` the likelihood weighting is that of a geometric schedule between them.

    Examples
    --------
    >>> import numpy as np
    >>> w = zoo_weights(np.array([0.1, 1.0]), 1.0)
    >>> bool(np.allclose(w["sigma^2 (NCSN)"], [0.01, 1.0]))
    True
    >>> bool(np.allclose(w["EDM"], [0.01 * 1.01, 2.0]))      # sigma^2 (sigma^2 + s^2)/s^2
    True
    >>> e = zoo_weights(np.array([0.1, 1.0]), 1.0, space="eps")
    >>> bool(np.allclose(e["sigma^2 (NCSN)"], [1.0, 1.0]))    # sigma^2 k_score / k_eps
    True
    """
    import sympy as sp

    import derive

    levels = np.asarray(sigmas, dtype=np.float64)
    by_sigma = schedule in ("ve", "edm")
    if not by_sigma and t is None:
        raise InvalidArgumentError("t", None, f"the {schedule} schedule is evaluated at times "
                                   "t", "pass t")
    at = levels if by_sigma else np.asarray(t, dtype=np.float64)
    variable = derive.sigma if by_sigma else derive.spaces.time
    values = {"sigma_data": float(sigma_data), "k": P2_K}
    if parameters is not None:
        values.update(parameters)
    elif schedule == "ve":
        values.update(sigma_min=float(levels.min()), sigma_max=float(levels.max()))
    else:
        values.update({s.name: float(v) for s, v in derive.spaces.schedule(schedule).parameters})
    used = dict(_USED) if schedule == "ve" else {**_USED, **_UNIT}
    out: dict[str, Array] = {}
    for weighting in derive.weightings():
        if weighting.name not in used:
            continue
        name, gamma = used[weighting.name]
        if weighting.name == "likelihood" and schedule != "ve":
            name = "likelihood g^2"
        if schedule == "ve" and space == "score":
            expr = weighting.score_space
        else:
            expr = weighting.in_space(space, schedule, variable="sigma" if by_sigma else "t",
                                      simplify=False)
        bound = {s: values[s.name] for s in expr.free_symbols if s.name in values}
        bound.update({s: gamma for s in expr.free_symbols if s.name == "gamma"})
        function = sp.lambdify(variable, expr.subs(bound), "numpy")
        out[name] = np.broadcast_to(np.asarray(function(at), dtype=np.float64),
                                    at.shape).copy()
    return out

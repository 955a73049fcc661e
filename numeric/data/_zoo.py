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


def zoo_weights(sigmas: Array, sigma_data: float) -> dict[str, Array]:
    """Score-space weights of the zoo at ``sigmas`` for data of scale ``sigma_data``.

    The likelihood weighting is that of a geometric schedule between the ends of
    ``sigmas``.

    Examples
    --------
    >>> import numpy as np
    >>> w = zoo_weights(np.array([0.1, 1.0]), 1.0)
    >>> bool(np.allclose(w["sigma^2 (NCSN)"], [0.01, 1.0]))
    True
    >>> bool(np.allclose(w["EDM"], [0.01 * 1.01, 2.0]))      # sigma^2 (sigma^2 + s^2)/s^2
    True
    """
    import sympy as sp

    import derive

    levels = np.asarray(sigmas, dtype=np.float64)
    values = {"sigma_data": float(sigma_data), "k": P2_K,
              "sigma_min": float(levels.min()), "sigma_max": float(levels.max())}
    out: dict[str, Array] = {}
    for weighting in derive.weightings():
        if weighting.name not in _USED:
            continue
        name, gamma = _USED[weighting.name]
        expr = weighting.score_space
        bound = {s: values[s.name] for s in expr.free_symbols if s.name in values}
        bound.update({s: gamma for s in expr.free_symbols if s.name == "gamma"})
        function = sp.lambdify(derive.sigma, expr.subs(bound), "numpy")
        out[name] = np.broadcast_to(np.asarray(function(levels), dtype=np.float64),
                                    levels.shape).copy()
    return out

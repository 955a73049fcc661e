"""Independent references of claim P1: the six targets, the five schedules, the sampling
densities and the zoo's textbook definitions, written in NumPy from their definitions.

Nothing here comes from :mod:`derive`: these are what derive's records, conversions and
density forms are compared with (:mod:`numeric.checks.p1_spaces`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

import derive

__all__ = [
    "CHECK_RANGE",
    "FULL_RANGE",
    "SAMPLE_TOL",
    "SCHEDULE_DEFAULTS",
    "TEXTBOOK_DEFAULTS",
    "TEXTBOOK_SPACES",
    "VALUES",
    "g_squared",
    "lambda_speed",
    "native_weight",
    "reference_density",
    "reference_schedule",
    "reference_targets",
    "rounding_scale",
    "schedule_values",
    "squared_errors",
    "textbook_weight",
]

Array = NDArray[np.float64]

#: Per-sample identities: a sum of a few products in double precision.
SAMPLE_TOL = 1e-12


SCHEDULE_DEFAULTS = {"sigma_min": 0.01, "sigma_max": 50.0, "beta_min": 0.1, "beta_max": 20.0}

#: Each family's parameters in the order a schedule name gives them, with the defaults of
#: the sources (score_sde's VESDE/VPSDE/subVPSDE, EDM's sampling range, VDM's gamma range).
_FAMILY_PARAMETERS = {
    "ve": (("sigma_min", 0.01), ("sigma_max", 50.0)),
    "vp-linear": (("beta_min", 0.1), ("beta_max", 20.0)),
    "sub-vp": (("beta_min", 0.1), ("beta_max", 20.0)),
    "edm": (("sigma_min", 0.002), ("sigma_max", 80.0)),
    "linear-logsnr": (("lambda_min", -5.0), ("lambda_max", 13.3)),
    "vp-cosine": (("cosine_s", 0.0),),
    "rectified-flow": (),
}

#: The clamp of the offset cosine schedule on alpha^2 (StableCascade's GDF CosineSchedule).
COSINE_CLAMP = (1e-4, 1 - 1e-4)


def schedule_values(name: str) -> dict[str, float]:
    """The parameters of a schedule name ``FAMILY[:P...][:shift=S]`` by name (``shift`` 1
    where it has none), read from the text here (not through derive)."""
    family, *rest = name.split(":")
    out = {"shift": 1.0}
    if rest and rest[-1].startswith("shift="):
        out["shift"] = float(rest.pop().split("=", 1)[1])
    names = _FAMILY_PARAMETERS[family]
    numbers = [float(r) for r in rest] or [v for _, v in names]
    out.update({k: v for (k, _), v in zip(names, numbers, strict=True)})
    return out


def _cosine_time(s: float, c: float) -> float:
    """The t where the offset cosine has ``alpha^2 = c``: ``cos(theta)^2 = c cos(theta_0)^2``."""
    theta0 = s / (1 + s) * np.pi / 2
    return float(np.arccos(np.sqrt(c) * np.cos(theta0)) * (1 + s) * 2 / np.pi - s)


class _Ranges(dict):
    """t ranges by schedule name, worked out on first use from the family's definition:
    ``full`` the schedule's own range, else the range of the numerical checks (inside it,
    away from lambda = +-inf)."""

    def __init__(self, full: bool) -> None:
        super().__init__()
        self.full = full

    def __missing__(self, name: str) -> tuple[float, float]:
        v, family = schedule_values(name), name.split(":")[0]
        if family == "edm":
            low, high = v["sigma_min"], v["sigma_max"]
            value = (low, high) if self.full else (5 * low, high / 4)
        elif family == "vp-cosine" and v["cosine_s"] > 0:
            low, high = (_cosine_time(v["cosine_s"], c) for c in reversed(COSINE_CLAMP))
            inset = 0 if self.full else 0.02 * (high - low)
            value = (low + inset, high - inset)
        elif family in ("ve", "linear-logsnr") or self.full:
            value = (0.0, 1.0)
        else:
            value = (0.02, 0.98)
        self[name] = value
        return value


#: t ranges of the numerical checks (inside each schedule's range, away from lambda = +-inf).
CHECK_RANGE = _Ranges(full=False)
FULL_RANGE = _Ranges(full=True)


VALUES = {"sigma_data": 0.5, "P_mean": -1.2, "P_std": 1.2, "gamma": 5.0, "k": 1.0,
           "m": 0.0, "s": 1.0, "b": 2.0}


def reference_schedule(name: str, t: Array) -> dict[str, Array]:
    """``alpha, sigma, alpha', sigma'`` of a schedule, from its definition (with its
    parameters and shift, :func:`schedule_values`)."""
    t = np.asarray(t, dtype=np.float64)
    v, family = schedule_values(name), name.split(":")[0]
    level = _unshifted(family, v, t)
    shift = v["shift"]
    if shift == 1.0:
        return level
    a, s, da, ds = level["alpha"], shift * level["sigma"], level["alpha'"], shift * level["sigma'"]
    if family in ("ve", "edm"):            # alpha = 1: sigma -> S sigma
        return {"alpha": a, "sigma": s, "alpha'": da, "sigma'": ds}
    if family == "rectified-flow":         # SD3: sigma -> S sigma/(1 + (S - 1) sigma)
        norm, dnorm = a + s, da + ds
    elif family in ("vp-linear", "vp-cosine", "linear-logsnr"):
        norm = np.sqrt(a**2 + s**2)        # stay variance preserving
        dnorm = (a * da + s * ds) / norm
    else:
        raise KeyError(name)
    return {"alpha": a / norm, "sigma": s / norm, "alpha'": da / norm - a * dnorm / norm**2,
            "sigma'": ds / norm - s * dnorm / norm**2}


def _unshifted(name: str, v: dict, t: Array) -> dict[str, Array]:
    one, zero = np.ones_like(t), np.zeros_like(t)
    if name == "ve":
        lo, hi = v["sigma_min"], v["sigma_max"]
        sigma = lo * (hi / lo) ** t
        return {"alpha": one, "sigma": sigma, "alpha'": zero, "sigma'": sigma * math.log(hi / lo)}
    if name in ("vp-linear", "sub-vp"):
        b0, b1 = v["beta_min"], v["beta_max"]
        beta = b0 + (b1 - b0) * t
        integral = b0 * t + (b1 - b0) * t**2 / 2
        alpha = np.exp(-integral / 2)
        if name == "sub-vp":   # score_sde's subVPSDE: std = 1 - exp(-int beta)
            return {"alpha": alpha, "sigma": -np.expm1(-integral), "alpha'": -beta * alpha / 2,
                    "sigma'": beta * alpha**2}
        sigma = np.sqrt(-np.expm1(-integral))
        return {"alpha": alpha, "sigma": sigma, "alpha'": -beta * alpha / 2,
                "sigma'": beta * alpha**2 / (2 * sigma)}
    if name == "vp-cosine" and v["cosine_s"] > 0:
        # improved DDPM: alpha_bar = f(t)/f(0), f = cos((t + s)/(1 + s) pi/2)^2
        s = v["cosine_s"]
        theta, rate = (t + s) / (1 + s) * np.pi / 2, np.pi / (2 * (1 + s))
        c0 = np.cos(s / (1 + s) * np.pi / 2)
        alpha = np.cos(theta) / c0
        sigma = np.sqrt(1 - alpha**2)
        dalpha = -rate * np.sin(theta) / c0
        return {"alpha": alpha, "sigma": sigma, "alpha'": dalpha, "sigma'": -alpha * dalpha / sigma}
    if name == "vp-cosine":
        angle = np.pi * t / 2
        return {"alpha": np.cos(angle), "sigma": np.sin(angle),
                "alpha'": -np.pi / 2 * np.sin(angle), "sigma'": np.pi / 2 * np.cos(angle)}
    if name == "rectified-flow":
        return {"alpha": 1 - t, "sigma": t, "alpha'": -one, "sigma'": one}
    if name == "edm":
        return {"alpha": one, "sigma": t, "alpha'": zero, "sigma'": one}
    if name == "linear-logsnr":   # VDM: alpha^2 = sigmoid(lambda), lambda linear in t
        lo, hi = v["lambda_min"], v["lambda_max"]
        level, speed = hi - (hi - lo) * t, hi - lo
        alpha, sigma = np.sqrt(1 / (1 + np.exp(-level))), np.sqrt(1 / (1 + np.exp(level)))
        return {"alpha": alpha, "sigma": sigma, "alpha'": -alpha * sigma**2 * speed / 2,
                "sigma'": sigma * alpha**2 * speed / 2}
    raise KeyError(name)


def reference_targets(x0: Array, eps: Array, a: Array, s: Array, da: Array, ds: Array,
                      sigma_data: float | Array) -> dict[str, Array]:
    """Each space's target at ``x_t = a x0 + s eps`` (EDM's ``F`` at level ``s/a``)."""
    x_t = a * x0 + s * eps
    level = s / a
    c_skip = sigma_data**2 / (level**2 + sigma_data**2)
    c_out = level * sigma_data / np.sqrt(level**2 + sigma_data**2)
    return {"score": -eps / s, "eps": eps, "x0": x0, "v": a * eps - s * x0,
            "velocity": da * x0 + ds * eps, "F": (x0 - c_skip * x_t / a) / c_out}


def squared_errors(x0: Array, eps: Array, eps_hat: Array, level: dict[str, Array],
                   sigma_data: float | Array) -> dict[str, Array]:
    """``||X_hat - X||^2`` in every space, every prediction mapped through ``eps_hat``."""
    a, s, da, ds = level["alpha"], level["sigma"], level["alpha'"], level["sigma'"]
    x_t = a * x0 + s * eps
    x0_hat = (x_t - s * eps_hat) / a
    truth = reference_targets(x0, eps, a, s, da, ds, sigma_data)
    predicted = reference_targets(x0_hat, eps_hat, a, s, da, ds, sigma_data)
    return {k: (predicted[k] - truth[k]) ** 2 for k in truth}


def rounding_scale(x0: Array, eps: Array, eps_hat: Array, level: dict[str, Array],
                    sigma_data: Array) -> dict[str, Array]:
    """Per space, the floor of the relative error of ``(X_hat - X)^2 = k_X (eps_hat -
    eps)^2``: rounding of 10 ulp in the terms it is computed from, divided by ``1e-12``.

    ``X_hat - X`` subtracts terms as large as the targets evaluated on absolute values
    (``truth``, ``predicted``), and ``k_X`` itself can cancel (the velocity's
    ``sigma' - alpha' sigma/alpha``): its terms give the absolute coefficient
    ``c_abs >= sqrt(k_X)``. So ``|lhs - rhs| <= 10 u (2 c_abs |d| size + 2 c_abs^2 d^2)``
    with ``d = eps_hat - eps``, and a relative error below ``1e-12`` against
    ``ref + floor`` means agreement to rounding of those terms; a wrong ``k_X`` is off
    by O(1) wherever the floor does not dominate (most draws).
    """
    a, s = np.abs(level["alpha"]), np.abs(level["sigma"])
    da, ds = np.abs(level["alpha'"]), np.abs(level["sigma'"])
    ax0, aeps, aeh = np.abs(x0), np.abs(eps), np.abs(eps_hat)
    x_t = a * ax0 + s * aeps
    x0_hat = (x_t + s * aeh) / a

    def sizes(x: Array, e: Array, xt: Array) -> dict[str, Array]:
        edm_level = s / a
        c_skip = sigma_data**2 / (edm_level**2 + sigma_data**2)
        c_out = edm_level * sigma_data / np.sqrt(edm_level**2 + sigma_data**2)
        return {"score": e / s, "eps": e, "x0": x, "v": a * e + s * x,
                "velocity": da * x + ds * e, "F": (x + c_skip * xt / a) / c_out}

    truth, predicted = sizes(ax0, aeps, x_t), sizes(x0_hat, aeh, x_t)
    coefficient = sizes(s / a, np.ones_like(s), np.zeros_like(s))
    gap = np.abs(eps_hat - eps)
    ten_ulp = 10 * np.finfo(np.float64).eps
    return {k: ten_ulp / SAMPLE_TOL * (2 * coefficient[k] * gap * (truth[k] + predicted[k])
                                       + 2 * coefficient[k] ** 2 * gap**2) for k in truth}


def reference_density(record: derive.Weighting, schedule: str, t: Array,
                       level: dict[str, Array]) -> Array:
    """The weighting's sampling density ``p(t)`` from its definition."""
    if record.name == "edm":  # ln(sigma/alpha) ~ N(P_mean, P_std^2)
        u = np.log(level["sigma"] / level["alpha"])
        du = level["sigma'"] / level["sigma"] - level["alpha'"] / level["alpha"]
        z = (u - VALUES["P_mean"]) / VALUES["P_std"]
        return np.exp(-z**2 / 2) / (VALUES["P_std"] * np.sqrt(2 * np.pi)) * np.abs(du)
    if record.name == "sd3":  # logit(t) ~ N(m, s^2)
        z = (np.log(t / (1 - t)) - VALUES["m"]) / VALUES["s"]
        return np.exp(-z**2 / 2) / (VALUES["s"] * np.sqrt(2 * np.pi) * t * (1 - t))
    low, high = FULL_RANGE[schedule]
    return np.full_like(t, 1.0 / (high - low))


#: The zoo as the papers define it (native space, defaults of the parameters), written here
#: without derive: the reference the records of ``derive.weightings()`` are compared with.
TEXTBOOK_SPACES = {"uniform": "score", "ncsn": "score", "ddpm": "eps", "edm": "x0",
                   "min-snr": "x0", "p2": "eps", "likelihood": "score", "v-prediction": "v",
                   "rectified-flow": "velocity", "sd3": "velocity", "sigmoid": "lambda",
                   "optimal-gaussian": "eps"}


TEXTBOOK_DEFAULTS = {"edm": {"sigma_data": 0.5, "P_mean": -1.2, "P_std": 1.2},
                     "sd3": {"m": 0.0, "s": 1.0}}


def lambda_speed(level: dict[str, Array]) -> Array:
    """``-dlambda/dt = -2 ((log alpha)' - (log sigma)')`` from the schedule's definition."""
    return -2 * (level["alpha'"] / level["alpha"] - level["sigma'"] / level["sigma"])


def g_squared(level: dict[str, Array]) -> Array:
    """The forward SDE's ``g^2 = d sigma^2/dt - 2 (log alpha)' sigma^2``."""
    a, s, da, ds = level["alpha"], level["sigma"], level["alpha'"], level["sigma'"]
    return 2 * s * ds - 2 * da / a * s**2


def textbook_weight(name: str, t: Array, level: dict[str, Array]) -> Array:
    """The weight of ``name`` in its native space (:data:`TEXTBOOK_SPACES`), from its paper:
    NCSN sigma^2 (score), DDPM 1 (eps), EDM (sigma_e^2 + sigma_data^2)/(sigma_e sigma_data)^2
    at EDM's level sigma_e = sigma/alpha (x0), Min-SNR min(SNR, gamma) (x0), P2
    (k + SNR)^-gamma (eps), likelihood g^2 (score), v-prediction, rectified flow and SD3 1,
    Kingma-Gao's sigmoid(b - lambda) (per unit lambda), and the Gaussian-data optimum
    1 + 1/(SNR s^2) (eps)."""
    a, s = level["alpha"], level["sigma"]
    snr, one, v = a**2 / s**2, np.ones_like(np.asarray(t, dtype=np.float64)), VALUES
    level_edm = s / a
    weights = {
        "uniform": one, "ncsn": s**2, "ddpm": one, "v-prediction": one,
        "rectified-flow": one, "sd3": one,
        "edm": (level_edm**2 + v["sigma_data"] ** 2) / (level_edm * v["sigma_data"]) ** 2,
        "min-snr": np.minimum(snr, v["gamma"]),
        "p2": (v["k"] + snr) ** -v["gamma"],
        "likelihood": g_squared(level),
        "sigmoid": 1 / (1 + np.exp(np.log(snr) - v["b"])),
        "optimal-gaussian": 1 + 1 / (snr * v["s"] ** 2),
    }
    return weights[name]


def native_weight(record: derive.Weighting, schedule: str, t: Array,
                   level: dict[str, Array]) -> tuple[str, Array]:
    """``(space, w)``: the weighting's textbook definition (not derive's record), as a
    weight of a loss in ``space`` (a density form is turned into an ``eps`` weight)."""
    space = TEXTBOOK_SPACES[record.name]
    with np.errstate(all="ignore"):
        w = np.broadcast_to(textbook_weight(record.name, t, level), np.shape(t))
    if space != "lambda":
        return space, np.asarray(w, dtype=np.float64)
    return "eps", w * lambda_speed(level) / reference_density(record, schedule, t, level)

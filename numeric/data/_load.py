"""Loading a data set and preparing it for a Gaussian-mixture fit.

Preparation, in this order: features whose values are all equal (zero variance, e.g.
the constant border pixels of ``digits``) are dropped and reported, because a fitted
variance there would be the regularisation alone and would dominate ``W*``; then, if
asked (the default), every remaining feature is standardised to mean 0 and standard
deviation 1 (population standard deviation, ``ddof = 0``), so that noise levels
``sigma`` are in units of a feature's spread and the variance floor is relative to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from numeric._validation import InvalidArgumentError

__all__ = ["BUNDLED_DATASETS", "Dataset", "load_dataset", "prepare"]

Array = NDArray[np.float64]

#: scikit-learn's bundled data sets (shipped inside the package, no download).
BUNDLED_DATASETS = ("digits", "iris", "wine", "breast_cancer")


@dataclass(frozen=True)
class Dataset:
    """A data matrix (``n`` points by ``d`` features) and where it came from."""

    name: str
    data: Array
    source: str

    @property
    def n_points(self) -> int:
        return int(self.data.shape[0])

    @property
    def dim(self) -> int:
        return int(self.data.shape[1])


def sklearn(what: str, value: Any) -> Any:
    """``sklearn.datasets``, or an error naming the argument that needs it."""
    try:
        import sklearn
    except ImportError:
        raise InvalidArgumentError(
            what, value, "this needs scikit-learn, which is not installed",
            "install the optional extra: pip install -e '.[data]'") from None
    import sklearn.datasets

    return sklearn.datasets


def _checked_matrix(name: str, array: Any, source: str) -> Array:
    """``array`` as a finite (points x features) matrix; messages name ``source`` (the
    path or the data set) and, for a bad entry, its row."""
    try:
        data = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(name, source, f"not a numeric matrix ({exc})",
                                   "pass a file of real numbers, one point per row") from None
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise InvalidArgumentError(name, source, f"expected a 2-D array (points x "
                                   f"features), got {data.ndim} dimensions of shape "
                                   f"{data.shape}", "save one point per row")
    if not np.all(np.isfinite(data)):
        rows = np.flatnonzero(~np.all(np.isfinite(data), axis=1))
        raise InvalidArgumentError(name, source, f"{rows.size} row(s) hold NaN or infinite "
                                   f"entries, the first is row {int(rows[0]) + 1} "
                                   "(counting from 1, header excluded)",
                                   "remove or impute the missing values first")
    if data.shape[0] < 3:
        raise InvalidArgumentError(name, source,
                                   f"{data.shape[0]} point(s); need at least 3 points",
                                   "pass a larger data set")
    return data


def _read_csv(path: Path) -> Array:
    with path.open(encoding="utf-8") as stream:
        first = stream.readline()
    tokens = [t.strip() for t in first.replace(";", ",").split(",")]

    def numeric(token: str) -> bool:
        try:
            float(token)
        except ValueError:
            return False
        return True

    header = 0 if all(numeric(t) for t in tokens if t) else 1
    with path.open(encoding="utf-8") as stream:
        rows = sum(1 for line in stream if line.strip())
    if rows <= header:  # loadtxt would only warn and return an empty array
        raise InvalidArgumentError("--file", str(path), "the file holds no data rows",
                                   "pass a CSV file with one point per row")
    try:
        return np.loadtxt(path, delimiter=",", skiprows=header, ndmin=2)
    except ValueError as exc:
        raise InvalidArgumentError("--file", str(path), f"not a numeric CSV ({exc})",
                                   "use comma-separated numbers, an optional header row "
                                   "and no missing values") from None


def load_dataset(name: str | None = None, path: str | Path | None = None) -> Dataset:
    """A bundled scikit-learn data set by ``name``, or a ``.npy`` / ``.csv`` file at ``path``.

    Parameters
    ----------
    name : str, optional
        One of :data:`BUNDLED_DATASETS` (needs the ``data`` extra).
    path : str or Path, optional
        A ``.npy`` array or a comma-separated ``.csv`` file (an optional header row),
        one point per row.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = file.write_text("a,b\\n1,2\\n3,4\\n5,7\\n")
    >>> load_dataset(path=file).data.shape
    (3, 2)
    """
    if (name is None) == (path is None):
        raise InvalidArgumentError("dataset", (name, path), "give exactly one of a bundled "
                                   "data set name and a file", "pass --dataset NAME or "
                                   "--file PATH")
    if name is not None:
        if name not in BUNDLED_DATASETS:
            raise InvalidArgumentError("--dataset", name, "unknown bundled data set",
                                       f"choose one of {', '.join(BUNDLED_DATASETS)} or "
                                       "pass --file PATH")
        datasets = sklearn("--dataset", name)
        data = getattr(datasets, f"load_{name}")().data
        return Dataset(name, _checked_matrix("--dataset", data, name),
                       f"scikit-learn's bundled `{name}` data set")
    file = Path(path)  # type: ignore[arg-type]
    if file.is_dir():
        raise InvalidArgumentError("--file", str(file), "a directory, not a file",
                                   "pass the path of a .npy or .csv file")
    if not file.is_file():
        raise InvalidArgumentError("--file", str(file), "no such file",
                                   "pass the path of a .npy or .csv file")
    suffix = file.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(file, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InvalidArgumentError("--file", str(file), f"not a NumPy array ({exc})",
                                       "save the data with numpy.save") from None
    elif suffix == ".csv":
        array = _read_csv(file)
    else:
        raise InvalidArgumentError("--file", str(file), f"unknown file type {suffix!r}",
                                   "pass a .npy or .csv file")
    return Dataset(file.stem, _checked_matrix("--file", array, str(file)),
                   f"file `{file.name}`")


@dataclass(frozen=True)
class Prepared:
    """The data as fitted: kept features, their centring and scaling, what was dropped."""

    data: Array
    kept: tuple[int, ...]
    dropped: tuple[int, ...]
    centre: Array
    scale: Array
    standardised: bool

    @property
    def sigma_data(self) -> float:
        """EDM's ``sigma_data``: the root mean per-feature variance of the prepared data."""
        return math.sqrt(float(np.mean(np.var(self.data, axis=0))))

    def to_dict(self) -> dict[str, Any]:
        return {"kept_features": list(self.kept), "dropped_zero_variance": list(self.dropped),
                "standardised": self.standardised, "centre": self.centre.tolist(),
                "scale": self.scale.tolist(), "sigma_data": self.sigma_data}


def prepare(dataset: Dataset, standardise: bool = True) -> Prepared:
    """Drop zero-variance features, then (optionally) standardise the rest.

    Examples
    --------
    >>> import numpy as np
    >>> raw = Dataset("toy", np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 2.0], [5.0, 5.0, 1.0]]), "")
    >>> prep = prepare(raw)
    >>> prep.dropped, prep.kept
    ((1,), (0, 2))
    >>> bool(np.allclose(prep.data.std(axis=0), 1.0) and np.allclose(prep.data.mean(axis=0), 0))
    True
    """
    data = dataset.data
    spread = np.ptp(data, axis=0)
    constant = spread == 0
    kept = tuple(int(i) for i in np.flatnonzero(~constant))
    if not kept:
        raise InvalidArgumentError("data", data.shape, "every feature is constant",
                                   "pass data that varies")
    values = data[:, list(kept)]
    centre = values.mean(axis=0) if standardise else np.zeros(len(kept))
    scale = values.std(axis=0) if standardise else np.ones(len(kept))
    return Prepared((values - centre) / scale, kept,
                    tuple(int(i) for i in np.flatnonzero(constant)), centre, scale,
                    bool(standardise))

"""The on-disk cache of derivations: the only module of :mod:`derive` that does I/O.

The derivations themselves are pure SymPy; some take seconds (every claim: 15-30 s; the
C7 convolution integral: ~5 s), so :func:`derive.claims` and the slow public functions
(:func:`disk_cached`) keep their results in pickles keyed by

* a hash of the source of every ``derive/**/*.py`` file (an edit to any derivation
  changes the key, so a stale cache can never be read),
* the SymPy and Python versions, and
* the function and its arguments (e.g. ``max_order``).

Location: ``$DSMW_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/dsm-weighting``, else
``~/.cache/dsm-weighting``. ``DSMW_NO_CACHE=1`` disables reading and writing. An
unreadable or corrupted file is ignored (and rebuilt); failing to write is not an error.
Files are written atomically (temporary file in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sympy as sp

__all__ = ["cache_dir", "cached", "disk_cached", "source_key"]

T = TypeVar("T")
_PACKAGE = Path(__file__).resolve().parent
_memory: dict[str, object] = {}


def _cache_enabled() -> bool:
    """``False`` when ``DSMW_NO_CACHE`` is set to anything but ``""`` or ``"0"``."""
    return os.environ.get("DSMW_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    """Where the cache lives (see the module docstring)."""
    explicit = os.environ.get("DSMW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dsm-weighting"


@functools.cache
def source_key() -> str:
    """Hash of every ``derive`` source file (path and content) and of the versions
    (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    digest.update(f"sympy {sp.__version__} python {sys.version_info[:3]}".encode())
    return digest.hexdigest()[:24]


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()``, through the in-process memo and the disk cache when enabled."""
    if not _cache_enabled():
        return build()
    key = f"{name}-{source_key()}"
    if key in _memory:
        return _memory[key]  # type: ignore[return-value]
    path = cache_dir() / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except Exception:  # missing, truncated, corrupted, unreadable, from another version
        value = build()
        _store(path, value)
    _memory[key] = value
    return value


def disk_cached(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator: cache a pure derivation's result on disk, keyed by its arguments' ``repr``.

    Arguments must have a deterministic ``repr`` (ints, strings, frozen records of SymPy
    expressions). With ``DSMW_NO_CACHE=1`` the function simply runs.
    """
    label = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> T:
        if not _cache_enabled():
            return function(*args, **kwargs)
        arguments = repr((args, sorted(kwargs.items())))
        digest = hashlib.sha256(arguments.encode()).hexdigest()[:16]
        return cached(f"{label}-{digest}", lambda: function(*args, **kwargs))

    return wrapper


def _store(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp",
                                             delete=False)
        try:
            with handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError, RecursionError, TypeError, AttributeError):
        pass  # a cache that cannot be written only costs time

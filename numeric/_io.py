"""Every file the project writes goes through here: destinations are checked before a
long computation starts, and each file is written atomically (a temporary file in the
same directory, then ``os.replace``), so a failure never leaves a truncated note or JSON.
Saving never destroys what it replaces: a destination that exists and is not a regular
file (a device, a FIFO, a socket, a directory; a symlink is judged by its target, and a
dangling one is refused) is
refused before any work (:func:`check_output_file`, :func:`check_output_dir`) and again
right before the rename (:func:`atomic_write`).

Also the two output helpers every writer shares: :func:`strict_json` (the only JSON
encoder of the project: strict JSON has no NaN) and :func:`pyplot` (the only import of
matplotlib, an optional extra, with the one install hint).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from numeric._validation import InvalidArgumentError

__all__ = ["PLOTS_HINT", "atomic_write", "atomic_write_bytes", "atomic_write_text",
           "check_output_dir", "check_output_file", "not_regular", "pyplot", "strict_json"]

#: How to get matplotlib (the 'plots' extra); the one hint every figure writer gives.
PLOTS_HINT = "install the optional extra: pip install -e '.[plots]'"


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _kind(path: str | os.PathLike[str]) -> tuple[str, int] | None:
    """What ``path`` is (its symlinks followed) and its mode; None if nothing is there."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent, a dangling link, or an unreadable parent: nothing to destroy
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind, mode
    return ("a regular file" if stat.S_ISREG(mode) else "not a regular file"), mode


def _linked(path: str | os.PathLike[str], kind: str) -> str:
    return f"a symlink to {kind}" if os.path.islink(path) else kind


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is if it exists and is not a regular file (e.g. ``"a FIFO (named
    pipe)"``, ``"a symlink to a directory"``), else None.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> not_regular(folder / "absent.md") is None
    True
    >>> not_regular(folder)
    'a directory'
    """
    found = _kind(path)
    if found is None:
        if os.path.islink(path):   # replacing it would destroy the link, not write through
            return f"a dangling symlink (to {os.readlink(path)}, which does not exist)"
        return None
    if stat.S_ISREG(found[1]):
        return None
    return _linked(path, found[0])


def _refuse_existing(name: str, value: str, path: Path, kind: str,
                     wanted: str) -> InvalidArgumentError:
    """The refusal of ``path`` (given as ``value``, or inside the folder ``value``)."""
    what = "it" if str(path) == value else str(path)
    fix = "file" if what == "it" and wanted == "a regular file" else "directory"
    replaced = ": saving replaces only regular files" if wanted == "a regular file" else ""
    return InvalidArgumentError(name, value, f"{what} exists and is {kind}, not {wanted}"
                                f"{replaced}", f"choose another {fix}, or move it away")


def check_output_file(name: str, path: str | os.PathLike[str],
                      value: str | os.PathLike[str] | None = None) -> Path:
    """Refuse, before any work, a file destination that exists and is not a regular file.

    Parameters
    ----------
    name
        The argument's name in messages (e.g. ``"--plot"``).
    path
        The file that will be written.
    value
        The argument's value as given (default ``path``), when ``path`` is a file inside it.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InvalidArgumentError
        If ``path`` (its symlink's target) is a device, FIFO, socket or directory.
    """
    kind = not_regular(path)
    if kind is not None:
        shown = str(path if value is None else value)
        raise _refuse_existing(name, shown, Path(path), kind, "a regular file")
    return Path(path)


def check_output_dir(name: str, directory: str | os.PathLike[str],
                     files: tuple[str, ...] = ()) -> Path:
    """Create ``directory`` if needed and prove it is writable, before any computation.

    A ``directory`` that exists and is not a directory (its symlink's target judged), and
    any of the ``files`` to be written into it that exists and is not a regular file, is
    refused before anything is created.

    Parameters
    ----------
    name
        The argument's name in messages (e.g. ``"--save"``).
    directory
        The destination directory.
    files
        Names of the files that will be written into it, if known in advance.

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    InvalidArgumentError
        If it cannot be created or written, or it or one of ``files`` is not what it must
        be (the message names the argument and the fix).
    """
    path = Path(directory)
    found = _kind(path)
    if found is None and os.path.islink(path):
        raise _refuse_existing(name, str(directory), path, not_regular(path), "a directory")
    if found is not None and not stat.S_ISDIR(found[1]):
        kind = _linked(path, found[0])
        raise _refuse_existing(name, str(directory), path, kind, "a directory")
    for file in files:
        check_output_file(name, path / file, directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".dsmw-probe-"):
            pass
    except OSError as exc:
        raise InvalidArgumentError(name, str(directory),
                                   f"cannot write there ({exc.strerror or exc})",
                                   "choose a writable directory") from None
    return path


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then move the result onto ``path`` in one step.

    On any failure the temporary file is removed and ``path`` is left as it was. Only a
    regular file (or nothing) is replaced: if ``path`` is anything else right before the
    rename (a device, FIFO, socket or directory, or a symlink to one), FileExistsError is
    raised and it is left as it was.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)
        kind = not_regular(target)
        if kind is not None:
            raise FileExistsError(errno.EEXIST, f"not replaced: it is {kind}, not a regular "
                                  "file", str(target))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_text(folder / "a.md", "x\\n").read_text() == "x\\n"
    True
    """
    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    return atomic_write(path, write)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    def write(temporary: str) -> None:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    return atomic_write(path, write)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        # keys json can encode stay as they are; any other key (e.g. a tuple) is its str
        return {k if k is None or isinstance(k, str | int | float) else str(k): _finite(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def strict_json(value: Any, indent: int | None = 2) -> str:
    """Strict JSON: non-finite numbers become ``null``; NaN/Infinity are never emitted.

    Parameters
    ----------
    value
        Nested dicts, lists, tuples, strings, numbers, booleans and None.
    indent
        Passed to :func:`json.dumps` (None: one line).

    Returns
    -------
    str
        The JSON text (``allow_nan=False``, so a non-finite number that escaped the
        replacement would raise instead of producing invalid JSON).

    Examples
    --------
    >>> strict_json({"a": float("inf"), "b": [1.0, float("nan")]}, indent=None)
    '{"a": null, "b": [1.0, null]}'
    """
    return json.dumps(_finite(value), indent=indent, allow_nan=False)


def pyplot(name: str, where: str | os.PathLike[str] = "") -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or a clear refusal.

    Call it before a long computation whose figure is wanted, so that a missing
    extra is reported at once rather than after the run.

    Parameters
    ----------
    name
        The argument that asked for a figure, for the message (e.g. ``"--plots"``).
    where
        Its value (the destination).

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    InvalidArgumentError
        If matplotlib is not installed (the message gives :data:`PLOTS_HINT`).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and the same bytes everywhere
        import matplotlib.pyplot as plt
    except ImportError:
        raise InvalidArgumentError(name, str(where), "plotting needs matplotlib, which is "
                                   "not installed", PLOTS_HINT) from None
    return plt

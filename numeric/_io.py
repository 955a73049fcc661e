"""Every file the project writes goes through here: destinations are checked before a
long computation starts, and each file is written atomically (a temporary file in the
same directory, then ``os.replace``), so a failure never leaves a truncated note or JSON.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from numeric._validation import InvalidArgumentError

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "check_output_dir"]


def check_output_dir(name: str, directory: str | os.PathLike[str]) -> Path:
    """Create ``directory`` if needed and prove it is writable, before any computation.

    Parameters
    ----------
    name
        The argument's name in messages (e.g. ``"--save"``).
    directory
        The destination directory.

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    InvalidArgumentError
        If it cannot be created or written (the message names the argument and the fix).
    """
    path = Path(directory)
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

    On any failure the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)
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

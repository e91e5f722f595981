"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from ..exceptions import OutputError

__all__ = ["atomic_path", "atomic_write_text", "atomic_write_bytes", "staging_dir", "publish_dir"]


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would race in threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _ordinary_mode(path: Path, *, folder: bool) -> None:
    """Give a temporary file or folder the mode a plain open() or mkdir() would have.

    ``tempfile`` creates them private (0600 / 0700); published outputs should not be.
    """
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_path(path: os.PathLike | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any error (or interruption) the temporary file is removed and ``path`` is left
    as it was.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror or error})") from None
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        _ordinary_mode(temporary_path, folder=False)
        yield temporary_path
        os.replace(temporary_path, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary_path.unlink()
        if isinstance(error, OSError):  # a full disk, a vanished folder: name the output
            raise OutputError(f"{path}: cannot be written ({error.strerror or error})") from None
        raise


def atomic_write_bytes(path: os.PathLike | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: os.PathLike | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def staging_dir(final_dir: os.PathLike | str) -> Path:
    """Create an empty hidden folder beside ``final_dir`` to build its contents in.

    Raises
    ------
    OutputError
        When the parent folder cannot be created or written.
    """
    final_dir = Path(final_dir)
    parent = final_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", suffix=".part", dir=parent))
        _ordinary_mode(staged, folder=True)
        return staged
    except OSError as error:
        raise OutputError(
            f"{parent}: output folder is not writable ({error.strerror or error})"
        ) from None


def publish_dir(staged: Path, final_dir: os.PathLike | str, *, overwrite: bool) -> None:
    """Move a staged folder into place as ``final_dir``.

    With ``overwrite``, an existing ``final_dir`` is replaced only once the new one is
    complete; without it, an existing ``final_dir`` is an :class:`OutputError`.
    """
    final_dir = Path(final_dir)
    retired = None
    if final_dir.exists():
        if not overwrite:
            shutil.rmtree(staged, ignore_errors=True)
            raise OutputError(f"{final_dir}: exists already (use --overwrite to replace it)")
        try:
            retired = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", suffix=".old", dir=final_dir.parent))
            os.replace(final_dir, retired / final_dir.name)
        except OSError as error:
            shutil.rmtree(staged, ignore_errors=True)
            raise OutputError(f"{final_dir}: cannot be replaced ({error.strerror or error})") from None
    try:
        os.replace(staged, final_dir)
    except OSError as error:
        if retired is not None:
            os.replace(retired / final_dir.name, final_dir)
        raise OutputError(f"{final_dir}: cannot be written ({error.strerror or error})") from None
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)

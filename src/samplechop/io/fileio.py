"""Atomic file output: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: no flock; stale folders are then left for the user
    fcntl = None  # type: ignore[assignment]

from ..exceptions import OutputError

__all__ = [
    "write_all",
    "atomic_path",
    "atomic_write_text",
    "atomic_write_bytes",
    "staging_dir",
    "publish_dir",
    "discard_staging",
    "reclaim_stale",
    "abandon_staging",
    "file_sha256",
]


#: Bytes handed to one ``os.write`` (Linux writes at most about 2 GB per call).
_WRITE_BYTES = 1 << 30


def write_all(handle: int, data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data`` to the file descriptor ``handle``, as many calls as it takes.

    Raises
    ------
    OSError
        When a write fails, or the file takes no more bytes (a full disk).
    """
    view = memoryview(data).cast("B")
    done = 0
    while done < len(view):
        count = os.write(handle, view[done : done + _WRITE_BYTES])
        if not count:
            raise OSError(errno.EIO, "the file took no more bytes")
        done += count


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


def file_sha256(path: os.PathLike | str) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: os.PathLike | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: os.PathLike | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def staging_dir(final_dir: os.PathLike | str) -> Path:
    """Create an empty hidden folder beside ``final_dir`` to build its contents in.

    Stale staging folders that killed runs left in the same parent are removed first
    (see :func:`reclaim_stale`), the first time this process stages in that parent: a
    batch of thousands of kits into one folder scans it once, not once a kit. The new
    folder is locked for as long as this process
    lives or until :func:`publish_dir` or :func:`discard_staging` releases it, so that
    a later run can tell it from a stale one.

    Raises
    ------
    OutputError
        When the parent folder cannot be created or written.
    """
    final_dir = Path(final_dir)
    parent = final_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _HELD_LOCK:
            first_here = parent not in _PARENTS
        if first_here:
            reclaim_stale(parent)
        staged = _locked_folder(parent, final_dir.name, _STAGING_SUFFIX)
        _ordinary_mode(staged, folder=True)
        return staged
    except OSError as error:
        raise OutputError(
            f"{parent}: output folder is not writable ({error.strerror or error})"
        ) from None


def discard_staging(staged: Path) -> None:
    """Remove a staging folder made by :func:`staging_dir` and release its lock."""
    shutil.rmtree(staged, ignore_errors=True)
    _release(staged)


def publish_dir(staged: Path, final_dir: os.PathLike | str, *, overwrite: bool) -> None:
    """Move a staged folder into place as ``final_dir``.

    With ``overwrite``, an existing ``final_dir`` is replaced only once the new one is
    complete, and in one step: the two folders are exchanged atomically (Linux
    ``renameat2``), so that at every moment the old kit or the new one is there, even
    if the process is killed. Where the exchange is not supported, the old folder is
    first moved aside; if the run dies between the two renames, the next
    :func:`reclaim_stale` puts it back. Without ``overwrite``, an existing
    ``final_dir`` is an :class:`OutputError`.
    """
    final_dir = Path(final_dir)
    try:
        if final_dir.exists() and not overwrite:
            raise OutputError(f"{final_dir}: exists already (use --overwrite to replace it)")
        if final_dir.exists() and not final_dir.is_dir():
            raise OutputError(f"{final_dir}: exists and is not a folder")
        if final_dir.exists() and _exchange(staged, final_dir):
            shutil.rmtree(staged, ignore_errors=True)  # the old kit, now at the staged name
        elif final_dir.exists():
            _replace_in_two_steps(staged, final_dir)
        else:
            os.replace(staged, final_dir)
    except OSError as error:
        discard_staging(staged)
        raise OutputError(f"{final_dir}: cannot be written ({error.strerror or error})") from None
    except BaseException:
        discard_staging(staged)
        raise
    _release(staged)


def _replace_in_two_steps(staged: Path, final_dir: Path) -> None:
    """Replace ``final_dir`` by moving it into a locked ``.old`` folder, then renaming."""
    retired = _locked_folder(final_dir.parent, final_dir.name, _RETIRED_SUFFIX)
    kept = retired / final_dir.name
    try:
        os.replace(final_dir, kept)
        os.replace(staged, final_dir)
    except BaseException:
        if kept.exists() and not final_dir.exists():  # interrupted between the renames
            os.replace(kept, final_dir)
        if not kept.exists():
            shutil.rmtree(retired, ignore_errors=True)
        raise
    finally:
        _release(retired)
    shutil.rmtree(retired, ignore_errors=True)


#: Suffixes of the hidden folders this module makes beside an output: a kit being
#: built, an old kit being replaced, and a folder just made (not yet locked).
_STAGING_SUFFIX = ".part"
_RETIRED_SUFFIX = ".old"
_FRESH_SUFFIX = ".new"

#: A ``.new`` folder older than this (seconds) was left by a run killed between making
#: and locking it (an empty folder).
_FRESH_STALE_SECONDS = 60.0

#: Marks the hidden folders this module makes, so that no one else's is taken for one.
_MARK = "samplechop-"

#: A hidden folder that :func:`staging_dir` or :func:`publish_dir` made: ``.`` + the
#: output's name + ``.samplechop-`` + tempfile's 8 random characters + the suffix.
_TEMPORARY_NAME = re.compile(r"^\.(?P<name>.+)\.samplechop-[a-z0-9_]{8}\.(?:part|old|new)$")

#: Folders this process has staged outputs in (reclaimed by :func:`abandon_staging`).
_PARENTS: set[Path] = set()

#: Locks held by this process: path -> open descriptor with an exclusive flock.
_HELD: dict[Path, int] = {}
_HELD_LOCK = threading.Lock()


def _locked_folder(parent: Path, name: str, suffix: str) -> Path:
    """A new hidden folder ``.NAME.samplechop-XXXXXXXX<suffix>`` in ``parent``, locked by this process.

    It is made under a ``.new`` name and renamed once locked (the lock stays with the
    folder), so that no other run's :func:`reclaim_stale` ever sees it unlocked.
    """
    fresh = Path(tempfile.mkdtemp(prefix=f".{name}.{_MARK}", suffix=_FRESH_SUFFIX, dir=parent))
    with _HELD_LOCK:
        _PARENTS.add(parent)
    locked = fresh.with_name(fresh.name[: -len(_FRESH_SUFFIX)] + suffix)
    try:
        _hold(fresh)
        os.rename(fresh, locked)
        with _HELD_LOCK:
            _HELD[locked] = _HELD.pop(fresh)
    except BaseException:
        for folder in (fresh, locked):
            _release(folder)
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return locked


def abandon_staging() -> list[Path]:
    """Remove every staging folder this process still holds, as its run is stopped.

    The command line calls it when Ctrl-C, SIGTERM or SIGHUP ends a run: the code
    that made a folder removes it as the interruption unwinds, but an interruption
    can land between making a folder and the ``try`` that would remove it. A kit moved
    aside by an unfinished ``--overwrite`` is put back.

    Returns
    -------
    list of Path
        The folders removed or put back.
    """
    with _HELD_LOCK:
        held, parents = list(_HELD), set(_PARENTS)
    for folder in held:
        _release(folder)
    reclaimed: list[Path] = []
    for parent in sorted({folder.parent for folder in held} | parents):
        reclaimed.extend(reclaim_stale(parent))
    return reclaimed


def _hold(folder: Path) -> None:
    """Lock ``folder`` for this process (released when it ends, however it ends)."""
    if fcntl is None:
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(descriptor)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
        # A file system without flock on folders (NFS emulates it with write locks,
        # which a folder cannot take): stage unlocked. Its folders then never look
        # stale to reclaim_stale, which cannot take their lock either.
        return
    with _HELD_LOCK:
        _HELD[folder] = descriptor


def _release(folder: Path) -> None:
    with _HELD_LOCK:
        descriptor = _HELD.pop(folder, None)
    if descriptor is not None:
        os.close(descriptor)


def _is_stale(folder: Path) -> bool:
    """Whether no living process holds the lock on ``folder``."""
    if fcntl is None:
        return False
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a running process is building it
    finally:
        os.close(descriptor)
    return True


def reclaim_stale(parent: os.PathLike | str) -> list[Path]:
    """Remove the staging folders that killed runs left in ``parent``.

    A run killed with SIGKILL (or by a power cut) cannot clean up: its hidden
    ``.NAME.samplechop-XXXXXXXX.part`` folder stays. Such a folder is stale when no
    process holds its lock. A stale ``.NAME.samplechop-XXXXXXXX.old`` folder holds a
    kit that a killed ``--overwrite`` had moved aside: it is put back as ``NAME`` when
    ``NAME`` is missing, and removed otherwise. Hidden folders of other names (even
    ``.photos.20240101.old``) are never touched.

    Returns
    -------
    list of Path
        The folders removed or put back.
    """
    parent = Path(parent)
    reclaimed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return reclaimed
    for entry in entries:
        match = _TEMPORARY_NAME.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        if entry.name.endswith(_FRESH_SUFFIX):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > _FRESH_STALE_SECONDS:
                    folder.rmdir()  # empty, or not ours: rmdir removes only an empty folder
                    reclaimed.append(folder)
            continue
        if not _is_stale(folder):
            continue
        kept = folder / match["name"]
        if entry.name.endswith(_RETIRED_SUFFIX) and kept.is_dir() and not (parent / match["name"]).exists():
            with contextlib.suppress(OSError):
                os.replace(kept, parent / match["name"])
        shutil.rmtree(folder, ignore_errors=True)
        reclaimed.append(folder)
    return reclaimed


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False if unsupported."""
    rename_exchange = _renameat2()
    if rename_exchange is None:
        return False
    if rename_exchange(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False  # this file system or kernel cannot exchange
    raise OSError(code, os.strerror(code))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.lru_cache(maxsize=1)
def _renameat2():
    """libc's ``renameat2``, or None where there is none (not Linux, old glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function

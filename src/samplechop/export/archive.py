"""The zip (``<stem>.zip``): every other file of the kit in one archive.

Entries sit in a folder named after the kit (``<stem>/<stem>_chop01.wav`` ...), so that
unpacking gives one folder rather than a spill of files. Audio and images are stored
as they are (deflating them gains little and costs time); text files are deflated.
Names are UTF-8 (the zip's language-encoding flag is set for names that need it), and
every entry gets the same fixed timestamp, so the same kit gives the same archive.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Sequence

from ..io.fileio import atomic_path

__all__ = ["write_zip", "ZIP_SUFFIX"]

ZIP_SUFFIX = ".zip"

#: Suffixes stored without compression.
_STORED = (".wav", ".png", ".zip", ".flac", ".mp3", ".ogg")

#: Timestamp of every entry (zip's epoch starts in 1980).
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def write_zip(path: os.PathLike | str, files: Sequence[Path], *, root: str) -> Path:
    """Write ``files`` into a zip archive at ``path``, under the folder ``root``, atomically.

    Parameters
    ----------
    path : path-like
        The archive.
    files : sequence of Path
        Files to add, in order (each under its own name).
    root : str
        Folder name inside the archive.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        with zipfile.ZipFile(temporary, "w", allowZip64=True) as archive:
            for file in files:
                stored = file.suffix.lower() in _STORED
                info = zipfile.ZipInfo(f"{root}/{file.name}", date_time=_TIMESTAMP)
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                large = file.stat().st_size > 0x7FFFFFFF
                with open(file, "rb") as source, archive.open(info, "w", force_zip64=large) as target:
                    while chunk := source.read(1 << 20):
                        target.write(chunk)
    return path

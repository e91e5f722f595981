"""Faults of a file's container that libsndfile reads past without a word.

libsndfile is lenient: it reads a WAV or AIFF whose sizes are wrong, and quietly
shortens a WAV or AIFF whose audio chunk runs past the end of the file, or an Ogg
stream cut off before its last page. Such a file is still chopped, but the user is
told what was read: :func:`container_problems` names each fault.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from .riff import wave_header_problems

__all__ = ["container_problems"]

#: Bytes read from the end of an Ogg file to find its last page (a page is at most
#: 65,307 bytes).
_OGG_TAIL = 1 << 17

#: Header-type flag of the last page of an Ogg logical stream.
_OGG_END_OF_STREAM = 0x04


def container_problems(path: os.PathLike | str, container: str) -> list[str]:
    """One phrase per fault of a WAV, AIFF or Ogg container (empty if sound).

    Parameters
    ----------
    path : path-like
        The file.
    container : str
        libsndfile's name of its format (``"WAV"``, ``"AIFF"``, ``"OGG"``, ...);
        other containers are not checked.
    """
    check = {"WAV": wave_header_problems, "AIFF": _aiff_problems, "OGG": _ogg_problems}.get(container)
    if check is None:
        return []
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return check(handle, size)


def _aiff_problems(handle: BinaryIO, size: int) -> list[str]:
    """Faults of an AIFF/AIFC file: its FORM size, and a sound chunk cut short."""
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
        return []
    position = 12
    while position + 8 <= size:
        handle.seek(position)
        chunk_id, chunk_size = struct.unpack(">4sI", handle.read(8))
        if chunk_id == b"SSND":
            if position + 8 + chunk_size > size:
                return [f"truncated: {position + 8 + chunk_size - size} bytes of audio data are missing"]
            break
        position += 8 + chunk_size + (chunk_size & 1)
    (form_size,) = struct.unpack(">I", head[4:8])
    if form_size + 8 not in (size, size - 1):
        return [f"FORM size says {form_size + 8} bytes, the file has {size}"]
    return []


def _ogg_problems(handle: BinaryIO, size: int) -> list[str]:
    """An Ogg stream whose last page is not marked as the end: it was cut off."""
    handle.seek(max(0, size - _OGG_TAIL))
    tail = handle.read()
    last_page = tail.rfind(b"OggS")
    if last_page < 0 or last_page + 6 > len(tail):
        return ["truncated: no complete Ogg page at the end"]
    if not tail[last_page + 5] & _OGG_END_OF_STREAM:
        return ["truncated: the Ogg stream ends without its last page"]
    return []

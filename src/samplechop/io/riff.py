"""Walking the chunks of a RIFF/WAVE file (for what libsndfile does not expose)."""

from __future__ import annotations

import struct
from typing import BinaryIO, Iterator

__all__ = ["is_riff_wave", "riff_chunks", "chunks_end", "wave_header_problems"]

#: A size field that a streaming writer leaves unset, not knowing the length yet.
UNSET_SIZE = 0xFFFFFFFF

#: Format tags whose frames are ``channels`` samples of ``bits`` bits, byte-aligned:
#: integer PCM, IEEE float and WAVE_FORMAT_EXTENSIBLE.
_PLAIN_FORMATS = (0x0001, 0x0003, 0xFFFE)


def is_riff_wave(head: bytes) -> bool:
    """Whether the first 12 bytes of a file are a RIFF/WAVE header."""
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def riff_chunks(handle: BinaryIO, size: int) -> Iterator[tuple[bytes, int, int]]:
    """Each chunk after the RIFF/WAVE header: (id, offset of its header, declared size).

    Chunks are padded to an even length, as the RIFF specification says; the walk
    stops where a chunk header would not fit in ``size`` bytes.
    """
    position = 12
    while position + 8 <= size:
        handle.seek(position)
        chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
        yield chunk_id, position, chunk_size
        position += 8 + chunk_size + (chunk_size & 1)


def chunks_end(handle: BinaryIO, size: int) -> int:
    """Offset just past the last (padded) chunk: where a new chunk would start."""
    end = 12
    for _, position, chunk_size in riff_chunks(handle, size):
        end = position + 8 + chunk_size + (chunk_size & 1)
    return end


def wave_header_problems(handle: BinaryIO, size: int) -> list[str]:
    """What is wrong in the header of a RIFF/WAVE file that libsndfile reads anyway.

    libsndfile is lenient: it reads a WAV whose RIFF size, ``data`` size, block align
    or byte rate is wrong, and quietly shortens one whose ``data`` chunk runs past the
    end of the file. This names each such fault, so the user can be told what was read.

    Parameters
    ----------
    handle : binary file
        The open file.
    size : int
        Its size in bytes.

    Returns
    -------
    list of str
        One phrase per fault (empty for a sound header, or a file that is not a plain
        RIFF/WAVE file).
    """
    handle.seek(0)
    head = handle.read(12)
    if not is_riff_wave(head):
        return []
    problems: list[str] = []
    for chunk_id, position, chunk_size in riff_chunks(handle, size):
        if chunk_id == b"fmt " and chunk_size >= 16:
            handle.seek(position + 8)
            tag, channels, rate, byte_rate, block_align, bits = struct.unpack("<HHIIHH", handle.read(16))
            if tag in _PLAIN_FORMATS and channels > 0 and bits > 0:
                expected_align = channels * ((bits + 7) // 8)
                if block_align != expected_align:
                    problems.append(f"block align is {block_align}, not {expected_align}")
                elif byte_rate != rate * expected_align:
                    problems.append(f"byte rate is {byte_rate}, not {rate * expected_align}")
        elif chunk_id == b"data":
            if chunk_size == UNSET_SIZE:
                problems.append("data size is unset (0xFFFFFFFF)")
            elif position + 8 + chunk_size > size:
                missing = position + 8 + chunk_size - size
                return problems + [f"truncated: {missing} bytes of audio data are missing"]
            break
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size == UNSET_SIZE:
        problems.append("RIFF size is unset (0xFFFFFFFF)")
    elif riff_size + 8 not in (size, size - 1):  # the last chunk's pad byte may be missing
        problems.append(f"RIFF size says {riff_size + 8} bytes, the file has {size}")
    return problems

"""Walking the chunks of a RIFF/WAVE file (for what libsndfile does not expose)."""

from __future__ import annotations

import struct
from typing import BinaryIO, Iterator

__all__ = ["is_riff_wave", "riff_chunks", "chunks_end"]


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

"""One WAV with slice markers (``<stem>_markers.wav``): the whole source, marked at each chop.

The audio is the source's samples exactly as stored (lossy sources as 24-bit), written
by libsndfile; samplechop then appends the two RIFF chunks that carry markers, which
libsndfile does not write. Their layout, from the RIFF specification (Microsoft/IBM,
"Multimedia Programming Interface and Data Specifications 1.0", 1991), all integers
little-endian, every chunk padded to an even length:

.. code-block:: text

    'cue '  size  dwCuePoints                      4 + 24 * n bytes
            n x:  dwName          cue point id (1, 2, ...)
                  dwPosition      sample position in play order (= dwSampleOffset)
                  fccChunk        'data'
                  dwChunkStart    0 (no 'wavl' list)
                  dwBlockStart    0 (uncompressed data)
                  dwSampleOffset  the chop's first sample (frame) in 'data'
    'LIST'  size  'adtl'
            n x:  'labl'  size  dwName (cue point id)  label (ASCII, NUL-terminated)

Editors and samplers that read WAV cue points as markers (Sound Forge, Adobe Audition,
Reaper, Wavosaur, ...) find a marker named ``chop01``, ``chop02``, ... at each chop.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Sequence

import soundfile as sf

from ..exceptions import OutputError
from ..io import audio
from ..io.fileio import atomic_path
from ..io.riff import chunks_end, is_riff_wave

__all__ = ["cue_chunk", "adtl_chunk", "append_chunks", "write_marker_wav", "MARKERS_SUFFIX"]

MARKERS_SUFFIX = "_markers.wav"

#: Frames copied per block.
_BLOCK_FRAMES = 1 << 18


def _chunk(fourcc: bytes, payload: bytes) -> bytes:
    """A RIFF chunk: id, size, payload, pad byte when the size is odd."""
    return fourcc + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def cue_chunk(offsets: Sequence[int]) -> bytes:
    """The ``cue `` chunk with one cue point (ids 1, 2, ...) at each sample offset."""
    payload = struct.pack("<I", len(offsets))
    for cue_id, offset in enumerate(offsets, start=1):
        if not 0 <= int(offset) <= 0xFFFFFFFF:
            raise ValueError(f"cue offset {offset} does not fit in 32 bits")
        payload += struct.pack("<II4sIII", cue_id, int(offset), b"data", 0, 0, int(offset))
    return _chunk(b"cue ", payload)


def adtl_chunk(labels: Sequence[str]) -> bytes:
    """The ``LIST``/``adtl`` chunk with a ``labl`` for each cue point (ids 1, 2, ...).

    Labels are written as ASCII (other characters become ``?``).
    """
    payload = b"adtl"
    for cue_id, label in enumerate(labels, start=1):
        text = label.encode("ascii", errors="replace") + b"\x00"
        payload += _chunk(b"labl", struct.pack("<I", cue_id) + text)
    return _chunk(b"LIST", payload)


def append_chunks(path: os.PathLike | str, chunks: bytes) -> None:
    """Append whole chunks to a RIFF/WAVE file and update its RIFF size.

    The file's chunks are walked first, so the new ones start right after the last
    (padded) chunk, even if the writer left the final pad byte out.

    Raises
    ------
    OutputError
        When the file is not a RIFF/WAVE file or would exceed RIFF's 4 GiB.
    """
    path = Path(path)
    with open(path, "r+b") as handle:
        if not is_riff_wave(handle.read(12)):
            raise OutputError(f"{path}: not a RIFF/WAVE file")
        end = chunks_end(handle, handle.seek(0, os.SEEK_END))
        if end - 8 + len(chunks) > 0xFFFFFFFF:
            raise OutputError(f"{path}: too large for a WAV file with markers (over 4 GiB)")
        handle.truncate(end)  # drops trailing bytes, or adds a missing pad byte (zeros)
        handle.seek(end)
        handle.write(chunks)
        handle.seek(4)
        handle.write(struct.pack("<I", end - 8 + len(chunks)))


def write_marker_wav(
    info: audio.AudioInfo,
    offsets: Sequence[int],
    labels: Sequence[str],
    path: os.PathLike | str,
) -> Path:
    """Copy a source into a WAV file with a marker at each offset, atomically.

    Parameters
    ----------
    info : AudioInfo
        The source.
    offsets : sequence of int
        Marker positions in frames of the source.
    labels : sequence of str
        Marker names.
    path : path-like
        Destination.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    subtype = audio.output_subtype(info)
    with atomic_path(path) as temporary:
        try:
            with sf.SoundFile(str(temporary), "w", samplerate=info.sr, channels=info.channels,
                              subtype=subtype, format="WAV") as out:
                for start in range(0, info.frames, _BLOCK_FRAMES):
                    out.write(audio.read_segment(info, start, start + _BLOCK_FRAMES))
        except (sf.LibsndfileError, RuntimeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise OutputError(f"{path}: cannot write ({reason})") from None
        append_chunks(temporary, cue_chunk(offsets) + adtl_chunk(labels))
    return path

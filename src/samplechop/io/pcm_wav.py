"""Integer PCM WAV files written without libsndfile, byte for byte as it writes them.

libsndfile writes a chop through Python's file object, calling back into Python
for each block and converting every sample on the way; a chop of 16-bit or 32-bit
samples is already laid out as the file stores it, and ``os.write`` hands it to the
kernel as it is (the 16 chops of a 3-minute 16-bit stereo file: 0.013 s against
0.017 s, most of either the kernel's copy into the page cache). For the
integer subtypes whose header libsndfile writes as the canonical 44 bytes (a
``WAVE_FORMAT_PCM`` ``fmt`` chunk and the ``data`` chunk, then a zero byte if the
samples' bytes are odd in number, as RIFF pads chunks),
:func:`write_pcm_wav` writes the same bytes; the tests compare it with libsndfile's
output for every such subtype and channel count.
"""

from __future__ import annotations

import os
import struct
import sys
from typing import Optional

import numpy as np

from .fileio import write_all

__all__ = ["PCM_SUBTYPES", "pcm_wav_header", "pcm_wav_bytes", "write_pcm_wav"]

#: Subtypes written here: the dtype their samples are held in, and bytes per sample.
PCM_SUBTYPES = {"PCM_16": (np.dtype("<i2"), 2), "PCM_24": (np.dtype("<i4"), 3), "PCM_32": (np.dtype("<i4"), 4)}

#: Largest ``data`` chunk a RIFF header's 32-bit sizes can describe.
_MAX_DATA_BYTES = 0xFFFFFFFF - 37

#: The WAVE_FORMAT_PCM format tag.
_WAVE_FORMAT_PCM = 0x0001


def pcm_wav_header(*, frames: int, channels: int, sr: int, subtype: str) -> bytes:
    """The 44-byte header libsndfile writes for an integer PCM WAV.

    Parameters
    ----------
    frames : int >= 0
        Samples per channel.
    channels : int > 0
    sr : int > 0
        Sample rate in Hz.
    subtype : str
        One of :data:`PCM_SUBTYPES`.

    Returns
    -------
    header : bytes [length 44]
        The RIFF size counts the padding byte of an odd-sized ``data`` chunk, which
        :func:`write_pcm_wav` writes after the samples.
    """
    width = PCM_SUBTYPES[subtype][1]
    block_align = channels * width
    data_bytes = frames * block_align
    padding = data_bytes & 1  # a chunk of odd length is followed by a zero byte
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data_bytes + padding, b"WAVE", b"fmt ", 16,
                       _WAVE_FORMAT_PCM, channels, sr, sr * block_align, block_align, 8 * width,
                       b"data", data_bytes)


def pcm_wav_bytes(data: np.ndarray, subtype: str) -> Optional[np.ndarray]:
    """The ``data`` chunk's bytes of ``data`` (frames x channels), or ``None`` when
    this module does not write it (another subtype or dtype, a big-endian machine, a
    chunk too large for a RIFF header): then libsndfile must.

    24-bit samples are held in int32 with the sample in the upper three bytes (as
    :func:`samplechop.io.audio.read_segment` returns them); their lowest byte is
    dropped, as libsndfile drops it.
    """
    layout = PCM_SUBTYPES.get(subtype)
    if layout is None or sys.byteorder != "little" or data.ndim != 2 or data.dtype != layout[0]:
        return None
    if data.size * layout[1] > _MAX_DATA_BYTES:
        return None
    samples = np.ascontiguousarray(data)
    if layout[1] == 3:
        return samples.view(np.uint8).reshape(-1, 4)[:, 1:].reshape(-1)
    return samples.view(np.uint8).reshape(-1)


def write_pcm_wav(path: os.PathLike | str, data: np.ndarray, *, sr: int, subtype: str) -> bool:
    """Write ``data`` as an integer PCM WAV file at ``path``, replacing any contents.

    Parameters
    ----------
    path : path-like
        The file to write (created if missing).
    data : np.ndarray [shape=(frames, channels)]
        Samples in the dtype of ``subtype`` in :data:`PCM_SUBTYPES`.
    sr : int
        Sample rate in Hz.
    subtype : str

    Returns
    -------
    bool
        ``False``, the file not opened, when :func:`pcm_wav_bytes` declines ``data``.

    Raises
    ------
    OSError
        When the file cannot be opened or takes fewer bytes than it is given (a full
        disk).
    """
    payload = pcm_wav_bytes(data, subtype)
    if payload is None:
        return False
    header = pcm_wav_header(frames=data.shape[0], channels=data.shape[1], sr=sr, subtype=subtype)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    handle = os.open(path, flags, 0o666)
    try:
        write_all(handle, header)
        write_all(handle, payload)
        if payload.size & 1:
            write_all(handle, b"\0")
    finally:
        os.close(handle)
    return True


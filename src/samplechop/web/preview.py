"""The audio the page plays: the source as a 16-bit WAV that every browser decodes.

Browsers decode WAV everywhere (not AIFF, and not every OGG), so the page is given
the source at its own sample rate as 16-bit PCM, mono or stereo (sources with more
channels are mixed to mono), written block by block.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..exceptions import AudioError
from ..io.audio import AudioInfo
from ..io.fileio import atomic_path

__all__ = ["write_preview", "preview_channels"]

#: Frames converted per block.
_BLOCK_FRAMES = 1 << 17


def preview_channels(channels: int) -> int:
    """Channels of the preview of a source with ``channels`` channels (1 or 2)."""
    return channels if channels <= 2 else 1


def write_preview(info: AudioInfo, path: os.PathLike | str) -> Path:
    """Write the preview WAV of a source, atomically.

    Parameters
    ----------
    info : AudioInfo
        The source (see :func:`samplechop.io.audio.probe`).
    path : path-like
        Where to write it.

    Returns
    -------
    path : Path

    Raises
    ------
    AudioError
        When the source cannot be decoded.
    """
    path = Path(path)
    channels = preview_channels(info.channels)
    with atomic_path(path) as temporary:
        try:
            with sf.SoundFile(str(info.path)) as source, \
                    sf.SoundFile(str(temporary), "w", samplerate=info.sr, channels=channels,
                                 subtype="PCM_16", format="WAV") as out:
                while True:
                    block = source.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                    if block.shape[0] == 0:
                        break
                    if block.shape[1] != channels:
                        block = block.mean(axis=1, keepdims=True)
                    out.write(np.clip(block, -1.0, 1.0))
        except (sf.LibsndfileError, RuntimeError) as error:
            raise AudioError(f"{info.path}: corrupt audio data ({error})") from None
    return path

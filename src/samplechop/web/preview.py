"""The audio the page plays: the source as a 16-bit WAV that every browser decodes, of a bounded size.

Browsers decode WAV everywhere (not AIFF, and not every OGG), so the page is given
the source as 16-bit PCM, mono or stereo (sources with more channels are mixed to
mono), written block by block. Its size is bounded (``max_bytes``): a sample that
would not fit at its own rate is previewed at the highest of :data:`PREVIEW_RATES`
that fits (resampled with soxr on the fly), and in mono if even that is too large, so
that a long file at 192 kHz cannot fill the disk. The kit is always cut from the
upload itself, at full quality; only what the page plays is reduced.

Decoding stops a little past the length the file's header states: a small
compressed file that decodes to far more audio than it claims is refused, not
expanded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..exceptions import AudioError
from ..io.audio import AudioInfo
from ..io.fileio import atomic_path

__all__ = ["PreviewFormat", "PREVIEW_RATES", "preview_channels", "preview_format", "write_preview"]

#: Sample rates a preview may have, best first (none above 48 kHz: browsers play at 44.1 or 48).
PREVIEW_RATES = (48000, 44100, 32000, 24000, 22050, 16000, 11025, 8000)

#: Bytes of a WAV file besides its samples (header and chunks).
WAV_HEADER_BYTES = 1024

#: Frames converted per block.
_BLOCK_FRAMES = 1 << 17

#: Frames decoded past the header's length before a file counts as lying about it
#: (MP3 headers give an estimate).
_LENGTH_SLACK = 1.01


@dataclass(frozen=True)
class PreviewFormat:
    """The rate and channels of a preview, and its size in bytes."""

    sr: int
    channels: int
    frames: int

    @property
    def bytes(self) -> int:
        """Size of the WAV file."""
        return self.frames * self.channels * 2 + WAV_HEADER_BYTES


def preview_channels(channels: int) -> int:
    """Channels of the preview of a source with ``channels`` channels (1 or 2)."""
    return channels if channels <= 2 else 1


def preview_format(info: AudioInfo, max_bytes: int) -> PreviewFormat:
    """The best preview of ``info`` within ``max_bytes``: the source's own rate (up to
    48 kHz) and channels if they fit, else the highest rate that fits in stereo or
    else in mono (a rate higher by half is worth more than stereo, when auditioning
    chops); the smallest one when nothing fits."""
    channels = preview_channels(info.channels)
    rates = [info.sr] if info.sr <= PREVIEW_RATES[0] else []
    rates += [rate for rate in PREVIEW_RATES if rate < info.sr] or [info.sr]
    options = [PreviewFormat(rate, count, _frames_at(info, rate))
               for rate in rates for count in dict.fromkeys((channels, 1))]
    fitting = [option for option in options if option.bytes <= max_bytes]
    return fitting[0] if fitting else min(options, key=lambda option: option.bytes)


def _frames_at(info: AudioInfo, rate: int) -> int:
    return int(np.ceil(info.frames * rate / info.sr))


def write_preview(info: AudioInfo, path: os.PathLike | str, form: PreviewFormat | None = None) -> Path:
    """Write the preview WAV of a source, atomically.

    Parameters
    ----------
    info : AudioInfo
        The source (see :func:`samplechop.io.audio.probe`).
    path : path-like
        Where to write it.
    form : PreviewFormat, optional
        Its rate and channels (default: the source's own, see :func:`preview_format`).

    Returns
    -------
    path : Path

    Raises
    ------
    AudioError
        When the source cannot be decoded, or decodes to more audio than its header states.
    """
    import soxr

    path = Path(path)
    form = form or PreviewFormat(info.sr, preview_channels(info.channels), info.frames)
    resampler = None if form.sr == info.sr else soxr.ResampleStream(info.sr, form.sr, form.channels,
                                                                    dtype="float32")
    most_frames = int(info.frames * _LENGTH_SLACK) + _BLOCK_FRAMES
    decoded = 0
    with atomic_path(path) as temporary:
        try:
            with sf.SoundFile(str(info.path)) as source, \
                    sf.SoundFile(str(temporary), "w", samplerate=form.sr, channels=form.channels,
                                 subtype="PCM_16", format="WAV") as out:
                while True:
                    block = source.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                    if block.shape[0] == 0:
                        break
                    decoded += block.shape[0]
                    if decoded > most_frames:
                        raise AudioError(f"{info.path}: decodes to more audio than its header states "
                                         f"({info.duration:.1f} s); refused")
                    if block.shape[1] != form.channels:
                        block = block.mean(axis=1, keepdims=True)
                    if resampler is not None:
                        block = resampler.resample_chunk(block)
                    out.write(np.clip(block, -1.0, 1.0))
                if resampler is not None:
                    out.write(np.clip(resampler.resample_chunk(np.zeros((0, form.channels), np.float32),
                                                               last=True), -1.0, 1.0))
        except (sf.LibsndfileError, RuntimeError) as error:
            raise AudioError(f"{info.path}: corrupt audio data ({error})") from None
    return path

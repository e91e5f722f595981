"""Audio input and output.

Reading goes through libsndfile (``soundfile``): WAV (8/16/24/32-bit integer and
float), AIFF, FLAC, OGG and MP3, any sample rate from 8 to 192 kHz, any number of
channels. Two views of a file are used:

* the *analysis signal*: mono, float32, at the internal rate (``constants.SAMPLE_RATE``),
  read block by block so that an hour of audio needs no more than its mono copy;
* *segments* of the original: the exact stored samples, in the file's own sample
  format, to cut chops from at full quality.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np
import soundfile as sf

from .. import constants
from ..exceptions import AudioError, OutputError
from .fileio import atomic_path
from .riff import is_riff_wave, riff_chunks

__all__ = [
    "AudioInfo",
    "probe",
    "load_analysis",
    "segment_reader",
    "read_segment",
    "write_wav",
    "output_subtype",
    "to_float",
    "from_float",
]

#: How the samples of each stored sample format are read without loss, and the WAV
#: subtype that keeps them. Lossy or unusual formats are decoded to float and kept
#: as 24-bit WAV.
_NATIVE = {
    "PCM_U8": ("int16", "PCM_U8"),
    "PCM_S8": ("int16", "PCM_U8"),
    "PCM_16": ("int16", "PCM_16"),
    "PCM_24": ("int32", "PCM_24"),
    "PCM_32": ("int32", "PCM_32"),
    "FLOAT": ("float32", "FLOAT"),
    "DOUBLE": ("float64", "DOUBLE"),
}
_LOSSY = ("float32", "PCM_24")

#: Frames read per block when streaming the analysis signal.
_BLOCK_FRAMES = 1 << 18

#: Chops up to this many bytes of samples (about 95 s of 16-bit stereo at 44.1 kHz) are
#: encoded in memory and written in one go (see :func:`write_wav`); longer ones are
#: written by libsndfile directly, where its fsync costs little beside the writing and
#: an in-memory copy would add to the peak memory of a long file.
_ENCODE_IN_MEMORY = 16 << 20


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header.

    Attributes
    ----------
    path : Path
    sr : int
        Sample rate in Hz.
    channels : int
    frames : int
        Samples per channel.
    format : str
        Container (``"WAV"``, ``"FLAC"``, ...).
    subtype : str
        Stored sample format (``"PCM_16"``, ``"FLOAT"``, ``"VORBIS"``, ...).
    """

    path: Path
    sr: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sr

    @property
    def dtype(self) -> str:
        """numpy dtype that holds the stored samples without loss."""
        return _NATIVE.get(self.subtype, _LOSSY)[0]


def output_subtype(info: AudioInfo) -> str:
    """WAV subtype that keeps the source's sample format (24-bit for lossy sources)."""
    return _NATIVE.get(info.subtype, _LOSSY)[1]


def probe(path: os.PathLike | str) -> AudioInfo:
    """Read an audio file's header and check that it can be used.

    Raises
    ------
    AudioError
        When the file is missing, empty, not audio, or its sample rate or length is
        out of range.
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: file not found")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise AudioError(f"{path}: cannot read ({error.strerror})") from None
    if size == 0:
        raise AudioError(f"{path}: file is empty")
    try:
        raw = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        message = str(error).split(":")[-1].strip() or "unknown format"
        raise AudioError(f"{path}: not a readable audio file ({message})") from None
    info = AudioInfo(
        path=path,
        sr=int(raw.samplerate),
        channels=int(raw.channels),
        frames=int(raw.frames),
        format=str(raw.format),
        subtype=str(raw.subtype),
    )
    if not constants.MIN_INPUT_SAMPLE_RATE <= info.sr <= constants.MAX_INPUT_SAMPLE_RATE:
        raise AudioError(
            f"{path}: sample rate {info.sr} Hz is outside "
            f"{constants.MIN_INPUT_SAMPLE_RATE}-{constants.MAX_INPUT_SAMPLE_RATE} Hz"
        )
    if info.channels < 1:
        raise AudioError(f"{path}: has no audio channels")
    if info.frames <= 0:
        raise AudioError(f"{path}: holds no audio samples")
    if info.format == "WAV":
        missing = _wav_missing_bytes(path, size)
        if missing:
            raise AudioError(f"{path}: truncated: {missing} bytes of audio data are missing")
    return info


def _wav_missing_bytes(path: Path, size: int) -> int:
    """Bytes that a RIFF/WAVE file's ``data`` chunk declares but the file lacks.

    libsndfile quietly shortens a truncated WAV to what is there, so the header is
    checked here: 0 for a whole file (or one that is not a plain RIFF WAVE).
    """
    with open(path, "rb") as handle:
        if not is_riff_wave(handle.read(12)):
            return 0
        for chunk_id, position, chunk_size in riff_chunks(handle, size):
            if chunk_id == b"data":
                if chunk_size == 0xFFFFFFFF:  # size unknown (streamed); nothing to check
                    return 0
                return max(0, position + 8 + chunk_size - size)
    return 0


def _open(info: AudioInfo) -> sf.SoundFile:
    try:
        return sf.SoundFile(str(info.path))
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        raise AudioError(f"{info.path}: cannot open ({error})") from None


def load_analysis(
    path: os.PathLike | str,
    *,
    sr: int = constants.SAMPLE_RATE,
    info: Optional[AudioInfo] = None,
) -> tuple[np.ndarray, AudioInfo]:
    """Read a file as the mono analysis signal at ``sr``.

    The file is read in blocks, mixed down to mono and resampled (soxr) on the fly,
    so peak memory is about twice the mono result (its blocks, then their
    concatenation), whatever the source's channels and sample rate.

    Parameters
    ----------
    path : path-like
        Audio file.
    sr : int > 0
        Target sample rate in Hz.
    info : AudioInfo, optional
        The file's header, if :func:`probe` was called already.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono signal at ``sr``.
    info : AudioInfo
        The file's header.

    Raises
    ------
    AudioError
        When the file cannot be decoded, is truncated, or holds NaN or infinity.
    """
    import soxr

    info = info or probe(path)
    resampler = None if info.sr == sr else soxr.ResampleStream(info.sr, sr, 1, dtype="float32")
    # 16-bit (and 8-bit) samples are read as integers and scaled here: the same float32
    # values as libsndfile's conversion (a power-of-two scale is exact), in half the time.
    read_dtype = "int16" if info.dtype == "int16" else "float32"
    scale = np.float32(1.0 / 32768.0) if read_dtype == "int16" else np.float32(1.0)
    mixdown = np.full(info.channels, 1.0 / info.channels, dtype=np.float32) * scale
    check_finite = info.dtype.startswith("float")  # integer samples are always finite
    pieces: list[np.ndarray] = []
    frames_read = 0
    with _open(info) as handle:
        while True:
            try:
                block = handle.read(_BLOCK_FRAMES, dtype=read_dtype, always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as error:
                raise AudioError(f"{info.path}: corrupt audio data ({error})") from None
            if block.shape[0] == 0:
                break
            frames_read += block.shape[0]
            if read_dtype == "int16":
                block = block.astype(np.float32)
            # A matrix-vector product mixes down several times faster than .mean(axis=1).
            mono = block @ mixdown if info.channels > 1 else block[:, 0] * mixdown[0]
            if check_finite and not np.all(np.isfinite(mono)):
                raise AudioError(
                    f"{info.path}: holds NaN or infinite samples "
                    f"(near {frames_read / info.sr:.2f} s)"
                )
            if resampler is not None:
                mono = resampler.resample_chunk(mono)
            pieces.append(np.ascontiguousarray(mono, dtype=np.float32))
        if resampler is not None:
            pieces.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    if frames_read < info.frames:
        raise AudioError(
            f"{info.path}: truncated: header promises {info.frames} samples, "
            f"only {frames_read} could be read"
        )
    y = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return y, info


@contextlib.contextmanager
def segment_reader(info: AudioInfo) -> Iterator[Callable[[int, int], np.ndarray]]:
    """Open a file once for several :func:`read_segment`-style reads.

    Yields
    ------
    read : callable
        ``read(start, stop)`` gives samples ``[start, stop)`` exactly as stored.
    """
    with _open(info) as handle:

        def read(start: int, stop: int) -> np.ndarray:
            start = max(0, int(start))
            stop = min(info.frames, int(stop))
            try:
                handle.seek(start)
                return handle.read(max(stop - start, 0), dtype=info.dtype, always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as error:
                raise AudioError(f"{info.path}: corrupt audio data ({error})") from None

        yield read


def read_segment(info: AudioInfo, start: int, stop: int) -> np.ndarray:
    """Read samples ``[start, stop)`` of a file exactly as stored.

    Returns
    -------
    data : np.ndarray [shape=(stop - start, channels)]
        In ``info.dtype``: integer formats come back as integers, so that writing
        them with :func:`write_wav` reproduces the source bit for bit.
    """
    with segment_reader(info) as read:
        return read(start, stop)


def to_float(data: np.ndarray) -> np.ndarray:
    """Samples in any stored dtype as float64 in [-1, 1)."""
    if data.dtype == np.int16:
        return data.astype(np.float64) / 32768.0
    if data.dtype == np.int32:
        return data.astype(np.float64) / 2147483648.0
    return data.astype(np.float64)


def from_float(values: np.ndarray, dtype: np.dtype | str, *, subtype: str = "") -> np.ndarray:
    """Convert float samples back to a stored dtype, rounding and clipping.

    For 24-bit audio held in int32, values are rounded to the 24-bit grid so that
    writing them loses nothing.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return values.astype(dtype)
    if dtype == np.int16:
        scale, step = 32768.0, 1
    elif subtype == "PCM_24":
        scale, step = 2147483648.0, 256
    else:
        scale, step = 2147483648.0, 1
    limit = np.iinfo(dtype)
    steps = np.round(values * (scale / step))
    steps = np.clip(steps, limit.min // step, limit.max // step)
    return (steps * step).astype(dtype)


def write_wav(path: os.PathLike | str, data: np.ndarray, *, sr: int, subtype: str) -> None:
    """Write samples as a WAV file, atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.wav``.
    data : np.ndarray [shape=(n, channels)]
        Samples in the dtype that :func:`read_segment` returns for ``subtype``.
    sr : int
        Sample rate in Hz.
    subtype : str
        libsndfile subtype (``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``, ...).
    """
    path = Path(path)
    if data.dtype.kind == "f" and subtype.startswith("PCM"):
        data = np.clip(data, -1.0, 1.0)
    with atomic_path(path) as temporary:
        try:
            if data.nbytes <= _ENCODE_IN_MEMORY:
                # libsndfile fsyncs every file it closes (about 2 ms a chop); encoded in
                # memory, the WAV is written with one plain write. The atomic rename keeps
                # outputs whole if the run fails or is killed; unlike the fsync, it does
                # not make a just-written chop survive a power cut.
                buffer = io.BytesIO()
                sf.write(buffer, data, sr, subtype=subtype, format="WAV")
                temporary.write_bytes(buffer.getbuffer())
            else:
                sf.write(str(temporary), data, sr, subtype=subtype, format="WAV")
        except (sf.LibsndfileError, RuntimeError, OSError) as error:
            raise OutputError(f"{path}: cannot write ({error})") from None

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
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np
import soundfile as sf

from .. import constants, interrupts
from ..exceptions import AudioError, OutputError
from .containers import container_problems
from .decoder_log import decoder_output
from .fileio import atomic_path, write_all
from .pcm_wav import write_pcm_wav
from .resampling import PipelinedResampler

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

#: Most samples (frames times channels) read per block: a file of many channels is
#: read in fewer frames at a time, so that a block stays within 64 MB.
_BLOCK_SAMPLES = 1 << 24

#: Frames read per block from a compressed stream: smaller, so that when the stream
#: breaks off, no more than this is lost before the break.
_COMPRESSED_BLOCK_FRAMES = 1 << 15

#: Frames read per block from a stream whose header lacks its length: libsndfile
#: fails the read that reaches its end, and what that read decoded is lost.
_UNKNOWN_LENGTH_BLOCK_FRAMES = 1 << 12

#: Containers of plain samples (libsndfile's format names).
_UNCOMPRESSED = ("WAV", "WAVEX", "AIFF", "RF64", "W64", "CAF", "AU", "RAW")


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
    damage : tuple of str
        Faults of a file that is read anyway (a wrong header size, a stream that ends
        early, damaged MP3 frames), one phrase each; empty for a sound file.
    length_known : bool
        Whether the header gave ``frames``. A streamed FLAC's header does not: its
        length was counted by decoding it.
    """

    path: Path
    sr: int
    channels: int
    frames: int
    format: str
    subtype: str
    damage: tuple[str, ...] = ()
    length_known: bool = True

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


def probe(path: os.PathLike | str, *, max_seconds: float = constants.MAX_INPUT_SECONDS) -> AudioInfo:
    """Read an audio file's header and check that it can be used.

    A header that libsndfile reads despite faults (wrong sizes, a truncated ``data``
    chunk, an MP3 decoder's complaints) is not refused: the faults are listed in
    :attr:`AudioInfo.damage`. A header without the length (a streamed FLAC) has the
    length counted by decoding, without keeping the samples.

    Parameters
    ----------
    path : path-like
    max_seconds : float
        Longest audio accepted (by the header, or by counting when the header lacks
        the length; a web server takes less than the command line).

    Raises
    ------
    AudioError
        When the file is missing, not a regular file, empty, not audio, or its sample
        rate or length is out of range.
    """
    path = Path(path)
    _regular_file_size(path)
    with _decoder_notes_for(path) as decoder_notes:
        try:
            raw = sf.info(os.fsencode(path))
        except (sf.LibsndfileError, RuntimeError, OSError) as error:
            raw = None
            reason = _unreadable_reason(error)
    if raw is None:
        if decoder_notes:
            reason = "no valid MPEG audio frames"
        raise AudioError(f"{path}: not a readable audio file ({reason})")
    info = AudioInfo(
        path=path,
        sr=int(raw.samplerate),
        channels=int(raw.channels),
        frames=int(raw.frames),
        format=str(raw.format),
        subtype=str(raw.subtype),
        damage=tuple(_decoder_damage(decoder_notes)),
    )
    if not constants.MIN_INPUT_SAMPLE_RATE <= info.sr <= constants.MAX_INPUT_SAMPLE_RATE:
        raise AudioError(
            f"{path}: sample rate {info.sr} Hz is outside "
            f"{constants.MIN_INPUT_SAMPLE_RATE}-{constants.MAX_INPUT_SAMPLE_RATE} Hz"
        )
    if info.channels < 1:
        raise AudioError(f"{path}: has no audio channels")
    if info.frames >= _UNKNOWN_LENGTH:
        info = replace(info, frames=_count_frames(info, max_seconds), length_known=False,
                       damage=info.damage + ("its header does not give the length",))
    _check_length(info, info.frames, max_seconds)
    if info.frames <= 0:
        raise AudioError(f"{path}: holds no audio samples")
    problems = container_problems(path, info.format)
    if problems:
        info = replace(info, damage=info.damage + tuple(problems))
    return info


def _regular_file_size(path: Path) -> int:
    """The size of ``path``, refusing what is not a regular file, without opening it.

    A named pipe is never opened: reading it would wait for a writer.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        raise AudioError(f"{path}: file not found") from None
    except OSError as error:
        raise AudioError(f"{path}: cannot read ({error.strerror or error})") from None
    if stat.S_ISDIR(status.st_mode):
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _SPECIAL_FILES if test(status.st_mode)), "special file")
        raise AudioError(f"{path}: is a {kind}, not an audio file")
    if status.st_size == 0:
        raise AudioError(f"{path}: file is empty")
    return status.st_size


#: Kinds of file that are not regular files, as the refusal names them.
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)

#: libsndfile's frame count for a stream whose header does not give its length.
_UNKNOWN_LENGTH = 2**62


def _unreadable_reason(error: Exception) -> str:
    """libsndfile's reason for refusing a file, without its misleading guesses.

    For some formats (an ``.mp3`` of random bytes) libsndfile says "File does not
    exist or is not a regular file (possibly a pipe?)" about a regular file that
    exists: what it means is that the format was not recognised.
    """
    message = str(error).split(":")[-1].strip().rstrip(".")
    if not message or "not a regular file" in message or "does not exist" in message:
        return "format not recognised"
    return message[0].lower() + message[1:]


def _decoder_damage(lines: list[str]) -> list[str]:
    """One fixed phrase for what the MP3 decoder complained about (empty if nothing)."""
    if not lines:
        return []
    text = " ".join(lines)
    if "Xing stream size" in text:
        return ["its MP3 header gives the wrong stream length"]
    if "resync" in text.lower() or "Illegal Audio-MPEG-Header" in text:
        return ["damaged MPEG frames were skipped"]
    return ["the MP3 decoder reported errors"]


def _looks_like_mp3(path: Path) -> bool:
    """Whether libsndfile will hand ``path`` to its MP3 decoder: an ``.mp3`` name, an
    ID3 tag, or an MPEG frame header at the start."""
    if path.suffix.lower() == ".mp3":
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(3)
    except OSError:
        return False
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _decoder_notes_for(path: Path) -> contextlib.AbstractContextManager[list[str]]:
    """Capture the decoder's notes while probing what may be an MP3."""
    return decoder_output() if _looks_like_mp3(path) else contextlib.nullcontext([])


def _check_length(info: AudioInfo, frames: int, max_seconds: float) -> None:
    """Refuse audio longer than ``max_seconds``."""
    if frames > max_seconds * info.sr:
        raise AudioError(f"{info.path}: decodes to {_duration_text(frames / info.sr)} of audio, "
                         f"more than the {_duration_text(max_seconds)} read here")


def _duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours".replace(".0 hours", " hours")
    if seconds >= 120:
        return f"{seconds / 60:.1f} minutes".replace(".0 minutes", " minutes")
    return f"{seconds:.0f} s"


def _count_frames(info: AudioInfo, max_seconds: float) -> int:
    """Decode a file whose header lacks its length, counting frames (within the limit)."""
    counted = 0
    with _decoder_notes(info), _open(info) as handle:
        while True:
            try:
                block = handle.read(_UNKNOWN_LENGTH_BLOCK_FRAMES, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as error:
                if counted == 0:
                    raise AudioError(f"{info.path}: corrupt audio data ({error})") from None
                break  # the end, as libsndfile reports it for such streams
            if block.shape[0] == 0:
                break
            counted += block.shape[0]
            _check_length(info, counted, max_seconds)
    return counted


def _decoder_notes(info: AudioInfo) -> contextlib.AbstractContextManager[list[str]]:
    """Capture the decoder's notes while an MP3 is decoded (other decoders are quiet)."""
    if info.format == "MP3" or info.subtype.startswith("MPEG"):
        return decoder_output()
    return contextlib.nullcontext([])


def _open(info: AudioInfo) -> sf.SoundFile:
    try:
        return sf.SoundFile(os.fsencode(info.path))
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
    each block on a thread of its own while the next one is read
    (:class:`~samplechop.io.resampling.PipelinedResampler`), each resampled block
    copied at once into one array sized from the file's length, so peak memory is
    about the mono result and a few blocks, whatever the source's channels and
    sample rate.

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
        When the file cannot be decoded at all, or holds NaN or infinity. A stream
        that ends early or breaks off is read up to there, and the returned header
        says so in ``damage`` (with ``frames`` as read).
    """
    info = info or probe(path)
    # 16-bit (and 8-bit) samples are read as integers and scaled here: the same float32
    # values as libsndfile's conversion (a power-of-two scale is exact), in half the time.
    read_dtype = "int16" if info.dtype == "int16" else "float32"
    scale = np.float32(1.0 / 32768.0) if read_dtype == "int16" else np.float32(1.0)
    mixdown = np.full(info.channels, 1.0 / info.channels, dtype=np.float32) * scale
    check_finite = info.dtype.startswith("float")  # integer samples are always finite
    frames_read = 0
    damage = list(info.damage)
    failure = ""
    if not info.length_known:
        block_frames = _UNKNOWN_LENGTH_BLOCK_FRAMES
    elif info.format in _UNCOMPRESSED:
        block_frames = _BLOCK_FRAMES
    else:
        block_frames = _COMPRESSED_BLOCK_FRAMES
    block_frames = min(block_frames, max(_BLOCK_SAMPLES // info.channels, 1024))  # many channels
    # each block is resampled on a thread of its own while the next one is read
    resampler = _Unresampled() if info.sr == sr else PipelinedResampler(info.sr, sr, frames=info.frames)
    with _decoder_notes(info) as decoder_notes, _open(info) as handle, resampler:
        while True:
            try:
                block = handle.read(block_frames, dtype=read_dtype, always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as error:
                failure = str(error).strip().rstrip(".").removeprefix("Error : ")
                break
            if block.shape[0] == 0:
                break
            frames_read += block.shape[0]
            if read_dtype == "int16":
                block = block.astype(np.float32)
            # A matrix-vector product mixes down several times faster than .mean(axis=1).
            # Absurd float samples (1e38 in two channels) may overflow: checked below.
            with np.errstate(over="ignore", invalid="ignore"):
                mono = block @ mixdown if info.channels > 1 else block[:, 0] * mixdown[0]
            if check_finite and not np.all(np.isfinite(mono)):
                raise AudioError(
                    f"{info.path}: holds NaN, infinite or absurdly large samples "
                    f"(near {frames_read / info.sr:.2f} s)"
                )
            resampler.push(np.ascontiguousarray(mono, dtype=np.float32))
        y = resampler.finish()
    damage.extend(phrase for phrase in _decoder_damage(decoder_notes) if phrase not in damage)
    if failure and not info.length_known and frames_read >= info.frames:
        failure = ""  # the read past the end of a stream of unknown length
    if failure and frames_read == 0:
        reason = "; ".join(damage[len(info.damage):]) or failure
        raise AudioError(f"{info.path}: corrupt audio data ({reason})")
    if failure:
        damage.append(f"corrupt data after {frames_read / info.sr:.2f} s ({failure}): "
                      "the rest was not read")
    elif frames_read < info.frames:
        damage.append(f"the stream ends early: {frames_read / info.sr:.2f} s of the "
                      f"{info.duration:.2f} s its header promises")
    if frames_read != info.frames or len(damage) != len(info.damage):
        info = replace(info, frames=frames_read, damage=tuple(damage))
    if frames_read == 0:
        raise AudioError(f"{info.path}: holds no audio samples")
    return y, info


class _Unresampled:
    """The blocks of a file already at the analysis rate, joined (the interface of
    :class:`~samplechop.io.resampling.PipelinedResampler`)."""

    def __init__(self) -> None:
        self._pieces: list[np.ndarray] = []

    def __enter__(self) -> "_Unresampled":
        return self

    def __exit__(self, *_: object) -> None:
        self._pieces = []

    def push(self, block: np.ndarray) -> None:
        self._pieces.append(block)

    def finish(self) -> np.ndarray:
        return np.concatenate(self._pieces) if self._pieces else np.zeros(0, dtype=np.float32)


@contextlib.contextmanager
def segment_reader(info: AudioInfo) -> Iterator[Callable[[int, int], np.ndarray]]:
    """Open a file once for several :func:`read_segment`-style reads.

    Yields
    ------
    read : callable
        ``read(start, stop)`` gives samples ``[start, stop)`` exactly as stored.
    """
    with _decoder_notes(info), _open(info) as handle:

        def read(start: int, stop: int) -> np.ndarray:
            start = max(0, int(start))
            stop = min(info.frames, int(stop))
            try:
                handle.seek(start)
                return handle.read(max(stop - start, 0), dtype=info.dtype, always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as error:
                raise AudioError(f"{info.path}: corrupt audio data ({error})") from None
            except ValueError:  # a damaged stream whose decoder lost its place
                raise AudioError(f"{info.path}: corrupt audio data (cannot seek to "
                                 f"{start / info.sr:.2f} s)") from None

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


class _WavTarget(io.FileIO):
    """The file libsndfile writes a WAV into, through Python (its virtual I/O).

    Given a path, libsndfile fsyncs the file it closes (about 2 ms a chop); given
    this file object, it writes through :meth:`write`, which writes all it is given
    or keeps the first ``OSError`` (a full disk) and reports a short write instead of
    raising: raised in libsndfile's callback, the error would be printed as a
    traceback by cffi.
    """

    error: Optional[OSError] = None

    def write(self, data) -> int:  # type: ignore[override]
        try:
            write_all(self.fileno(), data)
        except OSError as error:
            self.error = self.error or error
            return 0  # a short write: libsndfile stops
        return memoryview(data).nbytes


def write_wav(path: os.PathLike | str, data: np.ndarray, *, sr: int, subtype: str, atomic: bool = True) -> None:
    """Write samples as a WAV file, atomically unless told otherwise.

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
    atomic : bool
        Write beside ``path`` and rename into place (default). ``False`` writes
        ``path`` itself, for a file inside a folder that is published whole or not
        at all (a kit's staging folder): a failed write leaves a partial file there.
    """
    path = Path(path)
    if data.dtype.kind == "f" and subtype.startswith("PCM"):
        data = np.clip(data, -1.0, 1.0)
    if not atomic:
        _write_wav_to(path, data, sr=sr, subtype=subtype, named=path)
        return
    with atomic_path(path) as temporary:
        _write_wav_to(temporary, data, sr=sr, subtype=subtype, named=path)


def _write_wav_to(target_path: Path, data: np.ndarray, *, sr: int, subtype: str, named: Path) -> None:
    """Write a WAV file at ``target_path``; errors name ``named``, the output."""
    try:  # integer PCM without libsndfile's callbacks: the same bytes (docs/dependencies.md)
        if write_pcm_wav(target_path, data, sr=sr, subtype=subtype):
            return
    except OSError as error:
        raise OutputError(f"{named}: cannot write ({error.strerror or error})") from None
    # Written through a file object (see _WavTarget): no fsync, so a just-written
    # chop may not survive a power cut; the atomic rename (or the kit's staging
    # folder) keeps outputs whole if the run fails or is killed.
    target: Optional[_WavTarget] = None
    try:
        target = _WavTarget(target_path, "wb")
        with target, interrupts.deferred():  # libsndfile calls back into Python to write
            try:
                sf.write(target, data, sr, subtype=subtype, format="WAV")
            except AssertionError:  # soundfile's check that every frame was written
                if target.error is None:
                    raise
        if target.error is not None:
            raise target.error
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        error = getattr(target, "error", None) or error
        reason = getattr(error, "strerror", None) or str(error)
        raise OutputError(f"{named}: cannot write ({reason})") from None

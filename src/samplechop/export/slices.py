"""Cut chops out of the original audio and write them as WAV files.

Each chop is read from the source exactly as stored and written in the same sample
rate, channel count and sample format; only the fades change samples.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .. import interrupts
from ..chop import Chop
from ..io import audio
from .describe import FULL_SCALE, levels

__all__ = ["chop_names", "apply_fades", "write_slices"]


def chop_names(stem: str, count: int) -> list[str]:
    """File names ``<stem>_chop01.wav`` ... (at least two digits, more for over 99 chops)."""
    digits = max(2, len(str(count)))
    return [f"{stem}_chop{number:0{digits}d}.wav" for number in range(1, count + 1)]


def apply_fades(
    data: np.ndarray, *, sr: int, fade_in: float, fade_out: float, subtype: str, copy: bool = True
) -> np.ndarray:
    """Linear fade-in and fade-out, in the samples' own format.

    Parameters
    ----------
    data : np.ndarray [shape=(n, channels)]
        Samples as read by :func:`samplechop.io.audio.read_segment`.
    sr : int
        Sample rate in Hz.
    fade_in, fade_out : float
        Seconds (0 leaves that end untouched).
    subtype : str
        The WAV subtype the samples will be written as (for exact rounding).
    copy : bool
        Fade a copy (default); ``False`` fades ``data`` itself, which saves copying a
        whole chop to change its ends.

    Returns
    -------
    faded : np.ndarray
        Same shape and dtype; samples outside the fades are unchanged bit for bit.
    """
    n = data.shape[0]
    fade_in_samples = min(int(round(fade_in * sr)), n)
    fade_out_samples = min(int(round(fade_out * sr)), n)
    if fade_in_samples == 0 and fade_out_samples == 0:
        return data
    out = data.copy() if copy else data
    if fade_in_samples:
        ramp = np.arange(fade_in_samples, dtype=np.float64) / fade_in_samples
        head = audio.to_float(out[:fade_in_samples]) * ramp[:, None]
        out[:fade_in_samples] = audio.from_float(head, out.dtype, subtype=subtype)
    if fade_out_samples:
        ramp = np.arange(fade_out_samples, 0, -1, dtype=np.float64) - 1
        ramp /= max(fade_out_samples - 1, 1)
        tail = audio.to_float(out[n - fade_out_samples :]) * ramp[:, None]
        out[n - fade_out_samples :] = audio.from_float(tail, out.dtype, subtype=subtype)
    return out


def write_slices(
    info: audio.AudioInfo,
    chops: Sequence[Chop],
    folder: Path,
    names: Sequence[str],
    *,
    fade_in: float,
    fade_out: float,
    threads: int = 1,
) -> tuple[list[Path], list[tuple[float, float]]]:
    """Write each chop of ``info``'s file into ``folder`` under its name.

    With ``threads`` of 2 or more, the later chops (about half the samples) are
    written on a second thread while the caller's writes the earlier ones; the files
    are the same. An error or interruption on either thread stops the other after
    the chop it is writing, and is raised here.

    Parameters
    ----------
    info : AudioInfo
        The source.
    chops : sequence of Chop
    folder : Path
        The folder the chops are written into: a staging folder that is published
        whole or removed (:func:`samplechop.export.writer.write_kit`), as the chops
        are written in place, each without an atomic rename of its own.
    names : sequence of str
        The file name of each chop.
    fade_in, fade_out : float
        Fade lengths in seconds.
    threads : int
        Threads that write the chops (1 or 2 are used).

    Returns
    -------
    paths : list of Path
    chop_levels : list of (float, float)
        Each chop's peak and RMS level in dBFS (before fades), measured on the
        samples read for it, so the manifest need not read them again.
    """
    options = {"fade_in": fade_in, "fade_out": fade_out}
    split = _half_of_the_samples(chops) if threads > 1 else len(chops)
    if split >= len(chops):
        return _write_run(info, chops, folder, names, **options)
    stop, running, finished = threading.Event(), threading.Event(), threading.Event()

    def later_chops() -> tuple[list[Path], list[tuple[float, float]]]:
        running.set()
        try:  # _write_run looks at ``stop`` before the first chop too
            return _write_run(info, chops[split:], folder, names[split:], stop=stop, **options)
        except BaseException:
            stop.set()  # the caller's thread stops after the chop it is writing
            raise
        finally:
            finished.set()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="samplechop-slices") as pool:
        later = None
        try:
            later = pool.submit(later_chops)
            paths, chop_levels = _write_run(info, chops[:split], folder, names[:split], stop=stop, **options)
            more_paths, more_levels = later.result()
        except _Stopped:
            later.result()  # the other thread failed first: its error is the one raised
            raise
        except BaseException:
            # A stop signal can land inside submit(), after the thread started but before
            # the pool would wait for it: wait here if it runs (one chop at most, a second
            # signal held back meanwhile), so that nothing is written into the folder
            # after the caller removes it (a thread not yet running sees ``stop`` and
            # writes nothing).
            stop.set()
            with interrupts.deferred():
                if running.is_set():
                    finished.wait()
            raise
    return paths + more_paths, chop_levels + more_levels


def _half_of_the_samples(chops: Sequence[Chop]) -> int:
    """The index of the first chop after about half of all the chops' samples."""
    lengths = np.array([max(chop.end_sample - chop.start_sample, 0) for chop in chops], dtype=np.int64)
    if lengths.size < 2:
        return lengths.size
    cumulative = np.cumsum(lengths)
    return int(min(max(np.searchsorted(cumulative, cumulative[-1] / 2.0) + 1, 1), lengths.size - 1))


class _Stopped(Exception):
    """The other thread writing a kit's chops failed or was interrupted."""


def _write_run(
    info: audio.AudioInfo,
    chops: Sequence[Chop],
    folder: Path,
    names: Sequence[str],
    *,
    fade_in: float,
    fade_out: float,
    stop: Optional[threading.Event] = None,
) -> tuple[list[Path], list[tuple[float, float]]]:
    """Write consecutive chops through one reader of the source, checking ``stop``
    before each."""
    subtype = audio.output_subtype(info)
    full_scale = FULL_SCALE.get(info.dtype, 1.0)
    paths, chop_levels = [], []
    with audio.segment_reader(info) as read:
        for chop, name in zip(chops, names):
            if stop is not None and stop.is_set():
                raise _Stopped
            data = read(chop.start_sample, chop.end_sample)
            chop_levels.append(levels(data, full_scale=full_scale))
            data = apply_fades(data, sr=info.sr, fade_in=fade_in, fade_out=fade_out, subtype=subtype,
                               copy=False)  # the samples were read for this chop alone
            path = folder / name
            # not atomic on its own: the kit's staging folder is published whole or removed
            audio.write_wav(path, data, sr=info.sr, subtype=subtype, atomic=False)
            paths.append(path)
    return paths, chop_levels

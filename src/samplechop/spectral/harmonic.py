"""Harmonic-only (HPSS) spectra of the sounds that start at given times.

Median-filtering HPSS (Fitzgerald, 2010): harmonic energy is smooth along time,
percussive energy along frequency. The harmonic mask is ``H**p / (H**p + P**p)``,
with ``H`` and ``P`` the magnitude spectrogram median-filtered along time and along
frequency, each with its edges mirrored (the ``"reflect"`` extension of
``scipy.ndimage.median_filter``, as librosa's ``decompose.hpss(mask=True)`` uses).

Written on numpy alone: importing librosa's decomposition module takes about a
second and scipy.ndimage about 0.14 s, more than the whole selection of a 3-minute
file. Each median is taken for the frames that a spectrum reads, not for the whole
spectrogram, so the cost grows with the number of times, not with the audio's length.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ParameterError

__all__ = ["mirrored_index", "median_filter", "harmonic_spectra"]


#: Times whose spectra are computed together: 64 x 22 frames x 17 x 84 float32 is about
#: 8 MB for the time medians.
_TIMES_PER_BLOCK = 64


def mirrored_index(index: np.ndarray, length: int) -> np.ndarray:
    """Map indices of any size onto ``[0, length)`` by mirroring at the edges.

    The extension ``d c b a | a b c d | d c b a``: the edge sample is repeated, and
    the pattern repeats every ``2 * length`` (``numpy.pad``'s ``"symmetric"`` mode).
    """
    period = np.mod(index, 2 * length)
    return np.where(period >= length, 2 * length - 1 - period, period)


def _odd_size(size: int, name: str) -> int:
    if size < 1 or size % 2 == 0:
        raise ParameterError(f"{name}={size} must be an odd number of at least 1")
    return int(size)


def median_filter(values: np.ndarray, size: int, *, axis: int) -> np.ndarray:
    """Running median of ``size`` values along ``axis``, the edges mirrored.

    Equal to ``scipy.ndimage.median_filter(values, size=...)`` with ``mode="reflect"``
    and a size of 1 along every other axis (a median of an odd count is one of the
    values, so the two agree exactly), wherever ``size // 2`` is at most the length of
    ``axis``: scipy extends a shorter axis otherwise.

    Parameters
    ----------
    values : np.ndarray
    size : int
        Odd window length.
    axis : int

    Returns
    -------
    filtered : np.ndarray [shape=values.shape, dtype=values.dtype]
    """
    reach = _odd_size(size, "size") // 2
    moved = np.moveaxis(np.asarray(values), axis, -1)
    length = moved.shape[-1]
    windows = mirrored_index(np.arange(length)[:, None] + np.arange(-reach, reach + 1), length)
    gathered = np.partition(moved[..., windows], reach, axis=-1)[..., reach]
    return np.moveaxis(gathered, -1, axis)


def harmonic_spectra(
    log_spectrogram: np.ndarray,
    times: np.ndarray,
    *,
    frame_rate: float,
    window: float = 0.5,
    kernel_frames: int = 17,
    kernel_bins: int = 9,
    power: float = 2.0,
) -> np.ndarray:
    """Harmonic-only semitone spectrum of the sound that starts at each time.

    HPSS runs on the semitone spectrogram, as the original design ran it on its CQT.
    A time's spectrum is the mean over the frames in ``[time, time + window)`` of the
    harmonic part; the medians along time reach ``kernel_frames // 2`` frames beyond,
    mirrored at the file's first and last frames.

    Parameters
    ----------
    log_spectrogram : np.ndarray [shape=(frames, n_bins)]
        The ``"logspec"`` feature (``log1p`` of semitone magnitudes).
    times : np.ndarray [shape=(m,)]
        Start times in seconds.
    frame_rate : float
        Frames per second of the spectrogram.
    window : float > 0
        Seconds after each time that its spectrum describes.
    kernel_frames, kernel_bins : int
        Odd median filter lengths along time (frames) and frequency (semitones).
    power : float > 0
        Exponent of the soft mask.

    Returns
    -------
    spectra : np.ndarray [shape=(m, n_bins), dtype=float32]
        ``log1p`` of the mean harmonic magnitude per semitone band, L2-normalised
        (an all-zero row for silence).
    """
    total, n_bins = log_spectrogram.shape
    _odd_size(kernel_frames, "kernel_frames")
    _odd_size(kernel_bins, "kernel_bins")
    span = max(1, int(round(window * frame_rate)))
    times = np.asarray(times, dtype=np.float64)
    out = np.zeros((times.size, n_bins), dtype=np.float32)
    if times.size == 0 or total == 0:
        return out
    firsts = np.clip(np.rint(times * frame_rate).astype(np.int64), 0, total - 1)
    lasts = np.minimum(total, firsts + span)
    # In blocks of times, so that memory stays bounded however many times are asked for
    # (each frame's medians are its own: the blocks change no value).
    for start in range(0, times.size, _TIMES_PER_BLOCK):
        block = slice(start, start + _TIMES_PER_BLOCK)
        out[block] = _block_spectra(log_spectrogram, firsts[block], lasts[block], kernel_frames=kernel_frames,
                                    kernel_bins=kernel_bins, power=power)
    return out


def _block_spectra(log_spectrogram: np.ndarray, firsts: np.ndarray, lasts: np.ndarray, *, kernel_frames: int,
                   kernel_bins: int, power: float) -> np.ndarray:
    """:func:`harmonic_spectra` of the times whose frames are ``[firsts, lasts)``."""
    total, n_bins = log_spectrogram.shape
    reach = kernel_frames // 2
    out = np.zeros((firsts.size, n_bins), dtype=np.float32)
    rows = np.unique(np.concatenate([np.arange(first, last) for first, last in zip(firsts, lasts)]))
    neighbours = mirrored_index(rows[:, None] + np.arange(-reach, reach + 1), total)
    frames = np.unique(neighbours)
    magnitude = np.expm1(np.asarray(log_spectrogram[frames], dtype=np.float32))
    own = magnitude[np.searchsorted(frames, rows)]
    harmonic = np.partition(magnitude[np.searchsorted(frames, neighbours)], reach, axis=1)[:, reach]
    percussive = median_filter(own, kernel_bins, axis=1)
    h, p = harmonic.astype(np.float64) ** power, percussive.astype(np.float64) ** power
    total_power = h + p
    mask = np.divide(h, total_power, out=np.full_like(h, 0.5), where=total_power > 0).astype(np.float32)
    log_harmonic = np.log1p(own * mask)
    for row, (first, last) in enumerate(zip(firsts, lasts)):
        spectrum = log_harmonic[np.searchsorted(rows, np.arange(first, last))].mean(axis=0)
        norm = float(np.linalg.norm(spectrum))
        if norm > 0:
            out[row] = spectrum / norm
    return out

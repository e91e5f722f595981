"""Level tests of the waveform: where the level falls away (releases and decays, never
chop points), and whether a file opens inside a sound.

A chop starts a sound (``docs/chop-points.md``: "releases and decays" are not
chop points), so the level after a chop point is seldom far below the level before
it. On the 60 pieces of the rendered validation corpus of the model card, the level
of the 100 ms after a labelled chop point was at most 4.3 dB below that of the 100 ms
before it (1st percentile -2.8 dB), while the end of a stab falls by 20 dB and more.
Peaks where the level falls by more than :data:`RELEASE_DROP_DB` are not candidates
(``samplechop chop --release-db``; 0 turns the rule off).
"""

from __future__ import annotations

import numpy as np

from ..constants import RELEASE_DROP_DB
from ..exceptions import ParameterError

__all__ = ["RELEASE_DROP_DB", "RELEASE_WINDOW", "PRE_EMPHASIS", "STEADY_START_DB", "STEADY_START_TRANSIENT_DB",
           "SILENT_START_DB", "level_change_db", "release_mask", "pre_emphasis", "opens_inside_sound"]

#: Seconds of audio compared before and after each frame (rounded to whole hops).
RELEASE_WINDOW = 0.1


def level_change_db(y: np.ndarray, *, sr: int, hop_length: int, n_frames: int,
                    window: float = RELEASE_WINDOW, floor: float = 1e-10) -> np.ndarray:
    """Level of the ``window`` seconds after each frame against the ``window`` before, in dB.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Its sample rate.
    hop_length : int
        Samples between frames (frame ``k`` is at sample ``k * hop_length``).
    n_frames : int
        Number of frames.
    window : float
        Seconds on either side, rounded to whole hops.
    floor : float > 0
        Power added to both sides, so that silence compares as level.

    Returns
    -------
    change : np.ndarray [shape=(n_frames,)]
        ``10 log10(mean power after / mean power before)``, each side averaged over
        the samples of the file it covers; 0 where one side holds no sample (the
        first frame, frames at or past the end).
    """
    whole = y.size // hop_length
    blocks = y[: whole * hop_length].reshape(whole, hop_length)
    size = max(whole + 1, n_frames)
    energy = np.zeros(size)
    energy[:whole] = np.einsum("ij,ij->i", blocks, blocks)  # no squared copy of the signal
    tail = y[whole * hop_length :]
    energy[whole] = float(np.dot(tail, tail))
    energy_sum = np.concatenate(([0.0], np.cumsum(energy)))
    sample_sum = np.minimum(np.arange(size + 1) * hop_length, y.size)  # samples of the file before each block
    width = max(1, int(round(window * sr / hop_length)))
    frames = np.arange(n_frames)
    first, last = np.maximum(frames - width, 0), np.minimum(frames + width, size)
    before_n = sample_sum[frames] - sample_sum[first]
    after_n = sample_sum[last] - sample_sum[frames]
    before = (energy_sum[frames] - energy_sum[first]) / np.maximum(before_n, 1)
    after = (energy_sum[last] - energy_sum[frames]) / np.maximum(after_n, 1)
    change = 10.0 * np.log10((after + floor) / (before + floor))
    change[(before_n == 0) | (after_n == 0)] = 0.0
    return change


def release_mask(y: np.ndarray, *, sr: int, hop_length: int, n_frames: int,
                 drop_db: float = RELEASE_DROP_DB) -> np.ndarray:
    """Frames at which the level falls by more than ``drop_db`` (releases, decays).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Its sample rate.
    hop_length : int
        Samples between frames.
    n_frames : int
        Number of frames.
    drop_db : float > 0
        The fall in dB that marks a release.

    Returns
    -------
    mask : np.ndarray [shape=(n_frames,), dtype=bool]
    """
    return level_change_db(y, sr=sr, hop_length=hop_length, n_frames=n_frames) < -drop_db


#: Coefficient of the pre-emphasis filter the attack is looked for in.
PRE_EMPHASIS = 0.97


def pre_emphasis(x: np.ndarray, coefficient: float = PRE_EMPHASIS) -> np.ndarray:
    """A first-order high-pass: ``x[n] - coefficient * x[n - 1]``.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        Signal.
    coefficient : float
        0 returns the signal unchanged.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float64]
        The filtered signal; its first sample is ``x[0]``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    if x.size:
        out[0] = x[0]
        out[1:] = x[1:] - coefficient * x[:-1]
    return out


#: Largest difference in dB between a file's level over its first 20 ms and over
#: 30-60 ms for it to open inside a sound (see :func:`opens_inside_sound`).
STEADY_START_DB = 2.0

#: Largest difference in dB between the level of a file's transients (its
#: pre-emphasised signal) over its first 15 ms and over 30-60 ms for it to open
#: inside a sound (see :func:`opens_inside_sound`).
STEADY_START_TRANSIENT_DB = 3.0

#: A file whose first 20 ms lie below this level (dB, of the peak-normalised signal)
#: opens with silence, not inside a sound.
SILENT_START_DB = -60.0


def _level_db(x: np.ndarray, *, sr: int, start: float, stop: float) -> float:
    """Mean power of ``x`` from ``start`` to ``stop`` seconds, in dB (-200 for silence)."""
    segment = x[int(start * sr) : int(stop * sr)]
    return float(10.0 * np.log10(np.mean(np.square(segment, dtype=np.float64)) + 1e-20))


def opens_inside_sound(y: np.ndarray, *, sr: int) -> bool:
    """Whether a file starts inside a sound that was already playing, not on an attack.

    An excerpt cut from a record often begins in the middle of a note. Its level
    then holds steady over the first 60 ms, and so does the level of its transients:
    the first 20 ms lie within :data:`STEADY_START_DB` of the 30-60 ms after them,
    and the first 15 ms of the pre-emphasised signal (:func:`pre_emphasis`,
    from its second sample: the first would count the cut itself as a transient)
    within :data:`STEADY_START_TRANSIENT_DB`. A file that opens with silence (its
    first 20 ms below :data:`SILENT_START_DB`), with an attack rising or a swell in
    its first 60 ms, or on a struck note whose transient dies away does not; nor,
    unavoidably, a file cut a few milliseconds after a strike. A tone that starts on
    the file's first sample with no transient at all (a synthetic one, an organ)
    cannot be told from one that was sounding before, and reads as inside a sound.
    How the test sorts the candidates of the network at a file's start:
    ``benchmarks/file_starts.py`` (docs/benchmarks.md).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal, peak-normalised (as :func:`samplechop.chop.analyse` keeps it).
    sr : int
        Its sample rate.

    Returns
    -------
    inside : bool
        False for a file shorter than 60 ms (too short to tell).

    Raises
    ------
    ParameterError
        When ``y`` is not one-dimensional.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"opens_inside_sound needs a mono signal, got shape {y.shape}")
    if y.shape[0] < int(0.06 * sr):
        return False
    opening = _level_db(y, sr=sr, start=0.0, stop=0.02)
    if opening < SILENT_START_DB:
        return False
    if abs(opening - _level_db(y, sr=sr, start=0.03, stop=0.06)) >= STEADY_START_DB:
        return False
    transients = pre_emphasis(y[: int(0.06 * sr)])
    transients[0] = 0.0  # the cut itself is no transient
    rise = _level_db(transients, sr=sr, start=0.0, stop=0.015) - _level_db(transients, sr=sr, start=0.03, stop=0.06)
    return abs(rise) < STEADY_START_TRANSIENT_DB

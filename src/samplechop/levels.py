"""Where the level falls away: releases and decays, which are never chop points.

A chop starts a sound (``shared/docs/chop-points.md``: "releases and decays" are not
chop points), so the level after a chop point is seldom far below the level before
it. On the 60 pieces of the rendered validation corpus of the model card, the level
of the 100 ms after a labelled chop point was at most 4.3 dB below that of the 100 ms
before it (1st percentile -2.8 dB), while the end of a stab falls by 20 dB and more.
Peaks where the level falls by more than :data:`RELEASE_DROP_DB` are not candidates
(``samplechop chop --release-db``; 0 turns the rule off).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RELEASE_DROP_DB", "RELEASE_WINDOW", "level_change_db", "release_mask"]

#: A fall of the level by more than this (dB) over :data:`RELEASE_WINDOW` marks a release.
RELEASE_DROP_DB = 6.0

#: Seconds of audio compared before and after each frame (rounded to whole hops).
RELEASE_WINDOW = 0.1


def level_change_db(y: np.ndarray, *, sr: int, hop_length: int, n_frames: int,
                    window: float = RELEASE_WINDOW) -> np.ndarray:
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
    floor = 1e-10
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

"""Where the level falls away: releases and decays, which are never chop points.

A chop starts a sound (``shared/docs/chop-points.md``: "releases and decays" are not
chop points), so the level after a chop point is never far below the level before
it. On the rendered validation corpus the level of the 100 ms after a labelled chop
point is at most 4.3 dB below that of the 100 ms before it (1st percentile -2.8 dB),
while the end of a stab falls by 20 dB and more. Frames where the level falls by
more than :data:`RELEASE_DROP_DB` are taken out of the candidates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RELEASE_DROP_DB", "RELEASE_WINDOW", "level_change_db", "release_mask"]

#: A fall of the level by more than this (dB) over :data:`RELEASE_WINDOW` marks a release.
RELEASE_DROP_DB = 6.0

#: Seconds of audio compared before and after each frame.
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
        Seconds on either side.

    Returns
    -------
    change : np.ndarray [shape=(n_frames,)]
        ``10 log10(energy after / energy before)``; 0 where either side is empty.
    """
    whole = y.size // hop_length
    blocks = y[: whole * hop_length].reshape(whole, hop_length)
    energy = np.zeros(max(whole + 1, n_frames))
    energy[:whole] = np.einsum("ij,ij->i", blocks, blocks)  # no squared copy of the signal
    tail = y[whole * hop_length :]
    energy[whole] = float(np.dot(tail, tail))
    energy = energy[: max(int(np.ceil(y.size / hop_length)), n_frames)]
    cumulative = np.concatenate(([0.0], np.cumsum(energy)))
    width = max(1, int(round(window * sr / hop_length)))
    frames = np.arange(n_frames)
    before = cumulative[frames] - cumulative[np.maximum(frames - width, 0)]
    after = cumulative[np.minimum(frames + width, energy.size)] - cumulative[frames]
    floor = 1e-10 * width * hop_length
    change = 10.0 * np.log10((after + floor) / (before + floor))
    change[(frames == 0) | (frames + 1 >= energy.size)] = 0.0
    return change


def release_mask(y: np.ndarray, *, sr: int, hop_length: int, n_frames: int,
                 drop_db: float = RELEASE_DROP_DB) -> np.ndarray:
    """Frames at which the level falls by more than ``drop_db`` (releases, decays)."""
    return level_change_db(y, sr=sr, hop_length=hop_length, n_frames=n_frames) < -drop_db

"""Onsets in the semitone spectrogram: spectral flux, onset picking, a file's first attack.

Rule 4 of the label convention (``docs/chop-points.md``) makes the first
attack of a file a chop point, whatever follows. The network sees a file's first
frames with no music before them and scores that attack unreliably (on the held-out
validation corpus the previous shipped model missed the first label of 18 files in
60), so the pipeline finds it here and always keeps it (:func:`first_attack`).

The detector is the usual one of the field, as librosa documents it for
``onset.onset_detect``: the onset strength is the mean over bands of the rise in
dB from one frame to the next (spectral flux), normalised to [0, 1]; an onset is a
frame that is the largest of the 30 ms before it (here one frame) and exceeds the
mean of the 100 ms either side by ``delta`` (0.07), more than 30 ms (here one frame)
after the previous one. It runs on the semitone spectrogram that the network reads,
at the network's 23 ms frames, so it costs no second transform and no import of
librosa (whose onset module takes about 2 s to import, longer than chopping a
3-minute file).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import constants

__all__ = ["FLOOR_DB", "MIN_RISE_DB", "SUSTAIN_DB", "padded_frames", "band_rise", "spectral_flux", "pick_onsets",
           "first_attack"]

#: Levels more than this many dB below the loudest band of the file count as this floor.
FLOOR_DB = 80.0

#: A file whose onset strength never reaches this rise (dB, mean over bands) has no attack.
MIN_RISE_DB = 0.5

#: A first attack must keep this much of a rise (dB, mean over bands) from 70 to 140 ms
#: after its frame, against the 90 ms before it: a click or a crackle does not.
SUSTAIN_DB = 1.0


def padded_frames(n_fft: int, hop_length: int) -> int:
    """Frames at each end of a centred spectrogram whose window reaches past the signal."""
    return -(-(int(n_fft) // 2) // int(hop_length))


_PADDED_FRAMES = padded_frames(constants.N_FFT, constants.HOP_LENGTH)


def _band_levels(log_spectrogram: np.ndarray) -> np.ndarray:
    """Band levels in dB (float32), floored :data:`FLOOR_DB` below the loudest."""
    magnitude = np.expm1(np.asarray(log_spectrogram, dtype=np.float32))  # float32: half the time
    level = 20.0 * np.log10(np.maximum(magnitude, np.float32(1e-10)))
    return np.maximum(level, level.max() - FLOOR_DB) if level.size else level


def band_rise(x: np.ndarray) -> np.ndarray:
    """The summed rise of every band since the frame before (0 at frame 0).

    Parameters
    ----------
    x : np.ndarray [shape=(frames, bands) or (frames,)]

    Returns
    -------
    rise : np.ndarray [shape=(frames,), dtype=float64], >= 0
    """
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    rise = np.zeros(x.shape[0])
    if x.shape[0] > 1:
        rise[1:] = np.maximum(np.diff(x, axis=0), 0.0).sum(axis=1, dtype=np.float64)
    return rise


def _flux(level: np.ndarray, edge: int) -> np.ndarray:
    flux = band_rise(level) / max(level.shape[1], 1)
    edge = max(1, int(edge))
    flux[:edge] = 0.0
    flux[max(edge, flux.size - edge + 1) :] = 0.0
    top = flux.max() if flux.size else 0.0
    return flux / top if top >= MIN_RISE_DB else np.zeros_like(flux)


def spectral_flux(log_spectrogram: np.ndarray, *, edge: int = _PADDED_FRAMES + 1) -> np.ndarray:
    """Onset strength: the mean over bands of the rise in dB since the frame before.

    Parameters
    ----------
    log_spectrogram : np.ndarray [shape=(frames, bands)]
        The ``"logspec"`` feature: ``log1p`` of band magnitudes (see
        :mod:`samplechop.spectral.features`).
    edge : int >= 1
        The first ``edge`` frames and the last ``edge - 1`` get no strength: frames
        whose analysis window reaches past the file (where a file cut mid-sound
        rises, or splatters, only because the window is padded with silence) and, at
        the start, the first whole frame, whose rise is measured from a padded one.
        The default suits the ``"logspec"`` feature (2048-sample window, 512 hop).

    Returns
    -------
    flux : np.ndarray [shape=(frames,), dtype=float64]
        In [0, 1] (divided by its largest value); all zero when nothing rises by
        :data:`MIN_RISE_DB` on average over the bands.
    """
    return _flux(_band_levels(log_spectrogram), edge)


def pick_onsets(
    flux: np.ndarray,
    *,
    frame_rate: float,
    delta: float = 0.07,
    pre_max: float = 0.03,
    average: float = 0.1,
    wait: float = 0.03,
) -> np.ndarray:
    """Frames of the onsets in an onset-strength curve.

    Parameters
    ----------
    flux : np.ndarray [shape=(frames,)]
        Onset strength in [0, 1] (:func:`spectral_flux`).
    frame_rate : float
        Frames per second.
    delta : float
        How far above the local mean an onset's strength must be.
    pre_max : float
        Seconds before a frame that it must be the largest of.
    average : float
        Seconds either side that the local mean covers.
    wait : float
        Seconds after an onset in which no other one is taken.

    Returns
    -------
    frames : np.ndarray [shape=(n,), dtype=int]
        Sorted frame indices.
    """
    flux = np.asarray(flux, dtype=np.float64)
    count = flux.size
    if count == 0:
        return np.zeros(0, dtype=int)
    back = max(1, int(round(pre_max * frame_rate)))
    reach = max(1, int(round(average * frame_rate)))
    gap = max(1, int(round(wait * frame_rate)))
    padded = np.concatenate((np.full(back, -np.inf), flux))
    local_max = np.lib.stride_tricks.sliding_window_view(padded, back + 1).max(axis=1)
    cumulative = np.concatenate(([0.0], np.cumsum(flux)))
    index = np.arange(count)
    lo, hi = np.maximum(index - reach, 0), np.minimum(index + reach + 1, count)
    local_mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    peaks = np.flatnonzero((flux >= local_max) & (flux >= local_mean + delta) & (flux > 0))
    kept: list[int] = []
    for frame in peaks:
        if not kept or frame - kept[-1] > gap:
            kept.append(int(frame))
    return np.asarray(kept, dtype=int)


def _sustained(level: np.ndarray, frame: int) -> bool:
    """Whether the rise at ``frame`` lasts: the mean over bands of the rise from the
    4 frames before it to frames 3-6 after it is at least :data:`SUSTAIN_DB`."""
    before = level[max(0, frame - 4) : frame]
    after = level[frame + 3 : frame + 7]
    if before.shape[0] == 0 or after.shape[0] == 0:
        return True  # too near an end to tell: keep the onset
    rise = np.maximum(after.mean(axis=0) - before.mean(axis=0), 0.0)
    return float(rise.mean()) >= SUSTAIN_DB


def first_attack(
    log_spectrogram: np.ndarray, *, frame_rate: float, n_fft: int, hop_length: int
) -> Optional[float]:
    """Time of the first attack of a file, or None when no onset is found.

    The first onset (:func:`pick_onsets`) whose rise lasts (a click or a crackle
    before the music is no attack). Frames whose analysis window reaches past
    either end of the file get no onset strength: a file that starts mid-sound rises
    there only because the window is padded with silence (a cut is no attack). So an
    attack in the file's first 70 ms is not seen here; the pipeline then relies on the
    network's own candidates there (see :mod:`samplechop.chop.file_start`).

    Parameters
    ----------
    log_spectrogram : np.ndarray [shape=(frames, bands)]
        The ``"logspec"`` feature of the file.
    frame_rate : float
        Frames per second.
    n_fft, hop_length : int
        The spectrogram's window and hop in samples (frames are centred).

    Returns
    -------
    time : float or None
        Seconds from the start of the file, on the frame grid.
    """
    level = _band_levels(log_spectrogram)
    onsets = pick_onsets(_flux(level, padded_frames(n_fft, hop_length) + 1), frame_rate=frame_rate)
    for frame in onsets:
        if _sustained(level, int(frame)):
            return float(frame / frame_rate)
    return None

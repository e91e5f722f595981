"""Whether a detected attack starts where a candidate chop would.

The chopper prefers candidates on an attack when a file holds far more of them than
chops asked for (``ChopSettings.attack_weight``; see :func:`samplechop.chopper.select_chops`).
"An attack" here is an onset of the usual spectral-flux detector, as librosa documents
``onset.onset_strength`` and ``onset.onset_detect`` (written from that description, so
that librosa is not imported on the chopping path, about 2 s):

- the onset strength is the mean over 128 mel bands of the rise in dB of the power
  since the previous frame, half-wave rectified, levels floored 80 dB below the
  loudest, with the frames of a centred STFT (window ``n_fft``, the power of two
  nearest 46 ms: 43-64 ms at the usual rates; hop ``n_fft / 8``), the curve delayed
  by one frame and ``n_fft / 2`` samples, as librosa pads it for a centred transform;
- an onset is a frame that is the largest of the 30 ms before it and exceeds the mean
  of the 100 ms either side by 0.07 of the largest strength in all the windows
  (librosa normalises by the file's largest; :func:`samplechop.attacks.pick_onsets`,
  whose spans are rounded to frames where librosa floors them);
- each onset is moved back to the last minimum of the strength before it, the start
  of its attack ("backtracking").

The strength is computed only in short windows of the original audio around the
candidates (its mono mix at its own rate, with the whole band an attack spreads
over), 0.6 s each, a tenth of a 3-minute file for 32 candidates; the 80 dB floor is set by the loudest
level in all of them, and the strength of the frames at a window's start, whose
transform or rise reaches before it, is left out. A candidate is on an attack when
an onset lies from two of the network's hops before its time to one after it (46 and
23 ms for the shipped model): the network's frame of an attack (each centred on a
93 ms window) lies up to two hops after the attack's start or one before it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .attacks import band_rise, padded_frames, pick_onsets
from .features import mel_filterbank, stft_magnitude

__all__ = ["TOP_DB", "mel_levels", "onset_strength", "on_attack", "attacks_near"]

#: Levels more than this many dB below the loudest are floored there (librosa's ``top_db``).
TOP_DB = 80.0

#: Seconds of signal either side of a candidate in which onsets are looked for.
_HALF_WINDOW = 0.3

#: Seconds before and after a time in which an onset puts it on an attack, by default:
#: two and one of the shipped model's hops.
_BEFORE, _AFTER = 0.046, 0.023

#: Power floor of the mel bands before taking dB (librosa's ``amin``).
_POWER_FLOOR = 1e-10


def _transform_size(sr: int) -> int:
    """The power of two nearest 46.4 ms of samples: 1024 at 22.05 kHz, 2048 at 44.1 and 48 kHz."""
    return int(2 ** round(np.log2(0.0464 * sr)))


def mel_levels(y: np.ndarray, *, sr: int, n_fft: int, hop_length: int) -> np.ndarray:
    """Power of 128 mel bands (:func:`samplechop.features.mel_filterbank`) in dB, per
    centred STFT frame, not floored below the loudest.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Sample rate in Hz.
    n_fft, hop_length : int
        Window and hop of the STFT, in samples.

    Returns
    -------
    levels : np.ndarray [shape=(frames, 128), dtype=float32]
        Frame ``t`` is centred on sample ``t * hop_length``.
    """
    power = np.square(stft_magnitude(y, n_fft=n_fft, hop_length=hop_length), dtype=np.float32)
    return 10.0 * np.log10(np.maximum(power @ mel_filterbank(sr=sr, n_fft=n_fft), np.float32(_POWER_FLOOR)))


def _delay_frames(n_fft: int, hop_length: int) -> int:
    """Frames by which the strength is delayed: one (the rise) and ``n_fft / 2`` samples."""
    return 1 + n_fft // (2 * hop_length)


def _strength_of_levels(levels: np.ndarray, *, delay: int) -> np.ndarray:
    """Mean rise over bands since the frame before, delayed by ``delay`` frames."""
    rise = band_rise(levels) / max(levels.shape[1], 1)  # rise[t]: frame t - 1 -> t; rise[0] = 0
    strength = np.zeros(levels.shape[0])
    if levels.shape[0] > delay:
        strength[delay:] = rise[1 : levels.shape[0] - delay + 1]
    return strength


def onset_strength(y: np.ndarray, *, sr: int, n_fft: int, hop_length: int) -> np.ndarray:
    """Spectral-flux onset strength of a mono signal (see the module docstring).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    sr : int
        Sample rate in Hz.
    n_fft, hop_length : int
        Window and hop of the centred STFT, in samples.

    Returns
    -------
    strength : np.ndarray [shape=(frames,), dtype=float64], >= 0
        Frame ``t`` at ``t * hop_length`` samples; 0 for the first frames (the delay).
    """
    levels = mel_levels(y, sr=sr, n_fft=n_fft, hop_length=hop_length)
    if levels.size:
        levels = np.maximum(levels, levels.max() - np.float32(TOP_DB))
    return _strength_of_levels(levels, delay=_delay_frames(n_fft, hop_length))


def _backtrack(onset_frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Each onset frame moved back to the last local minimum of ``strength`` at or
    before it (unchanged when there is none)."""
    minima = np.flatnonzero((strength[1:-1] <= strength[:-2]) & (strength[1:-1] < strength[2:])) + 1
    onset_frames = np.asarray(onset_frames, dtype=int)
    if minima.size == 0:
        return onset_frames
    position = np.searchsorted(minima, onset_frames, side="right") - 1
    return np.where(position >= 0, minima[np.maximum(position, 0)], onset_frames)


def on_attack(y: np.ndarray, times: np.ndarray, *, sr: int, before: float = _BEFORE,
              after: float = _AFTER) -> np.ndarray:
    """Whether a detected onset lies near each time of a signal (see :func:`attacks_near`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    times : np.ndarray [shape=(m,)]
        Candidate times in seconds.
    sr : int
        Sample rate in Hz.
    before, after : float
        Seconds before and after each time in which an onset counts.

    Returns
    -------
    near : np.ndarray [shape=(m,), dtype=bool]
    """
    y = np.asarray(y)
    return attacks_near(lambda start, stop: y[start:stop], times, sr=sr, n_samples=y.size, before=before,
                        after=after)


def attacks_near(
    read: Callable[[int, int], np.ndarray], times: np.ndarray, *, sr: int, n_samples: int,
    before: float = _BEFORE, after: float = _AFTER,
) -> np.ndarray:
    """Whether a detected onset lies near each time, reading only windows around them.

    Parameters
    ----------
    read : callable
        ``read(start, stop)`` returns samples ``[start, stop)`` of the mono signal.
    times : np.ndarray [shape=(m,)]
        Candidate times in seconds.
    sr : int
        Sample rate in Hz.
    n_samples : int
        Length of the signal.
    before, after : float
        Seconds before and after each time in which an onset counts (the chopper
        passes two and one of the network's hops).

    Returns
    -------
    near : np.ndarray [shape=(m,), dtype=bool]
        True where an onset lies from ``before`` seconds before the time to ``after``
        seconds after it.
    """
    times = np.asarray(times, dtype=np.float64)
    n_fft = _transform_size(sr)
    hop = n_fft // 8
    delay = _delay_frames(n_fft, hop)
    first_valid = delay + padded_frames(n_fft, hop)  # its rise compares two whole frames
    half = int(round(_HALF_WINDOW * sr))
    windows = []
    for time in times:
        centre = int(round(time * sr))
        start, stop = max(0, centre - half), min(int(n_samples), centre + half)
        levels = mel_levels(np.asarray(read(start, stop), dtype=np.float32), sr=sr, n_fft=n_fft, hop_length=hop)
        windows.append((start, levels))
    near = np.zeros(times.size, dtype=bool)
    loudest = max((float(levels.max()) for _, levels in windows if levels.size), default=None)
    if loudest is None:
        return near
    strengths = [_strength_of_levels(np.maximum(levels, np.float32(loudest - TOP_DB)), delay=delay)[first_valid:]
                 for _, levels in windows]
    scale = max((float(strength.max()) for strength in strengths if strength.size), default=0.0)
    if scale <= 0.0:
        return near
    frame_rate = sr / hop
    for index, ((start, _), strength, time) in enumerate(zip(windows, strengths, times)):
        normalised = strength / scale
        onsets = first_valid + _backtrack(pick_onsets(normalised, frame_rate=frame_rate), normalised)
        onset_times = (start + onsets * hop) / sr
        near[index] = bool(np.any((onset_times >= time - before) & (onset_times <= time + after)))
    return near

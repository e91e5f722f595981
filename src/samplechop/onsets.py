"""Whether a detected attack starts where a candidate chop would.

The chopper prefers candidates on an attack when a file holds far more of them than
chops asked for (``ChopSettings.attack_weight``; see :func:`samplechop.chopper.select_chops`).
"An attack" here is an onset of the usual spectral-flux detector, as librosa documents
``onset.onset_strength`` and ``onset.onset_detect`` (written from that description, so
that librosa is not imported on the chopping path, about 2 s):

- the onset strength is the mean over 128 mel bands of the rise in dB of the power
  since the previous frame, half-wave rectified, with the frames of a centred STFT
  (window ``n_fft``, 46 ms; hop ``n_fft / 8``, 5.8 ms), the curve delayed by one
  frame and ``n_fft / 2`` samples, as librosa pads it for a centred transform;
- an onset is a frame that is the largest of the 30 ms before it and exceeds the mean
  of the 100 ms either side by 0.07 of the largest strength in all the windows
  (librosa normalises by the file's largest; :func:`samplechop.attacks.pick_onsets`);
- each onset is moved back to the last minimum of the strength before it, the start
  of its attack ("backtracking").

The strength is computed only in short windows of the original audio around the
candidates (its mono mix at its own rate, which placed more real chops on librosa's
onsets than the 22.05 kHz analysis signal did: docs/benchmarks.md), 0.6 s each, a
tenth of a 3-minute file for 32 candidates; each window's edges, where the transform
reaches past it, are left out. A candidate is on an attack when an onset lies from
46 ms before its frame's time to 23 ms after it: the network's frame of an attack
(23 ms hops, each centred on a 93 ms window) lies up to two hops after the attack's
start or one before it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .attacks import pick_onsets
from .features import mel_filterbank, stft_magnitude

__all__ = ["ATTACK_BEFORE", "ATTACK_AFTER", "onset_strength", "backtrack", "on_attack", "attacks_near"]

#: Seconds before a candidate's time in which an onset puts it on an attack.
ATTACK_BEFORE = 0.046

#: Seconds after a candidate's time in which an onset puts it on an attack.
ATTACK_AFTER = 0.023

#: Seconds of signal either side of a candidate in which onsets are looked for.
_HALF_WINDOW = 0.3

#: Power floor of the mel bands before taking dB.
_POWER_FLOOR = 1e-10


def _transform_size(sr: int) -> int:
    """FFT size of about 46 ms: 1024 at 22.05 kHz, 2048 at 44.1 kHz."""
    return int(2 ** round(np.log2(0.0464 * sr)))


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
    power = np.square(stft_magnitude(y, n_fft=n_fft, hop_length=hop_length), dtype=np.float32)
    level = 10.0 * np.log10(np.maximum(power @ mel_filterbank(sr=sr, n_fft=n_fft), _POWER_FLOOR))
    strength = np.zeros(level.shape[0])
    delay = 1 + n_fft // (2 * hop_length)
    if level.shape[0] > delay:
        rise = np.maximum(np.diff(level, axis=0), 0.0).mean(axis=1)
        strength[delay:] = rise[: level.shape[0] - delay]
    return strength


def backtrack(onset_frames: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Each onset moved back to the last local minimum of ``strength`` at or before it
    (unchanged when there is none)."""
    minima = np.flatnonzero((strength[1:-1] <= strength[:-2]) & (strength[1:-1] < strength[2:])) + 1
    onset_frames = np.asarray(onset_frames, dtype=int)
    if minima.size == 0:
        return onset_frames
    position = np.searchsorted(minima, onset_frames, side="right") - 1
    return np.where(position >= 0, minima[np.maximum(position, 0)], onset_frames)


def on_attack(y: np.ndarray, times: np.ndarray, *, sr: int) -> np.ndarray:
    """Whether a detected onset lies near each time of a signal (see :func:`attacks_near`).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    times : np.ndarray [shape=(m,)]
        Candidate times in seconds.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    near : np.ndarray [shape=(m,), dtype=bool]
    """
    y = np.asarray(y)
    return attacks_near(lambda start, stop: y[start:stop], times, sr=sr, n_samples=y.size)


def attacks_near(
    read: Callable[[int, int], np.ndarray], times: np.ndarray, *, sr: int, n_samples: int
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

    Returns
    -------
    near : np.ndarray [shape=(m,), dtype=bool]
        True where an onset lies from :data:`ATTACK_BEFORE` before the time to
        :data:`ATTACK_AFTER` after it.
    """
    times = np.asarray(times, dtype=np.float64)
    n_fft = _transform_size(sr)
    hop = n_fft // 8
    delay = 1 + n_fft // (2 * hop)
    edge = n_fft // hop // 2 + 2  # frames whose window or delayed rise reaches past a window
    half = int(round(_HALF_WINDOW * sr))
    windows = []
    for time in times:
        centre = int(round(time * sr))
        start, stop = max(0, centre - half), min(int(n_samples), centre + half)
        strength = onset_strength(np.asarray(read(start, stop), dtype=np.float32), sr=sr, n_fft=n_fft,
                                  hop_length=hop)
        valid = np.zeros(strength.size, dtype=bool)
        valid[delay + edge : strength.size - edge] = True
        windows.append((start, strength, valid))
    scale = max((float(s[v].max()) for _, s, v in windows if v.any()), default=0.0)
    near = np.zeros(times.size, dtype=bool)
    if scale <= 0.0:
        return near
    frame_rate = sr / hop
    for index, ((start, strength, valid), time) in enumerate(zip(windows, times)):
        normalised = np.where(valid, strength / scale, 0.0)
        onsets = backtrack(pick_onsets(normalised, frame_rate=frame_rate), normalised)
        onset_times = (start + onsets * hop) / sr
        near[index] = bool(np.any((onset_times >= time - ATTACK_BEFORE) & (onset_times <= time + ATTACK_AFTER)))
    return near

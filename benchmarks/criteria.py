"""Criteria for chops of unlabelled real recordings, shared by the benchmarks.

- An **attack** is an onset that librosa detects in the original audio
  (``onset.onset_detect`` on the mono mix at the file's rate, hop 256, backtracked
  to the start of each attack); a chop "starts on an attack" within 30 ms of one.
- A chop is flagged **"level does not rise"** when the RMS of the 20 ms before its
  start is at least that of the 20 ms after it: the benchmark's crude test for a
  mid-note cut (it also flags soft entries over a sustained sound).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ONSET_WINDOW", "mono_mix", "detected_onsets", "near_onset", "level_does_not_rise",
           "rise_db"]

#: Seconds within which a chop counts as starting on a detected onset.
ONSET_WINDOW = 0.03


def mono_mix(path) -> tuple[np.ndarray, int]:
    """A file's mono mix (the mean of its channels, float32) at its own rate, and the rate."""
    import soundfile as sf

    y, sr = sf.read(path, dtype="float32", always_2d=True)
    return y.mean(axis=1), sr


def detected_onsets(mono: np.ndarray, sr: int) -> np.ndarray:
    """librosa's onsets of a mono signal, in seconds, backtracked to each attack's start."""
    import librosa

    return librosa.onset.onset_detect(y=mono, sr=sr, hop_length=256, backtrack=True, units="time")


def near_onset(times: np.ndarray, onsets: np.ndarray, window: float = ONSET_WINDOW) -> np.ndarray:
    """Whether each time lies within ``window`` seconds of an onset (bool array)."""
    times = np.asarray(times, dtype=np.float64)
    if onsets.size == 0:
        return np.zeros(times.shape, dtype=bool)
    return np.min(np.abs(onsets[None, :] - times[:, None]), axis=1) <= window


def rise_db(mono: np.ndarray, sr: int, start: int, span: float = 0.02) -> float:
    """Level of the ``span`` seconds after sample ``start`` against the ``span`` before, in
    dB; NaN for a cut at the very start (nothing before it)."""
    if start <= 0:
        return float("nan")
    width = int(span * sr)
    before = np.sqrt(np.mean(mono[max(0, start - width) : start] ** 2) + 1e-12)
    after = np.sqrt(np.mean(mono[start : start + width] ** 2) + 1e-12)
    return float(20 * np.log10(after / before))


def level_does_not_rise(mono: np.ndarray, sr: int, start: int) -> bool:
    """The benchmark's test of a mid-note cut (see the module docstring); a cut at the
    very start is never flagged."""
    return bool(rise_db(mono, sr, start) <= 0.0)

"""Tempo, key and chroma of a source, from its semitone spectrogram.

What a producer sorts a kit by besides the chops' levels; pure numpy on the
spectrogram the analysis computed already:

* **tempo**: the autocorrelation of a spectral-flux onset curve (the half-wave
  rectified rise of every semitone band from one frame to the next, by
  :func:`samplechop.spectral.onsets.band_rise`), searched between 60 and 200 BPM
  and weighted towards 120 BPM by a log-normal prior of one octave, with parabolic
  interpolation between lags;
* **key**: the Krumhansl-Kessler probe-tone profiles correlated with the average
  chroma of the whole source (24 candidates, major and minor);
* **dominant pitch class** of a stretch: the strongest chroma bin over it.

The chroma folds the semitone spectrogram (84 bands from C2 in the default features)
onto 12 pitch classes after removing each frame's median band (the broadband floor),
so that the tonal peaks decide. Pitch classes are named ``C``, ``Db``, ``D``, ``Eb``,
``E``, ``F``, ``F#``, ``G``, ``Ab``, ``A``, ``Bb``, ``B``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import numpy as np

from .onsets import band_rise

__all__ = [
    "PITCH_CLASSES",
    "SourceDescription",
    "chroma",
    "estimate_tempo",
    "estimate_key",
    "dominant_pitch_class",
    "describe_source",
]

#: Pitch class names as producers write keys: flats for the black keys, but F#.
PITCH_CLASSES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Krumhansl-Kessler key profiles (probe-tone ratings), tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

#: Shortest source (seconds) whose tempo is estimated.
_MIN_TEMPO_SECONDS = 4.0


def _pitch_class_of_bin0(fmin: float) -> int:
    return int(round(12 * math.log2(fmin / 440.0) + 69)) % 12


def chroma(
    features: np.ndarray, *, fmin: float = 65.40639132514966, bins_per_octave: int = 12
) -> Optional[np.ndarray]:
    """Fold a semitone spectrogram onto the 12 pitch classes.

    Parameters
    ----------
    features : np.ndarray [shape=(frames, n_bins)]
        Log-magnitude semitone spectrogram (``logspec`` features).
    fmin : float > 0
        Centre frequency of bin 0 in Hz (a semitone of 440 Hz tuning).
    bins_per_octave : int
        Must be 12 (one bin per semitone).

    Returns
    -------
    chroma : np.ndarray [shape=(frames, 12)] or None
        Pitch class ``k`` (``C`` = 0) in column ``k``; ``None`` when the features are
        not a semitone spectrogram.
    """
    if features.ndim != 2 or bins_per_octave != 12 or features.shape[1] < 12:
        return None
    # The median of each frame, as np.median of the float64 values gives it, from a
    # partition of the features in their own dtype (half the memory traffic).
    n_bins = features.shape[1]
    middle = np.partition(features, [(n_bins - 1) // 2, n_bins // 2], axis=1)
    median = (middle[:, (n_bins - 1) // 2].astype(np.float64) + middle[:, n_bins // 2]) / 2.0
    x = np.maximum(features.astype(np.float64, copy=False) - median[:, None], 0.0)
    offset = _pitch_class_of_bin0(fmin)
    pitch_class = (np.arange(x.shape[1]) + offset) % 12
    folded = np.zeros((x.shape[0], 12))
    for k in range(12):
        folded[:, k] = x[:, pitch_class == k].sum(axis=1)
    return folded


def estimate_tempo(
    features: np.ndarray,
    *,
    frame_rate: float,
    min_bpm: float = 60.0,
    max_bpm: float = 200.0,
    prior_bpm: float = 120.0,
) -> Optional[float]:
    """Tempo in beats per minute, by autocorrelation of the onset curve.

    Parameters
    ----------
    features : np.ndarray [shape=(frames, n_bins)]
    frame_rate : float
        Frames per second.
    min_bpm, max_bpm : float
        Range searched.
    prior_bpm : float
        Centre of the log-normal preference (one octave wide).

    Returns
    -------
    bpm : float or None
        Rounded to 0.1; ``None`` for sources shorter than 4 s or without onsets.
    """
    frames = features.shape[0]
    if frames < _MIN_TEMPO_SECONDS * frame_rate:
        return None
    flux = band_rise(np.asarray(features, dtype=np.float64))
    width = max(1, int(round(0.5 * frame_rate)))
    local_mean = np.convolve(flux, np.ones(width) / width, mode="same")
    onset = np.maximum(flux - local_mean, 0.0)
    if not np.any(onset > 0):
        return None
    onset -= onset.mean()
    size = 1 << int(np.ceil(np.log2(2 * frames)))
    spectrum = np.fft.rfft(onset, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[:frames]
    if autocorrelation[0] <= 0:
        return None
    autocorrelation /= autocorrelation[0]
    lo = max(1, int(np.floor(60.0 * frame_rate / max_bpm)))
    hi = min(frames - 2, int(np.ceil(60.0 * frame_rate / min_bpm)))
    if hi <= lo + 1:
        return None
    lags = np.arange(lo, hi + 1)
    bpms = 60.0 * frame_rate / lags
    weight = np.exp(-0.5 * np.log2(bpms / prior_bpm) ** 2)
    scores = np.maximum(autocorrelation[lags], 0.0) * weight
    best = int(np.argmax(scores))
    if scores[best] <= 0:
        return None
    lag = float(lags[best])
    if 0 < best < lags.size - 1:
        left, centre, right = autocorrelation[lags[best] - 1 : lags[best] + 2]
        curvature = left - 2 * centre + right
        if curvature < 0:
            lag += float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
    return round(60.0 * frame_rate / lag, 1)


def estimate_key(chroma_frames: np.ndarray) -> Optional[tuple[str, float]]:
    """Key of a passage by the Krumhansl-Schmuckler method.

    Parameters
    ----------
    chroma_frames : np.ndarray [shape=(frames, 12)]

    Returns
    -------
    key, strength : (str, float) or None
        ``"A minor"``, ``"Eb major"``...; ``strength`` is the Pearson correlation of
        the average chroma with the winning profile, in [-1, 1]. ``None`` when the
        chroma is flat (no pitch).
    """
    if chroma_frames.size == 0:
        return None
    profile = chroma_frames.mean(axis=0)
    if np.ptp(profile) <= 1e-9:
        return None
    best = (-2.0, "")
    for mode, template in (("major", _MAJOR_PROFILE), ("minor", _MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if r > best[0]:
                best = (r, f"{PITCH_CLASSES[tonic]} {mode}")
    return best[1], round(best[0], 3)


def dominant_pitch_class(chroma_frames: np.ndarray) -> Optional[str]:
    """Strongest pitch class of a stretch of chroma frames, ``None`` if there is none."""
    if chroma_frames.size == 0:
        return None
    total = chroma_frames.sum(axis=0)
    if total.max() <= 1e-9:
        return None
    return PITCH_CLASSES[int(np.argmax(total))]


@dataclass(frozen=True)
class SourceDescription:
    """What describes a source whatever its chops: tempo, key and chroma.

    Attributes
    ----------
    tempo : float or None
        Beats per minute (:func:`estimate_tempo`).
    key : str or None
    key_strength : float or None
        See :func:`estimate_key`.
    chroma : np.ndarray [shape=(frames, 12)] or None
        The folded spectrogram the chops' pitch classes are read from (:func:`chroma`).
    """

    tempo: Optional[float]
    key: Optional[str]
    key_strength: Optional[float]
    chroma: Optional[np.ndarray]


def describe_source(
    features: Optional[np.ndarray], feature_config: Mapping[str, Any], *, frame_rate: float
) -> SourceDescription:
    """Tempo, key and chroma of a source, from its analysis features.

    Parameters
    ----------
    features : np.ndarray [shape=(frames, n_bins)] or None
        The analysis features (None: no tempo, key or pitch).
    feature_config : mapping
        Their settings (``kind``, ``fmin``, ``bins_per_octave``).
    frame_rate : float
        Frames per second of ``features``.
    """
    tempo = key = strength = None
    folded = None
    if features is not None and features.ndim == 2 and features.shape[0]:
        tempo = estimate_tempo(features, frame_rate=frame_rate)
        if feature_config.get("kind", "logspec") == "logspec":
            folded = chroma(
                features,
                fmin=float(feature_config.get("fmin", 65.40639132514966)),
                bins_per_octave=int(feature_config.get("bins_per_octave", 12)),
            )
    if folded is not None:
        found = estimate_key(folded)
        if found is not None:
            key, strength = found
    return SourceDescription(tempo=tempo, key=key, key_strength=strength, chroma=folded)

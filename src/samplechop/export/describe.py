"""What a producer sorts chops by: level, pitch, and the source's tempo and key.

Pure numpy on what the analysis computed already, so describing a kit costs a few
milliseconds:

* **tempo**: the autocorrelation of a spectral-flux onset curve (the half-wave
  rectified rise of every semitone band from one frame to the next, by
  :func:`samplechop.spectral.onsets.band_rise`), searched between 60 and 200 BPM
  and weighted towards 120 BPM by a log-normal prior of one octave, with parabolic
  interpolation between lags;
* **key**: the Krumhansl-Kessler probe-tone profiles correlated with the average
  chroma of the whole source (24 candidates, major and minor);
* **dominant pitch class** of a chop: the strongest chroma bin over its first
  :data:`PITCH_WINDOW` seconds;
* **peak and RMS level** of a chop in dBFS, over all channels, from its samples.

The chroma folds the semitone spectrogram (84 bands from C2 in the default features)
onto 12 pitch classes after removing each frame's median band (the broadband floor),
so that the tonal peaks decide. Conventions: times in seconds, levels in dBFS floored
at :data:`FLOOR_DB`, pitch classes named ``C``, ``Db``, ``D``, ``Eb``, ``E``, ``F``, ``F#``, ``G``,
``Ab``, ``A``, ``Bb``, ``B``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import numpy as np

from ..spectral.onsets import band_rise

if TYPE_CHECKING:  # pragma: no cover
    from ..chop import ChopResult

__all__ = [
    "PITCH_CLASSES",
    "FLOOR_DB",
    "PITCH_WINDOW",
    "ChopDescription",
    "Description",
    "SourceDescription",
    "chroma",
    "estimate_tempo",
    "estimate_key",
    "dominant_pitch_class",
    "levels",
    "describe_source",
    "describe",
    "describe_result_source",
    "describe_result",
]

#: Pitch class names as producers write keys: flats for the black keys, but F#.
PITCH_CLASSES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Lowest level reported (dBFS); digital silence reads as this.
FLOOR_DB = -120.0

#: Seconds from a chop's start over which its pitch class is measured.
PITCH_WINDOW = 2.0

#: Krumhansl-Kessler key profiles (probe-tone ratings), tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

#: Shortest source (seconds) whose tempo is estimated.
_MIN_TEMPO_SECONDS = 4.0


@dataclass(frozen=True)
class ChopDescription:
    """Level and pitch of one chop.

    Attributes
    ----------
    duration : float
        Seconds.
    peak_db, rms_db : float
        dBFS, at least :data:`FLOOR_DB`.
    pitch_class : str or None
        Strongest pitch class, ``None`` when the features carry no pitch.
    """

    duration: float
    peak_db: float
    rms_db: float
    pitch_class: Optional[str]


@dataclass(frozen=True)
class Description:
    """Tempo and key of a source and a description of each of its chops."""

    tempo: Optional[float]
    key: Optional[str]
    key_strength: Optional[float]
    chops: tuple[ChopDescription, ...]


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


#: Samples converted to float32 at a time by :func:`levels`: a chop of minutes is
#: measured without a float copy of it (memory a cold process pays for in page faults).
_LEVEL_BLOCK = 1 << 16


def levels(data: np.ndarray, *, full_scale: float = 1.0) -> tuple[float, float]:
    """Peak and RMS level of samples in dBFS.

    Parameters
    ----------
    data : np.ndarray [shape=(n,) or (n, channels)]
        Samples, float or integer.
    full_scale : float > 0
        The value of 0 dBFS in ``data``'s units (1 for float samples, 32768 for
        int16, 2 ** 31 for int32).

    Returns
    -------
    peak_db, rms_db : float
        Over all channels, rounded to 0.01 dB, floored at :data:`FLOOR_DB`.
    """
    x = np.asarray(data)
    if x.size == 0:
        return FLOOR_DB, FLOOR_DB
    largest = max(float(x.max()), -float(x.min()))
    peak = largest / full_scale
    # Samples above 1 (a float file's absurd levels) are scaled to 1 before squaring.
    scale = np.float32(largest) if largest > 1.0 else None
    flat = x.reshape(-1)
    block = np.empty(min(flat.size, _LEVEL_BLOCK), dtype=np.float32)
    squares = 0.0
    for start in range(0, flat.size, block.size):
        part = block[: min(block.size, flat.size - start)]
        np.copyto(part, flat[start : start + part.size], casting="unsafe")
        if scale is not None:
            np.divide(part, scale, out=part)
        squares += float(np.dot(part, part))  # float32 dot products, summed in float64
    rms = (largest if scale is not None else 1.0) * math.sqrt(max(squares, 0.0) / x.size) / full_scale

    def to_db(value: float) -> float:
        if value <= 0:
            return FLOOR_DB
        return round(max(20.0 * math.log10(value), FLOOR_DB), 2)

    return to_db(peak), to_db(rms)


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


def describe(
    features: Optional[np.ndarray],
    feature_config: Mapping[str, Any],
    *,
    frame_rate: float,
    starts: Sequence[float],
    ends: Sequence[float],
    chop_levels: Sequence[tuple[float, float]],
    source: Optional[SourceDescription] = None,
) -> Description:
    """Describe a source and its chops.

    Parameters
    ----------
    features : np.ndarray [shape=(frames, n_bins)] or None
        The analysis features (None: no tempo, key or pitch).
    feature_config : mapping
        Their settings (``kind``, ``fmin``, ``bins_per_octave``).
    frame_rate : float
        Frames per second of ``features``.
    starts, ends : sequence of float
        Each chop's start and end in seconds.
    chop_levels : sequence of (float, float)
        Each chop's peak and RMS level (from :func:`levels`).
    source : SourceDescription, optional
        :func:`describe_source` of the same features, if computed already.
    """
    if source is None:
        source = describe_source(features, feature_config, frame_rate=frame_rate)
    folded = source.chroma
    chops = []
    for start, end, (peak_db, rms_db) in zip(starts, ends, chop_levels):
        pitch = None
        if folded is not None:
            first = int(round(start * frame_rate))
            last = int(round(min(end, start + PITCH_WINDOW) * frame_rate))
            pitch = dominant_pitch_class(folded[first : max(last, first + 1)])
        chops.append(ChopDescription(duration=round(end - start, 6), peak_db=peak_db, rms_db=rms_db,
                                     pitch_class=pitch))
    return Description(tempo=source.tempo, key=source.key, key_strength=source.key_strength,
                       chops=tuple(chops))


#: The value of 0 dBFS for samples held in each dtype.
FULL_SCALE = {"int16": 32768.0, "int32": 2147483648.0}


def _described_features(result: "ChopResult") -> tuple[Optional[np.ndarray], Mapping[str, Any], float]:
    """The features a result is described from, their settings and frame rate."""
    analysis = result.analysis
    if analysis is None:
        return None, {}, 1.0
    config = analysis.model.features
    # logspec models: the spectrogram of one short FFT (the network's low bands may
    # come from a longer window, which would blur onsets and weigh the bass more)
    logspec = config.get("kind", "logspec") == "logspec"
    features = analysis.semitone_spectrogram if logspec else analysis.features
    return features, config, analysis.frame_rate


def describe_result_source(result: "ChopResult") -> SourceDescription:
    """:func:`describe_source` of a chop result's analysis (empty without one).

    Independent of the chops' samples, so that it can be computed while they are
    written (see :func:`samplechop.export.writer.write_kit`).
    """
    features, config, frame_rate = _described_features(result)
    return describe_source(features, config, frame_rate=frame_rate)


def describe_result(
    result: "ChopResult", *, chop_levels: Optional[Sequence[tuple[float, float]]] = None,
    source: Optional[SourceDescription] = None,
) -> Description:
    """Describe a chop result.

    Tempo, key and pitch come from ``result.analysis`` (all ``None`` without it), or
    from ``source`` (:func:`describe_result_source`) when given. Each chop's levels
    are ``chop_levels`` when given (as :func:`write_slices` measures them), else read
    from the source.
    """
    from ..io import audio

    info = result.info
    if chop_levels is None:
        full_scale = FULL_SCALE.get(info.dtype, 1.0)
        chop_levels = [
            levels(audio.read_segment(info, chop.start_sample, chop.end_sample), full_scale=full_scale)
            for chop in result.chops
        ]
    features, config, frame_rate = _described_features(result)
    return describe(
        features,
        config,
        frame_rate=frame_rate,
        starts=[chop.start for chop in result.chops],
        ends=[chop.end for chop in result.chops],
        chop_levels=chop_levels,
        source=source,
    )

"""What a producer sorts chops by: level and pitch, and the source's tempo and key.

Pure numpy on what the analysis computed already, so describing a kit costs a few
milliseconds:

* **peak and RMS level** of a chop in dBFS, over all channels, from its samples;
* **dominant pitch class** of a chop: the strongest chroma bin over its first
  :data:`PITCH_WINDOW` seconds;
* the source's **tempo**, **key** and chroma: :mod:`samplechop.spectral.description`
  (their names are re-exported here), computed once per analysis
  (:attr:`samplechop.chop.analysis.Analysis.source_description`).

Conventions: times in seconds, levels in dBFS floored at :data:`FLOOR_DB`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import numpy as np

from ..spectral.description import (
    PITCH_CLASSES,
    SourceDescription,
    chroma,
    describe_source,
    dominant_pitch_class,
    estimate_key,
    estimate_tempo,
)

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

#: Lowest level reported (dBFS); digital silence reads as this.
FLOOR_DB = -120.0

#: Seconds from a chop's start over which its pitch class is measured.
PITCH_WINDOW = 2.0


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


def describe_result_source(result: "ChopResult") -> SourceDescription:
    """The tempo, key and chroma of a chop result's source: its analysis's
    :attr:`~samplechop.chop.analysis.Analysis.source_description`, computed once per
    analysis (empty without an analysis)."""
    if result.analysis is None:
        return describe_source(None, {}, frame_rate=1.0)
    return result.analysis.source_description


def describe_result(
    result: "ChopResult", *, chop_levels: Optional[Sequence[tuple[float, float]]] = None,
    source: Optional[SourceDescription] = None,
) -> Description:
    """Describe a chop result.

    Tempo, key and pitch come from ``result.analysis`` (all ``None`` without it,
    see :func:`describe_result_source`), or from ``source`` when given. Each chop's levels
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
    return describe(
        None,  # the source is described already: only its chroma is read
        {},
        frame_rate=result.analysis.frame_rate if result.analysis is not None else 1.0,
        starts=[chop.start for chop in result.chops],
        ends=[chop.end for chop in result.chops],
        chop_levels=chop_levels,
        source=source if source is not None else describe_result_source(result),
    )

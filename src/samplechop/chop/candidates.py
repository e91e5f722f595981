"""From the network's scores to chop candidates: peaks, releases left out, merging.

A :class:`Candidates` record flows through the stages of
:mod:`samplechop.chop.pipeline`; each stage takes the analysis and the candidates
and returns new candidates. Times are in seconds at the API; frame indices stay
inside (``*_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..exceptions import ParameterError
from ..spectral.levels import release_mask

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analysis

__all__ = ["Candidates", "pick_peaks", "merge_candidates", "peaks", "without_releases", "before_the_end",
           "merged"]


@dataclass(frozen=True)
class Candidates:
    """Chop candidates: where they are, how the model scores them, which are pinned.

    Attributes
    ----------
    times : np.ndarray [shape=(m,), dtype=float64]
        Seconds, in the order selection sees them: best first, pinned ones in front.
    scores : np.ndarray [shape=(m,), dtype=float64]
        The model's score of each, in [0, 1].
    pinned : np.ndarray [shape=(m,), dtype=bool]
        Candidates that selection takes first whatever their score (the file's first
        attack).

    Selection weighs the model's scores as they are: no stage re-weights them (the
    one that did, an onset preference, was measured and removed), so the record
    keeps no selection score of its own.
    """

    times: np.ndarray
    scores: np.ndarray
    pinned: np.ndarray

    @classmethod
    def unpinned(cls, times: np.ndarray, scores: np.ndarray) -> "Candidates":
        """Candidates none of which is pinned."""
        times = np.asarray(times, dtype=np.float64)
        return cls(times, np.asarray(scores, dtype=np.float64), np.zeros(times.size, dtype=bool))

    def __len__(self) -> int:
        return int(self.times.size)

    def take(self, index: np.ndarray) -> "Candidates":
        """The candidates at ``index`` (an index array or a boolean mask), in its order."""
        return Candidates(self.times[index], self.scores[index], self.pinned[index])

    @property
    def first(self) -> Optional[int]:
        """Index of the pinned candidate, or None."""
        pinned = np.flatnonzero(self.pinned)
        return int(pinned[0]) if pinned.size else None


def pick_peaks(activations: np.ndarray, *, threshold: float) -> np.ndarray:
    """Frames that are local maxima of the activation and at least ``threshold``.

    A plateau counts once, at its first frame.

    Parameters
    ----------
    activations : np.ndarray [shape=(frames,)]
    threshold : float in [0, 1]

    Returns
    -------
    peak_frames : np.ndarray [shape=(n,), dtype=int]
        Sorted frame indices.
    """
    a = np.asarray(activations, dtype=np.float64)
    if a.size == 0:
        return np.zeros(0, dtype=int)
    left = np.concatenate(([-np.inf], a[:-1]))
    right = np.concatenate((a[1:], [-np.inf]))
    is_peak = (a > left) & (a >= right) & (a >= threshold)
    return np.flatnonzero(is_peak)


def merge_candidates(
    times: np.ndarray, scores: np.ndarray, *, min_gap: float, limit: int | None = None
) -> np.ndarray:
    """Merge candidates closer than ``min_gap`` into the best-scoring one.

    Greedy by score (ties: the earlier time): a candidate is kept when it is at least
    ``min_gap`` seconds from every candidate kept before it; with ``limit``, merging
    stops once that many are kept.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Candidate times in seconds.
    scores : np.ndarray [shape=(n,)]
        Their scores.
    min_gap : float >= 0
        Seconds.

    Returns
    -------
    keep : np.ndarray [shape=(m,), dtype=int]
        Indices into ``times`` of the kept candidates, best score first.
    """
    if min_gap < 0:
        raise ParameterError(f"min_gap must be >= 0, got {min_gap}")
    times = np.asarray(times, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((times, -scores))
    wanted = order.size if limit is None else int(limit)
    kept: list[int] = []
    kept_times = np.empty(min(order.size, wanted))
    for index in order:
        if len(kept) >= wanted:
            break
        if kept and np.min(np.abs(kept_times[: len(kept)] - times[index])) < min_gap:
            continue
        kept_times[len(kept)] = times[index]
        kept.append(int(index))
    return np.asarray(kept, dtype=int)


def peaks(analysis: "Analysis", *, threshold: float) -> Candidates:
    """Every frame that is a peak of the model's score at or above ``threshold``
    (:func:`pick_peaks`), in time order: the pipeline's first candidates."""
    peak_frames = pick_peaks(analysis.activations, threshold=threshold)
    scores = np.asarray(analysis.activations, dtype=np.float64)[peak_frames]
    return Candidates.unpinned(peak_frames / float(analysis.frame_rate), scores)


def without_releases(analysis: "Analysis", candidates: Candidates, *, drop_db: float) -> Candidates:
    """Candidates where the level does not fall away (:func:`samplechop.spectral.levels.release_mask`).

    Runs on the peaks before they merge, so that the flank of a release never
    becomes a peak of its own and a release does not hide a candidate near it.
    """
    hop_length = int(analysis.model.features["hop_length"])
    releases = release_mask(analysis.y, sr=analysis.sr, hop_length=hop_length, n_frames=analysis.activations.size,
                            drop_db=drop_db)
    frames = np.round(candidates.times * analysis.frame_rate).astype(int)
    return candidates.take(~releases[frames])


def before_the_end(analysis: "Analysis", candidates: Candidates, *, min_gap: float) -> Candidates:
    """Candidates at least ``min_gap`` seconds before the end of the audio."""
    return candidates.take(candidates.times <= analysis.info.duration - min_gap)


def merged(analysis: "Analysis", candidates: Candidates, *, min_gap: float, limit: Optional[int] = None) -> Candidates:
    """Candidates closer than ``min_gap`` merged into the best of them (:func:`merge_candidates`),
    the ``limit`` best kept, best first."""
    return candidates.take(merge_candidates(candidates.times, candidates.scores, min_gap=min_gap, limit=limit))

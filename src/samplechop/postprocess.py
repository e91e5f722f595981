"""From frame activations to chop candidates: peak picking and merging.

Times are in seconds at the API; frame indices stay inside (``*_frames``).
"""

from __future__ import annotations

import numpy as np

from .exceptions import ParameterError

__all__ = ["pick_peaks", "merge_candidates", "candidates"]


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


def candidates(
    activations: np.ndarray,
    *,
    frame_rate: float,
    threshold: float,
    min_gap: float,
    duration: float,
    limit: int | None = None,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Chop candidates of an activation curve.

    Peaks at or above ``threshold``, merged when closer than ``min_gap``, none
    closer than ``min_gap`` to the end of the audio, the ``limit`` best kept.
    Peaks on frames marked in ``exclude`` are dropped after peak picking, so that
    the flank of an excluded peak never becomes a peak of its own.

    Returns
    -------
    times : np.ndarray [shape=(m,)]
        Candidate times in seconds, best score first.
    scores : np.ndarray [shape=(m,)]
        Their activations.
    """
    peak_frames = pick_peaks(activations, threshold=threshold)
    if exclude is not None:
        peak_frames = peak_frames[~np.asarray(exclude, dtype=bool)[peak_frames]]
    times = peak_frames / float(frame_rate)
    scores = np.asarray(activations, dtype=np.float64)[peak_frames]
    inside = times <= duration - min_gap
    times, scores = times[inside], scores[inside]
    keep = merge_candidates(times, scores, min_gap=min_gap, limit=limit)
    return times[keep], scores[keep]

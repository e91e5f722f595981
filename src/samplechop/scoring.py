"""Scoring chops against labels (F-measure at 50 ms, as in chop-points.md).

Conventions as in mir_eval: chop lists are sorted 1-D arrays of seconds. The metric
itself is mir_eval's onset F-measure; mir_eval is imported when first used.
"""

from __future__ import annotations

import numpy as np

from .chop.candidates import merge_candidates, pick_peaks
from .constants import EVAL_WINDOW, MERGE_WINDOW

__all__ = ["f_measure", "top_n_times"]


def f_measure(
    reference: np.ndarray, estimated: np.ndarray, *, window: float = EVAL_WINDOW,
) -> tuple[float, float, float]:
    """(F, precision, recall) of estimated chop times against labelled ones.

    A hit is an estimate within ``window`` seconds of a label, one-to-one.
    Empty input scores 0 (as mir_eval does, without its warning).
    """
    reference = np.sort(np.asarray(reference, dtype=np.float64))
    estimated = np.sort(np.asarray(estimated, dtype=np.float64))
    if reference.size == 0 or estimated.size == 0:
        return 0.0, 0.0, 0.0
    import mir_eval

    f, p, r = mir_eval.onset.f_measure(reference, estimated, window=window)
    return float(f), float(p), float(r)


def top_n_times(
    activations: np.ndarray, *, n: int, frame_rate: float, min_gap: float = MERGE_WINDOW,
    threshold: float = 0.0,
) -> np.ndarray:
    """Times of the ``n`` strongest peaks of a curve, merged when closer than ``min_gap``.

    Returns
    -------
    times : np.ndarray [shape=(<= n,)]
        Sorted seconds.
    """
    peaks = pick_peaks(activations, threshold=threshold)
    times = peaks / float(frame_rate)
    scores = np.asarray(activations, dtype=np.float64)[peaks]
    return np.sort(times[merge_candidates(times, scores, min_gap=min_gap, limit=n)])

"""Cutting: chop start samples -> chops that run to the next one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..io import audio
from .settings import ChopSettings

__all__ = ["Chop", "cut_points"]


@dataclass(frozen=True)
class Chop:
    """One chop, in seconds and in samples of the source.

    ``rank`` is the order in which selection chose it (1 = first); ``None`` for the
    lead-in (the audio before the first chop, kept in contiguous mode).
    """

    index: int
    start: float
    end: float
    start_sample: int
    end_sample: int
    score: float
    rank: Optional[int]

    @property
    def length(self) -> float:
        """Seconds."""
        return self.end - self.start


def cut_points(
    info: audio.AudioInfo,
    settings: ChopSettings,
    starts: np.ndarray,
    scores: np.ndarray,
    ranks: np.ndarray,
) -> list[Chop]:
    """Turn sorted start samples into chops that end where the next one starts.

    A start before the one before it moves up to it; a chop of no length is left
    out. In ``"contiguous"`` mode the audio before the first chop is a chop too
    (rank None), and ``max_length`` does not apply.

    Parameters
    ----------
    info : AudioInfo
        The source.
    settings : ChopSettings
        Mode and longest chop.
    starts : np.ndarray [shape=(n,), dtype=int]
        Start samples, in time order.
    scores, ranks : np.ndarray [shape=(n,)]
        Each start's score and selection rank.

    Returns
    -------
    chops : list of Chop
        Numbered from 1 in time order.
    """
    starts = np.maximum.accumulate(starts) if starts.size else starts
    bounds = list(starts)
    entries: list[tuple[int, int, float, Optional[int]]] = []
    if settings.mode == "contiguous" and (not bounds or bounds[0] > 0):
        entries.append((0, int(bounds[0]) if bounds else info.frames, 0.0, None))
    max_samples = None if settings.max_length is None else int(round(settings.max_length * info.sr))
    for position, start in enumerate(bounds):
        end = int(bounds[position + 1]) if position + 1 < len(bounds) else info.frames
        if max_samples is not None and settings.mode == "chops":
            end = min(end, int(start) + max_samples)
        if end <= start:
            continue
        entries.append((int(start), end, float(scores[position]), int(ranks[position])))
    return [
        Chop(
            index=number,
            start=start / info.sr,
            end=end / info.sr,
            start_sample=start,
            end_sample=end,
            score=score,
            rank=rank,
        )
        for number, (start, end, score, rank) in enumerate(entries, start=1)
    ]

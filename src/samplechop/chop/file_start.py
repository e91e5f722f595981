"""The file's first attack is always a chop: rule 4 of the label convention
(docs/chop-points.md).

The network sees no music before a file's first frames and scores the first attack
unreliably, so this stage finds the attack in the spectrogram
(:func:`samplechop.spectral.onsets.first_attack`) and pins it in front of the other
candidates, whatever the model scores there. The detector cannot see a file's first
70 ms (:attr:`Analysis.blind_start <samplechop.chop.analysis.Analysis.blind_start>`),
where a sample cut on a hit has its first attack: there, the network's earliest
candidate stands for the attack, unless the file opens inside a sound
(:func:`samplechop.spectral.levels.opens_inside_sound`), whose start the network,
seeing silence before it, scores as an attack where no note starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .candidates import Candidates

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analysis

__all__ = ["with_first_attack"]


def with_first_attack(analysis: "Analysis", candidates: Candidates, *, min_gap: float) -> Candidates:
    """Candidates with the file's first attack pinned in front of them.

    When a candidate lies more than ``min_gap`` before the detected attack (and, in
    a file that opens inside a sound, after the detector's blind start), the earliest
    such candidate is the first attack: it moves to the front, pinned. Otherwise the
    detected attack joins the candidates in front, pinned, scored as the model scores
    the frames around it, and the candidates closer to it than ``min_gap`` merge into
    it. Unchanged when no attack is found, or none early enough to make a chop.

    Parameters
    ----------
    analysis : Analysis
    candidates : Candidates
        Best first, none pinned.
    min_gap : float
        Seconds: the chops' shortest length.

    Returns
    -------
    Candidates
        The first attack at index 0, pinned; the others in their order.
    """
    first = analysis.first_attack
    if first is None or first > analysis.info.duration - min_gap:
        return candidates
    times = candidates.times
    eligible = np.flatnonzero(times < first - min_gap)
    if eligible.size and times[eligible].min() < analysis.blind_start and analysis.opens_inside_sound:
        # the start of a sound already playing, scored as an attack: not the first attack
        eligible = eligible[times[eligible] >= analysis.blind_start]
    if eligible.size:
        earliest = int(eligible[np.argmin(times[eligible])])
        moved = candidates.take(np.concatenate(([earliest], np.delete(np.arange(times.size), earliest))))
        pinned = np.zeros(len(moved), dtype=bool)
        pinned[0] = True
        return Candidates(moved.times, moved.scores, pinned)
    frame = int(round(first * analysis.frame_rate))
    near = analysis.activations[max(0, frame - 1) : frame + 2]
    apart = candidates.take(np.abs(times - first) >= min_gap)
    return Candidates(
        times=np.concatenate(([first], apart.times)),
        scores=np.concatenate(([float(near.max())], apart.scores)),
        pinned=np.concatenate(([True], np.zeros(len(apart), dtype=bool))),
    )

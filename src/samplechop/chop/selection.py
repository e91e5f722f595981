"""Maximal Average Diversification: choose chops that are probable and unalike.

The final chops are picked greedily from the candidates: the first is the most
probable (or one given: the pinned candidate, the file's first attack); each next one
maximises

    (1 - lam) * score + lam * mean distance to the chops already chosen,

where the distance is the Euclidean distance between the candidates' harmonic-only
(HPSS) spectra, so that the pads do not all sound alike. The spectra are
L2-normalised and the distance divided by sqrt(2), so distances lie in [0, 1] like the
scores, and ``lam`` weighs two quantities on one scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import numpy as np

from ..exceptions import ParameterError
from ..spectral.harmonic import harmonic_spectra
from .candidates import Candidates

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analysis

__all__ = ["Spectra", "candidate_spectra", "pairwise_distances", "maximal_average_diversification", "choose"]

#: ``spectra(analysis, times)``: the harmonic spectra of candidate times.
Spectra = Callable[["Analysis", np.ndarray], np.ndarray]


def candidate_spectra(analysis: "Analysis", times: np.ndarray) -> np.ndarray:
    """Harmonic-only spectra of the sound after each candidate time (see
    :func:`samplechop.spectral.harmonic.harmonic_spectra`), from the analysis's
    one-FFT semitone spectrogram."""
    return harmonic_spectra(analysis.semitone_spectrogram, times, frame_rate=analysis.frame_rate)


def pairwise_distances(spectra: np.ndarray) -> np.ndarray:
    """Euclidean distances between rows, scaled to [0, 1] for non-negative unit rows.

    Parameters
    ----------
    spectra : np.ndarray [shape=(n, bins)]
        Non-negative, L2-normalised spectra.

    Returns
    -------
    distances : np.ndarray [shape=(n, n)]
    """
    squared = np.sum(spectra**2, axis=1)
    gram = spectra @ spectra.T
    d2 = np.maximum(squared[:, None] + squared[None, :] - 2.0 * gram, 0.0)
    return np.sqrt(d2) / np.sqrt(2.0)


def maximal_average_diversification(
    scores: np.ndarray, distances: np.ndarray, *, n: int, lam: float, first: int | None = None
) -> np.ndarray:
    """Greedy Maximal Average Diversification.

    Parameters
    ----------
    scores : np.ndarray [shape=(m,)]
        Candidate probabilities.
    distances : np.ndarray [shape=(m, m)]
        Distances between candidates, in [0, 1].
    n : int > 0
        How many to choose (fewer if there are fewer candidates).
    lam : float in [0, 1]
        0 takes the most probable; 1 only looks at diversity after the first.
    first : int, optional
        Index of a candidate chosen first whatever its score (the file's first
        attack); by default the most probable one is.

    Returns
    -------
    chosen : np.ndarray [shape=(min(n, m),), dtype=int]
        Indices of the chosen candidates, in the order chosen (their rank).
        Ties go to the lower index, so the result is deterministic.
    """
    if not 0.0 <= lam <= 1.0:
        raise ParameterError(f"lambda must be in [0, 1], got {lam}")
    scores = np.asarray(scores, dtype=np.float64)
    m = scores.size
    count = min(int(n), m)
    if count <= 0:
        return np.zeros(0, dtype=int)
    if first is not None and not 0 <= int(first) < m:
        raise ParameterError(f"first must index one of the {m} candidates, got {first}")
    chosen = [int(np.argmax(scores)) if first is None else int(first)]
    available = np.ones(m, dtype=bool)
    available[chosen[0]] = False
    distance_sum = np.array(distances[chosen[0]], dtype=np.float64)
    while len(chosen) < count:
        objective = (1.0 - lam) * scores + lam * distance_sum / len(chosen)
        objective[~available] = -np.inf
        best = int(np.argmax(objective))
        chosen.append(best)
        available[best] = False
        distance_sum += distances[best]
    return np.asarray(chosen, dtype=int)


def choose(
    analysis: "Analysis", candidates: Candidates, *, n: int, lam: float, spectra: Optional[Spectra] = None
) -> np.ndarray:
    """The chops among the candidates, in the order chosen (their rank).

    The pinned candidate first; then, when there are more candidates than ``n`` and
    ``lam`` > 0, :func:`maximal_average_diversification` on their harmonic spectra
    (``spectra``, default :func:`candidate_spectra`); otherwise the candidates in
    their order (best first, the pinned one in front).

    Returns
    -------
    chosen : np.ndarray [shape=(min(n, len(candidates)),), dtype=int]
        Indices into ``candidates``.
    """
    if len(candidates) > n and lam > 0:
        distances = pairwise_distances((spectra or candidate_spectra)(analysis, candidates.times))
        return maximal_average_diversification(candidates.scores, distances, n=n, lam=lam, first=candidates.first)
    return np.arange(min(n, len(candidates)))

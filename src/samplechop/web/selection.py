"""Chop selection for the page's controls, with the candidates' spectra kept.

:func:`samplechop.chopper.select_chops` computes the harmonic spectrum of every
candidate each time it runs, which is most of its cost. The page re-selects on every
move of the N, lambda and threshold controls, and the candidates mostly stay the
same (a candidate's time and spectrum depend only on the analysis), so
:func:`select` runs the same steps with each spectrum computed once per session.
A test checks that it gives exactly what :func:`select_chops` gives.
"""

from __future__ import annotations

import threading

import numpy as np

from ..chopper import Analysis, ChopResult, ChopSettings, place_chops
from ..diversify import maximal_average_diversification, pairwise_distances
from ..features import harmonic_spectra
from ..postprocess import candidates as find_candidates

__all__ = ["SpectraCache", "select", "snap"]


class SpectraCache:
    """Harmonic spectra of candidate times of one analysis, each computed once.

    Bounded: at most ``max_rows`` spectra are kept (the candidates of a file are at
    most one per ``min_length``; beyond the bound the cache starts afresh).
    """

    def __init__(self, max_rows: int = 20000) -> None:
        self.max_rows = max_rows
        self._rows: dict[float, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def spectra(self, analysis: Analysis, times: np.ndarray) -> np.ndarray:
        """Spectra of ``times`` as :func:`harmonic_spectra` gives them for ``analysis``.

        Returns
        -------
        spectra : np.ndarray [shape=(len(times), n_bins), dtype=float32]
        """
        times = np.asarray(times, dtype=np.float64)
        with self._lock:
            missing = [time for time in dict.fromkeys(times.tolist()) if time not in self._rows]
        if missing:
            config = analysis.model.features
            computed = harmonic_spectra(
                analysis.y, np.asarray(missing), sr=analysis.sr, hop_length=int(config["hop_length"]),
                n_fft=int(config.get("n_fft", 2048)),
            )
            with self._lock:
                if len(self._rows) + len(missing) > self.max_rows:
                    self._rows.clear()
                self._rows.update(zip(missing, computed))
        with self._lock:
            return np.stack([self._rows[time] for time in times.tolist()]) if times.size else np.zeros((0, 0))


def _candidate_limit(settings: ChopSettings) -> int:
    if settings.max_candidates is not None:
        return int(settings.max_candidates)
    return max(3 * settings.n, settings.n + 8)


def select(analysis: Analysis, settings: ChopSettings, cache: SpectraCache) -> ChopResult:
    """Choose and place the chops of an analysed file, as :func:`select_chops` does.

    Parameters
    ----------
    analysis : Analysis
    settings : ChopSettings
    cache : SpectraCache
        The spectra of ``analysis``'s candidates computed so far.

    Returns
    -------
    ChopResult
    """
    settings.validate()
    info = analysis.info
    threshold = analysis.model.threshold if settings.threshold is None else settings.threshold
    times, scores = find_candidates(
        analysis.activations,
        frame_rate=analysis.frame_rate,
        threshold=threshold,
        min_gap=settings.min_length,
        duration=info.duration,
        limit=_candidate_limit(settings),
    )
    notes: list[str] = []
    if times.size > settings.n and settings.lam > 0:
        spectra = cache.spectra(analysis, times)
        chosen = maximal_average_diversification(
            scores, pairwise_distances(spectra), n=settings.n, lam=settings.lam
        )
    else:
        chosen = np.arange(min(settings.n, times.size))
    if chosen.size < settings.n:
        notes.append(
            f"found {chosen.size} chop{'s' if chosen.size != 1 else ''} of the {settings.n} asked for: "
            f"the audio holds no more candidates scoring >= {threshold:.2f} "
            f"at least {settings.min_length:g} s apart"
        )
    ranks = np.arange(1, chosen.size + 1)
    result = place_chops(analysis, settings, times[chosen], scores=scores[chosen], ranks=ranks)
    result.candidate_times, result.candidate_scores = times, scores
    result.threshold, result.notes = threshold, notes
    return result


def snap(analysis: Analysis, time: float) -> float:
    """A chop time moved onto the start of its attack, at a zero crossing.

    As the selection places its chops (see :func:`samplechop.chopper.place_chops`):
    the page snaps a chop a producer moved or added, so that what the pads play is
    what the kit holds.

    Parameters
    ----------
    analysis : Analysis
    time : float
        Seconds, within the audio.

    Returns
    -------
    time : float
        Seconds (``time`` itself where no chop can start, at the very end).
    """
    placed = place_chops(analysis, ChopSettings(n=1), np.array([time], dtype=np.float64))
    return placed.chops[0].start if placed.chops else float(time)

"""Chop selection for the page's controls, with the candidates' spectra kept.

:func:`samplechop.chop.select_chops` computes the harmonic spectrum of every
candidate each time it runs, which is most of its cost. The page re-selects on every
move of the N, lambda and threshold controls, and the candidates mostly stay the
same (a candidate's time and spectrum depend only on the analysis), so
:func:`select` hands it a cache that computes each spectrum once per session.
"""

from __future__ import annotations

import threading

import numpy as np

from ..chop import Analysis, ChopResult, ChopSettings, candidate_spectra, place_chops, select_chops

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
        """Spectra of ``times`` as :func:`~samplechop.spectral.harmonic.harmonic_spectra` gives them for ``analysis``.

        Returns
        -------
        spectra : np.ndarray [shape=(len(times), n_bins), dtype=float32]
        """
        times = np.asarray(times, dtype=np.float64)
        if times.size == 0:
            return np.zeros((0, 0), dtype=np.float32)
        keys = times.tolist()
        with self._lock:
            found = {key: self._rows[key] for key in keys if key in self._rows}
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        if missing:
            found.update(zip(missing, candidate_spectra(analysis, np.asarray(missing))))
            with self._lock:
                if len(self._rows) + len(missing) > self.max_rows:
                    self._rows.clear()
                self._rows.update((key, found[key]) for key in missing)
        # The answer comes from ``found``: rows another thread clears meanwhile are not needed.
        return np.stack([found[key] for key in keys])


def select(analysis: Analysis, settings: ChopSettings, cache: SpectraCache) -> ChopResult:
    """Choose and place the chops of an analysed file, as :func:`select_chops` does,
    with the candidates' spectra taken from (and added to) ``cache``."""
    return select_chops(analysis, settings, spectra=cache.spectra)


def snap(analysis: Analysis, time: float) -> float:
    """A chop time moved onto the start of its attack, at a zero crossing.

    As the selection places its chops (see :func:`samplechop.chop.place_chops`):
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

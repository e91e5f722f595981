"""The chopping pipeline after analysis, its stages chained in one place.

:func:`select_chops` turns an :class:`~samplechop.chop.analysis.Analysis` into
chops for a set of options:

1. :func:`~samplechop.chop.candidates.peaks`: peaks of the model's score at or
   above the threshold;
2. :func:`~samplechop.chop.candidates.without_releases`: none where the level falls
   away (``release_db``);
3. :func:`~samplechop.chop.candidates.before_the_end`: none too near the end;
4. :func:`~samplechop.chop.candidates.merged`: close ones merged, the best kept;
5. :func:`~samplechop.chop.file_start.with_first_attack`: the file's first attack
   pinned in front (``first_attack``);
6. :func:`~samplechop.chop.selection.choose`: Maximal Average Diversification;
7. :func:`place_chops`: each chop moved onto its attack
   (:mod:`samplechop.chop.placement`) and cut (:mod:`samplechop.chop.cut`).

Stages 2-5 have the form ``(analysis, candidates) -> candidates``
(:data:`Stage`); :func:`candidate_stages` lists them for a set of options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..io import audio
from .analysis import Analysis
from .candidates import Candidates, before_the_end, merged, peaks, without_releases
from .cut import Chop, cut_points
from .file_start import with_first_attack
from .placement import refined_samples
from .selection import Spectra, choose
from .settings import ChopSettings

__all__ = ["Stage", "ChopResult", "candidate_stages", "find_candidates", "select_chops", "place_chops"]

#: A stage of the candidates: ``stage(analysis, candidates) -> candidates``.
Stage = Callable[[Analysis, Candidates], Candidates]


@dataclass
class ChopResult:
    """The chops of one file and how they were found.

    Attributes
    ----------
    info : AudioInfo
        The source.
    settings : ChopSettings
    chops : list of Chop
        In time order.
    candidates : Candidates
        What selection chose from (for chops placed by hand: the chops themselves).
    threshold : float
        The candidate threshold in force.
    model_path : Path or None
    notes : list of str
        Plain remarks, such as fewer chops found than asked for.
    analysis : Analysis
    """

    info: audio.AudioInfo
    settings: ChopSettings
    chops: list[Chop]
    candidates: Candidates
    threshold: float
    model_path: Optional[Path] = None
    notes: list[str] = field(default_factory=list)
    analysis: Optional[Analysis] = field(default=None, repr=False)

    @property
    def times(self) -> np.ndarray:
        """Chop start times in seconds (the lead-in excluded), sorted."""
        return np.array([chop.start for chop in self.chops if chop.rank is not None])


def candidate_stages(settings: ChopSettings) -> list[Stage]:
    """The stages the peaks of the model's score pass through, in order, for ``settings``."""
    stages: list[Stage] = []
    if settings.release_db > 0:
        stages.append(partial(without_releases, drop_db=settings.release_db))
    stages.append(partial(before_the_end, min_gap=settings.min_length))
    stages.append(partial(merged, min_gap=settings.min_length, limit=settings.candidate_limit))
    if settings.first_attack:
        stages.append(partial(with_first_attack, min_gap=settings.min_length))
    return stages


def find_candidates(analysis: Analysis, settings: ChopSettings) -> Candidates:
    """The candidates selection chooses from: the peaks of the model's score through
    :func:`candidate_stages`."""
    candidates = peaks(analysis, threshold=settings.threshold_for(analysis.model))
    for stage in candidate_stages(settings):
        candidates = stage(analysis, candidates)
    return candidates


def select_chops(analysis: Analysis, settings: ChopSettings, *, spectra: Optional[Spectra] = None) -> ChopResult:
    """Choose and place the chops of an analysed file.

    Parameters
    ----------
    analysis : Analysis
        From :func:`~samplechop.chop.analysis.analyse`.
    settings : ChopSettings
    spectra : callable, optional
        ``spectra(analysis, times)`` gives the candidates' harmonic spectra
        (default :func:`~samplechop.chop.selection.candidate_spectra`); a caller that
        re-selects often can pass one that keeps them.

    Returns
    -------
    ChopResult
        Chops in time order; ``notes`` says plainly when fewer than ``n`` were found.
    """
    settings.validate()
    candidates = find_candidates(analysis, settings)
    chosen = choose(analysis, candidates, n=settings.n, lam=settings.lam, spectra=spectra)
    notes: list[str] = []
    if chosen.size < settings.n:
        notes.append(
            f"found {chosen.size} chop{'s' if chosen.size != 1 else ''} of the {settings.n} asked for: "
            f"the audio holds no more candidates scoring >= {settings.threshold_for(analysis.model):.2f} "
            f"at least {settings.min_length:g} s apart"
        )
    return _placed(analysis, settings, candidates.times[chosen], candidates.scores[chosen],
                   np.arange(1, chosen.size + 1), candidates=candidates, notes=notes)


def place_chops(
    analysis: Analysis,
    settings: ChopSettings,
    times: np.ndarray,
    *,
    scores: Optional[np.ndarray] = None,
    ranks: Optional[np.ndarray] = None,
) -> ChopResult:
    """Cut an analysed file at times a person chose.

    Each time is moved onto its attack at a zero crossing (unless ``settings.refine``
    is off) and every chop runs to the next one.

    Parameters
    ----------
    analysis : Analysis
    settings : ChopSettings
        Mode, lengths, fades and refinement; the threshold is only recorded.
    times : np.ndarray [shape=(n,)]
        Chop times in seconds, any order.
    scores : np.ndarray [shape=(n,)], optional
        Their scores (default: the model's score at each time).
    ranks : np.ndarray [shape=(n,)], optional
        Their ranks (default: by score).

    Returns
    -------
    ChopResult
    """
    times = np.clip(np.asarray(times, dtype=np.float64), 0.0, analysis.info.duration)
    if scores is None:
        frames = np.clip(np.round(times * analysis.frame_rate).astype(int), 0, analysis.activations.size - 1)
        scores = analysis.activations[frames].astype(np.float64)
    if ranks is None:
        ranks = np.empty(times.size, dtype=int)
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, times.size + 1)
    return _placed(analysis, settings, times, np.asarray(scores, dtype=np.float64), np.asarray(ranks))


def _placed(
    analysis: Analysis,
    settings: ChopSettings,
    times: np.ndarray,
    scores: np.ndarray,
    ranks: np.ndarray,
    *,
    candidates: Optional[Candidates] = None,
    notes: Optional[list[str]] = None,
) -> ChopResult:
    """The result of chops at ``times`` (any order): placed on their attacks and cut."""
    info = analysis.info
    order = np.argsort(times, kind="stable")
    times, scores, ranks = times[order], scores[order], ranks[order]
    if settings.refine and times.size:
        starts = refined_samples(info, times)
    else:
        starts = np.round(times * info.sr).astype(np.int64)
    starts = np.clip(starts, 0, info.frames - 1)
    return ChopResult(
        info=info,
        settings=settings,
        chops=cut_points(info, settings, starts, scores, ranks),
        candidates=Candidates.unpinned(times, scores) if candidates is None else candidates,
        threshold=settings.threshold_for(analysis.model),
        model_path=analysis.model.path,
        notes=notes or [],
        analysis=analysis,
    )

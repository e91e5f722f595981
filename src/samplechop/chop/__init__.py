"""Chopping, stage by stage: from audio to placed chops.

=====================  ==========================================================
:mod:`.settings`       the options and every default (:class:`ChopSettings`)
:mod:`.analysis`       audio -> features -> the model's score of every frame
:mod:`.candidates`     peaks of the score, releases left out, merging
:mod:`.file_start`     the file's first attack pinned as the first chop
:mod:`.selection`      Maximal Average Diversification on harmonic spectra
:mod:`.placement`      each chop moved onto its attack, at a zero crossing
:mod:`.cut`            start samples -> chops that run to the next one
:mod:`.pipeline`       the stages chained: :func:`select_chops`, :func:`place_chops`
=====================  ==========================================================

Writing the kit is :mod:`samplechop.export`'s.
"""

from .analysis import LONG_FILE, SILENCE_PEAK, Analysis, analyse
from .candidates import Candidates
from .cut import Chop
from .pipeline import ChopResult, Stage, candidate_stages, find_candidates, place_chops, select_chops
from .selection import candidate_spectra
from .settings import MAX_CHOPS, MODES, ChopSettings

__all__ = ["Analysis", "analyse", "Candidates", "Chop", "ChopResult", "ChopSettings", "Stage",
           "candidate_stages", "find_candidates", "select_chops", "place_chops", "candidate_spectra",
           "MAX_CHOPS", "MODES", "SILENCE_PEAK", "LONG_FILE"]

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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .analysis import LONG_FILE, SILENCE_PEAK, Analysis, analyse
    from .candidates import Candidates
    from .cut import Chop
    from .pipeline import ChopResult, Stage, candidate_stages, find_candidates, place_chops, select_chops
    from .selection import candidate_spectra
    from .settings import MAX_CHOPS, MODES, ChopSettings

#: Where each public name lives. Loaded on first use, so that the command line
#: reads :class:`ChopSettings` without importing numpy and the model.
_WHERE = {
    "Analysis": "analysis", "analyse": "analysis", "SILENCE_PEAK": "analysis", "LONG_FILE": "analysis",
    "Candidates": "candidates",
    "Chop": "cut",
    "ChopResult": "pipeline", "Stage": "pipeline", "candidate_stages": "pipeline", "find_candidates": "pipeline",
    "select_chops": "pipeline", "place_chops": "pipeline",
    "candidate_spectra": "selection",
    "ChopSettings": "settings", "MAX_CHOPS": "settings", "MODES": "settings",
}

__all__ = ["Analysis", "analyse", "SILENCE_PEAK", "LONG_FILE", "Candidates", "Chop", "ChopResult", "Stage",
           "candidate_stages", "find_candidates", "select_chops", "place_chops", "candidate_spectra", "ChopSettings",
           "MAX_CHOPS", "MODES"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)

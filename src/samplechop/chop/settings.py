"""The options of chopping, and every default of them: the one place the command line,
``evaluate`` and the web app read them from.

Imports nothing heavy, so that the command line reads the defaults for its help.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Optional

from ..constants import MERGE_WINDOW, RELEASE_DROP_DB
from ..exceptions import ParameterError

__all__ = ["ChopSettings", "MAX_CHOPS", "MODES"]

#: Largest number of chops one file may be cut into.
MAX_CHOPS = 512

#: Chop modes: ``"chops"`` keeps only the chops; ``"contiguous"`` is the original
#: design's split, which also keeps the audio before the first chop.
MODES = ("chops", "contiguous")


@dataclass(frozen=True)
class ChopSettings:
    """Options of chop selection and cutting, with their defaults.

    Attributes
    ----------
    n : int
        Chops wanted.
    lam : float in [0, 1]
        Diversity weight of Maximal Average Diversification.
    threshold : float in [0, 1] or None
        Lowest score of a candidate (None: the model's default, see
        :meth:`threshold_for`); the file's first attack is kept whatever its score.
    min_length : float
        Seconds: candidates closer than this merge, so chops are about this long at
        least (placing a chop on its attack moves its start by up to 60 ms earlier
        or 45 ms later).
    max_length : float or None
        Seconds: longest chop (None: a chop runs to the next one).
    max_candidates : int or None
        Candidates kept for selection, best first (None: 2 * n, at least n + 8).
    mode : str
        ``"chops"`` or ``"contiguous"``.
    fade_in, fade_out : float
        Fade lengths in seconds (0 turns them off).
    refine : bool
        Move each chop to the start of its attack, at a zero crossing.
    release_db : float
        A peak where the level of the next 100 ms falls by more than this many dB
        below the 100 ms before (a release or decay) is no candidate; 0 turns the
        rule off (see :mod:`samplechop.spectral.levels`).
    first_attack : bool
        Always keep the file's first attack as a chop (rule 4 of the label
        convention; see :mod:`samplechop.chop.file_start`), whatever the model
        scores there.
    """

    n: int = 16
    lam: float = 0.3
    threshold: Optional[float] = None
    min_length: float = MERGE_WINDOW  # chop points closer than this count as one (docs/chop-points.md)
    max_length: Optional[float] = None
    max_candidates: Optional[int] = None
    mode: str = "chops"
    fade_in: float = 0.001
    fade_out: float = 0.005
    refine: bool = True
    release_db: float = RELEASE_DROP_DB
    first_attack: bool = True

    def threshold_for(self, model) -> float:
        """The candidate threshold in force: :attr:`threshold`, or the model's own."""
        return model.threshold if self.threshold is None else self.threshold

    @property
    def candidate_limit(self) -> int:
        """Candidates kept for selection: :attr:`max_candidates`, or 2 * n (at least n + 8)."""
        if self.max_candidates is not None:
            return int(self.max_candidates)
        return max(2 * self.n, self.n + 8)

    def validate(self) -> "ChopSettings":
        """Check every option; raise :class:`ParameterError` naming the first bad one."""
        if isinstance(self.n, bool) or not isinstance(self.n, numbers.Integral) or self.n <= 0:
            raise ParameterError(f"-n must be a whole number of chops >= 1, got {self.n}")
        if self.n > MAX_CHOPS:
            raise ParameterError(f"-n {self.n} is too many: at most {MAX_CHOPS} chops per file")
        if not (0.0 <= self.lam <= 1.0):
            raise ParameterError(f"--lambda must be between 0 and 1, got {self.lam}")
        if self.threshold is not None and not (0.0 <= self.threshold <= 1.0):
            raise ParameterError(f"--threshold must be between 0 and 1, got {self.threshold}")
        if not (math.isfinite(self.release_db) and 0.0 <= self.release_db <= 60.0):
            raise ParameterError(f"--release-db must be between 0 and 60, got {self.release_db}")
        if not (0.0 < self.min_length <= 60.0):
            raise ParameterError(f"--min-length must be in (0, 60] seconds, got {self.min_length}")
        if self.max_length is not None and self.max_length < self.min_length:
            raise ParameterError(
                f"--max-length ({self.max_length} s) is shorter than --min-length ({self.min_length} s)"
            )
        if self.max_candidates is not None and self.max_candidates < 1:
            raise ParameterError(f"--candidates must be >= 1, got {self.max_candidates}")
        if self.mode not in MODES:
            raise ParameterError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        for name, value in (("--fade-in", self.fade_in), ("--fade-out", self.fade_out)):
            if not (0.0 <= value <= 1.0):
                raise ParameterError(f"{name} must be between 0 and 1000 ms, got {value * 1000:g} ms")
        return self

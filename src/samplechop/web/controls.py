"""The page's selection controls checked in the page's own words.

The selection's own checks (:meth:`samplechop.chop.ChopSettings.validate`) name the
command line's options (``-n``, ``--lambda``); a producer on the page sees the
controls "Chops N", "Diversity" and "Threshold", so the web app checks the values
first and names those.
"""

from __future__ import annotations

import math
from typing import Optional

from ..chop import MAX_CHOPS
from .errors import WebError

__all__ = ["check_controls"]


def check_controls(*, n: Optional[int] = None, lam: Optional[float] = None,
                   threshold: Optional[float] = None) -> None:
    """Check the values of the page's controls (each optional).

    Raises
    ------
    WebError
        422 naming the control and its range.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CHOPS):
        raise WebError(422, f"Chops (N) must be a whole number from 1 to {MAX_CHOPS}, got {n}")
    if lam is not None and not (math.isfinite(lam) and 0.0 <= lam <= 1.0):
        raise WebError(422, f"Diversity must be between 0 and 1, got {lam}")
    if threshold is not None and not (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        raise WebError(422, f"Threshold must be between 0 and 1, got {threshold}")

"""The ``<stem>.chops.json`` manifest: what was chopped, how, and every chop."""

from __future__ import annotations

import json
from typing import Any, Sequence

from .. import __version__
from ..chopper import ChopResult

__all__ = ["manifest", "MANIFEST_SUFFIX"]

MANIFEST_SUFFIX = ".chops.json"


def manifest(result: ChopResult, files: Sequence[str]) -> dict[str, Any]:
    """The manifest of a chop result as a JSON-ready dict.

    Parameters
    ----------
    result : ChopResult
    files : sequence of str
        The WAV file name of each chop, in order.
    """
    info, settings = result.info, result.settings
    return {
        "samplechop": __version__,
        "source": {
            "path": str(info.path),
            "sample_rate": info.sr,
            "channels": info.channels,
            "frames": info.frames,
            "duration": round(info.duration, 6),
            "format": info.format,
            "subtype": info.subtype,
        },
        "settings": {
            "n": settings.n,
            "lambda": settings.lam,
            "threshold": result.threshold,
            "min_length": settings.min_length,
            "max_length": settings.max_length,
            "mode": settings.mode,
            "fade_in": settings.fade_in,
            "fade_out": settings.fade_out,
            "model": str(result.model_path) if result.model_path else None,
        },
        "found": sum(1 for chop in result.chops if chop.rank is not None),
        "notes": list(result.notes),
        "chops": [
            {
                "index": chop.index,
                "file": name,
                "start": round(chop.start, 6),
                "end": round(chop.end, 6),
                "length": round(chop.length, 6),
                "start_sample": chop.start_sample,
                "end_sample": chop.end_sample,
                "score": round(chop.score, 6),
                "rank": chop.rank,
            }
            for chop, name in zip(result.chops, files)
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    """The manifest as indented JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

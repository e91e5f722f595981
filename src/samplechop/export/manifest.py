"""The ``<stem>.chops.json`` manifest: what was chopped, how, and every chop.

Besides the settings and each chop's place in the source, the manifest holds what a
producer sorts chops by (see :mod:`samplechop.export.describe`): for the source its
estimated ``tempo`` (BPM) and ``key``; for each chop its ``duration`` (seconds),
``peak_db`` and ``rms_db`` (dBFS), dominant ``pitch_class``, and the MPC ``pad`` and
MIDI ``note`` it is played from (see :mod:`samplechop.export.keys`; ``null`` for chops
beyond the 128 pads or note 127).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence

from .. import __version__
from ..chop import ChopResult
from ..console import display_path
from .describe import Description, describe_result
from .keys import DEFAULT_START_NOTE, chop_notes, pad_label

__all__ = ["manifest", "dumps", "MANIFEST_SUFFIX"]

MANIFEST_SUFFIX = ".chops.json"


def manifest(
    result: ChopResult,
    files: Sequence[str],
    *,
    description: Optional[Description] = None,
    start_note: int = DEFAULT_START_NOTE,
    outputs: Optional[Mapping[str, str]] = None,
) -> dict[str, Any]:
    """The manifest of a chop result as a JSON-ready dict.

    Parameters
    ----------
    result : ChopResult
    files : sequence of str
        The WAV file name of each chop, in order.
    description : Description, optional
        Levels, pitch, tempo and key (computed from ``result`` when not given).
    start_note : int in [0, 127]
        MIDI note of the first chop.
    outputs : mapping of str to str, optional
        The kit's files by format (``{"xpm": "<stem>.xpm", ...}``).
    """
    info, settings = result.info, result.settings
    description = description if description is not None else describe_result(result)
    notes = chop_notes(len(result.chops), start_note=start_note)
    document: dict[str, Any] = {
        "samplechop": __version__,
        "source": {
            "path": display_path(info.path),
            "absolute_path": display_path(info.path.absolute()),
            "sample_rate": info.sr,
            "channels": info.channels,
            "frames": info.frames,
            "duration": round(info.duration, 6),
            "format": info.format,
            "subtype": info.subtype,
            "damage": list(info.damage),
            "tempo": description.tempo,
            "key": description.key,
            "key_strength": description.key_strength,
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
            "refine": settings.refine,
            "release_db": settings.release_db,
            "first_attack": settings.first_attack,
            "model": display_path(result.model_path) if result.model_path else None,
            "start_note": start_note,
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
                "duration": described.duration,
                "start_sample": chop.start_sample,
                "end_sample": chop.end_sample,
                "score": round(chop.score, 6),
                "rank": chop.rank,
                "peak_db": described.peak_db,
                "rms_db": described.rms_db,
                "pitch_class": described.pitch_class,
                "pad": pad_label(position + 1) if position < len(notes) else None,
                "note": notes[position] if position < len(notes) else None,
            }
            for position, (chop, name, described) in enumerate(zip(result.chops, files, description.chops))
        ],
    }
    if outputs is not None:
        document["outputs"] = dict(outputs)
    return document


def dumps(document: dict[str, Any]) -> str:
    """The manifest as indented JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

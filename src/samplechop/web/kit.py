"""The downloads: the kit of the chops a producer settled on, and their label file.

The page sends the final chop times (seconds; after any moves, additions and
deletions); the server cuts the analysed file exactly there with
:func:`samplechop.chop.place_chops` (the page's times are final: the selection's
are on their attacks already, and the page snaps a moved or added chop to its attack
through :func:`samplechop.web.selection.snap` unless the producer turned that off),
writes the kit with :func:`samplechop.export.write_outputs` into
the session's folder, and answers with the kit's zip. The label file holds the same
chop times, one per line: the format ``samplechop dataset build`` reads, so that a
producer's corrections become training data.
"""

from __future__ import annotations

import math
import secrets
import warnings
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..chop import MAX_CHOPS, Analysis, ChopResult, ChopSettings, place_chops
from ..exceptions import AudioError, ParameterError
from ..export import write_outputs
from ..export.writer import kit_stem
from ..io.annotations import LabelWarning, validate_times, write_labels
from ..io.audio import output_subtype
from .errors import WebError

__all__ = ["KIT_FORMATS", "check_times", "place", "kit_bytes", "build_kit", "build_labels"]

#: What a downloaded kit holds besides the WAV chops, manifest and label file: the MPC
#: program, the SFZ, the MIDI file, and the zip of them all (the download).
KIT_FORMATS = ("wav", "xpm", "sfz", "midi", "zip")


def check_times(times: Sequence[float], *, duration: float) -> np.ndarray:
    """The chop times a page sent, checked and sorted.

    Two chops at the same time are refused, never merged: the kit must hold as many
    chops as the page shows pads.

    Raises
    ------
    ParameterError
        When there are none or more than :data:`MAX_CHOPS`.
    AnnotationError
        When a time is not finite, negative or past the end of the audio.
    WebError
        422 when two chops are at the same time.
    """
    if len(times) == 0:
        raise ParameterError("there are no chops: add at least one")
    if len(times) > MAX_CHOPS:
        raise ParameterError(f"{len(times)} chops are too many: at most {MAX_CHOPS}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelWarning)
        checked = validate_times(times, path="chop times", duration=duration)
    if checked.size < len(times):
        ordered = np.sort(np.asarray(times, dtype=float))
        same = ordered[1:][np.diff(ordered) == 0][0]
        raise WebError(422, f"two chops are at {same:.3f} s: move or delete one")
    return checked


def place(analysis: Analysis, times: Sequence[float], *, lam: float = ChopSettings.lam,
          threshold: Optional[float] = None) -> ChopResult:
    """Cut an analysed file exactly at chop times chosen on the page.

    ``lam`` and ``threshold`` are only recorded in the manifest (the settings the
    selection started from).
    """
    checked = check_times(times, duration=analysis.info.duration)
    # the chops are the page's: no selection (so no first-attack rule) and no second placement
    settings = ChopSettings(n=int(checked.size), lam=lam, threshold=threshold, refine=False,
                            first_attack=False).validate()
    result = place_chops(analysis, settings, checked)
    if not result.chops:
        raise AudioError("no chop is left once the chops are placed: move them away from the end")
    if len(result.chops) != checked.size:  # the kit would hold fewer chops than the page shows
        kept = {round(chop.start, 3) for chop in result.chops}
        lost = [time for time in checked if round(float(time), 3) not in kept]
        where = f" (at {lost[0]:.3f} s)" if lost else ""
        raise WebError(422, f"{checked.size - len(result.chops)} chop(s){where} cannot be cut there: "
                            "move them apart or away from the end")
    return result


#: Bytes of a kit besides its chops' samples (program, SFZ, MIDI, manifest, labels,
#: headers), per chop and in all.
_KIT_BYTES_PER_CHOP = 4096
_KIT_BYTES_FIXED = 1 << 20


def kit_bytes(result: ChopResult) -> int:
    """The most bytes the kit of ``result`` takes on disk: its WAV chops, the other
    files, and the zip of them all (stored uncompressed at worst)."""
    info = result.info
    bits = {"PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
    width = bits.get(output_subtype(info), 32) // 8
    seconds = sum(chop.end - chop.start for chop in result.chops)
    samples = int(math.ceil(seconds * info.sr)) * info.channels
    return 2 * (samples * width + _KIT_BYTES_PER_CHOP * len(result.chops)) + _KIT_BYTES_FIXED


def build_kit(result: ChopResult, folder: Path) -> Path:
    """Write the kit of ``result`` under a new folder in ``folder``; the zip's path.

    The kit is named after the source's file on the server, whose stem is the
    safe stem of the uploaded name (see :meth:`Session.name_upload`), and the zip
    holds ``<stem>/<stem>_chop01.wav`` ..., the MPC program, the SFZ, the MIDI
    file, the manifest and the label file.
    """
    out_dir = folder / f"kit-{secrets.token_hex(8)}"
    kit = write_outputs(result, out_dir, formats=KIT_FORMATS)
    return kit / f"{kit_stem(result.info.path)}.zip"


def build_labels(result: ChopResult, folder: Path) -> Path:
    """Write the label file of ``result`` (its chop times, one per line) under ``folder``."""
    path = folder / f"labels-{secrets.token_hex(8)}.txt"
    write_labels(path, result.times)
    return path

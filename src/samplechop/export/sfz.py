"""The SFZ instrument (``.sfz``): the chops on consecutive keys.

SFZ is a plain-text instrument format read by sfizz, Sforzando, TAL-Sampler, Bitwig
Studio's Sampler, Renoise and many more. The file written here holds
a ``<global>`` header setting one-shot playback
(``loop_mode=one_shot``: a chop plays to its end, whatever the note length) and one
``<region>`` per chop:

.. code-block:: text

    <region>
    sample=<stem>_chop01.wav
    key=36

``key`` sets the region's lowest and highest key and its root (``pitch_keycenter``),
so each chop plays at its original pitch on exactly one key. Keys are MIDI note
numbers, which avoids the two octave-naming conventions; a comment on each region
gives the MPC pad, the note name (middle C = C3) and the chop's time in the source.
Sample paths are relative to the ``.sfz`` (the WAVs sit beside it); every opcode
stands on its own line, so names with spaces parse in every reader.
"""

from __future__ import annotations

from typing import Sequence

from .keys import DEFAULT_START_NOTE, note_name, pad_label

__all__ = ["build_sfz", "SFZ_SUFFIX"]

SFZ_SUFFIX = ".sfz"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:06.3f}"


def build_sfz(
    files: Sequence[str],
    starts: Sequence[float],
    *,
    title: str,
    start_note: int = DEFAULT_START_NOTE,
) -> str:
    """The text of an SFZ instrument with one region per chop.

    Parameters
    ----------
    files : sequence of str
        WAV file names of the chops, in order, relative to the ``.sfz``.
    starts : sequence of float
        Each chop's start in the source, in seconds (for the comments).
    title : str
        Named in the header comment.
    start_note : int in [0, 127]
        Key of the first chop; chop ``i`` is on ``start_note + i - 1``.

    Returns
    -------
    text : str
    """
    if len(files) > 128 - start_note:
        raise ValueError(f"{len(files)} chops do not fit on the keys from {start_note} to 127")
    title = " ".join(title.splitlines())
    lines = [
        f"// {title}: {len(files)} chops by samplechop",
        f"// keys {start_note}-{start_note + max(len(files), 1) - 1} (MIDI note numbers; "
        "middle C = 60 = C3 as on the MPC), one-shot",
        "",
        "<global>",
        "loop_mode=one_shot",
        "",
    ]
    for number, (name, start) in enumerate(zip(files, starts), start=1):
        note = start_note + number - 1
        pad = pad_label(number) if number <= 128 else "-"
        lines += [
            f"// chop {number}: pad {pad}, {note_name(note)}, at {_clock(start)}",
            "<region>",
            f"sample={name}",
            f"key={note}",
            "",
        ]
    return "\n".join(lines)

"""Which key and which pad each chop is played from.

One mapping serves the MPC program, the SFZ instrument and the MIDI file, so that the
MIDI file plays the right chop on either: chop ``i`` (1-based, in time order) sits on
MIDI note ``start_note + i - 1`` and on MPC pad number ``i`` (``A01`` for 1, ``A16``
for 16, ``B01`` for 17, ... ``H16`` for 128).

Octave numbering: note names here follow Akai's and Yamaha's convention, middle C
(MIDI 60) = ``C3``, so the default start note 36 is ``C1``: the note of pad ``A01`` in
a new drum program of MPC software 2.x, which maps pads 1-128 to notes 36-127 and then
0-35. (In scientific pitch notation, where middle C is ``C4``, note 36 is ``C2``.)
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_START_NOTE",
    "MPC_PADS",
    "PADS_PER_BANK",
    "MIDDLE_C_OCTAVE",
    "parse_note",
    "note_name",
    "pad_label",
    "chop_notes",
]

#: MIDI note of the first chop (``C1`` with middle C = ``C3``; pad A01 on MPC 2.x).
DEFAULT_START_NOTE = 36

#: Pads of an MPC drum program: banks A-H of 16.
MPC_PADS = 128
PADS_PER_BANK = 16

#: Octave number of MIDI 60 in the names used here (Akai/Yamaha: C3).
MIDDLE_C_OCTAVE = 3

_PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d+)$")


def note_name(note: int) -> str:
    """Name of a MIDI note, middle C (60) = ``C3``: ``note_name(36) == "C1"``."""
    return f"{_PITCH_NAMES[note % 12]}{note // 12 - 5 + MIDDLE_C_OCTAVE}"


def parse_note(text: str) -> int:
    """A MIDI note from a number (``36``) or a name (``C1``, ``F#2``, ``Bb0``; middle C = C3).

    Raises
    ------
    ValueError
        When ``text`` is neither, or the note is outside 0-127.
    """
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        note = int(text)
    else:
        match = _NOTE.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a MIDI note number or a note name like C1 or F#2")
        letter, accidental, octave = match.groups()
        offset = {"#": 1, "b": -1, "": 0}[accidental]
        note = (int(octave) - MIDDLE_C_OCTAVE + 5) * 12 + _NATURALS[letter.upper()] + offset
    if not 0 <= note <= 127:
        raise ValueError(f"{text!r} is outside the MIDI notes 0-127 (C-2 to G8)")
    return note


def pad_label(pad: int) -> str:
    """MPC name of a 1-based pad number: 1 -> ``A01``, 17 -> ``B01``, 128 -> ``H16``."""
    if not 1 <= pad <= MPC_PADS:
        raise ValueError(f"pad {pad} is outside 1-{MPC_PADS}")
    bank, position = divmod(pad - 1, PADS_PER_BANK)
    return f"{'ABCDEFGH'[bank]}{position + 1:02d}"


def chop_notes(count: int, *, start_note: int = DEFAULT_START_NOTE) -> list[int]:
    """MIDI notes of the first chops that fit on the keyboard and the pads.

    Parameters
    ----------
    count : int >= 0
        Chops in the kit.
    start_note : int in [0, 127]
        Note of the first chop.

    Returns
    -------
    notes : list of int
        ``start_note, start_note + 1, ...`` for chops 1 to ``min(count, 128 -
        start_note)``; chops beyond have no key (and no pad).
    """
    if not 0 <= start_note <= 127:
        raise ValueError(f"start note {start_note} is outside 0-127")
    return list(range(start_note, start_note + min(count, 128 - start_note)))

"""The data model of a rendered piece: notes with role tags, voices, chords.

Every time is in seconds from the start of the MIDI file, already humanised and
quantised to the MIDI tick grid, so that it is exactly the time FluidSynth
renders. A note's ``chord`` is the index of the harmonic segment it sounds
(``Piece.chords[chord]`` is that segment's chord identity), or ``None`` for notes
that carry no harmony (melody-only lines and drums).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Optional

__all__ = ["ROLES", "TICKS_PER_SECOND", "Note", "Voice", "Piece", "quantise", "resolve_overlaps"]

#: The role tags a note can carry.
ROLES = ("chord", "bass", "melody", "drums", "stab", "pad")

#: MIDI resolution used when writing: 960 ticks per quarter at 120 BPM.
TICKS_PER_SECOND = 1920


def quantise(time: float) -> float:
    """Round a time in seconds to the MIDI tick grid the files are written with."""
    return round(time * TICKS_PER_SECOND) / TICKS_PER_SECOND


@dataclass(frozen=True)
class Note:
    """One note event.

    Attributes
    ----------
    onset, offset : float
        Note-on and note-off times in seconds (``offset > onset``).
    pitch : int
        MIDI pitch (a GM percussion key for drum voices).
    velocity : int
        MIDI velocity, 1..127.
    voice : str
        Name of the :class:`Voice` that plays it.
    role : str
        One of :data:`ROLES`.
    chord : int or None
        Index of the harmonic segment the note sounds, or ``None``.
    """

    onset: float
    offset: float
    pitch: int
    velocity: int
    voice: str
    role: str
    chord: Optional[int] = None


@dataclass(frozen=True)
class Voice:
    """One MIDI instrument (channel): GM program, drum flag, mix settings."""

    name: str
    program: int
    is_drum: bool = False
    volume: int = 100
    pan: int = 64


@dataclass
class Piece:
    """A composed piece, ready to write as MIDI and to label.

    Attributes
    ----------
    source : str
        Style name, or ``"chorale"``.
    tempo : float
        Quarter notes per minute.
    beat : float
        Length of one beat in seconds (the rest and silence threshold of the rules).
    notes : list of Note
    voices : list of Voice
    chords : list of hashable
        Chord identity of each harmonic segment, in time order.
    crop_candidates : list of float
        Times (seconds) at which an excerpt may sensibly start (bar lines, phrase starts).
    title : str
        Free text recorded in the MIDI file (e.g. the chorale's name).
    """

    source: str
    tempo: float
    beat: float
    notes: list[Note] = field(default_factory=list)
    voices: list[Voice] = field(default_factory=list)
    chords: list[Hashable] = field(default_factory=list)
    crop_candidates: list[float] = field(default_factory=list)
    title: str = ""

    @property
    def end(self) -> float:
        """Time of the last note-off in seconds (0 for an empty piece)."""
        return max((note.offset for note in self.notes), default=0.0)


def resolve_overlaps(notes: list[Note]) -> list[Note]:
    """End each note no later than the next note-on of the same pitch in the same voice.

    MIDI cannot hold one key twice on a channel: the first note-off would cut the
    second note. Shortening the first note keeps the written notes and the
    rendered sound the same. Notes that would shrink to nothing are dropped
    (their key is struck again at the same time). Returns notes sorted by onset.
    """
    by_key: dict[tuple[str, int], list[Note]] = {}
    for note in notes:
        by_key.setdefault((note.voice, note.pitch), []).append(note)
    result: list[Note] = []
    for same in by_key.values():
        same.sort(key=lambda n: n.onset)
        for note, following in zip(same, same[1:] + [None]):
            offset = note.offset
            if following is not None and following.onset < offset:
                offset = following.onset
            if offset - note.onset >= 1.0 / TICKS_PER_SECOND:
                result.append(Note(note.onset, offset, note.pitch, note.velocity, note.voice, note.role, note.chord))
    result.sort(key=lambda n: (n.onset, n.voice, n.pitch))
    return result

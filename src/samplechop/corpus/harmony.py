"""Chord vocabularies, progressions per style family, voicings and scales.

A chord is a root pitch class and a quality name; its identity (what rule 1 of
the label convention compares) is the pair ``(root, pitch-class set)``, never
the voicing. Progressions are written as Roman degrees relative to the key with
an explicit quality (``"II:min7 V:dom7 I:maj7"``), one template a line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError

__all__ = [
    "QUALITIES",
    "PROGRESSIONS",
    "Chord",
    "parse_progression",
    "choose_progression",
    "voice_chord",
    "scale_pitch_classes",
]

#: Intervals (semitones above the root) of every chord quality used.
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "sus4": (0, 5, 7),
    "aug": (0, 4, 8),
    "maj6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "dom7": (0, 4, 7, 10),
    "7sus4": (0, 5, 7, 10),
    "m7b5": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "minmaj7": (0, 3, 7, 11),
    "add9": (0, 4, 7, 14),
    "maj9": (0, 4, 7, 11, 14),
    "min9": (0, 3, 7, 10, 14),
    "min11": (0, 3, 7, 10, 14, 17),
    "dom9": (0, 4, 7, 10, 14),
    "7b9": (0, 4, 7, 10, 13),
    "dom13": (0, 4, 10, 14, 21),
}

_DEGREES = {
    "I": 0, "bII": 1, "II": 2, "bIII": 3, "III": 4, "IV": 5, "#IV": 6,
    "bV": 6, "V": 7, "bVI": 8, "VI": 9, "bVII": 10, "VII": 11,
}

#: Progression templates per style family (Roman degree ``:`` quality, one chord a token).
PROGRESSIONS: dict[str, tuple[str, ...]] = {
    "soul": (
        "I:maj7 IV:maj7",
        "I:maj7 VI:min7 II:min7 V:dom7",
        "I:maj IV:maj I:maj V:dom7",
        "I:maj7 III:min7 IV:maj7 V:7sus4",
        "II:min7 V:dom7 I:maj7 I:maj7",
        "I:min7 IV:dom7",
        "I:min7 bVII:maj bVI:maj7 V:dom7",
        "I:min9 IV:min7 bVII:dom7 bIII:maj7",
        "IV:maj7 III:min7 II:min7 I:maj7",
        "I:maj7 I:maj7 IV:maj7 IV:min6",
        "VI:min7 II:min7 V:dom7 I:maj7",
        "I:min7 I:min7 IV:min7 V:min7",
    ),
    "funk": (
        "I:dom9",
        "I:min7",
        "I:dom7 IV:dom7",
        "I:min7 IV:dom9",
        "I:dom9 I:dom9 IV:dom9 I:dom9",
        "I:dom7 bVII:dom7 IV:dom7 I:dom7",
        "I:min7 bIII:maj7 IV:dom7 I:min7",
        "I:min11 bVII:dom9",
        "I:dom7 bIII:dom7 IV:dom7 IV:dom7",
        "I:min7 I:min7 bVI:maj7 V:7b9",
    ),
    "jazz": (
        "II:min7 V:dom7 I:maj7 I:maj6",
        "I:maj7 VI:dom7 II:min7 V:dom7",
        "III:min7 VI:dom7 II:min7 V:dom7",
        "II:m7b5 V:7b9 I:min7 I:min6",
        "I:maj7 #IV:m7b5 IV:maj7 IV:min6 III:min7 VI:dom7 II:min7 V:dom7",
        "I:maj7 bIII:dim7 II:min7 V:dom7",
        "IV:maj7 bVII:dom7 I:maj7 VI:dom7",
        "I:min7 IV:dom7 bVII:maj7 bIII:maj7 bVI:maj7 II:m7b5 V:7b9 I:min6",
        "I:maj7 II:min7 III:min7 bIII:dim7 II:min7 V:dom7",
    ),
    "gospel": (
        "I:maj IV:maj I:maj V:dom7",
        "I:maj I:dom7 IV:maj IV:min6",
        "I:maj VI:min7 II:min7 V:dom7",
        "IV:maj7 III:min7 VI:dom7 II:min7 V:dom7 I:maj",
        "I:maj III:dom7 VI:min IV:maj V:sus4 V:dom7",
        "IV:maj #IV:dim7 I:maj VI:dom7 II:min7 V:7sus4 V:dom7 I:maj",
        "I:add9 V:maj VI:min7 IV:maj7",
        "VI:min IV:maj I:maj V:maj",
        "I:maj I:maj IV:maj IV:maj",
    ),
    "cinematic": (
        "I:min bVI:maj bIII:maj bVII:maj",
        "I:min IV:min I:min V:maj",
        "I:min bVI:maj IV:min V:maj",
        "I:maj III:maj IV:maj IV:min",
        "I:min bII:maj I:min bVII:maj",
        "I:sus4 I:min bVI:maj7 bVII:maj",
        "I:min I:min bVI:maj bVI:maj bIII:maj bIII:maj bVII:maj V:maj",
        "I:maj bVI:maj bVII:maj I:maj",
        "I:min V:min bVI:maj IV:min",
        "I:minmaj7 I:min7 I:min6 bVI:maj",
    ),
    "bossa": (
        "I:maj7 I:maj7 II:dom7 II:dom7 II:min7 bII:dom7 I:maj7 I:maj7",
        "I:maj7 II:dom9 II:min7 V:dom7",
        "I:min7 IV:dom9 I:min7 IV:dom9",
        "II:min7 V:7b9 I:maj7 VI:7b9",
        "I:maj7 bVII:dom9 I:maj7 bVII:dom9",
        "I:min6 II:m7b5 V:7b9 I:min6",
        "I:maj9 IV:maj7 III:min7 VI:dom7",
    ),
}


@dataclass(frozen=True)
class Chord:
    """A chord symbol: root pitch class (0 = C) and quality name."""

    root: int
    quality: str

    @property
    def intervals(self) -> tuple[int, ...]:
        """Intervals of the chord above its root, in semitones."""
        return QUALITIES[self.quality]

    @property
    def pitch_classes(self) -> frozenset[int]:
        """The chord's pitch-class set."""
        return frozenset((self.root + interval) % 12 for interval in self.intervals)

    @property
    def identity(self) -> tuple[int, frozenset[int]]:
        """What a harmonic change compares: root and pitch-class set."""
        return (self.root, self.pitch_classes)

    @property
    def is_minor(self) -> bool:
        """True when the chord has a minor third and no major third."""
        intervals = {i % 12 for i in self.intervals}
        return 3 in intervals and 4 not in intervals


def parse_progression(template: str, *, key: int) -> list[Chord]:
    """Turn a template such as ``"II:min7 V:dom7 I:maj7"`` into chords in ``key``.

    Raises
    ------
    ParameterError
        For an unknown degree or quality.
    """
    chords = []
    for token in template.split():
        degree, _, quality = token.partition(":")
        if degree not in _DEGREES or quality not in QUALITIES:
            raise ParameterError(f"bad chord token {token!r} in progression {template!r}")
        chords.append(Chord((key + _DEGREES[degree]) % 12, quality))
    return chords


def choose_progression(rng: np.random.Generator, family: str, *, key: int) -> list[Chord]:
    """Draw one progression template of a family and spell it in ``key``."""
    templates = PROGRESSIONS[family]
    return parse_progression(templates[int(rng.integers(len(templates)))], key=key)


def scale_pitch_classes(tonic: Chord, *, key: int, family: str) -> frozenset[int]:
    """The scale melodies draw from: major, or dorian / aeolian over a minor tonic."""
    if not tonic.is_minor:
        steps = (0, 2, 4, 5, 7, 9, 11)
    elif family in ("cinematic",):
        steps = (0, 2, 3, 5, 7, 8, 10)
    else:
        steps = (0, 2, 3, 5, 7, 9, 10)
    return frozenset((key + step) % 12 for step in steps)


def _candidates(chord: Chord, low: int, high: int, size: int, style: str) -> list[tuple[int, ...]]:
    intervals = list(chord.intervals)
    if style == "rootless" and len(intervals) >= 4:
        intervals = intervals[1:]
    elif style == "shell":
        keep = [0, 3 if chord.is_minor else 4] + [i for i in intervals if i in (10, 11, 9)][:1]
        intervals = [i for i in intervals if i in keep] or intervals[:3]
    tones = list(dict.fromkeys(i % 12 for i in intervals))[: max(size, 3)]
    candidates = []
    for inversion in range(len(tones)):
        order = tones[inversion:] + tones[:inversion]
        for base in range(low, high):
            if base % 12 != (chord.root + order[0]) % 12:
                continue
            pitches = [base]
            for pc in order[1:]:
                nxt = pitches[-1] + 1
                while (nxt - chord.root) % 12 != pc:
                    nxt += 1
                pitches.append(nxt)
            if style == "open" and len(pitches) >= 3:
                pitches[1] += 12
                pitches.sort()
            if pitches[-1] <= high:
                candidates.append(tuple(pitches))
    return candidates


def voice_chord(
    chord: Chord,
    *,
    low: int,
    high: int,
    previous: tuple[int, ...] | None = None,
    size: int = 4,
    style: str = "close",
    rng: np.random.Generator | None = None,
) -> tuple[int, ...]:
    """MIDI pitches voicing ``chord`` within ``[low, high]``.

    Parameters
    ----------
    chord : Chord
    low, high : int
        MIDI pitch range of the voicing.
    previous : tuple of int, optional
        The previous voicing; the candidate nearest to it is chosen (voice leading).
    size : int
        Notes wanted (three or more tones of the chord).
    style : {"close", "open", "rootless", "shell"}
        Voicing type.
    rng : np.random.Generator, optional
        Picks among the nearest candidates; without it the nearest one is taken.

    Returns
    -------
    pitches : tuple of int
        Sorted MIDI pitches.
    """
    candidates = _candidates(chord, low, high, size, style)
    if not candidates:
        candidates = _candidates(chord, low - 12, high + 12, size, "close")
    if not candidates:
        raise ParameterError(f"cannot voice {chord} between pitches {low} and {high}")
    centre = np.mean(previous) if previous else (low + high) / 2
    distances = np.asarray([abs(np.mean(c) - centre) for c in candidates])
    order = np.argsort(distances, kind="stable")
    pick = order[0]
    if rng is not None and order.size > 1 and rng.random() < 0.25:
        pick = order[1]
    return candidates[int(pick)]

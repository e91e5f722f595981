"""A second source with human-written phrasing: music21's bundled Bach chorales.

Each four-part chorale (``music21.corpus.getComposer("bach")``, MusicXML files
with exactly four parts) is played at a random tempo of 60-100 beats per minute
by a random ensemble (organ, strings, choir, brass, winds, keys, or a mix, maybe
doubled). Fermatas are held 1.5-2.2 times their length and followed by a breath
of 1.25-2 beats in every voice, as choirs and organists do, so the next phrase
starts after silence (rules 2 and 3 of the label convention).

Harmony for rule 1: every sonority that starts on a beat (at least one voice
attacks there) is a chord whose identity is its root (:func:`chord_root`, thirds
stacked on it) and pitch-class set; notes starting off the beat (passing tones, anticipations)
belong to the chord of the last beat. A new beat sonority with the same identity
(a re-voiced or repeated chord) is no change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..exceptions import ParameterError
from .piece import Note, Piece, Voice, quantise, resolve_overlaps
from .split import choose_program

__all__ = ["ScoreNote", "Chorale", "chorale_paths", "load_chorale", "beat_chords", "compose_chorale", "chord_root",
           "ENSEMBLES"]

#: Ensembles: per part (soprano, alto, tenor, bass) a pool of GM programs.
ENSEMBLES: dict[str, tuple[tuple[int, ...], ...]] = {
    "organ": ((19, 20, 16),) * 4,
    "strings": ((40, 48), (40, 41, 48), (41, 42, 48), (42, 43, 48)),
    "string_section": ((48, 49, 51),) * 4,
    "choir": ((52, 53, 85),) * 4,
    "brass": ((56, 59, 61), (60, 61, 56), (57, 60, 61), (58, 57, 61)),
    "winds": ((73, 68, 74), (68, 71, 69), (71, 69, 70), (70, 71)),
    "keys": ((0, 6, 4, 5, 2),) * 4,
}


@dataclass(frozen=True)
class ScoreNote:
    """A note of a score: its part (0 = soprano), onset and end in quarter lengths, MIDI pitch."""

    part: int
    onset: float  # quarter lengths
    end: float
    pitch: int


@dataclass
class Chorale:
    """The notes of a four-part chorale in quarter lengths."""

    name: str
    notes: list[ScoreNote]
    fermatas: list[tuple[float, float]]  # (start, end) of each fermata in the soprano
    beat: float  # quarter lengths per beat
    padding: float  # quarter lengths missing from a pick-up bar


@functools.lru_cache(maxsize=1)
def chorale_paths() -> tuple[Path, ...]:
    """All Bach MusicXML files bundled with music21 (sorted); not all are four-part chorales."""
    try:
        from music21 import corpus
    except ImportError:
        raise ParameterError("music21 is not installed (pip install 'samplechop[corpus]')") from None
    paths = (Path(p) for p in corpus.getComposer("bach") if Path(p).suffix in (".mxl", ".xml"))
    return tuple(sorted(paths, key=lambda p: p.name))


def load_chorale(path: Path) -> Optional[Chorale]:
    """Parse one file; ``None`` when it is not a four-part piece with fermatas."""
    from music21 import corpus, expressions

    score = corpus.parse(str(path), forceSource=True)  # no pickle cache: safe in parallel
    if len(score.parts) != 4:
        return None
    notes: list[ScoreNote] = []
    fermatas: list[tuple[float, float]] = []
    for index, part in enumerate(score.parts):
        stripped = list(part.stripTies().flatten().notes)
        for element in stripped:
            onset = float(element.offset)
            end = onset + float(element.quarterLength)
            if end <= onset:
                continue
            for pitch in element.pitches:
                notes.append(ScoreNote(index, onset, end, int(pitch.midi)))
        if index == 0:
            for element in part.flatten().notes:
                if any(isinstance(e, expressions.Fermata) for e in element.expressions):
                    at = float(element.offset)
                    holder = next(
                        (n for n in stripped if float(n.offset) <= at < float(n.offset) + float(n.quarterLength)), None
                    )
                    if holder is not None:
                        fermatas.append((float(holder.offset), float(holder.offset) + float(holder.quarterLength)))
    if not notes or not fermatas:
        return None
    signatures = score.parts[0].recurse().getElementsByClass("TimeSignature")
    beat = float(signatures[0].beatDuration.quarterLength) if signatures else 1.0
    measures = score.parts[0].getElementsByClass("Measure")
    padding = float(measures[0].paddingLeft) if len(measures) else 0.0
    return Chorale(path.stem, sorted(notes, key=lambda n: (n.onset, n.part)), sorted(set(fermatas)), beat, padding)


#: How much each interval above a candidate root speaks for it (thirds stacked on the root).
_ROOT_WEIGHTS = {0: 1.0, 3: 1.0, 4: 1.0, 7: 1.0, 6: 0.5, 10: 0.5, 11: 0.4, 9: 0.2, 8: 0.2, 2: 0.1, 5: 0.0, 1: -0.5}


def chord_root(pitches: list[int]) -> int:
    """Root pitch class of a sonority: the tone above which the others stack best in thirds.

    Each tone of the sonority is scored by the intervals of the other tones above
    it (:data:`_ROOT_WEIGHTS`); the bass wins ties, then the lowest pitch class.
    """
    classes = sorted({p % 12 for p in pitches})
    bass = min(pitches) % 12
    scores = {r: sum(_ROOT_WEIGHTS[(pc - r) % 12] for pc in classes) + (0.3 if r == bass else 0.0) for r in classes}
    return max(classes, key=lambda r: (scores[r], -r))


def beat_chords(chorale: Chorale) -> tuple[list, dict[float, int]]:
    """Chord identities of the beat sonorities and, per onset, the index of its chord.

    Every sonority that starts on a beat is a chord whose identity is its root
    (:func:`chord_root`) and pitch-class set; notes starting off the beat belong to
    the chord of the last beat.

    Returns
    -------
    identities : list of (int, frozenset)
        One per beat sonority, in time order.
    segment_of : dict of float to int
        For each onset (quarter lengths), the index of its chord in ``identities``.
    """
    onsets = sorted({n.onset for n in chorale.notes})
    identities: list = []
    segment_of: dict[float, int] = {}
    for onset in onsets:
        position = (onset + chorale.padding) / chorale.beat
        on_beat = abs(position - round(position)) < 1e-6
        if on_beat or not identities:
            sounding = sorted({n.pitch for n in chorale.notes if n.onset <= onset < n.end})
            identities.append((chord_root(sounding), frozenset(p % 12 for p in sounding)))
        segment_of[onset] = len(identities) - 1
    return identities, segment_of


def compose_chorale(rng: np.random.Generator, chorale: Chorale, *, split: str) -> Piece:
    """Perform a chorale: tempo, fermatas and breaths, ensemble, humanisation."""
    tempo = float(rng.uniform(60, 100))  # beats per minute
    seconds_per_quarter = 60.0 / tempo / chorale.beat
    # Time map with fermatas held longer and a breath after each (except the last).
    last_end = max(n.end for n in chorale.notes)
    first = min(n.onset for n in chorale.notes)  # a score may open with rests
    knots_q, knots_t = [first], [0.0]
    breaths: list[tuple[float, float]] = []
    time = 0.0
    previous = first
    for start, end in chorale.fermatas:
        if start < previous:
            continue
        time += (start - previous) * seconds_per_quarter
        knots_q.append(start)
        knots_t.append(time)
        time += (end - start) * seconds_per_quarter * float(rng.uniform(1.5, 2.2))
        knots_q.append(end)
        knots_t.append(time)
        if end < last_end:
            breaths.append((end, float(rng.uniform(1.25, 2.0)) * 60.0 / tempo))
        previous = end
    time += (last_end - previous) * seconds_per_quarter
    knots_q.append(last_end)
    knots_t.append(time)

    def to_seconds(q: np.ndarray, onset: bool) -> np.ndarray:
        base = np.interp(q, knots_q, knots_t)
        for at, length in breaths:
            base = base + np.where(q >= at - 1e-9 if onset else q > at + 1e-9, length, 0.0)
        return base

    identities, segment_of = beat_chords(chorale)
    ensemble = list(ENSEMBLES)[int(rng.integers(len(ENSEMBLES)))]
    programs = [choose_program(rng, pool, split) for pool in ENSEMBLES[ensemble]]
    voices = [
        Voice(f"part{k}", programs[k], volume=int(rng.integers(85, 115)), pan=int(rng.integers(30, 98)))
        for k in range(4)
    ]
    doubled = rng.random() < 0.3
    if doubled:
        double = choose_program(rng, (19, 52, 48, 61, 0), split)
        voices += [
            Voice(f"double{k}", double, volume=int(rng.integers(50, 80)), pan=int(rng.integers(30, 98)))
            for k in range(4)
        ]
    roles = ("melody", "chord", "chord", "bass")
    lead = float(rng.uniform(0.03, 0.3))
    sigma = float(rng.uniform(0.002, 0.008))
    onsets = to_seconds(np.asarray([n.onset for n in chorale.notes]), True)
    ends = to_seconds(np.asarray([n.end for n in chorale.notes]), False)
    jitter = np.clip(rng.normal(0, sigma, len(chorale.notes)), -2.5 * sigma, 2.5 * sigma)
    base_velocity = [int(rng.integers(80, 105))] + [int(rng.integers(65, 90)) for _ in range(3)]
    notes: list[Note] = []
    for index, score_note in enumerate(chorale.notes):
        onset = quantise(max(0.005, lead + onsets[index] + jitter[index]))
        offset = quantise(max(onset + 0.03, lead + ends[index] + jitter[index] - 0.01))
        velocity = int(np.clip(base_velocity[score_note.part] + rng.normal(0, 5), 1, 127))
        chord = segment_of[score_note.onset]
        for voice in [f"part{score_note.part}"] + ([f"double{score_note.part}"] if doubled else []):
            notes.append(Note(onset, offset, score_note.pitch, velocity, voice, roles[score_note.part], chord))
    phrase_starts = [quantise(lead + float(to_seconds(np.asarray([end]), True)[0])) for end, _ in breaths]
    return Piece(
        source="chorale",
        tempo=tempo,
        beat=60.0 / tempo,
        notes=resolve_overlaps(notes),
        voices=voices,
        chords=identities,
        crop_candidates=phrase_starts,
        title=f"{chorale.name} ({ensemble}) at {tempo:.1f} BPM",
    )

"""Note generators for each role, on a timeline in beats.

Every generator returns :class:`BeatNote` objects: onset and length in beats,
before swing and humanisation (which :mod:`.compose` applies). Harmonic parts
(comping, pads, bass, stabs) tag each note with the index of the chord segment
it sounds, so anticipations ("pushes") are tagged with the chord they anticipate;
melodies carry no chord.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .harmony import Chord, voice_chord

__all__ = [
    "BeatNote",
    "Segment",
    "COMPING",
    "BASS_LINES",
    "register",
    "segment_at",
    "comp",
    "bass_line",
    "stabs",
    "melody",
]

#: Comping pattern names known to :func:`comp`.
COMPING = (
    "sustain", "quarters", "eighths", "backbeat", "charleston", "pushes", "anticipate",
    "funk16", "stabs8", "bossa", "arpeggio", "ostinato", "random8", "tresillo",
)
#: Bass line names known to :func:`bass_line`.
BASS_LINES = (
    "root", "root_fifth", "syncopated", "funk", "octave", "walking", "two_feel", "bossa", "pedal_pulse",
    "random8", "tresillo",
)


@dataclass
class BeatNote:
    """A note on the beat timeline (see :class:`.piece.Note` for the fields)."""

    onset: float
    length: float
    pitch: int
    velocity: int
    voice: str
    role: str
    chord: Optional[int] = None


@dataclass(frozen=True)
class Segment:
    """A span of the timeline (beats) with one chord; ``index`` is its place in the piece."""

    start: float
    end: float
    chord: Chord
    index: int


_RANGES = {
    "melody": {
        (52, 53, 54, 85): (55, 79), (56, 59): (58, 82), (57,): (45, 70), (60,): (50, 74),
        (64,): (60, 86), (65,): (53, 80), (66,): (48, 75), (73, 74): (62, 91), (71,): (52, 84),
        (68,): (60, 88), (69,): (52, 78), (40,): (57, 91), (41,): (50, 81), (11, 12): (55, 86),
        (26,): (52, 81), (22,): (60, 84),
    },
    "chord": {
        tuple(range(0, 24)): (50, 77), tuple(range(24, 32)): (48, 74), (46,): (48, 84),
        (48, 49, 50, 51, 52, 89): (48, 79), (60, 61, 62, 63): (50, 76),
    },
    "bass": {(42,): (36, 60), (58,): (28, 52)},
    "stab": {(47,): (40, 55), (55,): (55, 79)},
}
_DEFAULT_RANGES = {"melody": (55, 84), "chord": (50, 77), "bass": (28, 52), "stab": (58, 82), "pad": (48, 76)}


def register(role: str, program: int) -> tuple[int, int]:
    """MIDI pitch range for a role played on a GM program."""
    for programs, span in _RANGES.get(role, {}).items():
        if program in programs:
            return span
    return _DEFAULT_RANGES.get(role, (48, 84))


def segment_at(segments: Sequence[Segment], time: float) -> Optional[Segment]:
    """The segment sounding at ``time`` (beats), or ``None`` outside them all."""
    for segment in segments:
        if segment.start <= time < segment.end:
            return segment
    return None


def _next_segment(segments: Sequence[Segment], segment: Segment) -> Optional[Segment]:
    for other in segments:
        if other.start >= segment.end - 1e-9 and other.index > segment.index:
            return other
    return None


def _pick(rng: np.random.Generator, options: Sequence) -> object:
    return options[int(rng.integers(len(options)))]


def _bar_pattern(rng: np.random.Generator, pattern: str, beats: int) -> list[list[tuple[float, float]]]:
    """Attack positions and lengths (beats) of a comping pattern, per bar (cycled)."""
    if pattern == "quarters":
        length = float(rng.uniform(0.5, 0.9))
        return [[(float(b), length) for b in range(beats)]]
    if pattern == "eighths":
        return [[(float(p), 0.4) for p in np.arange(0, beats, 0.5)]]
    if pattern == "backbeat":
        length = float(rng.uniform(0.3, 0.85))
        return [[(float(b), length) for b in range(1, beats, 2 if beats == 4 else 1)]]
    if pattern == "charleston":
        return [[(0.0, 0.9), (1.5, 0.4)]]
    if pattern == "pushes":
        return [[(0.0, 1.2), (1.5, 0.4), (beats - 0.5, 0.4)]]
    if pattern == "anticipate":
        middle = float(_pick(rng, [1.5, 2.5])) if beats == 4 else 1.5
        return [[(middle, 0.4), (beats - 0.5, 1.0)], [(0.0, 1.0), (middle, 0.4)]]
    if pattern == "funk16":
        steps = rng.choice(np.arange(1, beats * 4), size=int(rng.integers(3, 7)), replace=False)
        positions = [0.0] + sorted(float(s) / 4 for s in steps)
        length = float(rng.uniform(0.12, 0.25))
        return [[(p, length) for p in positions]]
    if pattern == "stabs8":
        steps = rng.choice(np.arange(0, beats * 2), size=int(rng.integers(2, 5)), replace=False)
        return [[(float(s) / 2, 0.3) for s in sorted(steps)]]
    if pattern == "bossa":
        return [[(0.0, 0.9), (1.5, 0.4), (2.5, 0.9)], [(0.5, 0.9), (1.5, 0.4), (3.0, 0.4), (3.5, 0.9)]]
    if pattern == "random8":
        return [_random_bar(rng, beats) for _ in range(int(rng.integers(1, 3)))]
    if pattern == "tresillo":
        # 3 + 3 + 2 eighths; the second bar either repeats it or answers on the off-beats.
        first = [(0.0, 1.3), (1.5, 1.3), (3.0, 0.9)] if beats == 4 else [(0.0, 1.3), (1.5, 1.3)]
        answer = [(p, 0.9) for p in (0.5, 1.5, 2.5, 3.5) if p < beats]
        return [first, first] if rng.random() < 0.5 else [first, answer]
    raise KeyError(pattern)


def _random_bar(rng: np.random.Generator, beats: int) -> list[tuple[float, float]]:
    """A random comping bar on the eighth grid: 2-5 attacks, the downbeat not always among them.

    The attacks are all held nearly to the next one (legato) or all short (staccato).
    """
    slots = np.arange(0, beats * 2)
    count = min(int(rng.integers(2, 6)), slots.size)
    positions = sorted(float(s) / 2 for s in rng.choice(slots, size=count, replace=False))
    legato = rng.random() < 0.6
    bar = []
    for k, position in enumerate(positions):
        following = positions[k + 1] if k + 1 < len(positions) else float(beats)
        hold = (following - position) * float(rng.uniform(0.6, 0.95)) if legato else float(rng.uniform(0.2, 0.45))
        bar.append((position, hold))
    return bar


def comp(
    rng: np.random.Generator,
    pattern: str,
    segments: Sequence[Segment],
    *,
    span: tuple[float, float],
    beats_per_bar: int,
    voice: str,
    role: str = "chord",
    low: int,
    high: int,
    voicing: str = "close",
    velocity: int = 80,
    reattack: bool = True,
) -> list[BeatNote]:
    """Chord comping over ``span`` (beats) in one of :data:`COMPING`.

    Attacks in the last half beat before a new chord anticipate it (they are
    voiced and tagged as the new chord); every other attack re-attacks the chord
    sounding, so most comping notes are re-attacks of the same chord.

    Parameters
    ----------
    rng : np.random.Generator
    pattern : str
        One of :data:`COMPING`.
    segments : sequence of Segment
        The chords of the piece (or section).
    span : (float, float)
        Start and end in beats; no note sounds past the end.
    beats_per_bar : int
    voice, role : str
        Voice name and role tag of the notes.
    low, high : int
        MIDI pitch range of the voicings.
    voicing : str
        Voicing style (see :func:`.harmony.voice_chord`).
    velocity : int
    reattack : bool
        For ``"sustain"``: strike a chord longer than a bar again on each bar line.

    Returns
    -------
    notes : list of BeatNote
    """
    start, end = span
    notes: list[BeatNote] = []
    voicings: dict[int, tuple[int, ...]] = {}
    previous: list[Optional[tuple[int, ...]]] = [None]

    def voiced(segment: Segment) -> tuple[int, ...]:
        if segment.index not in voicings:
            size = 3 if voicing == "shell" else int(rng.integers(3, 5))
            voicings[segment.index] = voice_chord(
                segment.chord, low=low, high=high, previous=previous[0], size=size, style=voicing, rng=rng
            )
            previous[0] = voicings[segment.index]
        return voicings[segment.index]

    inside = [s for s in segments if s.end > start and s.start < end]
    if pattern in ("sustain", "arpeggio", "ostinato"):
        for segment in inside:
            seg_start, seg_end = max(segment.start, start), min(segment.end, end)
            pitches = voiced(segment)
            if pattern == "sustain":
                attacks = [seg_start]
                if reattack:
                    bar_lines = np.arange(np.ceil(seg_start / beats_per_bar) * beats_per_bar, seg_end, beats_per_bar)
                    attacks += [b for b in bar_lines if b > seg_start]
                for a, b in zip(attacks, attacks[1:] + [seg_end]):
                    for pitch in pitches:
                        notes.append(BeatNote(a, (b - a) * 0.97, pitch, velocity, voice, role, segment.index))
            else:
                grid = float(_pick(rng, [0.5, 0.5, 1 / 3, 0.25])) if pattern == "arpeggio" else 0.5
                order = list(pitches) + list(pitches[-2:0:-1]) if pattern == "arpeggio" else [pitches[0], pitches[-1]]
                for k, position in enumerate(np.arange(seg_start, seg_end - 1e-9, grid)):
                    pitch = order[k % len(order)]
                    hold = grid * (2.5 if pattern == "arpeggio" else 0.6)
                    notes.append(BeatNote(float(position), min(hold, seg_end - position), pitch,
                                          velocity - (0 if k % 2 == 0 else 10), voice, role, segment.index))
        return notes

    bars = _bar_pattern(rng, pattern, beats_per_bar)
    first_bar = int(np.floor(start / beats_per_bar))
    for bar in range(first_bar, int(np.ceil(end / beats_per_bar))):
        for position, length in bars[bar % len(bars)]:
            time = bar * beats_per_bar + position
            if not start <= time < end:
                continue
            segment = segment_at(segments, time)
            if segment is None:
                continue
            following = _next_segment(segments, segment)
            if following is not None and following.start - time <= 0.5 + 1e-9 and following.start < end:
                segment = following
                stop = min(segment.end, end)
            else:
                stop = min(segment.end, end)
            length = min(length, stop - time)
            if length <= 0.05:
                continue
            for pitch in voiced(segment):
                notes.append(BeatNote(time, length, pitch, velocity, voice, role, segment.index))
    return notes


def _nearest(pc: int, around: int, low: int, high: int) -> int:
    candidates = [p for p in range(low, high + 1) if p % 12 == pc % 12]
    if not candidates:
        return int(np.clip(around, low, high))
    return min(candidates, key=lambda p: abs(p - around))


def _bar_starts(start: float, end: float, beats_per_bar: int) -> np.ndarray:
    """Start (beats) of every bar that overlaps ``[start, end)``, the bar holding ``start`` first."""
    return np.arange(np.floor(start / beats_per_bar) * beats_per_bar, end, beats_per_bar)


def _random_riff(rng: np.random.Generator, beats: int) -> list[float]:
    """Onsets (beats) of a random one-bar bass riff: 2-4 drawn eighths, mostly with the downbeat."""
    drawn = rng.choice(np.arange(1, beats * 2), size=int(rng.integers(2, 5)), replace=False)
    downbeat = [0.0] if rng.random() < 0.85 else []
    return sorted(set(downbeat + [float(s) / 2 for s in drawn]))


def bass_line(
    rng: np.random.Generator,
    kind: str,
    segments: Sequence[Segment],
    *,
    span: tuple[float, float],
    beats_per_bar: int,
    voice: str,
    low: int,
    high: int,
    scale: frozenset[int],
    velocity: int = 90,
    anticipate: float = 0.0,
) -> list[BeatNote]:
    """A bass line of one of :data:`BASS_LINES` over ``span`` (beats).

    With probability ``anticipate`` a chord's root is played an eighth early
    (tagged with that chord).
    """
    start, end = span
    notes: list[BeatNote] = []
    centre = low + 10
    funk_draws = rng.choice(np.arange(1, beats_per_bar * 4), size=int(rng.integers(3, 7)), replace=False)
    funk_steps = sorted(set([0.0] + [float(s) / 4 for s in funk_draws]))
    sync_options = [0.75, 1.5, 2.0, 2.5, 2.75, 3.5][: beats_per_bar + 2]
    sync_draws = rng.choice(sync_options, size=int(rng.integers(2, 4)), replace=False)
    sync_steps = sorted(set([0.0] + [float(p) for p in sync_draws]))
    # Drawn only for its own kind, so that the other kinds' pieces stay as they were.
    random_bars = ([_random_riff(rng, beats_per_bar) for _ in range(int(rng.integers(1, 3)))]
                   if kind == "random8" else [])
    for segment in (s for s in segments if s.end > start and s.start < end):
        seg_start, seg_end = max(segment.start, start), min(segment.end, end)
        root = _nearest(segment.chord.root, centre, low, high)
        fifth = root + 7 if root + 7 <= high else root - 5
        tones = [_nearest(segment.chord.root + i, root + (i % 12), low, high) for i in segment.chord.intervals]
        octave = root + 12 if root + 12 <= high else root  # a chord tone even at the top of the range
        following = _next_segment(segments, segment)
        events: list[tuple[float, float, int, int]] = []  # onset, length, pitch, velocity
        local = np.arange(seg_start, seg_end - 1e-9, 1.0)
        if kind == "root":
            step = float(_pick(rng, [2.0, 4.0, seg_end - seg_start]))
            events = [(float(t), step * 0.9, root, velocity) for t in np.arange(seg_start, seg_end - 1e-9, step)]
        elif kind in ("root_fifth", "two_feel"):
            for k, t in enumerate(np.arange(seg_start, seg_end - 1e-9, 2.0)):
                events.append((float(t), 1.8 if kind == "two_feel" else 1.2, root if k % 2 == 0 else fifth, velocity))
                if kind == "root_fifth" and rng.random() < 0.4 and t + 1.5 < seg_end:
                    events.append((float(t + 1.5), 0.45, root + 12 if root + 12 <= high else fifth, velocity - 15))
        elif kind in ("syncopated", "funk"):
            steps = funk_steps if kind == "funk" else sync_steps
            for bar_start in _bar_starts(seg_start, seg_end, beats_per_bar):
                for k, position in enumerate(steps):
                    t = float(bar_start + position)
                    if not seg_start <= t < seg_end:
                        continue
                    pitch = (root if k == 0 or t == seg_start
                             else int(_pick(rng, [root, root, fifth, root + 12, tones[-1]])))
                    ghost = kind == "funk" and k > 0 and rng.random() < 0.25
                    events.append((t, 0.12 if ghost else float(rng.uniform(0.25, 0.6)), min(pitch, high),
                                   45 if ghost else velocity))
        elif kind == "octave":
            for k, t in enumerate(np.arange(seg_start, seg_end - 1e-9, 0.5)):
                events.append((float(t), 0.35, root if k % 2 == 0 else min(root + 12, high),
                               velocity - (0 if k % 2 == 0 else 10)))
        elif kind == "walking":
            pitch = root
            for k, t in enumerate(local):
                if k == 0:
                    pitch = root
                elif t + 1 >= seg_end - 1e-9 and following is not None:
                    target = _nearest(following.chord.root, pitch, low, high)
                    pitch = target + int(_pick(rng, [-1, 1, -2]))
                else:
                    options = [p for p in range(pitch - 4, pitch + 5)
                               if p % 12 in scale and p != pitch and low <= p <= high]
                    pitch = int(_pick(rng, options)) if options else root
                events.append((float(t), 0.9, int(np.clip(pitch, low, high)), velocity - 5 * (k % 2)))
        elif kind == "bossa":
            for bar_start in _bar_starts(seg_start, seg_end, beats_per_bar):
                for position, length, pitch in ((0.0, 1.4, root), (1.5, 0.45, root),
                                                (2.0, 1.4, fifth), (3.5, 0.45, fifth)):
                    t = float(bar_start + position)
                    if seg_start <= t < seg_end:
                        events.append((t, length, pitch, velocity))
        elif kind == "random8":
            # A one- or two-bar eighth-grid riff drawn per piece: the root first in each chord, then chord tones.
            for bar_start in _bar_starts(seg_start, seg_end, beats_per_bar):
                steps = random_bars[int(bar_start // beats_per_bar) % len(random_bars)]
                for k, position in enumerate(steps):
                    t = float(bar_start + position)
                    if not seg_start <= t < seg_end:
                        continue
                    following_step = steps[k + 1] if k + 1 < len(steps) else float(beats_per_bar)
                    pitch = root if not events else int(_pick(rng, [root, fifth, tones[-1], octave]))
                    events.append((t, (following_step - position) * float(rng.uniform(0.4, 0.9)), pitch, velocity))
            if seg_start not in [e[0] for e in events] and rng.random() < 0.5:
                events.append((seg_start, 0.45, root, velocity))
        elif kind == "tresillo":
            cells = ((0.0, 1.3, root), (1.5, 1.3, fifth), (3.0, 0.9, octave))
            for bar_start in _bar_starts(seg_start, seg_end, beats_per_bar):
                for position, length, pitch in cells:
                    t = float(bar_start + position)
                    if seg_start <= t < seg_end and position < beats_per_bar:
                        events.append((t, length, pitch if events else root, velocity))
        elif kind == "pedal_pulse":
            events = [(float(t), 0.35, root, velocity - (0 if k % 2 == 0 else 12))
                      for k, t in enumerate(np.arange(seg_start, seg_end - 1e-9, 0.5))]
        else:
            raise KeyError(kind)
        for onset, length, pitch, vel in events:
            length = min(length, seg_end - onset)
            if length > 0.05:
                notes.append(BeatNote(onset, length, pitch, vel, voice, "bass", segment.index))
        if following is not None and following.start < end and rng.random() < anticipate:
            # Push: the next root an eighth early; drop this chord's notes that overlap it.
            push = following.start - 0.5
            notes = [n for n in notes if not (n.chord == segment.index and n.onset >= push - 1e-9)]
            notes = [BeatNote(n.onset, min(n.length, push - n.onset), n.pitch, n.velocity, n.voice, n.role, n.chord)
                     if n.chord == segment.index and n.onset + n.length > push else n for n in notes]
            next_root = _nearest(following.chord.root, root, low, high)
            notes.append(BeatNote(push, 0.45, next_root, velocity + 5, voice, "bass", following.index))
    return [n for n in notes if n.length > 0.05]


def stabs(
    rng: np.random.Generator,
    segments: Sequence[Segment],
    *,
    span: tuple[float, float],
    beats_per_bar: int,
    voice: str,
    low: int,
    high: int,
    velocity: int = 100,
) -> list[BeatNote]:
    """Horn or orchestra stabs: short chords on chord changes, pushes or a riff."""
    start, end = span
    kind = _pick(rng, ["changes", "push", "riff"])
    riff = sorted(float(p) / 2
                  for p in rng.choice(np.arange(0, beats_per_bar * 2), size=int(rng.integers(1, 3)), replace=False))
    length = float(rng.uniform(0.2, 0.6))
    notes: list[BeatNote] = []
    previous = None
    for segment in (s for s in segments if s.end > start and s.start < end):
        pitches = voice_chord(segment.chord, low=low, high=high, previous=previous, size=int(rng.integers(3, 5)),
                              rng=rng)
        previous = pitches
        times: list[float] = []
        if kind == "changes" and segment.start >= start and rng.random() < 0.75:
            times = [segment.start]
        elif kind == "push" and segment.start - 0.5 >= start and rng.random() < 0.6:
            times = [segment.start - 0.5]
        elif kind == "riff":
            for bar_start in _bar_starts(max(segment.start, start), min(segment.end, end), beats_per_bar):
                times += [bar_start + p for p in riff
                          if max(segment.start, start) <= bar_start + p < min(segment.end, end)]
        for t in times:
            for pitch in pitches:
                notes.append(BeatNote(float(t), length, pitch, velocity, voice, "stab", segment.index))
    return notes


_CELLS = {
    "straight": [[1.0], [0.5, 0.5], [1.5, 0.5], [2.0], [0.5, 1.0, 0.5], [0.75, 0.25], [0.25, 0.25, 0.5], [1.0, 1.0]],
    "swing": [[1.0], [0.5, 0.5], [1.5, 0.5], [2.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 1.0, 0.5], [1.0, 0.5, 0.5]],
    "vocal": [[1.0], [2.0], [0.5, 0.5], [1.5, 0.5], [3.0], [0.5, 0.25, 0.25], [1.0, 1.0]],
}


def melody(
    rng: np.random.Generator,
    segments: Sequence[Segment],
    *,
    span: tuple[float, float],
    voice: str,
    low: int,
    high: int,
    scale: frozenset[int],
    rest: tuple[float, float] = (1.25, 4.0),
    phrase: tuple[float, float] = (2.0, 8.0),
    cells: str = "straight",
    legato: float = 0.9,
    velocity: int = 95,
    start_delay: float = 0.0,
) -> list[BeatNote]:
    """Melodic phrases over ``span`` with rests of ``rest`` beats between them.

    Inside a phrase the gap between a note-off and the next note-on stays under
    0.8 beat (breaths), between phrases it is at least ``rest[0]`` beats, so
    phrase starts are never borderline cases of rule 2. Notes on the beat are
    chord tones of the segment sounding, the others move by step or leap in
    ``scale``; a phrase's rhythm is sometimes repeated (a motif).

    Parameters
    ----------
    rng : np.random.Generator
    segments : sequence of Segment
        The chords under the melody.
    span : (float, float)
        Start and end in beats.
    voice : str
    low, high : int
        MIDI pitch range.
    scale : frozenset of int
        Pitch classes of the scale.
    rest : (float, float)
        Range of the rests between phrases in beats (note-off to note-on).
    phrase : (float, float)
        Range of phrase lengths in beats.
    cells : {"straight", "swing", "vocal"}
        Rhythm vocabulary.
    legato : float in (0, 1]
        Share of a note's time it is held (gaps capped at 0.3 beat).
    velocity : int
    start_delay : float
        Beats of rest before the first phrase.

    Returns
    -------
    notes : list of BeatNote
        Role ``"melody"``, no chord.
    """
    start, end = span
    notes: list[BeatNote] = []
    scale_pitches = [p for p in range(low, high + 1) if p % 12 in scale]
    if not scale_pitches:
        return notes
    pitch = int(_pick(rng, scale_pitches[len(scale_pitches) // 4: 3 * len(scale_pitches) // 4 + 1]))
    t = start + start_delay
    motif: Optional[list[float]] = None
    while t < end - 1.0:
        target = float(rng.uniform(*phrase))
        if motif is not None and rng.random() < 0.4:
            durations = list(motif)
        else:
            durations = []
            while sum(durations) < target:
                durations += list(_pick(rng, _CELLS[cells]))
            motif = durations
        position = t
        last_off = t
        for k, duration in enumerate(durations):
            if position >= end - 0.25:
                break
            segment = segment_at(segments, position)
            strong = abs(position - round(position)) < 1e-6
            if segment is not None and strong:
                tones = [p for p in range(pitch - 7, pitch + 8)
                         if p % 12 in segment.chord.pitch_classes and low <= p <= high]
                if tones:
                    pitch = int(_pick(rng, tones[: max(1, len(tones))]))
            else:
                index = int(np.searchsorted(scale_pitches, pitch))
                index = int(np.clip(index + int(_pick(rng, [-2, -1, -1, 1, 1, 2, 0, 3, -3])),
                                    0, len(scale_pitches) - 1))
                pitch = scale_pitches[index]
            is_last = k == len(durations) - 1
            hold = duration - min(duration * (1.0 - legato), 0.3)
            if is_last:
                hold = max(hold, float(rng.uniform(1.0, 2.5)))
            hold = min(hold, end - position)
            if hold > 0.05:
                notes.append(BeatNote(float(position), float(hold), pitch, velocity + int(rng.integers(-10, 8)),
                                      voice, "melody"))
                last_off = position + hold
            position += max(duration, hold) if is_last else duration
            if not is_last and rng.random() < 0.1:
                position += 0.5  # a breath inside the phrase (gap < 1 beat)
        gap = float(rng.uniform(*rest))
        t = float(np.ceil((last_off + gap) * 2) / 2)
    return notes

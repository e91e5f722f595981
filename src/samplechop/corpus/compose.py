"""Compose a piece in a style: form, parts, swing and humanisation.

A piece is a chain of sections (:data:`.styles.SECTION_KINDS`):

* ``full``: comping, bass, drums, melody (and maybe an answering second melody,
  horn stabs, a pad);
* ``backing``: the band without melody: chord changes while drums and bass go on;
* ``break``: drums alone (sometimes with bass), often entered after a stop;
* ``stop``: stop-time: short band hits, then at least 1.25 beats of silence;
* ``intro``: the chord instrument alone, or the drums alone;
* ``sparse``: pad or keys with melody, no drums.

Harmony comes from two progression templates of the style (verse / chorus), laid
out with the style's harmonic rhythm; re-attacks of one chord are everywhere
(comping patterns, repeated chords in templates). Times are then swung,
humanised (per-voice lateness, timing jitter, strummed guitars, velocity) and
quantised to the MIDI tick grid, so the notes are exactly what is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .drums import DRUM_LENGTHS, Groove, crash, fill, groove_bar, make_groove
from .harmony import Chord, choose_progression, scale_pitch_classes, voice_chord
from .parts import BeatNote, Segment, bass_line, comp, melody, register, stabs
from .piece import Note, Piece, Voice, quantise, resolve_overlaps
from .split import choose_kit, choose_program
from .styles import Style

__all__ = ["compose", "swing_beats", "plan_sections"]

_STRUMMED = set(range(24, 32)) | {46}


@dataclass(frozen=True)
class _Section:
    kind: str
    start: int  # bar index
    bars: int


def _weighted(rng: np.random.Generator, weights: dict) -> object:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def swing_beats(beats: np.ndarray, *, ratio: float, unit: float) -> np.ndarray:
    """Swing a beat position: the off-beat ``unit`` of each pair moves to ``ratio``.

    Parameters
    ----------
    beats : np.ndarray
        Positions in beats.
    ratio : float in [0.5, 0.75]
        Where the second subdivision of a pair falls (0.5 straight, 2/3 triplet).
    unit : float
        The swung subdivision in beats (0.5 eighths, 0.25 sixteenths).

    Returns
    -------
    beats : np.ndarray
        Swung positions (monotonic, fixed on every pair boundary).
    """
    beats = np.asarray(beats, dtype=float)
    pair = 2 * unit
    base = np.floor(beats / pair + 1e-9) * pair
    frac = np.clip((beats - base) / pair, 0.0, 1.0)
    warped = np.where(frac < 0.5, frac * ratio / 0.5, ratio + (frac - 0.5) * (1 - ratio) / 0.5)
    return base + warped * pair


def plan_sections(rng: np.random.Generator, style: Style, *, bars: int, has_drums: bool) -> list[_Section]:
    """Draw a form of at least ``bars`` bars from the style's section weights."""
    weights = dict(style.sections)
    if not has_drums:
        weights.pop("break", None)
    sections: list[_Section] = []
    bar = 0
    while bar < bars:
        if not sections and "intro" in weights and rng.random() < 0.35:
            kind = "intro"
        else:
            options = {k: w for k, w in weights.items() if k != "intro"}
            if sections and sections[-1].kind in ("break", "stop"):
                options = {k: w for k, w in options.items() if k not in ("break", "stop")}
            kind = str(_weighted(rng, options))
        length = {
            "full": [2, 4, 4, 8], "backing": [2, 4, 4, 8], "sparse": [2, 4, 8],
            "break": [1, 2, 2, 4], "stop": [1, 2], "intro": [1, 2, 4],
        }[kind]
        size = min(int(length[int(rng.integers(len(length)))]), bars - bar)
        sections.append(_Section(kind, bar, size))
        bar += size
    return sections


def _segments(
    rng: np.random.Generator, chords: list[Chord], rhythm: int, *, start: float, end: float, first_index: int,
) -> list[Segment]:
    segments = []
    position = start
    k = 0
    while position < end - 1e-9:
        chord = chords[k % len(chords)]
        length = float(rhythm)
        if rng.random() < 0.15 and rhythm >= 2:
            length = rhythm / 2 if rng.random() < 0.5 else rhythm * 2
        stop = min(position + length, end)
        segments.append(Segment(position, stop, chord, first_index + len(segments)))
        position = stop
        k += 1
    return segments


def compose(rng: np.random.Generator, style: Style, *, split: str, min_length: float) -> Piece:
    """Compose a piece of at least ``min_length`` seconds in ``style``.

    Parameters
    ----------
    rng : np.random.Generator
        The piece's own generator (every random choice comes from it).
    style : Style
    split : {"train", "valid", "all"}
        Which programs and kits may be drawn (see :mod:`.split`).
    min_length : float
        Seconds of music wanted.

    Returns
    -------
    piece : Piece
    """
    tempo = float(rng.uniform(*style.tempo))
    beat = 60.0 / tempo
    meter = int(_weighted(rng, style.meters))
    ratio = float(rng.uniform(*style.swing))
    key = int(rng.integers(12))
    progressions = [choose_progression(rng, style.progressions, key=key) for _ in range(2)]
    rhythms = [int(_weighted(rng, style.harmonic_rhythm)) for _ in range(2)]
    tonic = next((c for c in progressions[0] if c.root == key), progressions[0][0])
    scale = scale_pitch_classes(tonic, key=key, family=style.progressions)

    has_drums = rng.random() < style.drums_share
    has_stabs = rng.random() < style.stab_share
    has_pad = rng.random() < style.pad_share
    has_answer = rng.random() < style.answer_share
    programs = {
        "keys": choose_program(rng, style.chord_programs, split),
        "bass": choose_program(rng, style.bass_programs, split),
        "lead": choose_program(rng, style.melody_programs, split),
    }
    if has_answer:
        programs["answer"] = choose_program(rng, style.melody_programs, split)
    if has_pad:
        programs["pad"] = choose_program(rng, style.pad_programs, split)
    if has_stabs:
        programs["stabs"] = choose_program(rng, style.stab_programs, split)
    comp_pattern = str(style.comping[int(rng.integers(len(style.comping)))])
    bass_kind = str(style.bass_lines[int(rng.integers(len(style.bass_lines)))])
    voicing = str(style.voicings[int(rng.integers(len(style.voicings)))])
    groove = make_groove(rng, str(style.grooves[int(rng.integers(len(style.grooves)))]), beats_per_bar=meter)
    kit = choose_kit(rng, style.drum_kits, split) if has_drums else 0
    reattack = bool(rng.random() < 0.6)
    anticipate = float(rng.choice([0.0, 0.2, 0.5])) if style.name in ("soul", "funk", "bossa") else 0.0

    bar_seconds = meter * beat
    bars = int(np.ceil(min_length / bar_seconds)) + 1
    sections = plan_sections(rng, style, bars=bars, has_drums=has_drums)

    notes: list[BeatNote] = []
    segments: list[Segment] = []
    melody_active: list[bool] = []
    keys_low, keys_high = register("chord", programs["keys"])
    bass_low, bass_high = register("bass", programs["bass"])
    for number, section in enumerate(sections):
        start, end = section.start * meter, (section.start + section.bars) * meter
        which = 1 if section.kind in ("backing",) and rng.random() < 0.5 else (number // 2) % 2
        rhythm = meter if section.kind == "stop" else rhythms[which]
        section_segments = _segments(rng, progressions[which], rhythm, start=start, end=end, first_index=len(segments))
        segments += section_segments
        loud = {"full": 8, "backing": 0, "break": 0, "stop": 10, "intro": -8, "sparse": -12}[section.kind]
        span = (float(start), float(end))
        kind = section.kind
        intro_drums = kind == "intro" and has_drums and rng.random() < 0.4
        band = kind in ("full", "backing")
        if band or (kind == "intro" and not intro_drums) or kind == "sparse":
            pattern = comp_pattern if band else str(rng.choice(["sustain", "arpeggio", comp_pattern]))
            notes += comp(rng, pattern, section_segments, span=span, beats_per_bar=meter, voice="keys",
                          low=keys_low, high=keys_high, voicing=voicing, velocity=78 + loud, reattack=reattack)
        if band or (kind == "sparse" and rng.random() < 0.4) or (kind == "break" and rng.random() < 0.35):
            notes += bass_line(rng, bass_kind if kind != "sparse" else "root", section_segments, span=span,
                               beats_per_bar=meter, voice="bass", low=bass_low, high=bass_high, scale=scale,
                               velocity=92 + loud // 2, anticipate=anticipate)
        if has_pad and (band or kind == "sparse") and rng.random() < 0.7:
            low, high = register("pad", programs["pad"])
            notes += comp(rng, "sustain", section_segments, span=span, beats_per_bar=meter, voice="pad", role="pad",
                          low=low, high=high, voicing="open", velocity=60 + loud, reattack=False)
        if has_stabs and band and rng.random() < 0.6:
            notes += stabs(rng, section_segments, span=span, beats_per_bar=meter, voice="stabs", low=58, high=82,
                           velocity=100 + loud // 2)
        if kind == "stop":
            notes += _stop_time(rng, section_segments, span=span, meter=meter, has_stabs=has_stabs, has_drums=has_drums,
                                keys=(keys_low, keys_high), bass=(bass_low, bass_high), voicing=voicing)
        if has_drums and (band or kind == "break" or intro_drums):
            entry = 0.0
            if kind == "break" and number > 0 and rng.random() < 0.5:
                entry = float(rng.choice([1.5, 2.0]))
            notes += _drum_part(rng, groove, span=span, meter=meter, entry=entry,
                                crash_start=number > 0 and rng.random() < 0.5,
                                fill_end=number + 1 < len(sections) and rng.random() < 0.4)
        melody_active.append(kind in ("full", "sparse") or (kind == "stop" and rng.random() < 0.35)
                             or (kind == "intro" and not intro_drums and rng.random() < 0.3))

    # Melody over maximal runs of sections that have one.
    lead_low, lead_high = register("melody", programs["lead"])
    cells = "swing" if ratio > 0.56 and style.swing_unit == 0.5 else (
        "vocal" if programs["lead"] in (52, 53, 54, 85) else "straight")
    legato = float(rng.uniform(0.75, 1.0))
    for first, last in _runs(melody_active):
        span = (float(sections[first].start * meter), float((sections[last].start + sections[last].bars) * meter))
        notes += melody(rng, segments, span=span, voice="lead", low=lead_low, high=lead_high, scale=scale,
                        rest=style.phrase_rest, cells=cells, legato=legato, velocity=98,
                        start_delay=float(rng.choice([0.0, 0.0, 0.5, 1.0, 2.0])))
        if has_answer:
            low, high = register("melody", programs["answer"])
            notes += melody(rng, segments, span=span, voice="answer", low=low, high=high, scale=scale,
                            rest=(3.0, 8.0), phrase=(1.0, 3.0), cells=cells, legato=0.85, velocity=88,
                            start_delay=float(rng.choice([2.0, 3.0, 4.0])))

    voices = [
        Voice("keys", programs["keys"], volume=int(rng.integers(70, 100)), pan=int(rng.integers(24, 104))),
        Voice("bass", programs["bass"], volume=int(rng.integers(88, 115)), pan=64),
        Voice("lead", programs["lead"], volume=int(rng.integers(95, 122)), pan=int(rng.integers(44, 84))),
    ]
    for name, volume in (("answer", (80, 105)), ("pad", (45, 75)), ("stabs", (85, 110))):
        if name in programs:
            voices.append(Voice(name, programs[name], volume=int(rng.integers(*volume)),
                                pan=int(rng.integers(20, 108))))
    if has_drums:
        voices.append(Voice("drums", kit, is_drum=True, volume=int(rng.integers(85, 115)), pan=64))

    lead = float(rng.uniform(0.03, 0.3))
    timed = _perform(rng, notes, beat=beat, lead=lead, ratio=ratio, unit=style.swing_unit, programs=programs)
    # A form may open on an off-beat (a pick-up, a backbeat skank): the first attack comes at `lead` all the same.
    delay = quantise(max(0.0, min(n.onset for n in timed) - lead))
    timed = [Note(n.onset - delay, n.offset - delay, n.pitch, n.velocity, n.voice, n.role, n.chord) for n in timed]
    bar_times = [quantise(lead - delay + b * bar_seconds) for b in range(1, bars)]
    used = {n.voice for n in timed}
    return Piece(
        source=style.name,
        tempo=tempo,
        beat=beat,
        notes=timed,
        voices=[v for v in voices if v.name in used],
        chords=[s.chord.identity for s in segments],
        crop_candidates=bar_times,
        title=f"{style.name} in {key} at {tempo:.1f} BPM",
    )


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs, first = [], None
    for index, flag in enumerate(flags + [False]):
        if flag and first is None:
            first = index
        elif not flag and first is not None:
            runs.append((first, index - 1))
            first = None
    return runs


def _stop_time(
    rng: np.random.Generator, segments: list[Segment], *, span: tuple[float, float], meter: int,
    has_stabs: bool, has_drums: bool, keys: tuple[int, int], bass: tuple[int, int], voicing: str,
) -> list[BeatNote]:
    """Band hits on the first beat(s) of each bar, then silence (>= 1.25 beats)."""
    patterns = [[0.0], [0.0, 1.5], [0.0, 0.75], [0.0, 0.5, 1.0]] if meter == 4 else [[0.0], [0.0, 0.5]]
    hits = patterns[int(rng.integers(len(patterns)))]
    length = float(rng.uniform(0.25, 0.5))
    notes: list[BeatNote] = []
    start, end = span
    for bar_start in np.arange(start, end, meter):
        for k, position in enumerate(hits):
            t = float(bar_start + position)
            segment = next((s for s in segments if s.start <= t < s.end), None)
            if segment is None:
                continue
            chord = voice_chord(segment.chord, low=keys[0], high=keys[1],
                                style=voicing if voicing != "shell" else "close")
            notes += [BeatNote(t, length, p, 100, "keys", "chord", segment.index) for p in chord]
            root = min(range(bass[0], bass[1] + 1), key=lambda p: (p % 12 != segment.chord.root, p))
            notes.append(BeatNote(t, length, root, 105, "bass", "bass", segment.index))
            if has_stabs:
                notes += [BeatNote(t, length, p, 105, "stabs", "stab", segment.index)
                          for p in voice_chord(segment.chord, low=60, high=82)]
            if has_drums:
                drum = [(0.0, 49, 105), (0.0, 36, 110)] if k == 0 else [(0.0, 38, 100), (0.0, 36, 100)]
                notes += [BeatNote(t, DRUM_LENGTHS.get(p, 0.15), p, v, "drums", "drums") for _, p, v in drum]
        last_end = hits[-1] + length
        if has_drums and bar_start + meter >= end and rng.random() < 0.5:
            fill_start = float(np.ceil((last_end + 1.25) * 4) / 4)
            for position, pitch, velocity in fill(rng, start=max(fill_start, meter - 1.0), end=float(meter)):
                notes.append(BeatNote(float(bar_start + position), DRUM_LENGTHS.get(pitch, 0.15), pitch, velocity,
                                      "drums", "drums"))
    return notes


def _drum_part(
    rng: np.random.Generator, groove: Groove, *, span: tuple[float, float], meter: int, entry: float,
    crash_start: bool, fill_end: bool,
) -> list[BeatNote]:
    """The drums of one section: the groove bar by bar, a crash on entry, a fill at the end."""
    notes: list[BeatNote] = []
    start, end = span
    bars = list(np.arange(start, end, meter))
    for number, bar_start in enumerate(bars):
        hits = groove_bar(rng, groove, bar=number, beats_per_bar=meter)
        if number == 0 and crash_start:
            hits = [h for h in hits if h[0] > 0] + crash(rng)
        if number == len(bars) - 1 and fill_end:
            fill_start = float(meter - rng.choice([1.0, 2.0] if meter == 4 else [1.0]))
            hits = ([h for h in hits if h[0] < fill_start]
                    + fill(rng, start=fill_start, end=float(meter), orchestral=groove.orchestral))
        for position, pitch, velocity in hits:
            t = float(bar_start + position)
            if t < start + entry:
                continue
            notes.append(BeatNote(t, DRUM_LENGTHS.get(pitch, 0.15), pitch, velocity, "drums", "drums"))
    return notes


def _perform(
    rng: np.random.Generator, notes: list[BeatNote], *, beat: float, lead: float, ratio: float, unit: float,
    programs: dict[str, int],
) -> list[Note]:
    """Beats -> seconds: swing, per-voice lateness, jitter, strums, velocity; quantised.

    Beat 0 falls at ``lead`` seconds.
    """
    sigma = float(rng.uniform(0.002, 0.009))
    pitched_voices = ("keys", "bass", "lead", "answer", "pad", "stabs")
    lateness = {voice: float(rng.uniform(-0.006, 0.012)) for voice in pitched_voices}
    lateness["drums"] = 0.0
    strum = float(rng.uniform(0.004, 0.012))
    onsets = swing_beats(np.asarray([n.onset for n in notes]), ratio=ratio, unit=unit)
    ends = swing_beats(np.asarray([n.onset + n.length for n in notes]), ratio=ratio, unit=unit)
    jitter = np.clip(rng.normal(0.0, sigma, size=len(notes)), -2.5 * sigma, 2.5 * sigma)
    velocity_jitter = rng.normal(0.0, 6.0, size=len(notes))
    # Strummed chords: notes of one voice starting together are spread low to high (or back).
    spread = np.zeros(len(notes))
    groups: dict[tuple[str, float], list[int]] = {}
    for index, note in enumerate(notes):
        if programs.get(note.voice) in _STRUMMED and note.role in ("chord", "stab", "pad"):
            groups.setdefault((note.voice, round(note.onset, 6)), []).append(index)
    for members in groups.values():
        members.sort(key=lambda i: notes[i].pitch, reverse=bool(rng.random() < 0.3))
        for rank, index in enumerate(members):
            spread[index] = rank * strum
    timed = []
    for index, note in enumerate(notes):
        shift = lead + jitter[index] + lateness.get(note.voice, 0.0) + spread[index]
        onset = max(0.005, onsets[index] * beat + shift)
        if note.role == "drums":
            offset = onset + note.length  # drum lengths are in seconds
        else:
            offset = max(onset + 0.03, ends[index] * beat + shift)
        velocity = int(np.clip(round(note.velocity + velocity_jitter[index]), 1, 127))
        timed.append(Note(quantise(onset), quantise(offset), int(note.pitch), velocity,
                          note.voice, note.role, note.chord))
    return resolve_overlaps(timed)

"""Style definitions: tempo, feel, harmonic rhythm, instruments, patterns, form.

Each :class:`Style` is data only; :mod:`.compose` reads it. Programs are General
MIDI program numbers (0-based); which of them are held out for validation is
decided in :mod:`.split`, not here, so a style lists every program that suits it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Style", "STYLES", "SECTION_KINDS"]

#: Section kinds a style can weight (see :mod:`.compose`).
SECTION_KINDS = ("full", "backing", "break", "stop", "intro", "sparse")


@dataclass(frozen=True)
class Style:
    """How one style of piece is composed.

    Attributes
    ----------
    name : str
        Style name (used in file names).
    tempo : (float, float)
        Tempo range in quarter notes per minute.
    swing : (float, float)
        Range of the swing ratio (0.5 straight, 0.667 triplet swing).
    swing_unit : float
        Swung subdivision in beats (0.5 eighths, 0.25 sixteenths).
    meters : dict
        Beats per bar -> weight.
    harmonic_rhythm : dict
        Beats per chord -> weight (the same chord may follow itself: a re-attack).
    progressions : str
        Family in :data:`.harmony.PROGRESSIONS`.
    chord_programs, bass_programs, melody_programs, stab_programs, pad_programs : tuple of int
        GM programs per role.
    drum_kits : tuple of int
        GM drum kit programs (bank 128).
    comping : tuple of str
        Comping patterns (see :mod:`.parts`).
    bass_lines : tuple of str
        Bass line patterns.
    grooves : tuple of str
        Drum grooves (see :mod:`.drums`).
    voicings : tuple of str
        Voicing styles for :func:`.harmony.voice_chord`.
    sections : dict
        Section kind -> weight.
    drums_share, stab_share, pad_share, answer_share : float
        Probabilities that a piece has drums, horn/orchestra stabs, a pad, an
        answering second melody.
    phrase_rest : (float, float)
        Range of rests between melodic phrases, in beats.
    """

    name: str
    tempo: tuple[float, float]
    swing: tuple[float, float]
    swing_unit: float
    meters: dict[int, float]
    harmonic_rhythm: dict[int, float]
    progressions: str
    chord_programs: tuple[int, ...]
    bass_programs: tuple[int, ...]
    melody_programs: tuple[int, ...]
    stab_programs: tuple[int, ...]
    pad_programs: tuple[int, ...]
    drum_kits: tuple[int, ...]
    comping: tuple[str, ...]
    bass_lines: tuple[str, ...]
    grooves: tuple[str, ...]
    voicings: tuple[str, ...]
    sections: dict[str, float]
    drums_share: float = 0.9
    stab_share: float = 0.4
    pad_share: float = 0.3
    answer_share: float = 0.3
    phrase_rest: tuple[float, float] = (1.25, 4.0)


STYLES: dict[str, Style] = {
    "soul": Style(
        name="soul",
        tempo=(66, 112),
        swing=(0.5, 0.6),
        swing_unit=0.25,
        meters={4: 1.0},
        harmonic_rhythm={1: 0.3, 2: 1.0, 4: 3.0, 8: 1.5},
        progressions="soul",
        chord_programs=(0, 1, 2, 4, 5, 16, 17, 18, 27, 26, 11, 24, 25),
        bass_programs=(33, 34, 35, 32),
        melody_programs=(52, 53, 54, 85, 56, 59, 64, 65, 66, 73, 40, 22),
        stab_programs=(61, 56, 57, 62, 63, 59),
        pad_programs=(48, 49, 50, 51, 16, 89),
        drum_kits=(0, 8, 16),
        comping=("quarters", "backbeat", "sustain", "pushes", "arpeggio", "eighths", "random8", "tresillo"),
        bass_lines=("root_fifth", "syncopated", "root", "octave", "random8", "tresillo"),
        grooves=("backbeat", "halftime", "shuffle", "random"),
        voicings=("close", "open", "rootless"),
        sections={"full": 4, "backing": 2, "break": 1, "stop": 1, "intro": 1},
        stab_share=0.45,
        pad_share=0.4,
        answer_share=0.35,
    ),
    "funk": Style(
        name="funk",
        tempo=(88, 120),
        swing=(0.5, 0.58),
        swing_unit=0.25,
        meters={4: 1.0},
        harmonic_rhythm={2: 0.5, 4: 1.0, 8: 3.0, 16: 2.0},
        progressions="funk",
        chord_programs=(7, 27, 28, 4, 5, 16, 18, 2, 17),
        bass_programs=(36, 37, 33, 38, 34),
        melody_programs=(56, 59, 64, 65, 66, 57, 73, 54, 80, 22),
        stab_programs=(61, 62, 63, 56, 57),
        pad_programs=(50, 51, 16, 89),
        drum_kits=(0, 8, 16),
        comping=("funk16", "backbeat", "pushes", "stabs8", "random8"),
        bass_lines=("funk", "octave", "syncopated", "random8"),
        grooves=("funk", "breakbeat", "backbeat", "random"),
        voicings=("close", "rootless", "shell"),
        sections={"full": 3, "backing": 3, "break": 2, "stop": 1.5},
        stab_share=0.6,
        pad_share=0.15,
    ),
    "jazz": Style(
        name="jazz",
        tempo=(60, 120),
        swing=(0.58, 0.68),
        swing_unit=0.5,
        meters={4: 0.8, 3: 0.2},
        harmonic_rhythm={1: 0.4, 2: 2.0, 4: 3.0, 8: 0.5},
        progressions="jazz",
        chord_programs=(0, 1, 2, 4, 5, 11, 26, 12, 24),
        bass_programs=(32, 33, 35),
        melody_programs=(64, 65, 66, 56, 59, 57, 73, 71, 11, 26, 22, 52),
        stab_programs=(61, 56, 57, 59),
        pad_programs=(48, 49, 89),
        drum_kits=(32, 40, 0, 8),
        comping=("charleston", "sustain", "quarters", "anticipate", "random8"),
        bass_lines=("walking", "two_feel"),
        grooves=("swing", "brush_ballad"),
        voicings=("rootless", "shell", "close", "open"),
        sections={"full": 4, "backing": 3, "break": 0.5, "stop": 1, "intro": 1},
        stab_share=0.2,
        pad_share=0.1,
        answer_share=0.35,
    ),
    "gospel": Style(
        name="gospel",
        tempo=(60, 96),
        swing=(0.5, 0.67),
        swing_unit=0.5,
        meters={4: 0.85, 3: 0.15},
        harmonic_rhythm={1: 1.0, 2: 3.0, 4: 2.0, 8: 0.3},
        progressions="gospel",
        chord_programs=(0, 1, 2, 16, 17, 19, 4, 5, 18, 24, 25),
        bass_programs=(33, 32, 35, 34),
        melody_programs=(52, 53, 54, 85, 40, 41, 65, 64, 73, 56),
        stab_programs=(61, 52, 56, 63),
        pad_programs=(48, 49, 52, 19, 50, 51),
        drum_kits=(0, 8, 40),
        comping=("arpeggio", "sustain", "quarters", "backbeat", "eighths", "random8"),
        bass_lines=("root", "root_fifth", "octave", "random8"),
        grooves=("ballad", "shuffle", "halftime", "random"),
        voicings=("close", "open"),
        sections={"full": 3, "backing": 2, "stop": 1, "intro": 2, "sparse": 2},
        drums_share=0.75,
        stab_share=0.25,
        pad_share=0.5,
        answer_share=0.4,
    ),
    "orchestral": Style(
        name="orchestral",
        tempo=(60, 100),
        swing=(0.5, 0.5),
        swing_unit=0.5,
        meters={4: 0.8, 3: 0.2},
        harmonic_rhythm={2: 1.0, 4: 3.0, 8: 2.0},
        progressions="cinematic",
        chord_programs=(48, 49, 50, 51, 46, 60, 61, 0),
        bass_programs=(43, 42, 58, 32),
        melody_programs=(40, 41, 73, 68, 69, 60, 71, 52, 53, 56, 57),
        stab_programs=(55, 61, 48, 60),
        pad_programs=(48, 49, 50, 51, 52, 89),
        drum_kits=(48,),
        comping=("sustain", "ostinato", "arpeggio", "quarters", "random8"),
        bass_lines=("root", "pedal_pulse", "two_feel"),
        grooves=("orchestral", "pulse"),
        voicings=("open", "close"),
        sections={"full": 3, "sparse": 3, "stop": 2, "intro": 1, "backing": 1},
        drums_share=0.45,
        stab_share=0.6,
        pad_share=0.5,
        answer_share=0.35,
    ),
    "bossa": Style(
        name="bossa",
        tempo=(80, 120),
        swing=(0.5, 0.55),
        swing_unit=0.25,
        meters={4: 1.0},
        harmonic_rhythm={2: 1.0, 4: 2.0, 8: 2.0},
        progressions="bossa",
        chord_programs=(24, 25, 4, 5, 0, 11, 12, 2),
        bass_programs=(32, 33, 35),
        melody_programs=(73, 64, 65, 52, 53, 11, 71, 74, 22, 85),
        stab_programs=(61, 56, 59),
        pad_programs=(48, 49, 89, 51),
        drum_kits=(0, 8, 40, 32),
        comping=("bossa", "sustain", "charleston"),
        bass_lines=("bossa", "two_feel"),
        grooves=("bossa", "lounge"),
        voicings=("close", "rootless", "shell"),
        sections={"full": 4, "backing": 3, "stop": 0.5, "intro": 1, "break": 0.5},
        drums_share=0.85,
        stab_share=0.15,
        pad_share=0.35,
    ),
}

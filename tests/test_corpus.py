"""Tests of samplechop.corpus: label rules, composition, effects, rendering, the driver."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile

from samplechop.corpus import available_soundfonts, render_corpus
from samplechop.corpus import corpus as corpus_module
from samplechop.corpus import soundfonts as soundfonts_module
from samplechop.corpus.compose import compose, swing_beats
from samplechop.corpus.effects import apply_chain, random_chain, wow, wow_time_map
from samplechop.corpus.harmony import Chord, parse_progression, voice_chord
from samplechop.corpus.labels import (
    chop_points,
    excerpt_chop_points,
    harmonic_changes,
    merge_close,
    phrase_starts,
    snap_to_attacks,
    sound_after_silence,
)
from samplechop.corpus.piece import Note, Piece, Voice, resolve_overlaps
from samplechop.corpus.soundfonts import require_soundfonts
from samplechop.corpus.split import HELD_OUT_KITS, HELD_OUT_PROGRAMS, HELD_OUT_STYLES, choose_style
from samplechop.corpus.styles import STYLES
from samplechop.exceptions import ParameterError
from samplechop.io.annotations import read_labels

#: Rendering through FluidSynth: slow (seconds), and skipped where it is not installed.
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")


def renders(test):
    """Marks a test that renders audio through FluidSynth."""
    return pytest.mark.slow(needs_fluidsynth(test))

BEAT = 0.5  # seconds (120 BPM)
#: See test_held_out_style_pieces_compose_as_before_the_random_rhythm_families.
BOSSA_DIGEST = "99f7149c766e1ebc"
C = Chord(0, "maj").identity
F = Chord(5, "maj").identity


def chord_notes(onset, offset, chord, *, pitches=(60, 64, 67), voice="keys", role="chord"):
    return [Note(onset, offset, p, 80, voice, role, chord) for p in pitches]


def drums(start, stop, step=0.25):
    return [Note(t, t + 0.08, 42, 70, "drums", "drums") for t in np.arange(start, stop - 1e-9, step)]


def labels_of(notes, chords):
    return chop_points(notes, chords=chords, beat=BEAT)


# --- label rules on constructed cases ---------------------------------------------------


def test_reattacked_chord_is_no_chop_and_change_is():
    # Segment 0 and 1 are both C (re-voiced), segment 2 is F; drums keep going.
    notes = (
        chord_notes(0.0, 0.45, 0)
        + chord_notes(0.5, 0.95, 0)  # re-attack inside the segment
        + chord_notes(1.0, 1.95, 1, pitches=(64, 67, 72))  # same chord, new voicing, next segment
        + chord_notes(2.0, 2.9, 2, pitches=(60, 65, 69))  # change to F
        + drums(0.0, 3.0)
    )
    assert np.allclose(labels_of(notes, [C, C, F]), [0.0, 2.0])


def test_change_is_at_the_first_attack_of_the_new_chord():
    # The bass anticipates F an eighth early; a late note of the old chord is ignored.
    notes = chord_notes(0.0, 1.0, 0) + [
        Note(0.0, 0.7, 36, 90, "bass", "bass", 0),
        Note(0.75, 1.5, 41, 90, "bass", "bass", 1),
        Note(1.0, 1.5, 60, 80, "keys", "chord", 0),  # old chord after the change began
    ] + chord_notes(1.0, 1.5, 1, pitches=(65, 69, 72))
    assert np.allclose(harmonic_changes(notes, chords=[C, F], beat=BEAT), [0.0, 0.75])


def test_phrase_after_a_rest_is_a_chop_notes_inside_are_not():
    backing = chord_notes(0.0, 6.0, 0) + drums(0.0, 6.0)
    melody = [
        Note(0.5, 0.9, 72, 90, "lead", "melody"),  # first note of the voice: phrase start
        Note(1.0, 1.4, 74, 90, "lead", "melody"),  # inside the phrase
        Note(1.75, 2.2, 76, 90, "lead", "melody"),  # rest of 0.35 s < 1 beat: same phrase
        Note(2.7, 3.0, 77, 90, "lead", "melody"),  # rest of exactly 1 beat: new phrase
        Note(3.5, 4.0, 79, 90, "lead", "melody"),  # rest of 1 beat: new phrase
        Note(4.4, 5.0, 77, 90, "lead", "melody"),  # rest of 0.4 s: same phrase
    ]
    assert np.allclose(phrase_starts(melody, beat=BEAT), [0.5, 2.7, 3.5])
    assert np.allclose(labels_of(backing + melody, [C]), [0.0, 0.5, 2.7, 3.5])


def test_phrase_rests_are_counted_per_voice():
    melody = [
        Note(0.0, 1.0, 72, 90, "lead", "melody"),
        Note(1.2, 1.4, 60, 90, "answer", "melody"),  # first note of its voice
        Note(1.5, 2.0, 62, 90, "answer", "melody"),
        Note(2.0, 2.5, 74, 90, "lead", "melody"),  # lead rested 1 beat, though answer played
    ]
    assert np.allclose(phrase_starts(melody, beat=BEAT), [0.0, 1.2, 2.0])


def test_stab_after_silence_is_a_chop_even_on_the_same_chord():
    notes = (
        chord_notes(0.0, 0.2, 0, role="stab")
        + chord_notes(0.8, 1.0, 0, role="stab")  # 0.6 s = 1.2 beats of silence before it
        + chord_notes(1.3, 1.5, 0, role="stab")  # 0.3 s of silence: not a chop
    )
    assert np.allclose(sound_after_silence(notes, beat=BEAT), [0.0, 0.8])
    assert np.allclose(labels_of(notes, [C]), [0.0, 0.8])


def test_release_tails_do_not_count_only_note_off():
    # The mix is silent from the last note-off, however long the instrument rings.
    notes = chord_notes(0.0, 1.0, 0, voice="pad", role="pad") + chord_notes(1.5, 2.0, 0)
    assert np.allclose(sound_after_silence(notes, beat=BEAT), [0.0, 1.5])


def test_drum_groove_alone_gives_only_the_first_attack():
    notes = drums(0.3, 8.0)
    assert np.allclose(labels_of(notes, []), [0.3])


def test_band_back_after_a_drum_break_is_a_change_but_a_short_comping_gap_is_not():
    # C, then drums alone for 4 beats, then C again: harmony was absent, its return is a change.
    notes = chord_notes(0.0, 1.0, 0) + drums(0.0, 6.0) + chord_notes(3.0, 4.0, 1) + chord_notes(5.0, 6.0, 2)
    # 3.0 - 1.0 = 2 s = 4 beats without harmony; 5.0 - 4.0 = 2 beats only.
    assert np.allclose(harmonic_changes(notes, chords=[C, C, C], beat=BEAT), [0.0, 3.0])


def test_first_attack_is_a_chop():
    notes = chord_notes(0.37, 3.0, 0) + drums(0.4, 3.0)
    assert labels_of(notes, [C])[0] == pytest.approx(0.37)


def test_points_closer_than_100_ms_merge_into_the_earlier():
    assert np.allclose(merge_close(np.array([1.06, 1.0, 2.0])), [1.0, 2.0])
    assert np.allclose(merge_close(np.array([0.0, 0.06, 0.12, 0.3])), [0.0, 0.12, 0.3])
    # A chord change 60 ms after a phrase start is one chop, at the phrase start.
    notes = chord_notes(0.0, 1.94, 0) + chord_notes(2.0, 3.0, 1, pitches=(65, 69, 72)) + [
        Note(0.0, 0.4, 72, 90, "lead", "melody"),
        Note(1.94, 2.5, 72, 90, "lead", "melody"),
    ]
    assert np.allclose(labels_of(notes, [C, F]), [0.0, 1.94])


def test_chop_is_moved_to_the_earliest_note_of_its_attack():
    assert np.allclose(snap_to_attacks(np.array([1.0]), np.array([0.5, 0.985, 1.0])), [0.985])
    notes = chord_notes(0.0, 0.95, 0) + chord_notes(1.0, 2.0, 1, pitches=(65, 69, 72)) + [
        Note(0.99, 1.05, 36, 100, "drums", "drums"),  # kick 10 ms ahead of the change
    ] + drums(0.0, 2.0, step=0.5)
    assert np.allclose(labels_of(notes, [C, F]), [0.0, 0.99])


def test_excerpt_keeps_inner_points_and_adds_its_first_attack():
    times = np.array([0.1, 2.0, 5.0])
    onsets = np.array([0.1, 1.0, 1.3, 2.0, 3.0, 5.0])
    assert np.allclose(excerpt_chop_points(times, onsets, start=1.2, duration=3.0), [0.1, 0.8])
    assert np.allclose(excerpt_chop_points(times, onsets, start=0.0, duration=2.0), [0.1])  # 2.0 is past the end


def test_label_rules_reject_bad_input():
    with pytest.raises(ParameterError, match="beat"):
        chop_points([], chords=[], beat=0.0)
    with pytest.raises(ParameterError, match="chord 3"):
        harmonic_changes(chord_notes(0, 1, 3), chords=[C], beat=BEAT)


def test_overlapping_notes_of_one_key_are_shortened():
    notes = [Note(0.0, 1.0, 60, 80, "keys", "chord", 0), Note(0.5, 1.2, 60, 80, "keys", "chord", 0)]
    fixed = resolve_overlaps(notes)
    assert [(n.onset, n.offset) for n in fixed] == [(0.0, 0.5), (0.5, 1.2)]


# --- harmony, composition, split ------------------------------------------------------


def test_chord_identity_ignores_voicing():
    chord = Chord(2, "min7")
    close = voice_chord(chord, low=50, high=76)
    rootless = voice_chord(chord, low=50, high=76, style="rootless")
    assert {p % 12 for p in close} == set(chord.pitch_classes)
    assert {p % 12 for p in rootless} <= set(chord.pitch_classes)
    assert chord.identity == Chord(2, "min7").identity != Chord(5, "maj6").identity
    with pytest.raises(ParameterError, match="XI:maj"):
        parse_progression("I:maj XI:maj", key=0)


def test_swing_moves_offbeats_only():
    swung = swing_beats(np.array([0.0, 0.5, 1.0, 1.25]), ratio=2 / 3, unit=0.5)
    assert np.allclose(swung, [0.0, 2 / 3, 1.0, 1 + 0.25 * 4 / 3])


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_composes_a_labelled_piece(style):
    for seed in range(3):
        piece = compose(np.random.default_rng([seed, 11]), STYLES[style], split="all", min_length=20.0)
        onsets = np.array([n.onset for n in piece.notes])
        assert len(piece.voices) <= 8
        assert all(n.offset > n.onset for n in piece.notes)
        assert 0.0 <= onsets.min() < 0.5
        assert piece.end >= 20.0
        assert all(n.chord is None or 0 <= n.chord < len(piece.chords) for n in piece.notes)
        labels = chop_points(piece.notes, chords=piece.chords, beat=piece.beat)
        assert labels[0] == pytest.approx(onsets.min())
        assert np.all(np.diff(labels) >= 0.1 - 1e-9)


def test_train_split_never_uses_held_out_styles_programs_or_kits():
    rng = np.random.default_rng(5)
    assert not {choose_style(rng, "train") for _ in range(200)} & HELD_OUT_STYLES
    assert {choose_style(rng, "valid") for _ in range(200)} & HELD_OUT_STYLES
    for seed in range(12):
        for style in sorted(set(STYLES) - HELD_OUT_STYLES):
            piece = compose(np.random.default_rng([seed, 3]), STYLES[style], split="train", min_length=5.0)
            for voice in piece.voices:
                held = HELD_OUT_KITS if voice.is_drum else HELD_OUT_PROGRAMS
                assert voice.program not in held, (style, voice)


def test_chorale_phrase_starts_after_fermatas_are_chops():
    pytest.importorskip("music21")
    from samplechop.corpus.chorales import chorale_paths, compose_chorale, load_chorale

    chorale = next(c for c in map(load_chorale, chorale_paths()[:20]) if c is not None)
    piece = compose_chorale(np.random.default_rng(0), chorale, split="all")
    labels = chop_points(piece.notes, chords=piece.chords, beat=piece.beat)
    assert piece.crop_candidates, "a chorale has fermatas"
    for start in piece.crop_candidates:
        assert np.min(np.abs(labels - start)) < 0.03
    # Chord changes between the fermatas too, but not one per note.
    assert len(piece.crop_candidates) + 1 < labels.size < len({n.onset for n in piece.notes})


# --- effects -----------------------------------------------------------------------------


def test_wow_time_map_follows_the_audio():
    sr = 8000
    y = np.zeros((1, sr * 6))
    times = np.array([1.0, 2.5, 4.2])
    y[0, (times * sr).astype(int)] = 1.0
    parameters = dict(rates=(0.5,), depths=(0.003,), phases=(0.7,))
    moved = wow(y, sr=sr, **parameters)
    found = [np.argmax(np.abs(moved[0, int((t - 0.01) * sr): int((t + 0.01) * sr)])) / sr + t - 0.01 for t in times]
    assert np.allclose(found, wow_time_map(times, **parameters), atol=1.5 / sr)


def test_record_chain_keeps_attacks_in_place():
    sr = 16000
    y = np.zeros((2, sr * 3))
    y[:, sr: sr + 400] = np.sin(np.arange(400) * 0.3) * np.exp(-np.arange(400) / 200)
    for seed in range(6):
        chain = random_chain(np.random.default_rng(seed), sr=sr)
        chain.hiss_db = chain.crackle = chain.hum = None
        out = apply_chain(y, sr=sr, chain=chain, rng=np.random.default_rng(seed))
        assert out.shape[0] in (1, 2) and out.shape[1] == y.shape[1] and out.dtype == np.float32
        assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.0
        first = np.argmax(np.abs(out).max(axis=0) > 0.05 * np.abs(out).max()) / sr
        assert abs(first - chain.map_times(np.array([1.0]))[0]) < 0.002


# --- rendering ---------------------------------------------------------------------------


def tiny_piece() -> Piece:
    """Chords, a re-attack, a change, two phrases, a stop and a stab after silence."""
    notes = (
        chord_notes(0.25, 0.7, 0, pitches=(48, 55, 64))
        + chord_notes(0.75, 1.2, 0, pitches=(48, 55, 64))  # re-attack: no chop
        + chord_notes(1.25, 1.7, 1, pitches=(52, 55, 60))  # same chord re-voiced: no chop
        + chord_notes(1.75, 3.2, 2, pitches=(53, 57, 60))  # change: chop
        + [Note(0.25, 1.7, 36, 90, "bass", "bass", 0), Note(1.75, 3.2, 41, 90, "bass", "bass", 2)]
        + [Note(t, t + 0.2, 79, 100, "lead", "melody") for t in (0.5, 0.75, 2.75, 3.0)]
        + [Note(t, t + 0.1, 42, 80, "drums", "drums") for t in np.arange(0.25, 3.2, 0.25)]
        + chord_notes(4.0, 4.4, 3, pitches=(65, 69, 72), voice="stab", role="stab")  # after silence
    )
    voices = [Voice("keys", 0), Voice("bass", 33), Voice("lead", 11), Voice("stab", 61),
              Voice("drums", 0, is_drum=True)]
    return Piece("test", 120.0, BEAT, notes=resolve_overlaps(notes), voices=voices, chords=[C, C, F, F])


@renders
@pytest.mark.parametrize("soundfont", ["TimGM6mb", "FluidR3_GM"])
def test_rendered_attacks_lie_within_20_ms_of_the_labels(tmp_path, soundfont):
    librosa = pytest.importorskip("librosa")
    from samplechop.corpus.render import render_piece

    fonts = require_soundfonts([soundfont])
    piece = tiny_piece()
    labels = chop_points(piece.notes, chords=piece.chords, beat=piece.beat)
    assert np.allclose(labels, [0.25, 0.5, 1.75, 2.75, 4.0])
    sr = 22050
    y = render_piece(piece, soundfont=fonts[soundfont], sr=sr, midi_path=tmp_path / "tiny.mid").mean(axis=0)
    assert np.abs(y[: int(0.2 * sr)]).max() < 1e-4, "no sound before the first note-on"
    onsets = librosa.onset.onset_detect(y=y, sr=sr, hop_length=64, backtrack=True, units="time")
    offsets = np.array([onsets[np.argmin(np.abs(onsets - t))] - t for t in labels])
    assert np.all(np.abs(offsets) <= 0.02), offsets


@renders
@pytest.mark.parametrize("sr", [22050, 44100])
def test_fluidsynth_output_has_no_leading_offset(sr):
    """A note-on at t sounds from t on, within 4 ms (FluidSynth's block latency is removed)."""
    from samplechop.corpus.piece import quantise
    from samplechop.corpus.render import render_piece

    fonts = require_soundfonts(["TimGM6mb"])
    for t in (quantise(0.01), quantise(0.2503), quantise(0.6123)):
        piece = Piece("test", 120.0, BEAT, notes=[Note(t, t + 0.2, 60, 110, "keys", "chord", 0)],
                      voices=[Voice("keys", 0)], chords=[C])
        y = np.abs(render_piece(piece, soundfont=fonts["TimGM6mb"], sr=sr)).max(axis=0)
        start = np.argmax(y > 1e-5) / sr
        assert 0 <= start - t <= 0.004, (t, start)


@renders
def test_render_corpus_writes_deterministic_pieces_and_skips_done_ones(tmp_path, monkeypatch):
    options = dict(count=2, seed=3, split="train", duration=3.0, sample_rate=22050, chorale_share=0.5, jobs=1,
                   progress=False)
    first = render_corpus(tmp_path / "a", **options)
    assert [p.suffix for p in first] == [".flac", ".flac"]
    for path in first:
        info = soundfile.info(str(path))
        assert info.subtype == "PCM_16" and info.samplerate == 22050 and info.channels in (1, 2)
        assert info.frames == 3 * 22050
        assert path.with_suffix(".mid").is_file()
        labels = read_labels(path.with_suffix(".txt"), duration=3.0)
        assert 0.0 <= labels[0] < 0.5 and np.all(np.diff(labels) >= 0.1 - 1e-6)
        meta = json.loads(path.with_name(path.stem + ".meta.json").read_text())
        assert meta["soundfont"] in ("FluidR3_GM", "TimGM6mb") and meta["chop_count"] == labels.size
        assert path.stem.startswith("train-3-0000")

    second = render_corpus(tmp_path / "b", **options)
    for a, b in zip(first, second):
        assert a.name == b.name
        assert a.with_suffix(".txt").read_text() == b.with_suffix(".txt").read_text()
        assert a.with_suffix(".mid").read_bytes() == b.with_suffix(".mid").read_bytes()

    def fail(*args, **kwargs):
        raise AssertionError("an existing piece was rendered again")

    stamps = [p.stat().st_mtime_ns for p in first]
    monkeypatch.setattr(corpus_module, "render_midi", fail)
    assert render_corpus(tmp_path / "a", **options) == first
    assert [p.stat().st_mtime_ns for p in first] == stamps


@renders
def test_pieces_do_not_depend_on_count_or_jobs(tmp_path):
    options = dict(seed=8, split="train", duration=2.0, sample_rate=16000, chorale_share=0.0, progress=False)
    serial = render_corpus(tmp_path / "serial", count=1, jobs=1, **options)
    parallel = render_corpus(tmp_path / "parallel", count=2, jobs=2, **options)
    assert parallel[0].name == serial[0].name
    assert parallel[0].with_suffix(".txt").read_text() == serial[0].with_suffix(".txt").read_text()
    assert parallel[1].is_file()


@renders
def test_valid_split_renders_with_the_held_out_soundfont(tmp_path):
    (path,) = render_corpus(tmp_path, count=1, seed=1, split="valid", duration=2.0, sample_rate=16000,
                            chorale_share=0.0, jobs=1, progress=False)
    meta = json.loads(path.with_name(path.stem + ".meta.json").read_text())
    assert meta["soundfont"] == "MuseScore_General_Lite"
    assert path.name.startswith("valid-1-00000-")


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(count=-1), "count"),
        (dict(count=1, seed=-2), "seed"),
        (dict(count=1, split="test"), "split"),
        (dict(count=1, duration=0.0), "duration"),
        (dict(count=1, sample_rate=200000), "sample_rate"),
        (dict(count=1, chorale_share=1.5), "chorale_share"),
        (dict(count=1, jobs=0), "jobs"),
    ],
)
def test_bad_options_are_parameter_errors(tmp_path, options, message):
    options = {"seed": 0, **options}
    with pytest.raises(ParameterError, match=message):
        render_corpus(tmp_path, progress=False, **options)


def test_missing_fluidsynth_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ParameterError, match="fluidsynth not found"):
        render_corpus(tmp_path / "out", count=1, seed=0, progress=False)


def test_missing_soundfont_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(soundfonts_module, "_SYSTEM_DIRS", (str(tmp_path),))
    monkeypatch.setenv("SAMPLECHOP_SOUNDFONT_PATH", str(tmp_path))
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/fluidsynth")
    assert available_soundfonts() == {}
    with pytest.raises(ParameterError, match="MuseScore_General_Lite.sf3 not found"):
        render_corpus(tmp_path / "out", count=1, seed=0, split="valid", progress=False)


# --- pattern families -----------------------------------------------------------------


def test_styles_name_only_known_patterns_and_keep_the_held_out_styles_own_patterns_out_of_training():
    from samplechop.corpus.drums import GROOVES
    from samplechop.corpus.parts import BASS_LINES, COMPING

    for style in STYLES.values():
        assert set(style.comping) <= set(COMPING) and set(style.bass_lines) <= set(BASS_LINES)
        assert set(style.grooves) <= set(GROOVES)
    training = [s for name, s in STYLES.items() if name not in HELD_OUT_STYLES]
    used_in_training = {p for s in training for p in s.comping + s.bass_lines + s.grooves}
    # the held-out style's own comping, bass line and grooves
    bossa = STYLES["bossa"]
    assert "bossa" in HELD_OUT_STYLES and {"bossa", "lounge"} <= set(bossa.comping + bossa.bass_lines + bossa.grooves)
    assert not {"bossa", "lounge"} & used_in_training


def test_held_out_style_pieces_compose_as_before_the_random_rhythm_families():
    # Digest of the notes of three valid-split bossa pieces, composed by the generator of
    # commit 3806762 (before the random families); they must not change.
    import hashlib

    digest = hashlib.sha256()
    for index in range(3):
        piece = compose(np.random.default_rng([2, index, 1]), STYLES["bossa"], split="valid", min_length=31.0)
        for note in piece.notes:
            digest.update(f"{note.onset:.6f} {note.offset:.6f} {note.pitch} {note.velocity} {note.voice}".encode())
    assert digest.hexdigest()[:16] == BOSSA_DIGEST


def test_random_comping_bars_lie_on_the_eighth_grid_and_vary_their_downbeat():
    from samplechop.corpus.parts import _bar_pattern

    downbeats = set()
    for seed in range(60):
        for bar in _bar_pattern(np.random.default_rng(seed), "random8", 4):
            positions = [p for p, _ in bar]
            assert 2 <= len(bar) <= 5 and positions == sorted(set(positions))
            assert all(p * 2 == int(p * 2) and 0 <= p < 4 for p in positions)
            ends = [p + hold for p, hold in bar]
            assert all(0 < hold for _, hold in bar) and all(e <= n + 1e-9 for e, n in zip(ends, positions[1:] + [4.0]))
            downbeats.add(positions[0] == 0.0)
    assert downbeats == {True, False}


@pytest.mark.parametrize("pattern", ["random8", "tresillo"])
def test_new_comping_patterns_tag_pushes_with_the_chord_they_anticipate(pattern):
    from samplechop.corpus.parts import Segment, comp

    segments = [Segment(4.0 * k, 4.0 * (k + 1), Chord(5 * k % 12, "maj"), k) for k in range(8)]
    pushes = 0
    for seed in range(20):
        notes = comp(np.random.default_rng(seed), pattern, segments, span=(0.0, 32.0), beats_per_bar=4,
                     voice="keys", low=50, high=77)
        assert notes and all(0.0 <= n.onset and n.onset + n.length <= 32.0 + 1e-9 for n in notes)
        for note in notes:
            sounding = int(note.onset // 4)
            if note.onset >= 4.0 * (sounding + 1) - 0.5 - 1e-9 and sounding + 1 < len(segments):
                assert note.chord == sounding + 1  # within half a beat of the next chord: a push
                pushes += 1
            else:
                assert note.chord == sounding
    assert pushes > 0


@pytest.mark.parametrize("kind", ["random8", "tresillo"])
@pytest.mark.parametrize("meter", [3, 4])
def test_new_bass_lines_play_chord_tones_inside_their_chords_and_start_on_the_root(kind, meter):
    from samplechop.corpus.parts import Segment, bass_line

    # chords of 2 to 6 beats, so changes fall inside bars as well as on bar lines
    bounds = np.cumsum([0.0, 4.0, 2.0, 6.0, 3.0, 5.0, 4.0])
    segments = [Segment(float(a), float(b), Chord(2 * k % 12, "min7"), k)
                for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    for seed in range(10):
        for low, high in ((28, 52), (36, 47)):
            notes = bass_line(np.random.default_rng(seed), kind, segments, span=(0.0, float(bounds[-1])),
                              beats_per_bar=meter, voice="bass", low=low, high=high, scale=frozenset(range(12)))
            assert notes and all(low <= n.pitch <= high for n in notes)
            for segment in segments:
                inside = sorted((n for n in notes if n.chord == segment.index), key=lambda n: n.onset)
                assert all(segment.start <= n.onset < segment.end for n in inside)
                assert all(n.pitch % 12 in segment.chord.pitch_classes for n in inside)
                if inside:
                    assert inside[0].pitch % 12 == segment.chord.root


def test_random_groove_has_a_kick_on_each_downbeat_and_stays_in_its_bar():
    from samplechop.corpus.drums import KICK, make_groove

    for meter in (3, 4):
        for seed in range(20):
            groove = make_groove(np.random.default_rng(seed), "random", beats_per_bar=meter)
            assert 1 <= len(groove.bars) <= 2
            for hits in groove.bars:
                assert (0.0, KICK) in {(t, key) for t, key, _ in hits}
                assert all(0 <= t < meter and 1 <= velocity <= 127 for t, _, velocity in hits)

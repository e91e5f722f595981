"""Tempo, key, pitch class and levels on generated audio with known answers."""

import numpy as np
import pytest

from conftest import chord_track, click_track
from samplechop.export.describe import (
    FLOOR_DB,
    chroma,
    describe,
    dominant_pitch_class,
    estimate_key,
    estimate_tempo,
    levels,
)
from samplechop.spectral.features import log_spectrogram

FRAME_RATE = 22050 / 512


@pytest.mark.parametrize("bpm", [72, 93, 128, 170])
def test_tempo_of_a_click_track(bpm):
    times = np.arange(0.25, 15.0, 60.0 / bpm)
    features = log_spectrogram(click_track(times, duration=15.0))
    assert estimate_tempo(features, frame_rate=FRAME_RATE) == pytest.approx(bpm, rel=0.02)


def test_no_tempo_for_short_or_flat_input():
    assert estimate_tempo(np.random.default_rng(0).random((100, 84)), frame_rate=FRAME_RATE) is None
    assert estimate_tempo(np.ones((1000, 84)), frame_rate=FRAME_RATE) is None


CADENCES = {
    "C major": [(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)],
    "A minor": [(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)],
    "Eb major": [(63, 67, 70), (68, 72, 75), (70, 74, 77), (63, 67, 70)],
    "F# minor": [(54, 57, 61), (59, 62, 66), (61, 65, 68), (54, 57, 61)],
}


@pytest.mark.parametrize("key", sorted(CADENCES))
def test_key_and_pitch_classes_of_a_cadence(key):
    y = chord_track([0, 2, 4, 6], CADENCES[key], duration=8.0)
    folded = chroma(log_spectrogram(y))  # what describe_result folds: one short FFT
    assert folded.shape[1] == 12
    found, strength = estimate_key(folded)
    assert found == key and 0 < strength <= 1
    roots = [dominant_pitch_class(folded[int(s * FRAME_RATE) + 2: int((s + 2) * FRAME_RATE)]) for s in (0, 2, 4)]
    names = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    assert roots == [names[chord[0] % 12] for chord in CADENCES[key][:3]]


def test_levels_in_dbfs():
    t = np.arange(44100) / 44100
    sine = np.sin(2 * np.pi * 441 * t)
    peak, rms = levels(np.stack([sine, 0.5 * sine], axis=1))
    assert peak == pytest.approx(0.0, abs=0.01)
    assert rms == pytest.approx(10 * np.log10((0.5 + 0.125) / 2), abs=0.01)
    assert levels(np.zeros((100, 2))) == (FLOOR_DB, FLOOR_DB)
    assert levels(np.zeros((0, 2))) == (FLOOR_DB, FLOOR_DB)


def test_describe_without_pitch_features():
    description = describe(np.random.default_rng(0).random((500, 1)), {"kind": "cqt_sum"},
                           frame_rate=FRAME_RATE, starts=[0.0, 1.0], ends=[1.0, 2.5],
                           chop_levels=[(-1.0, -10.0), (-2.0, -12.0)])
    assert description.key is None and [c.pitch_class for c in description.chops] == [None, None]
    assert [c.duration for c in description.chops] == [1.0, 1.5]
    assert describe(None, {}, frame_rate=1.0, starts=[], ends=[], chop_levels=[]).tempo is None

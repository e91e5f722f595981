"""Onsets in the spectrogram, the opens-inside-a-sound test, and the file's first attack kept as a chop."""

import numpy as np
import pytest

from conftest import analysis_scoring
from samplechop.chop import Candidates, ChopSettings, analyse, select_chops
from samplechop.chop.file_start import with_first_attack
from samplechop.chop.selection import maximal_average_diversification
from samplechop.exceptions import ParameterError
from samplechop.spectral.features import log_spectrogram
from samplechop.spectral.levels import opens_inside_sound
from samplechop.spectral.onsets import first_attack, pick_onsets, spectral_flux

SR, HOP, N_FFT = 22050, 512, 2048
RATE = SR / HOP
GRID = 2 / RATE  # a frame's 93 ms window sees an attack up to two hops before it


def notes(events, duration):
    """A sum of decaying harmonic notes: ``events`` are (start s, Hz, amplitude)."""
    t = np.arange(int(duration * SR)) / SR
    y = np.zeros(t.size)
    for start, hz, amplitude in events:
        inside = t >= start
        u = t[inside] - start
        y[inside] += amplitude * np.exp(-u / 1.5) * sum(np.sin(2 * np.pi * k * hz * u) / k for k in (1, 2, 3))
    return y / np.abs(y).max()


def struck(y, at=0.0):
    """``y`` with the click of a strike at ``at`` seconds: noise dying away in about 5 ms."""
    u = np.arange(int(0.05 * SR)) / SR
    start = int(at * SR)
    y = y.copy()
    y[start : start + u.size] += 0.5 * np.random.default_rng(0).standard_normal(u.size) * np.exp(-u / 0.005)
    return y / np.abs(y).max()


def spectrogram(y):
    return log_spectrogram(y.astype(np.float32), sr=SR, hop_length=HOP)


def test_onsets_are_found_at_the_attacks():
    y = notes([(0.5, 220.0, 1.0), (1.3, 330.0, 0.6), (2.1, 262.0, 0.8)], duration=3.0)
    found = pick_onsets(spectral_flux(spectrogram(y)), frame_rate=RATE) / RATE
    assert found.size == 3
    assert np.all(np.abs(found - [0.5, 1.3, 2.1]) <= GRID)


def test_the_first_attack_after_silence():
    y = notes([(0.7, 196.0, 1.0), (1.5, 294.0, 1.0)], duration=2.5)
    assert abs(first_attack(spectrogram(y), frame_rate=RATE, n_fft=N_FFT, hop_length=HOP) - 0.7) <= GRID


def test_a_file_that_starts_mid_sound_has_its_first_attack_at_the_next_note():
    t = np.arange(int(2.5 * SR)) / SR
    drone = 0.5 * np.sin(2 * np.pi * 110 * t)  # sounding before the file starts
    y = drone + notes([(0.6, 440.0, 1.0)], duration=2.5)
    assert abs(first_attack(spectrogram(y), frame_rate=RATE, n_fft=N_FFT, hop_length=HOP) - 0.6) <= GRID
    # a sound that only goes on has no attack at all: the cut at the start is none
    assert first_attack(spectrogram(drone), frame_rate=RATE, n_fft=N_FFT, hop_length=HOP) is None


def test_diversification_can_be_told_its_first_choice():
    scores = np.array([0.9, 0.2, 0.8])
    distances = np.ones((3, 3)) - np.eye(3)
    assert maximal_average_diversification(scores, distances, n=2, lam=0.3).tolist() == [0, 2]
    assert maximal_average_diversification(scores, distances, n=2, lam=0.3, first=1).tolist() == [1, 0]
    with pytest.raises(ParameterError):
        maximal_average_diversification(scores, distances, n=2, lam=0.3, first=3)


def pickup_scored_by_its_chords(folder):
    """A quiet pickup note at 0.4 s, then loud chords at 1.0, 2.5 and 4.0 s, analysed
    with chosen scores: the network scores the chords (0.9, 0.8, 0.7) and not the pickup,
    which is the first attack."""
    y = notes([(0.4, 392.0, 0.15), (1.0, 131.0, 1.0), (2.5, 175.0, 1.0), (4.0, 147.0, 1.0)], duration=5.5)
    activations = np.zeros(1 + y.size // HOP)
    activations[np.round(np.array([1.0, 2.5, 4.0]) * RATE).astype(int)] = [0.9, 0.8, 0.7]
    return analysis_scoring(y, activations, folder)


def test_the_first_attack_is_a_chop_whatever_the_model_scores(tmp_path):
    analysis = pickup_scored_by_its_chords(tmp_path)
    kept = select_chops(analysis, ChopSettings(n=2, threshold=0.5))
    assert abs(kept.chops[0].start - 0.4) <= 0.03 and kept.chops[0].rank == 1
    assert len(kept.chops) == 2 and abs(kept.chops[1].start - 1.0) <= 0.03  # and the best-scored chord
    # the first attack is kept even above every threshold, and only by the rule
    strict = select_chops(analysis, ChopSettings(n=2, threshold=1.0))
    assert [round(chop.start, 1) for chop in strict.chops] == [0.4]
    without = select_chops(analysis, ChopSettings(n=2, threshold=0.5, first_attack=False))
    assert [round(chop.start, 1) for chop in without.chops] == [1.0, 2.5]


def pinned_time(candidates: Candidates) -> float:
    """The time of the one pinned candidate."""
    assert candidates.pinned.sum() == 1
    return float(candidates.times[candidates.pinned][0])


def scores_by_time(candidates: Candidates) -> dict[float, float]:
    return dict(zip(candidates.times.tolist(), candidates.scores.tolist()))


def test_a_click_before_the_music_is_no_first_attack():
    y = notes([(1.0, 220.0, 1.0), (1.8, 330.0, 1.0)], duration=2.5)
    y[int(0.3 * SR)] = 0.05  # a crackle at 0.3 s, -26 dBFS
    assert abs(first_attack(spectrogram(y), frame_rate=RATE, n_fft=N_FFT, hop_length=HOP) - 1.0) <= GRID


def test_an_earlier_candidate_of_the_network_is_the_first_attack(tmp_path):
    import soundfile as sf

    # a struck note right at the start, where the detector is blind, then three more
    y = struck(notes([(0.0, 220.0, 1.0), (0.6, 330.0, 1.0), (1.2, 262.0, 1.0), (2.0, 196.0, 1.0)], duration=3.0))
    path = tmp_path / "on_the_hit.wav"
    sf.write(path, y, SR)
    analysis = analyse(path)
    assert abs(analysis.first_attack - 0.6) <= GRID  # blind to the note at 0
    scores = np.array([0.9, 0.8, 0.7])
    result = with_first_attack(analysis, Candidates.unpinned([1.2, 0.02, 2.0], scores), min_gap=0.1)
    assert pinned_time(result) == 0.02 and scores_by_time(result) == {1.2: 0.9, 0.02: 0.8, 2.0: 0.7}
    # without an earlier candidate the detected attack joins the candidates, pinned
    result = with_first_attack(analysis, Candidates.unpinned([1.2, 2.0], scores[:2]), min_gap=0.1)
    assert abs(pinned_time(result) - 0.6) <= GRID and sorted(result.times[~result.pinned]) == [1.2, 2.0]


def test_the_first_attack_leads_without_diversification_and_in_contiguous_mode(tmp_path):
    from samplechop.cli import build_parser
    from samplechop.commands.chop import settings_from_args

    analysis = pickup_scored_by_its_chords(tmp_path)  # the pickup scores 0, below every chord
    plain = select_chops(analysis, ChopSettings(n=2, lam=0.0, threshold=0.5))
    assert abs(plain.chops[0].start - 0.4) <= 0.03 and plain.chops[0].rank == 1
    contiguous = select_chops(analysis, ChopSettings(n=2, mode="contiguous", threshold=0.5))
    assert contiguous.chops[0].rank is None and abs(contiguous.chops[1].start - 0.4) <= 0.03
    path = analysis.info.path
    assert settings_from_args(build_parser().parse_args(["chop", str(path)])).first_attack
    assert not settings_from_args(build_parser().parse_args(["chop", str(path), "--no-first-attack"])).first_attack


def test_a_file_that_opens_inside_a_sound_is_told_from_one_that_opens_on_an_attack():
    t = np.arange(int(1.0 * SR)) / SR
    for phase in np.linspace(0.0, 2 * np.pi, 9)[:-1]:  # cut at any point of the waveform
        drone = 0.5 * np.sin(2 * np.pi * 110 * t + phase) + 0.2 * np.sin(2 * np.pi * 330 * t + 2 * phase)
        assert opens_inside_sound(drone, sr=SR), phase  # a sound already playing: steady from the first sample
    assert not opens_inside_sound(notes([(0.03, 220.0, 1.0)], duration=1.0), sr=SR)  # rises in the first 60 ms
    assert not opens_inside_sound(struck(notes([(0.0, 220.0, 1.0)], duration=1.0)), sr=SR)  # a strike dies away
    hiss = 0.05 * np.random.default_rng(1).standard_normal(t.size)  # steady transients throughout
    swell = drone * np.minimum(t / 0.06, 1.0) + hiss  # a fade-in: the level rises, the hiss does not
    assert opens_inside_sound(drone + hiss, sr=SR) and not opens_inside_sound(swell, sr=SR)
    silence_then_drone = np.where(t < 0.5, 0.0, drone)
    assert not opens_inside_sound(silence_then_drone, sr=SR)  # silence is no sound
    assert not opens_inside_sound(drone[: int(0.05 * SR)], sr=SR)  # too short to tell
    with pytest.raises(ParameterError, match="mono"):
        opens_inside_sound(np.stack([drone, drone]), sr=SR)


def test_a_network_candidate_at_the_start_of_a_sound_already_playing_is_no_first_attack(tmp_path):
    import soundfile as sf

    # an excerpt cut inside a held chord, then notes: the network sees silence before
    # the file and may score its first frame as an attack, but no note starts there
    t = np.arange(int(3.0 * SR)) / SR
    held = 0.4 * (np.sin(2 * np.pi * 110 * t + 1.0) + np.sin(2 * np.pi * 165 * t + 2.0)) * np.exp(-t / 4.0)
    y = held + notes([(0.6, 330.0, 1.0), (1.2, 262.0, 1.0), (2.0, 196.0, 1.0)], duration=3.0)
    path = tmp_path / "inside.wav"
    sf.write(path, y / np.abs(y).max(), SR)
    analysis = analyse(path)
    assert analysis.opens_inside_sound and abs(analysis.first_attack - 0.6) <= GRID
    scores = np.array([0.9, 0.8, 0.7])
    result = with_first_attack(analysis, Candidates.unpinned([1.2, 0.02, 2.0], scores), min_gap=0.1)
    # the detected attack is pinned; the candidate at the start stays, as an ordinary one
    assert abs(pinned_time(result) - 0.6) <= GRID
    assert {t: s for t, s, p in zip(result.times, result.scores, result.pinned) if not p} == {1.2: 0.9, 0.02: 0.8,
                                                                                               2.0: 0.7}
    # a candidate after the blind start is still taken as the first attack, with one
    # at the start of the sound before it or not
    for times in ([1.2, 0.3, 2.0], [1.2, 0.02, 0.3]):
        result = with_first_attack(analysis, Candidates.unpinned(times, scores), min_gap=0.1)
        assert pinned_time(result) == 0.3 and sorted(result.times) == sorted(times)

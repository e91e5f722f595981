"""Attacks detected near candidate chops, and the chopper's preference for them."""

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from samplechop.chopper import ATTACK_ABUNDANCE, ChopSettings, analyse, select_chops
from samplechop.exceptions import ParameterError
from samplechop.features import hz_to_mel, mel_filterbank, mel_to_hz
from samplechop.onsets import _backtrack, attacks_near, on_attack, onset_strength

BEFORE, AFTER = 0.046, 0.023  # on_attack's defaults: two and one of the shipped model's hops

ATTACKS = [0.5, 1.5, 2.5, 3.5]
SUSTAIN = [1.0, 2.0, 3.0]  # half-way through each note: sounding, nothing starts


def notes(starts, *, sr, duration=4.5, decay=1.5):
    """Harmonic notes starting at ``starts`` (s), each ringing on, normalised."""
    t = np.arange(int(duration * sr)) / sr
    y = np.zeros(t.size)
    for index, start in enumerate(starts):
        u = t[t >= start] - start
        hz = 196.0 * 2 ** (index * 3 / 12)
        y[t >= start] += np.exp(-u / decay) * sum(np.sin(2 * np.pi * k * hz * u) / k for k in (1, 2, 3, 4))
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def test_mel_scale_round_trip_and_breakpoint():
    hz = np.array([0.0, 200.0, 999.0, 1000.0, 4000.0, 11025.0])
    assert np.allclose(mel_to_hz(hz_to_mel(hz)), hz)
    assert hz_to_mel(1000.0) == pytest.approx(15.0) and hz_to_mel(200.0) == pytest.approx(3.0)


def test_mel_filterbank_has_unit_area_triangles():
    weights = mel_filterbank(sr=22050, n_fft=1024)
    assert weights.shape == (513, 128) and weights.dtype == np.float32 and (weights >= 0).all()
    spacing = 22050 / 1024
    # each filter integrates to 1 over frequency: the wide high ones to within 1% on
    # the FFT's grid, the narrow low ones on average
    area = weights.sum(axis=0) * spacing
    assert np.allclose(area[80:], 1.0, atol=0.01) and area.mean() == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ParameterError):
        mel_filterbank(sr=22050, n_fft=1024, fmin=20000.0)


def test_mel_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    for sr, n_fft in ((22050, 1024), (44100, 2048)):
        expected = librosa.filters.mel(sr=sr, n_fft=n_fft).T
        assert np.allclose(mel_filterbank(sr=sr, n_fft=n_fft), expected, atol=1e-7)


def test_backtrack_moves_onsets_to_the_minimum_before_them():
    strength = np.array([0.0, 0.2, 0.1, 0.05, 0.4, 0.9, 0.3, 0.2, 0.25, 0.8])
    assert _backtrack(np.array([5, 9]), strength).tolist() == [3, 7]
    assert _backtrack(np.array([1]), np.array([0.0, 1.0, 2.0])).tolist() == [1]  # no minimum: unchanged


def test_onset_strength_matches_librosa():
    librosa = pytest.importorskip("librosa")
    rng = np.random.default_rng(3)
    for sr, n_fft in ((22050, 1024), (44100, 2048)):
        # notes over quiet noise, where the 80 dB floor below the loudest matters
        y = notes(ATTACKS, sr=sr) + 1e-5 * rng.standard_normal(int(4.5 * sr)).astype(np.float32)
        ours = onset_strength(y, sr=sr, n_fft=n_fft, hop_length=n_fft // 8)
        theirs = librosa.onset.onset_strength(y=y, sr=sr, n_fft=n_fft, hop_length=n_fft // 8)
        assert ours.shape == theirs.shape
        assert np.allclose(ours, theirs, atol=1e-3 * theirs.max())


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 192000])
def test_attacks_are_found_and_sustain_is_not(sr):
    y = notes(ATTACKS, sr=sr)
    near = on_attack(y, np.array(ATTACKS + SUSTAIN), sr=sr)
    assert near.tolist() == [True] * len(ATTACKS) + [False] * len(SUSTAIN)
    # a candidate up to two of the network's hops after the attack or one before it still
    # counts (less the detector's 6 ms grid); further off does not
    assert on_attack(y, np.array([1.5 + BEFORE - 0.015, 1.5 - AFTER + 0.015]), sr=sr).all()
    assert not on_attack(y, np.array([1.5 - 0.12, 1.5 + 0.12]), sr=sr).any()


def test_only_windows_around_the_times_are_read():
    sr = 22050
    y = notes(ATTACKS, sr=sr)
    spans = []

    def read(start, stop):
        spans.append((start, stop))
        return y[start:stop]

    near = attacks_near(read, np.array([0.02, 2.5, 4.49]), sr=sr, n_samples=y.size)
    assert near.tolist() == [False, True, False]
    assert all(0 <= start < stop <= y.size and stop - start <= int(0.6 * sr) + 1 for start, stop in spans)


def test_silence_and_no_times():
    assert on_attack(np.zeros(22050, dtype=np.float32), np.array([0.3, 0.5]), sr=22050).tolist() == [False, False]
    assert on_attack(notes(ATTACKS, sr=22050), np.array([]), sr=22050).size == 0


def _scored(tmp_path, sr=44100, channels=1):
    """An analysis of ATTACKS whose activations score the sustained middles above the attacks."""
    path = tmp_path / "notes.wav"
    sf.write(path, np.repeat(notes(ATTACKS, sr=sr)[:, None], channels, axis=1), sr, subtype="PCM_16")
    analysis = analyse(path)
    activations = np.zeros_like(analysis.activations)
    for time, score in [(t, 0.8) for t in ATTACKS] + [(t, 0.9) for t in SUSTAIN]:
        activations[int(round(time * analysis.frame_rate))] = score
    return dataclasses.replace(analysis, activations=activations)


def _starts(result):
    return sorted(round(chop.start, 1) for chop in result.chops)


@pytest.mark.parametrize("sr, channels", [(44100, 1), (48000, 2), (16000, 3)])
def test_candidates_on_an_attack_are_preferred_when_they_abound(tmp_path, sr, channels):
    analysis = _scored(tmp_path, sr=sr, channels=channels)
    plain = dict(lam=0.0, first_attack=False, refine=False)
    assert len(ATTACKS + SUSTAIN) >= ATTACK_ABUNDANCE * 2
    assert _starts(select_chops(analysis, ChopSettings(n=2, **plain))) == [1.0, 2.0]
    preferred = select_chops(analysis, ChopSettings(n=2, attack_weight=0.8, **plain))
    assert _starts(preferred) == [0.5, 1.5]
    assert [chop.score for chop in preferred.chops] == pytest.approx([0.8, 0.8])  # the model's scores
    # a weight that leaves the sustained middles ahead changes nothing
    assert _starts(select_chops(analysis, ChopSettings(n=2, attack_weight=0.95, **plain))) == [1.0, 2.0]
    # with diversification the preferred chops still come from the attacks
    assert set(_starts(select_chops(analysis, ChopSettings(n=2, attack_weight=0.8, lam=0.3, first_attack=False,
                                                           refine=False)))) <= set(ATTACKS)


def test_no_preference_when_every_candidate_is_needed(tmp_path):
    analysis = _scored(tmp_path)
    plain = dict(lam=0.0, first_attack=False, refine=False)
    # 7 candidates for 3 chops: fewer than ATTACK_ABUNDANCE per chop, the model's order stands
    assert len(ATTACKS + SUSTAIN) < ATTACK_ABUNDANCE * 3
    assert _starts(select_chops(analysis, ChopSettings(n=3, attack_weight=0.5, **plain))) == [1.0, 2.0, 3.0]


def test_the_first_attack_stays_first_with_the_preference(tmp_path):
    analysis = _scored(tmp_path)
    result = select_chops(analysis, ChopSettings(n=2, attack_weight=0.5, lam=0.0, refine=False))
    first = min(result.chops, key=lambda chop: chop.rank)
    assert abs(first.start - 0.5) <= 2 / analysis.frame_rate  # the detector's frame grid
    assert _starts(result) == [0.5, 1.5]


@pytest.mark.parametrize("weight", [0.0, -0.5, 1.5, float("nan")])
def test_bad_attack_weight(weight):
    with pytest.raises(ParameterError, match="--attack-weight"):
        ChopSettings(attack_weight=weight).validate()


@pytest.mark.parametrize("command", ["chop", "evaluate"])
def test_bad_attack_weight_on_the_command_line(tmp_path, capsys, command):
    from samplechop.cli import main

    path = tmp_path / "notes.wav"
    sf.write(path, notes(ATTACKS, sr=22050), 22050)
    output = ["-o", str(tmp_path / "out")] if command == "chop" else []
    code = main([command, str(path), "--attack-weight", "1.5", *output])
    stderr = capsys.readouterr().err
    assert code == 2 and "--attack-weight must be in (0, 1], got 1.5" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()

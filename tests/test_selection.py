import numpy as np
import pytest

from conftest import analysis_scoring
from samplechop.chop import ChopSettings, find_candidates
from samplechop.chop.candidates import merge_candidates, pick_peaks
from samplechop.chop.placement import attack_start, refine_start, zero_crossing_before
from samplechop.chop.selection import maximal_average_diversification, pairwise_distances
from samplechop.exceptions import ParameterError


def test_pick_peaks():
    a = np.array([0.0, 0.9, 0.2, 0.3, 0.3, 0.1, 0.05, 0.6])
    np.testing.assert_array_equal(pick_peaks(a, threshold=0.25), [1, 3, 7])
    np.testing.assert_array_equal(pick_peaks(a, threshold=0.7), [1])


def test_merge_keeps_best_of_close_candidates():
    times = np.array([1.0, 1.05, 2.0, 2.08, 3.0])
    scores = np.array([0.5, 0.9, 0.7, 0.7, 0.2])
    keep = merge_candidates(times, scores, min_gap=0.1)
    np.testing.assert_allclose(times[keep], [1.05, 2.0, 3.0])  # ties go to the earlier time


def test_candidates_respect_gap_end_and_limit(tmp_path):
    y = 0.3 * np.sin(2 * np.pi * 220 * np.arange(5 * 22050) / 22050)  # 5 s, 216 frames of 23 ms
    a = np.zeros(216)
    a[[10, 12, 43, 86, 129, 214]] = [0.5, 0.9, 0.8, 0.7, 0.6, 0.99]  # 10 and 12: 46 ms apart; 214: at the end
    analysis = analysis_scoring(y, a, tmp_path)
    settings = ChopSettings(threshold=0.1, min_length=0.1, max_candidates=3, release_db=0, first_attack=False)
    candidates = find_candidates(analysis, settings)
    np.testing.assert_array_equal(np.round(candidates.times * analysis.frame_rate), [12, 43, 86])
    np.testing.assert_allclose(candidates.scores, [0.9, 0.8, 0.7], atol=1e-6)
    assert not candidates.pinned.any()


def test_mad_lambda_zero_is_top_scores_and_one_is_diversity():
    scores = np.array([0.9, 0.85, 0.8, 0.3])
    spectra = np.array([[1.0, 0, 0], [1.0, 0.05, 0], [0.99, 0.1, 0], [0, 0, 1.0]])
    spectra /= np.linalg.norm(spectra, axis=1, keepdims=True)
    distances = pairwise_distances(spectra)
    assert distances.max() <= 1.0 + 1e-9 and np.allclose(np.diag(distances), 0, atol=1e-6)
    np.testing.assert_array_equal(maximal_average_diversification(scores, distances, n=2, lam=0.0), [0, 1])
    np.testing.assert_array_equal(maximal_average_diversification(scores, distances, n=2, lam=0.8), [0, 3])
    assert maximal_average_diversification(scores, distances, n=10, lam=0.5).size == 4
    with pytest.raises(ParameterError):
        maximal_average_diversification(scores, distances, n=2, lam=1.5)


def test_refine_moves_to_attack_and_zero_crossing():
    sr = 44100
    rng = np.random.default_rng(0)
    x = 0.001 * rng.standard_normal(sr)
    onset = 22050
    t = np.arange(4000) / sr
    x[onset : onset + 4000] += 0.8 * np.sin(2 * np.pi * 200 * t + 0.3) * np.exp(-t / 0.05)
    for offset in (-500, 0, 500):  # the frame grid is 11.6 ms either side of an attack
        start = refine_start(x, sr=sr, centre=onset + offset)
        assert onset - int(0.006 * sr) <= start <= onset + 2
        assert np.signbit(x[start]) != np.signbit(x[start - 1]) or x[start] == 0
    assert attack_start(x[onset - 1000 : onset + 1000], sr=sr) in range(1000 - 44, 1000 + 45)
    assert zero_crossing_before(np.ones(100), 50, limit=10) == 50


def test_refine_finds_a_soft_high_note_over_a_loud_low_rumble():
    sr = 44100
    t = np.arange(sr) / sr
    rumble = np.cumsum(np.random.default_rng(1).standard_normal(sr))  # low, loud and never stopping
    rumble -= np.convolve(rumble, np.ones(441) / 441, mode="same")  # (brown noise above 100 Hz)
    bass = 0.5 * rumble / np.abs(rumble).max() * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
    onset = 22050
    tail = t[: sr - onset]
    note = np.zeros(sr)
    note[onset:] = 0.05 * np.sin(2 * np.pi * 1760 * tail) * np.exp(-tail / 0.3)
    x = bass + note
    for offset in (-500, 0, 500):  # the frame grid is 11.6 ms either side of an attack
        start = refine_start(x, sr=sr, centre=onset + offset)
        assert onset - int(0.006 * sr) <= start <= onset + 2, (offset, start - onset)


def test_refine_looks_for_the_attack_in_the_pre_emphasised_signal():
    # A high note entering over a loud, low sine: in the plain signal the bass's own
    # waveform (an 18 ms period, longer than the 5 ms energy windows) makes bigger
    # "rises" than the note; after pre-emphasis the note's attack stands out.
    sr = 44100
    t = np.arange(sr) / sr
    onset = 22050
    tail = t[: sr - onset]
    note = np.zeros(sr)
    note[onset:] = 0.25 * np.sin(2 * np.pi * 1760 * tail) * np.exp(-tail / 0.3)
    misses = {0.97: 0, 0.0: 0}
    for phase in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        x = 0.5 * np.sin(2 * np.pi * 55.0 * t + phase) + note
        for offset in (-500, -250, 0, 250, 500):  # the frame grid is 11.6 ms either side
            for emphasis in misses:
                start = refine_start(x, sr=sr, centre=onset + offset, emphasis=emphasis)
                # at most 8 ms of the bass before the attack, and at most one 1 ms
                # search block of the attack lost
                misses[emphasis] += not (onset - int(0.008 * sr) <= start <= onset + int(0.001 * sr))
    assert misses[0.97] == 0
    assert misses[0.0] >= 20, misses  # the search in the plain signal loses most of them


def test_every_public_name_of_the_chop_package_resolves():
    import importlib

    import samplechop.chop as chop

    assert sorted(chop.__all__) == sorted(chop._WHERE)
    for name in chop.__all__:
        value = getattr(chop, name)
        home = importlib.import_module(value.__module__) if hasattr(value, "__module__") else None
        assert home is None or home.__name__.startswith("samplechop.chop") or name == "Stage", name
    with pytest.raises(AttributeError):
        chop.no_such_name  # noqa: B018

"""Releases and decays are found by the fall of the level, and never become candidates."""

import numpy as np
import pytest

from conftest import analysis_scoring
from samplechop.chop import ChopSettings, find_candidates
from samplechop.spectral.levels import RELEASE_DROP_DB, level_change_db, release_mask

SR, HOP = 22050, 512


def stab(duration=4.0, start=1.0, length=0.8):
    t = np.arange(int(duration * SR)) / SR
    y = np.zeros(t.size)  # digital silence around the stab
    inside = (t >= start) & (t < start + length)
    y[inside] = 0.5 * np.sin(2 * np.pi * 220 * t[inside])
    return y


def test_the_end_of_a_stab_is_a_release_and_its_start_is_not():
    y = stab()
    frames = int(np.ceil(y.size / HOP))
    change = level_change_db(y, sr=SR, hop_length=HOP, n_frames=frames)
    mask = release_mask(y, sr=SR, hop_length=HOP, n_frames=frames)
    start, end = round(1.0 * SR / HOP), round(1.8 * SR / HOP)
    assert change[start] > 20 and not mask[start - 2 : start + 3].any()
    assert change[end] < -20 and mask[end]
    assert not mask[start + 5 : end - 5].any()  # a steady note is no release
    assert not mask[: start - 5].any() and not mask[end + 5 :].any()  # nor is silence


def test_a_louder_note_over_a_sustained_one_is_no_release():
    t = np.arange(3 * SR) / SR
    y = 0.3 * np.sin(2 * np.pi * 110 * t)
    y[SR:] += 0.3 * np.sin(2 * np.pi * 330 * t[SR:])
    frames = int(np.ceil(y.size / HOP))
    assert not release_mask(y, sr=SR, hop_length=HOP, n_frames=frames).any()


def test_a_fall_just_under_the_limit_is_kept():
    t = np.arange(3 * SR) / SR
    gain = np.where(t < 1.5, 1.0, 10 ** (-(RELEASE_DROP_DB - 1) / 20))
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * gain
    frames = 1 + y.size // HOP  # as the analysis counts them
    assert not release_mask(y, sr=SR, hop_length=HOP, n_frames=frames).any()
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * np.where(t < 1.5, 1.0, 10 ** (-(RELEASE_DROP_DB + 1) / 20))
    mask = release_mask(y, sr=SR, hop_length=HOP, n_frames=frames)
    step = int(np.ceil(1.5 * SR / HOP))  # the first frame at or after the step
    assert mask[step - 1 : step + 1].any() and not mask[: step - 2].any() and not mask[step + 2 :].any()


@pytest.mark.parametrize("seconds", [3.0, 3 * HOP * 40 / SR])  # any length, and an exact number of hops
def test_a_steady_sound_is_level_to_the_last_frame(seconds):
    t = np.arange(int(round(seconds * SR))) / SR
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    change = level_change_db(y, sr=SR, hop_length=HOP, n_frames=1 + y.size // HOP)
    assert np.abs(change).max() < 0.5


def test_a_release_peak_leaves_no_candidate_on_its_flank(tmp_path):
    y = stab()  # a stab from 1.0 to 1.8 s, silence around it
    frames = 1 + y.size // HOP
    release = int(round(1.8 * SR / HOP))
    activations = np.zeros(frames)
    activations[release - 2 : release + 3] = [0.3, 0.6, 0.9, 0.6, 0.3]  # a peak at the release, a high flank
    activations[int(round(1.0 * SR / HOP))] = 0.7  # and one at the attack
    analysis = analysis_scoring(y, activations, tmp_path)
    settings = ChopSettings(threshold=0.2, first_attack=False)

    def frames_of(candidates):
        return sorted(np.round(candidates.times * analysis.frame_rate).astype(int).tolist())

    assert frames_of(find_candidates(analysis, settings)) == [43]
    assert frames_of(find_candidates(analysis, ChopSettings(threshold=0.2, first_attack=False, release_db=0))) == [
        43, release]

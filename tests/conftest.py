"""Shared fixtures: small generated audio with known chop times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from samplechop.io.annotations import write_labels
from samplechop.model import DEFAULT_MODEL_PATH

#: Stab times (s) and their chords (MIDI notes) of the test tracks made by :func:`stab_track`.
STABS = [0.5, 1.7, 2.9, 4.1, 5.3, 6.5]
CHORDS = [(60, 64, 67), (65, 69, 72), (62, 65, 69), (67, 71, 74), (57, 60, 64), (64, 68, 71)]


def analysis_scoring(y: np.ndarray, activations: np.ndarray, folder: Path, *, sr: int = 22050):
    """The real analysis of ``y`` (written to ``folder``), with the model's scores
    replaced by ``activations`` (as many frames as the analysis has), so that a
    test chooses what the later stages see."""
    from dataclasses import replace

    from samplechop.chop import analyse

    path = folder / "scored.wav"
    sf.write(path, y, sr)
    analysis = analyse(path)
    assert activations.size == analysis.activations.size
    return replace(analysis, activations=np.asarray(activations, dtype=np.float32))


def click_track(times, *, sr: int = 22050, duration: float = 6.0, seed: int = 0,
                noise: float = 0.002) -> np.ndarray:
    """Decaying noise bursts (30 ms) at ``times`` over faint noise; mono float32."""
    rng = np.random.default_rng(seed)
    y = noise * rng.standard_normal(int(duration * sr))
    burst = int(0.03 * sr)
    envelope = np.exp(-np.arange(burst) / (0.006 * sr))
    for time in times:
        start = int(round(time * sr))
        stop = min(start + burst, y.size)
        y[start:stop] += 0.8 * envelope[: stop - start] * rng.standard_normal(stop - start)
    return y.astype(np.float32)


def stab_track(times, chords, *, sr: int = 44100, duration: float = 8.0, decay: float = 0.25,
               seed: int = 0) -> np.ndarray:
    """Short decaying chords (stabs) at ``times``, silence between; mono float32.

    Sound after silence and a new harmony: chop points by the label convention.
    """
    rng = np.random.default_rng(seed)
    y = 0.001 * rng.standard_normal(int(duration * sr))
    n = int(0.8 * sr)
    t = np.arange(n) / sr
    envelope = np.minimum(t / 0.002, 1.0) * np.exp(-t / decay)
    for time, notes in zip(times, chords):
        start = int(round(time * sr))
        stop = min(start + n, y.size)
        tone = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t)
                   + 0.3 * np.sin(4 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in notes)
        y[start:stop] += 0.15 * envelope[: stop - start] * tone[: stop - start]
    return y.astype(np.float32)


def chord_track(changes, chords, *, sr: int = 22050, duration: float = 8.0) -> np.ndarray:
    """Sustained sine chords: ``chords[i]`` (MIDI notes) from ``changes[i]`` on."""
    t = np.arange(int(duration * sr)) / sr
    y = np.zeros_like(t)
    bounds = list(changes) + [duration]
    for (start, stop), notes in zip(zip(bounds[:-1], bounds[1:]), chords):
        region = (t >= start) & (t < stop)
        local = t[region] - start
        envelope = np.minimum(local / 0.005, 1.0) * np.exp(-local / 2.0)
        for note in notes:
            frequency = 440.0 * 2 ** ((note - 69) / 12)
            y[region] += 0.15 * envelope * np.sin(2 * np.pi * frequency * local)
    return y.astype(np.float32)


def write_labelled(folder: Path, name: str, y: np.ndarray, times, *, sr: int = 22050,
                   subtype: str = "PCM_16") -> Path:
    """Write ``y`` as ``<name>.wav`` and ``times`` as ``<name>.txt``; returns the audio path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.wav"
    sf.write(path, y, sr, subtype=subtype)
    write_labels(folder / f"{name}.txt", times)
    return path


def random_click_times(rng: np.random.Generator, duration: float, count: int) -> np.ndarray:
    """``count`` sorted times at least 0.3 s apart within (0.2, duration - 0.3)."""
    while True:
        times = np.sort(rng.uniform(0.2, duration - 0.3, size=count))
        if np.all(np.diff(times) > 0.3):
            return times


def write_click_files(folder: Path, *, count: int, rng_seed: int, name: str = "clicks{:02d}",
                      seed_offset: int = 0) -> Path:
    """``count`` labelled click files of 6 s at 22.05 kHz, 6 clicks each, named by
    ``name.format(index)``; the click times drawn from ``rng_seed``, file ``index``'s
    noise from ``seed_offset + index``. Returns ``folder``."""
    rng = np.random.default_rng(rng_seed)
    for index in range(count):
        times = random_click_times(rng, 6.0, 6)
        write_labelled(folder, name.format(index), click_track(times, seed=seed_offset + index), times)
    return folder


@pytest.fixture
def click_corpus(tmp_path: Path) -> Path:
    """Twelve labelled click files (6 s each, 22.05 kHz)."""
    return write_click_files(tmp_path / "clicks", count=12, rng_seed=7)


@pytest.fixture(scope="session")
def web_model_path(tmp_path_factory) -> Path:
    """Path of the web tests' model file (see ``web_support.model_file``)."""
    from web_support import model_file

    return model_file(tmp_path_factory.mktemp("web-model"))


@pytest.fixture(scope="session")
def web_model(web_model_path):
    """The web tests' model, loaded."""
    from samplechop.model import load_model

    return load_model(web_model_path)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """The shipped model (the export tests chop with it)."""
    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip("the shipped model is missing from this checkout")
    return DEFAULT_MODEL_PATH

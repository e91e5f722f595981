"""A seeded fuzz test: malformed headers and broken streams, chopped or refused cleanly.

Each case is a sound file (WAV 16-bit, 24-bit or float, AIFF, FLAC, Ogg Vorbis or MP3)
damaged one way: random bytes over its header, a size or count field set to an extreme,
bytes cut out, inserted or the stream cut off. ``chop`` must then write a kit (perhaps
with one warning line) or refuse the file in one line with exit code 3: never a
traceback, an "unexpected error", a Python warning or a hang.
"""

import signal
import struct
import warnings

import numpy as np
import pytest
import soundfile as sf

from samplechop.cli import main

pytestmark = pytest.mark.slow

CASES = 240
SEED = 20261205

#: Sound files the damage starts from: (suffix, soundfile format, subtype).
SOURCES = [
    (".wav", "WAV", "PCM_16"), (".wav", "WAV", "PCM_24"), (".wav", "WAV", "FLOAT"),
    (".aiff", "AIFF", "PCM_16"), (".flac", "FLAC", "PCM_16"), (".ogg", "OGG", "VORBIS"),
    (".mp3", "MP3", "MPEG_LAYER_III"),
]

#: Values written over a size or count field.
EXTREMES = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


def _sound(seconds: float = 2.0, sr: int = 22050) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    gate = (np.floor(t * 4) % 2 == 0) * np.exp(-(t % 0.25) * 12)  # attacks every 0.5 s
    return 0.2 * np.stack([tone * gate, 0.5 * tone * gate], axis=1)


def _damage(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One damaged version of ``data`` and what was done to it."""
    size = len(data)
    kind = rng.choice(["header bytes", "size field", "cut short", "cut out", "inserted", "flipped bits"])
    if kind == "header bytes":
        start = int(rng.integers(0, min(64, size)))
        count = int(rng.integers(1, 9))
        return kind, data[:start] + rng.bytes(count) + data[start + count:]
    if kind == "size field":
        offset = int(rng.integers(0, min(120, size - 4))) & ~1
        value = int(rng.choice(EXTREMES)) if rng.random() < 0.7 else int(rng.integers(0, 2**32))
        order = "<I" if data[:4] == b"RIFF" else ">I"
        return kind, data[:offset] + struct.pack(order, value) + data[offset + 4:]
    if kind == "cut short":
        return kind, data[: int(rng.integers(1, size))]
    if kind == "cut out":
        start = int(rng.integers(0, size - 1))
        return kind, data[:start] + data[start + int(rng.integers(1, 4096)):]
    if kind == "inserted":
        start = int(rng.integers(0, size))
        return kind, data[:start] + rng.bytes(int(rng.integers(1, 2048))) + data[start:]
    flipped = bytearray(data)
    for position in rng.integers(0, size, size=int(rng.integers(1, 32))):
        flipped[position] ^= 1 << int(rng.integers(0, 8))
    return kind, bytes(flipped)


def _timeout(signum, frame):
    raise TimeoutError("a case took more than 20 s")


def test_malformed_files_are_chopped_or_refused_in_one_line(tmp_path, capfd):
    rng = np.random.default_rng(SEED)
    sources = {}
    for suffix, container, subtype in SOURCES:
        path = tmp_path / f"source-{subtype}{suffix}"
        sf.write(path, _sound(), 22050, format=container, subtype=subtype)
        sources[(suffix, subtype)] = path.read_bytes()
    outcomes: dict[str, int] = {"chopped": 0, "chopped with a warning": 0, "refused": 0}
    previous = signal.signal(signal.SIGALRM, _timeout)
    try:
        for case in range(CASES):
            suffix, _, subtype = SOURCES[case % len(SOURCES)]
            kind, data = _damage(sources[(suffix, subtype)], rng)
            path = tmp_path / f"case{case:03d}{suffix}"
            path.write_bytes(data)
            label = f"case {case} ({subtype}{suffix}, {kind})"
            signal.alarm(20)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # any Python warning fails the case
                code = main(["chop", str(path), "-o", str(tmp_path / "out"), "-n", "4", "--overwrite"])
            signal.alarm(0)
            stderr = capfd.readouterr().err
            lines = stderr.splitlines()
            assert "Traceback" not in stderr and "unexpected error" not in stderr, (label, stderr)
            if code == 0:
                assert len(lines) <= 1 and all(line.startswith("samplechop: warning: ") for line in lines), \
                    (label, stderr)
                assert (tmp_path / "out" / path.stem / f"{path.stem}.chops.json").is_file(), label
                outcomes["chopped with a warning" if lines else "chopped"] += 1
            else:
                assert code == 3, (label, code, stderr)
                assert len(lines) == 1 and lines[0].startswith(f"samplechop: error: {path}: "), (label, stderr)
                assert not (tmp_path / "out" / path.stem).exists(), label
                outcomes["refused"] += 1
            path.unlink()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # The damage is varied enough to reach each outcome many times.
    assert min(outcomes.values()) >= 20, outcomes

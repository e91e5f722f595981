"""Onsets of audio files by madmom's CNN onset detector, written as JSON for onset_detectors.py.

Run by hand, in an environment of its own (madmom 0.16.1, the last release, needs
numpy < 1.24 and does not install on Python 3.11 as published; see docs/benchmarks.md,
"Onset detectors", for the two fixes):

    python benchmarks/madmom_onsets.py OUT.json FOLDER [FOLDER ...]

For every .flac, .ogg and .wav in the folders: the mono mix, madmom's
``CNNOnsetProcessor`` (Schlüter and Böck's convolutional network, shipped with
madmom) and its ``OnsetPeakPickingProcessor`` with the settings madmom's
``CNNOnsetDetector`` program uses (threshold 0.54, activations smoothed over 50 ms,
maxima over 10 ms either side, onsets within 30 ms combined, 100 frames a second).
OUT.json maps each file's path to its onset times in seconds.
"""

import json
import sys
from pathlib import Path

import soundfile as sf
from madmom.audio.signal import Signal
from madmom.features.onsets import CNNOnsetProcessor, OnsetPeakPickingProcessor


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit("usage: python benchmarks/madmom_onsets.py OUT.json FOLDER [FOLDER ...]")
    activation = CNNOnsetProcessor()
    peaks = OnsetPeakPickingProcessor(threshold=0.54, smooth=0.05, pre_max=0.01, post_max=0.01, combine=0.03,
                                      fps=100)
    onsets = {}
    for folder in sys.argv[2:]:
        for path in sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".flac", ".ogg", ".wav")):
            y, sr = sf.read(path, dtype="float32", always_2d=True)
            onsets[str(path.resolve())] = [float(t) for t in peaks(activation(Signal(y.mean(axis=1), sample_rate=sr)))]
            print(path.name, file=sys.stderr)
    Path(sys.argv[1]).write_text(json.dumps(onsets))


if __name__ == "__main__":
    main()

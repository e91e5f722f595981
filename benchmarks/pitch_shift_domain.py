"""Re-pitching for augmentation: in the audio, or by shifting the semitone bins?

Run by hand:

    python benchmarks/pitch_shift_domain.py CORPUS [--files 12]

For each labelled file of CORPUS and each shift k in -3..+3 semitones (k != 0) it
computes the semitone spectrogram two ways:

- audio: librosa.effects.pitch_shift(y, n_steps=k), then the features (exact for
  the pitch, but a phase vocoder and resampler that also smear attacks);
- bins: the features of y, shifted by k bins (what `samplechop train --pitch-shift`
  does on the fly).

It reports, over all files and shifts: the correlation of the two feature maps over
the bins both cover; how much of the change that the audio shift makes the bin shift
reproduces (1 - |bins - audio| / |unshifted - audio|); whether the onsets stay put
(mean F at 50 ms of the onset-strength peaks of the audio-shifted version against the
labels, beside the original's); and the time each way takes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from samplechop.io.annotations import find_label_file, read_labels
from samplechop.io.audio import load_analysis
from samplechop.scoring import f_measure, top_n_times
from samplechop.spectral.features import DEFAULT_FEATURES, compute_features
from samplechop.spectral.onsets import band_rise
from samplechop.training.train import _shift_bins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=12)
    args = parser.parse_args()
    import librosa

    files = sorted(p for p in args.corpus.glob("*.flac") if find_label_file(p))[: args.files]
    sr, fps = DEFAULT_FEATURES["sr"], DEFAULT_FEATURES["sr"] / DEFAULT_FEATURES["hop_length"]
    correlations, reproduced, f_original, f_shifted = [], [], [], []
    audio_seconds = bins_seconds = 0.0
    for path in files:
        labels = read_labels(find_label_file(path))
        y, _ = load_analysis(path)
        y = y / np.abs(y).max()
        base = compute_features(y, DEFAULT_FEATURES)
        f_original.append(f_measure(labels, top_n_times(band_rise(base), n=labels.size, frame_rate=fps))[0])
        for k in (-3, -2, -1, 1, 2, 3):
            start = time.perf_counter()
            shifted_audio = librosa.effects.pitch_shift(y, sr=sr, n_steps=k)
            by_audio = compute_features(shifted_audio.astype(np.float32), DEFAULT_FEATURES)
            audio_seconds += time.perf_counter() - start
            start = time.perf_counter()
            by_bins = _shift_bins(base, k)
            bins_seconds += time.perf_counter() - start
            cover = slice(max(k, 0), base.shape[1] + min(k, 0))
            a, b, c = by_audio[:, cover], by_bins[:, cover], base[:, cover]
            correlations.append(np.corrcoef(a.ravel(), b.ravel())[0, 1])
            reproduced.append(1 - np.abs(b - a).mean() / np.abs(c - a).mean())
            f_shifted.append(f_measure(labels, top_n_times(band_rise(by_audio), n=labels.size,
                                                           frame_rate=fps))[0])
    count = len(files) * 6
    print(f"{len(files)} files x 6 shifts")
    print(f"correlation of bin-shifted with audio-shifted features: {np.mean(correlations):.3f}")
    print(f"share of the audio shift's change reproduced by the bin shift: {np.mean(reproduced):.3f}")
    print(f"onset-curve F at 50 ms: original {np.mean(f_original):.3f}, audio-shifted {np.mean(f_shifted):.3f}")
    print(f"time per shifted copy: audio {audio_seconds / count * 1000:.0f} ms, bins "
          f"{bins_seconds / count * 1000:.2f} ms ({audio_seconds / max(bins_seconds, 1e-9):.0f}x)")


if __name__ == "__main__":
    main()

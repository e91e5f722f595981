"""How the real-recording criteria judge exact chop points, and what meeting them would cost.

Run by hand:

    python benchmarks/attack_criteria.py CORPUS [--model PATH] [--prefer W ...] [--real]

CORPUS is a rendered corpus (``samplechop corpus render``) whose labels are the exact
note-on times of its chop points (``shared/docs/chop-points.md``). The default-model
issue asks that chops of real recordings start within 30 ms of an onset that a
detector finds, and never mid-note; ``real_recordings.py`` measures that with
librosa's onsets and an RMS test (``criteria.py``). Applied here to chop points known
exactly, the same criteria show how many correct chop points they accept:

- the share of the labels within 30 ms of a detected onset, of the model's chops
  (N = the labelled count, default settings), and of random times (chance);
- the share flagged by the "level does not rise" test, for labels and chops.

``--prefer W`` (repeatable) adds a what-if: candidates whose frame is not on a
detected onset (from one frame before it to two after) have their score multiplied
by W before selection, i.e. chops drawn to the detector's onsets. Printed per W: the
mean F-measure at 50 ms on CORPUS and the share of chops on an onset; with
``--real`` also the share for the real recordings (``-n 16``). The detector here is
librosa's, which the chopping path does not import (about 2 s).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from criteria import detected_onsets, level_does_not_rise, mono_mix, near_onset

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def onset_frames_mask(onsets: np.ndarray, frame_rate: float, n_frames: int) -> np.ndarray:
    """Frames from one before to two after each onset's frame (the frame grid of a chop
    on that attack lies at it or a little after)."""
    mask = np.zeros(n_frames, dtype=bool)
    for time in onsets:
        frame = int(round(time * frame_rate))
        mask[max(0, frame - 1) : max(0, frame + 3)] = True
    return mask


def preferring_onsets(analysis, onsets: np.ndarray, weight: float):
    """The analysis with scores off the detected onsets multiplied by ``weight``."""
    if weight == 1.0:
        return analysis
    mask = onset_frames_mask(onsets, analysis.frame_rate, analysis.activations.size)
    return dataclasses.replace(analysis, activations=analysis.activations * np.where(mask, 1.0, weight))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument("--prefer", type=float, action="append", default=[], metavar="W",
                        help="also select with scores off detected onsets multiplied by W (repeatable)")
    parser.add_argument("--real", action="store_true", help="also apply --prefer to the real recordings")
    args = parser.parse_args()

    from samplechop.chopper import MAX_CHOPS, ChopSettings, analyse, select_chops
    from samplechop.evaluate import labelled_files
    from samplechop.model import load_model
    from samplechop.scoring import f_measure

    model = load_model(args.model)
    rng = np.random.default_rng(0)
    weights = [1.0] + [w for w in args.prefer if w != 1.0]
    items = labelled_files([args.corpus], log=lambda message: None)
    labels_near, chance_near, labels_flat, chops_flat = [], [], [], []
    scores = {w: [] for w in weights}
    chops_near = {w: [] for w in weights}
    for item in items:
        mono, sr = mono_mix(item.path)
        onsets = detected_onsets(mono, sr)
        labels_near += list(near_onset(item.labels, onsets))
        chance_near += list(near_onset(rng.uniform(0, mono.size / sr, 200), onsets))
        labels_flat += [level_does_not_rise(mono, sr, int(round(t * sr))) for t in item.labels]
        analysis = analyse(item.path, model=model)
        settings = ChopSettings(n=min(item.labels.size, MAX_CHOPS))
        for weight in weights:
            result = select_chops(preferring_onsets(analysis, onsets, weight), settings)
            scores[weight].append(f_measure(item.labels, result.times)[0])
            chops_near[weight] += list(near_onset(result.times, onsets))
            if weight == 1.0:
                chops_flat += [level_does_not_rise(mono, sr, chop.start_sample) for chop in result.chops]
    print(f"{len(items)} files, {len(labels_near)} exact chop points, librosa onsets (criteria.py)")
    print(f"within 30 ms of a detected onset: labels {np.mean(labels_near):.1%}, "
          f"the model's chops {np.mean(chops_near[1.0]):.1%}, random times {np.mean(chance_near):.1%}")
    print(f"'level does not rise' at the cut: labels {np.mean(labels_flat):.1%}, "
          f"the model's chops {np.mean(chops_flat):.1%}")
    real = []
    if args.real:
        for path in sorted(REAL.glob("*.ogg")):
            mono, sr = mono_mix(path)
            real.append((analyse(path, model=model), detected_onsets(mono, sr)))
    print("\n| scores off a detected onset x | mean F (corpus) | chops on an onset (corpus) |"
          + (" real recordings, -n 16 |" if real else ""))
    print("| --- | --- | --- |" + (" --- |" if real else ""))
    for weight in weights:
        line = f"| {weight:g} | {np.mean(scores[weight]):.3f} | {np.mean(chops_near[weight]):.1%} |"
        if real:
            near = [near_onset(select_chops(preferring_onsets(a, o, weight), ChopSettings(n=16)).times, o)
                    for a, o in real]
            total = sum(int(n.sum()) for n in near)
            count = sum(n.size for n in near)
            line += f" {total}/{count} = {total / count:.0%} ({', '.join(str(int(n.sum())) for n in near)}) |"
        print(line)


if __name__ == "__main__":
    main()

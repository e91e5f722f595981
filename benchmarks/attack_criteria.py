"""How the real-recording criteria judge exact chop points, and what preferring attacks costs.

Run by hand:

    python benchmarks/attack_criteria.py CORPUS [--model PATH] [--attack-weight W ...] [--real]

CORPUS is a rendered corpus (``samplechop corpus render``): its labels are the exact
note-on times of its chop points (``shared/docs/chop-points.md``) and each piece's
``.mid`` holds every note. The default-model issue asks that chops of real recordings
start within 30 ms of an onset that a detector finds, and never mid-note;
``real_recordings.py`` measures that with librosa's onsets and an RMS test
(``criteria.py``). Here the same criteria meet chop points known exactly:

- the share of the labels within 30 ms of a detected onset, of the model's chops
  (N = the labelled count, default settings), and of random times (chance);
- the share flagged by the "level does not rise" test, for labels and chops;
- the share more than 30 ms from every note-on of the piece (any instrument, drums
  included; from the ``.mid``), i.e. cut into sounding notes with nothing starting:
  the exact mid-note test that the real recordings cannot have.

``--attack-weight W`` (repeatable) also chops with ``chop --attack-weight W`` (the
preference for candidates on an attack, ``samplechop.onsets``). Printed per W: the
mean F-measure at 50 ms on CORPUS, the shares of chops on an onset and off every
note-on, and with ``--real`` the share of chops on an onset in the real recordings
(``-n 16``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from criteria import ONSET_WINDOW, detected_onsets, level_does_not_rise, mono_mix, near_onset, note_onsets

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument("--attack-weight", type=float, action="append", default=[], metavar="W",
                        help="also chop with chop --attack-weight W (repeatable)")
    parser.add_argument("--real", action="store_true", help="also chop the real recordings with each W")
    args = parser.parse_args()

    from samplechop.chopper import MAX_CHOPS, ChopSettings, analyse, select_chops
    from samplechop.evaluate import labelled_files
    from samplechop.model import load_model
    from samplechop.scoring import f_measure

    model = load_model(args.model)
    rng = np.random.default_rng(0)
    weights = [1.0] + [w for w in args.attack_weight if w != 1.0]
    items = labelled_files([args.corpus], log=lambda message: None)
    labels_near, chance_near, labels_flat, chops_flat = [], [], [], []
    labels_off_notes, chance_off_notes = [], []
    scores = {w: [] for w in weights}
    chops_near = {w: [] for w in weights}
    chops_off_notes = {w: [] for w in weights}
    for item in items:
        mono, sr = mono_mix(item.path)
        onsets = detected_onsets(mono, sr)
        notes = note_onsets(Path(item.path))
        chance = rng.uniform(0, mono.size / sr, 200)
        labels_near += list(near_onset(item.labels, onsets))
        chance_near += list(near_onset(chance, onsets))
        if notes is not None:
            labels_off_notes += list(~near_onset(item.labels, notes))
            chance_off_notes += list(~near_onset(chance, notes))
        labels_flat += [level_does_not_rise(mono, sr, int(round(t * sr))) for t in item.labels]
        analysis = analyse(item.path, model=model)
        for weight in weights:
            settings = ChopSettings(n=min(item.labels.size, MAX_CHOPS), attack_weight=weight)
            result = select_chops(analysis, settings)
            scores[weight].append(f_measure(item.labels, result.times)[0])
            chops_near[weight] += list(near_onset(result.times, onsets))
            if notes is not None:
                chops_off_notes[weight] += list(~near_onset(result.times, notes))
            if weight == 1.0:
                chops_flat += [level_does_not_rise(mono, sr, chop.start_sample) for chop in result.chops]
    window = f"{1000 * ONSET_WINDOW:.0f} ms"
    print(f"{len(items)} files, {len(labels_near)} exact chop points, librosa onsets (criteria.py)")
    print(f"within {window} of a detected onset: labels {np.mean(labels_near):.1%}, "
          f"the model's chops {np.mean(chops_near[1.0]):.1%}, random times {np.mean(chance_near):.1%}")
    print(f"'level does not rise' at the cut: labels {np.mean(labels_flat):.1%}, "
          f"the model's chops {np.mean(chops_flat):.1%}")
    if labels_off_notes:
        print(f"more than {window} from every note-on (.mid): labels {np.mean(labels_off_notes):.1%}, "
              f"the model's chops {np.mean(chops_off_notes[1.0]):.1%} "
              f"({int(np.sum(chops_off_notes[1.0]))} of {len(chops_off_notes[1.0])}), "
              f"random times {np.mean(chance_off_notes):.1%}")
    real = []
    if args.real:
        real = [(path, analyse(path, model=model), detected_onsets(*mono_mix(path)))
                for path in sorted(REAL.glob("*.ogg"))]
    print(f"\n| --attack-weight | mean F (corpus) | chops on an onset (corpus) | chops off every note-on (corpus) |"
          + (" real recordings, -n 16 |" if real else ""))
    print("| --- | --- | --- | --- |" + (" --- |" if real else ""))
    for weight in weights:
        off = f"{np.mean(chops_off_notes[weight]):.1%}" if chops_off_notes[weight] else "no .mid"
        line = f"| {weight:g} | {np.mean(scores[weight]):.3f} | {np.mean(chops_near[weight]):.1%} | {off} |"
        if real:
            near = [near_onset(select_chops(analysis, ChopSettings(n=16, attack_weight=weight)).times, onsets)
                    for _, analysis, onsets in real]
            total = sum(int(n.sum()) for n in near)
            count = sum(n.size for n in near)
            line += f" {total}/{count} = {total / count:.0%} ({', '.join(str(int(n.sum())) for n in near)}) |"
        print(line)


if __name__ == "__main__":
    main()

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

The model's chops off every note-on are listed (file, time, nearest note-on and
label, rank).

``--attack-weight W`` (repeatable) also chops with ``chop --attack-weight W`` (the
preference for candidates on an attack, ``samplechop.onsets``). Printed per W: the
mean F-measure at 50 ms on CORPUS; the precision of the chops when only half as many
are asked for as there are labels (the regime the preference is meant for: more good
candidates than pads); the shares of chops on an onset and off every note-on; the
share of files where the preference acts (at least ``ATTACK_ABUNDANCE`` probable
candidates per chop, N = the labelled count); the chops it exchanges against W = 1
(chops of W = 1 no longer chosen / new ones, and how many of each are on a label);
and with ``--real`` the share of chops on an onset in the real recordings (``-n
16``), whose candidates per chop are printed too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from criteria import ONSET_WINDOW, detected_onsets, level_does_not_rise, mono_mix, near_onset, note_onsets

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def probable_per_chop(analysis, n: int) -> float:
    """Candidates scoring at least the model's threshold (releases left out, merged at
    0.1 s, as ``chop`` finds them) per chop asked for."""
    from samplechop.chopper import ChopSettings
    from samplechop.levels import release_mask
    from samplechop.postprocess import candidates

    settings = ChopSettings(n=n)
    exclude = release_mask(analysis.y, sr=analysis.sr, hop_length=int(analysis.model.features["hop_length"]),
                           n_frames=analysis.activations.size, drop_db=settings.release_db)
    times, _ = candidates(analysis.activations, frame_rate=analysis.frame_rate, threshold=analysis.model.threshold,
                          min_gap=settings.min_length, duration=analysis.info.duration, exclude=exclude)
    return times.size / n


def unmatched(times: np.ndarray, others: np.ndarray, window: float = 0.05) -> np.ndarray:
    """The times with none of ``others`` within ``window`` seconds."""
    if others.size == 0:
        return times
    return times[np.min(np.abs(others[None, :] - times[:, None]), axis=1) > window]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument("--attack-weight", type=float, action="append", default=[], metavar="W",
                        help="also chop with chop --attack-weight W (repeatable)")
    parser.add_argument("--real", action="store_true", help="also chop the real recordings with each W")
    args = parser.parse_args()

    from samplechop.chopper import ATTACK_ABUNDANCE, MAX_CHOPS, ChopSettings, analyse, select_chops
    from samplechop.evaluate import labelled_files
    from samplechop.model import load_model
    from samplechop.scoring import f_measure

    model = load_model(args.model)
    rng = np.random.default_rng(0)
    weights = [1.0] + [w for w in args.attack_weight if w != 1.0]
    items = labelled_files([args.corpus], log=lambda message: None)
    if not items:
        raise SystemExit(f"{args.corpus}: no labelled audio files")
    labels_near, chance_near, labels_flat, chops_flat = [], [], [], []
    labels_off_notes, chance_off_notes, off_list = [], [], []
    acting = []
    scores = {w: [] for w in weights}
    half_precision = {w: [] for w in weights}
    chops_near = {w: [] for w in weights}
    chops_off_notes = {w: [] for w in weights}
    exchanged = {w: [0, 0, 0, 0] for w in weights}  # out, out on a label, in, in on a label
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
        n = min(item.labels.size, MAX_CHOPS)
        acting.append(probable_per_chop(analysis, n) >= ATTACK_ABUNDANCE)
        for weight in weights:
            result = select_chops(analysis, ChopSettings(n=n, attack_weight=weight))
            scores[weight].append(f_measure(item.labels, result.times)[0])
            half = select_chops(analysis, ChopSettings(n=max(1, round(n / 2)), attack_weight=weight)).times
            half_precision[weight].append(f_measure(item.labels, half)[1] if half.size else 0.0)
            chops_near[weight] += list(near_onset(result.times, onsets))
            if notes is not None:
                chops_off_notes[weight] += list(~near_onset(result.times, notes))
            if weight == 1.0:
                plain = result
                chops_flat += [level_does_not_rise(mono, sr, chop.start_sample) for chop in result.chops]
                for chop in result.chops:
                    if notes is None or chop.rank is None or near_onset(np.array([chop.start]), notes)[0]:
                        continue
                    to_note = float(chop.start - notes[np.argmin(np.abs(notes - chop.start))])
                    to_label = float(np.min(np.abs(item.labels - chop.start)))
                    off_list.append((Path(item.path).stem, chop, to_note, to_label))
            else:
                out, new = unmatched(plain.times, result.times), unmatched(result.times, plain.times)
                exchanged[weight][0] += out.size
                exchanged[weight][1] += int(np.sum(near_onset(out, item.labels, 0.05)))
                exchanged[weight][2] += new.size
                exchanged[weight][3] += int(np.sum(near_onset(new, item.labels, 0.05)))
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
        for stem, chop, to_note, to_label in off_list:
            print(f"  {stem} {chop.start:.3f} s: nearest note-on {1000 * to_note:+.0f} ms, nearest label "
                  f"{1000 * to_label:.0f} ms, score {chop.score:.2f}, rank {chop.rank}")
    real = []
    if args.real:
        real = [(path, analyse(path, model=model), detected_onsets(*mono_mix(path)))
                for path in sorted(REAL.glob("*.ogg"))]
        print("real recordings, probable candidates per chop at -n 16: "
              + ", ".join(f"{path.stem} {probable_per_chop(analysis, 16):.2f}" for path, analysis, _ in real))
    print(f"\nthe preference acts on {np.mean(acting):.0%} of the files (N = the labelled count)")
    print("\n| --attack-weight | mean F (corpus) | precision, N = half the labels | chops on an onset | "
          "chops off every note-on | chops exchanged: out (on a label) / in (on a label) |"
          + (" real recordings, -n 16 |" if real else ""))
    print("| --- | --- | --- | --- | --- | --- |" + (" --- |" if real else ""))
    for weight in weights:
        off = f"{np.mean(chops_off_notes[weight]):.1%}" if chops_off_notes[weight] else "no .mid"
        swap = "" if weight == 1.0 else "{} ({}) / {} ({})".format(*exchanged[weight])
        line = (f"| {weight:g} | {np.mean(scores[weight]):.3f} | {np.mean(half_precision[weight]):.3f} | "
                f"{np.mean(chops_near[weight]):.1%} | {off} | {swap} |")
        if real:
            near = [near_onset(select_chops(analysis, ChopSettings(n=16, attack_weight=weight)).times, onsets)
                    for _, analysis, onsets in real]
            total = sum(int(n.sum()) for n in near)
            count = sum(n.size for n in near)
            line += f" {total}/{count} = {total / count:.0%} ({', '.join(str(int(n.sum())) for n in near)}) |"
        print(line)


if __name__ == "__main__":
    main()

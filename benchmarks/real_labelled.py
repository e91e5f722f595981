"""Chops of real performances against their known chop points, beside the baselines.

Run by hand, on a set that ``real_labelled_set.py`` built:

    python benchmarks/real_labelled.py SET_DIR [--model PATH] [--json OUT.json]

For each recording (``<stem>.wav`` with ``<stem>.txt``, every chop point, and
``<stem>.changes.txt``, the harmonic changes):

- **recall of the harmonic changes** within 50 ms with N = 1.5 x their count (a
  chopper may also take phrase starts), pooled over the set: changes found / changes;
- **F at 50 ms** with N = the count of all chop points, averaged over the files
  (as ``samplechop evaluate`` scores);
- **placement**: of the model's chops within 100 ms of a chop point, the share within
  50 ms.

Methods: the model through the whole chopping pipeline (``chop``'s settings with
threshold 0, as ``evaluate`` uses, so that it gives N chops), librosa's onsets and
beat-tracked frames, the N strongest (``samplechop.evaluate.baseline_times``), and N
random times (uniform over the file, the mean of 20 draws with a fixed seed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

#: Draws of random times per file.
RANDOM_DRAWS = 20


def hits(labels: np.ndarray, chops: np.ndarray, window: float) -> int:
    """Labels matched one to one by a chop within ``window`` seconds (mir_eval's matching)."""
    import mir_eval

    if labels.size == 0 or chops.size == 0:
        return 0
    return len(mir_eval.util.match_events(np.sort(labels), np.sort(chops), window))


def method_times(method: str, analysis, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The chop times of a method for an analysed file (several draws for ``random``)."""
    from samplechop.chop import ChopSettings, select_chops
    from samplechop.evaluate import baseline_times

    if method == "model":
        return [select_chops(analysis, ChopSettings(n=n, threshold=0.0)).times]
    if method == "random":
        return [np.sort(rng.uniform(0.0, analysis.info.duration, n)) for _ in range(RANDOM_DRAWS)]
    hop_length = int(analysis.model.features["hop_length"])
    return [baseline_times(analysis.y, sr=analysis.sr, hop_length=hop_length, n=n)[method]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path, help="folder built by real_labelled_set.py")
    parser.add_argument("--model", default=None, help="model file (default: the shipped one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-file figures here")
    args = parser.parse_args()

    from samplechop.chop import analyse
    from samplechop.constants import EVAL_WINDOW
    from samplechop.io.annotations import read_labels
    from samplechop.model import load_model
    from samplechop.scoring import f_measure

    model = load_model(args.model)
    rng = np.random.default_rng(0)
    methods = ("model", "onsets", "beats", "random")
    found = {m: 0 for m in methods}
    f_scores: dict[str, list[float]] = {m: [] for m in methods}
    near = within = changes_total = 0
    rows = []
    recordings = sorted(args.set.glob("*.wav"))
    if not recordings:
        raise SystemExit(f"{args.set}: no .wav files")
    for path in recordings:
        labels = read_labels(path.with_suffix(".txt"))
        changes = read_labels(path.parent / f"{path.stem}.changes.txt")
        analysis = analyse(path, model=model)
        n_changes, n_labels = int(round(1.5 * changes.size)), labels.size

        row = {"file": path.name, "changes": int(changes.size), "labels": int(n_labels)}
        for method in methods:
            at_changes = method_times(method, analysis, n_changes, rng)
            at_labels = method_times(method, analysis, n_labels, rng)
            found_here = np.mean([hits(changes, t, EVAL_WINDOW) for t in at_changes])
            f_here = float(np.mean([f_measure(labels, t)[0] for t in at_labels]))
            if method == "model":
                chops = at_labels[0]  # for placement below
            found[method] += found_here
            f_scores[method].append(f_here)
            row[f"{method}_recall"] = round(float(found_here / max(changes.size, 1)), 4)
            row[f"{method}_f"] = round(f_here, 4)
        near += hits(labels, chops, 0.1)
        within += hits(labels, chops, EVAL_WINDOW)
        changes_total += changes.size
        rows.append(row)
        print(f"{path.name}: {changes.size} changes, {n_labels} chop points; recall at 1.5x: "
              + ", ".join(f"{m} {row[f'{m}_recall']:.2f}" for m in methods)
              + "; F at 1x: " + ", ".join(f"{m} {row[f'{m}_f']:.3f}" for m in methods))
    print(f"\n{len(rows)} recordings, {changes_total} harmonic changes, {sum(r['labels'] for r in rows)} chop points")
    print("| method | recall of harmonic changes, N = 1.5x | mean F, N = 1x |")
    print("| --- | --- | --- |")
    for method in methods:
        print(f"| {method} | {found[method] / changes_total:.3f} | {np.mean(f_scores[method]):.3f} |")
    print(f"placement: of the model's chops within 100 ms of a chop point, {within}/{near} = "
          f"{within / max(near, 1):.1%} lie within 50 ms")
    if args.json:
        args.json.write_text(json.dumps({"files": rows, "recall": {m: found[m] / changes_total for m in methods},
                                         "mean_f": {m: float(np.mean(f_scores[m])) for m in methods},
                                         "placement": [within, near]}, indent=1) + "\n")


if __name__ == "__main__":
    main()

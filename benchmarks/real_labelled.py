"""Chops of real performances against their known chop points, beside the baselines.

Run by hand, on a set that ``real_labelled_set.py`` built:

    python benchmarks/real_labelled.py SET_DIR [--files GLOB] [--model PATH] [--json OUT.json]

For each recording (``<stem>.wav`` or another audio file, with ``<stem>.txt``, every chop point, and
``<stem>.changes.txt``, the harmonic changes; ``--files`` picks some of them, such as
a fold held out of training):

- **recall of the harmonic changes** within 50 ms with N = 1.5 x their count (a
  chopper may also take phrase starts), pooled over the set: changes found / changes;
- **F at 50 ms** with N = the count of all chop points, averaged over the files
  (as ``samplechop evaluate`` scores);
- **placement**: of the model's chops within 100 ms of a chop point, the share within
  50 ms.

A recording may have only some of the label files: a rendered corpus has no
``.changes.txt`` (it gets F and placement: the rendered figures beside the real
ones); a sung song of JamendoLyrics has ``<stem>.phrases.txt`` alone, its vocal phrase
starts. They are a few of the song's chop points (its chords are not annotated), so
their recall is measured with N = one chop per 2 s of audio, about a chord a bar
(placement too is against them).

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


#: Label files whose recall is measured: suffix -> what they hold.
PARTIAL_LABELS = {".changes.txt": "harmonic changes", ".phrases.txt": "vocal phrase starts"}

#: Seconds of audio per chop when the recall of vocal phrase starts is measured: about a
#: chord a bar, as many chops as the harmonic changes of a song would give.
SECONDS_PER_CHOP = 2.0


def chop_count(kind: str, times: np.ndarray, duration: float) -> int:
    """N for the recall of a partial label file: 1.5x the harmonic changes (nearly every
    chop point of a chorale is one), or one chop per :data:`SECONDS_PER_CHOP` for the
    phrase starts, which are a few of a song's chop points."""
    if kind == ".changes.txt":
        return int(round(1.5 * times.size))
    return int(round(duration / SECONDS_PER_CHOP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path, help="folder built by real_labelled_set.py")
    parser.add_argument("--files", action="append", default=None, metavar="GLOB",
                        help="recordings of the set to score, as a glob of their names (repeatable; default: "
                             "every audio file)")
    parser.add_argument("--model", default=None, help="model file (default: the shipped one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-file figures here")
    args = parser.parse_args()

    from samplechop.chop import analyse
    from samplechop.constants import AUDIO_SUFFIXES, EVAL_WINDOW
    from samplechop.io.annotations import read_labels
    from samplechop.model import load_model
    from samplechop.scoring import f_measure

    model = load_model(args.model)
    rng = np.random.default_rng(0)
    methods = ("model", "onsets", "beats", "random")
    found = {(kind, m): 0.0 for kind in PARTIAL_LABELS for m in methods}
    totals = {kind: 0 for kind in PARTIAL_LABELS}
    f_scores: dict[str, list[float]] = {m: [] for m in methods}
    near = within = 0
    rows = []
    recordings = sorted({path for pattern in (args.files or ["*"]) for path in args.set.glob(pattern)
                         if path.suffix.lower() in AUDIO_SUFFIXES})
    if not recordings:
        raise SystemExit(f"{args.set}: no audio files match")
    for path in recordings:
        analysis = analyse(path, model=model, describe=False)
        row: dict[str, object] = {"file": path.name}
        placed = None  # (labels, the model's chops) for placement
        for kind in PARTIAL_LABELS:
            label_path = path.parent / f"{path.stem}{kind}"
            if not label_path.is_file():
                continue
            times = read_labels(label_path)
            totals[kind] += times.size
            row[kind] = int(times.size)
            for method in methods:
                chops = method_times(method, analysis, chop_count(kind, times, analysis.info.duration), rng)
                found_here = float(np.mean([hits(times, t, EVAL_WINDOW) for t in chops]))
                found[kind, method] += found_here
                row[f"{method}_recall_{kind.split('.')[1]}"] = round(found_here / max(times.size, 1), 4)
                if method == "model" and placed is None:
                    placed = (times, chops[0])
        if path.with_suffix(".txt").is_file():
            labels = read_labels(path.with_suffix(".txt"))
            row["labels"] = int(labels.size)
            for method in methods:
                chops = method_times(method, analysis, labels.size, rng)
                f_here = float(np.mean([f_measure(labels, t)[0] for t in chops]))
                f_scores[method].append(f_here)
                row[f"{method}_f"] = round(f_here, 4)
                if method == "model":
                    placed = (labels, chops[0])
        if placed is not None:
            near += hits(placed[0], placed[1], 0.1)
            within += hits(placed[0], placed[1], EVAL_WINDOW)
        rows.append(row)
        print(f"{path.name}: " + ", ".join(f"{key} {value}" for key, value in row.items() if key != "file"))

    kinds = [kind for kind in PARTIAL_LABELS if totals[kind]]
    recall = {kind: {m: found[kind, m] / totals[kind] for m in methods} for kind in kinds}
    mean_f = {m: float(np.mean(f_scores[m])) for m in methods} if f_scores["model"] else None
    print(f"\n{len(rows)} recordings: " + ", ".join(f"{totals[kind]} {PARTIAL_LABELS[kind]}" for kind in kinds)
          + (f", {sum(int(r.get('labels', 0)) for r in rows)} chop points" if mean_f else ""))
    n_rule = {".changes.txt": "N = 1.5x", ".phrases.txt": f"N = one per {SECONDS_PER_CHOP:g} s"}
    columns = [f"recall of {PARTIAL_LABELS[kind]}, {n_rule[kind]}" for kind in kinds]
    columns += ["mean F, N = 1x"] if mean_f else []
    print("| method | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for method in methods:
        cells = [f"{recall[kind][method]:.3f}" for kind in kinds] + ([f"{mean_f[method]:.3f}"] if mean_f else [])
        print(f"| {method} | " + " | ".join(cells) + " |")
    print(f"placement: of the model's chops within 100 ms of a labelled point, {within}/{near} = "
          f"{within / max(near, 1):.1%} lie within 50 ms")
    if args.json:
        args.json.write_text(json.dumps({"files": rows, "recall": recall, "mean_f": mean_f,
                                         "placement": [within, near]}, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""How well ``samplechop learn`` picks up a taste other than the default convention.

Two tastes are derived from rendered pieces whose notes are known exactly (their
``.mid`` and ``.meta.json``, as ``samplechop corpus render`` writes them):

``bars``
    a chop on every bar line (4 beats of the piece's tempo, from its first note);
``snares``
    a chop on every snare hit (GM drum notes 37-40: side stick, snare, clap,
    electric snare), hits closer than 100 ms merged.

Pieces with at least 4 such points are shuffled (``--seed``); the first ``--pool``
(10) form the pool a producer chops, the next ``--test-files`` are the unseen files.
For each taste and each size in ``--sizes``, ``learn`` runs on the first SIZE files of the
pool; F at 50 ms on the unseen files (N = their number of points, the whole chopping
pipeline) is reported for the shipped model and for what ``learn`` leaves the user
with (its model when written, else the shipped one), with the wall time of ``learn``.

Usage::

    python benchmarks/learn_taste.py CORPUS [--sizes 3,5,10] [--steps 500] [--lr 0.0005]
        [--pitch-shift 3] [--eq-db 6] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from samplechop.evaluate import LabelledFile, evaluate
from samplechop.io.annotations import write_labels
from samplechop.library import labelled_sources
from samplechop.model import DEFAULT_MODEL_PATH, load_model
from samplechop.training.learn import LearnSettings, learn

SNARES = (37, 38, 39, 40)


def taste_times(meta_path: Path, taste: str) -> np.ndarray:
    """The chop times of ``taste`` in the excerpt a ``.meta.json`` describes."""
    import pretty_midi

    meta = json.loads(meta_path.read_text())
    start, duration = float(meta["crop_start"]), float(meta["duration"])
    midi = pretty_midi.PrettyMIDI(str(meta_path.with_name(meta_path.name.replace(".meta.json", ".mid"))))
    if taste == "bars":
        # The first bar starts with the piece's first note (the composer's small lead-in).
        origin = min(note.start for voice in midi.instruments for note in voice.notes)
        bar = 4 * float(meta["beat"])
        times = origin + np.arange(np.ceil((start - origin) / bar), (start + duration - origin) / bar) * bar - start
    else:
        hits = sorted(note.start - start for voice in midi.instruments if voice.is_drum
                      for note in voice.notes if note.pitch in SNARES)
        times = []
        for hit in hits:
            if 0 <= hit < duration and (not times or hit - times[-1] > 0.1):
                times.append(hit)
        times = np.asarray(times)
    return times[(times >= 0) & (times < duration - 0.05)]


def taste_files(corpus: Path, taste: str, folder: Path) -> list[Path]:
    """Audio files of the corpus with the taste's label file beside them (links in ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for meta_path in sorted(corpus.glob("*.meta.json")):
        audio = meta_path.with_name(meta_path.name.replace(".meta.json", ".flac"))
        if json.loads(meta_path.read_text()).get("source") == "chorale" or not audio.is_file():
            continue
        times = taste_times(meta_path, taste)
        if times.size < 4:
            continue
        link = folder / audio.name
        if not link.exists():
            os.symlink(audio.resolve(), link)
        write_labels(folder / f"{audio.stem}.txt", times)
        files.append(link)
    return files


def mean_f(model, files: list[Path], labels: dict[Path, np.ndarray]) -> float:
    table = evaluate([LabelledFile(path, labels[path]) for path in files], model=model, baselines=False,
                     log=lambda message: None)
    return float(table.mean()["model"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="rendered corpus with .mid and .meta.json beside each piece")
    parser.add_argument("--tastes", default="bars,snares")
    parser.add_argument("--sizes", default="3,5,10")
    parser.add_argument("--pool", type=int, default=10, help="pieces a producer chops (the first SIZE are learnt)")
    parser.add_argument("--test-files", type=int, default=20)
    parser.add_argument("--steps", type=int, default=LearnSettings.steps)
    parser.add_argument("--lr", type=float, default=LearnSettings.lr)
    parser.add_argument("--pitch-shift", type=int, default=LearnSettings.pitch_shift)
    parser.add_argument("--eq-db", type=float, default=LearnSettings.eq_db)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    shipped = load_model(DEFAULT_MODEL_PATH)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for taste in args.tastes.split(","):
            files = taste_files(args.corpus, taste, Path(scratch) / taste)
            order = np.random.default_rng(args.seed).permutation(len(files))
            files = [files[i] for i in order]
            pool, unseen = files[:args.pool], files[args.pool:args.pool + args.test_files]
            if len(unseen) < args.test_files:
                sys.exit(f"{args.corpus}: only {len(files)} pieces with 4 or more {taste}")
            labels = {path: np.loadtxt(path.with_suffix(".txt"), ndmin=1) for path in files}
            before = mean_f(shipped, unseen, labels)
            print(f"{taste}: shipped model F {before:.3f} on {len(unseen)} unseen files", flush=True)
            for size in map(int, args.sizes.split(",")):
                sources, _ = labelled_sources(pool[:size])
                output = Path(scratch) / f"{taste}-{size}.npz"
                started = time.perf_counter()
                settings = LearnSettings(steps=args.steps, lr=args.lr, pitch_shift=args.pitch_shift,
                                         eq_db=args.eq_db)
                report = learn(sources, output, settings=settings,
                               log=lambda message: None)
                seconds = time.perf_counter() - started
                after = mean_f(load_model(output), unseen, labels) if report.written else before
                row = {"taste": taste, "files": size, "learnt_from": len(report.learnt_from),
                       "held_out": len(report.held_out), "written": report.written,
                       "held_out_f_base": report.f_base, "held_out_f_learnt": report.f_learnt,
                       "unseen_f_shipped": round(before, 4), "unseen_f_after": round(after, 4),
                       "learn_seconds": round(seconds, 1)}
                results.append(row)
                print(f"  {size:>2} files: unseen F {before:.3f} -> {after:.3f}; "
                      f"{'written' if report.written else 'not written'} ({report.verdict}); "
                      f"learn took {seconds:.0f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"steps": args.steps, "lr": args.lr, "pitch_shift": args.pitch_shift,
                                         "eq_db": args.eq_db, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()

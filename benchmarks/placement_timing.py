"""How close placed chops lie to the exact note-on times of a rendered corpus.

Run by hand:

    python benchmarks/placement_timing.py CORPUS [--model PATH]

CORPUS is a folder of rendered pieces with their label files (``samplechop corpus
render``), whose labels are exact note-on times. Each file is chopped with N = its
labelled count at the default lambda; for every chop within 100 ms of a label the
signed offset (label minus chop) is measured for three placements of the same
chops, side by side: the network's frame (23 ms grid), the attack search in the
plain signal, and the attack search in the pre-emphasised signal (the default).
Printed: the share of those chops within 5, 10, 20, 30 and 50 ms of their label,
the median offset, and the mean F-measure at 50 ms of each placement.

``--search BEFORE/AFTER/FALLOFF`` (milliseconds, repeatable) adds the pre-emphasised
search with other settings to the same run, e.g. ``--search 60/30/10`` for the
previous default.
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument("--search", action="append", default=[], metavar="B/A/F",
                        help="also place with the attack searched B ms before to A ms after the frame, "
                             "falloff F ms (repeatable)")
    args = parser.parse_args()

    from samplechop.chop import MAX_CHOPS, ChopSettings, analyse, select_chops
    from samplechop.chop.placement import refine_start
    from samplechop.evaluate import labelled_files
    from samplechop.io import audio
    from samplechop.model import load_model
    from samplechop.scoring import f_measure
    from samplechop.spectral.levels import PRE_EMPHASIS

    model = load_model(args.model)
    items = labelled_files([args.corpus], log=lambda message: None)
    placements = {"frame grid": None, "attack, plain signal": {"emphasis": 0.0},
                  f"attack, pre-emphasis {PRE_EMPHASIS}": {}}
    for text in args.search:
        try:
            before, after, falloff = (float(part) / 1000 for part in text.split("/"))
        except ValueError:
            raise SystemExit(f"--search {text}: expected BEFORE/AFTER/FALLOFF in ms, e.g. 60/30/10") from None
        placements[f"attack, pre-emph., search {text}"] = {
            "search_before": before, "search_after": after, "falloff": falloff}
    offsets = {name: [] for name in placements}
    scores = {name: [] for name in placements}
    for item in items:
        analysis = analyse(item.path, model=model, describe=False)
        frames = select_chops(analysis, ChopSettings(n=min(item.labels.size, MAX_CHOPS), threshold=0.0,
                                                     refine=False)).times
        info = audio.probe(item.path)
        with audio.segment_reader(info) as read:
            mono = audio.to_float(read(0, info.frames)).mean(axis=1)
        for name, options in placements.items():
            if options is None:
                times = frames
            else:
                centres = np.round(frames * info.sr).astype(int)
                times = np.array([refine_start(mono, sr=info.sr, centre=int(c), **options)
                                  for c in centres]) / info.sr
            scores[name].append(f_measure(item.labels, times)[0])
            for time in times:
                difference = item.labels - time
                nearest = difference[np.argmin(np.abs(difference))]
                if abs(nearest) <= 0.1:
                    offsets[name].append(1000 * nearest)
    print(f"{len(items)} files, {sum(item.labels.size for item in items)} labelled chop points")
    print(f"{'placement':38s} {'chops':>6s} {'median':>8s}" + "".join(f" {'<=' + str(w) + 'ms':>7s}"
                                                                   for w in (5, 10, 20, 30, 50)) + "  mean F")
    for name in placements:
        d = np.asarray(offsets[name])
        if d.size == 0:
            print(f"{name:38s} no chop within 100 ms of a label")
            continue
        shares = "".join(f" {np.mean(np.abs(d) <= w):7.2f}" for w in (5, 10, 20, 30, 50))
        print(f"{name:38s} {d.size:6d} {np.median(d):+7.1f}ms{shares}  {np.mean(scores[name]):.3f}")


if __name__ == "__main__":
    main()

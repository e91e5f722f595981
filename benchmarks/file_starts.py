"""How the test of a file opening inside a sound sorts the network's candidates at a file's start.

Run by hand:

    python benchmarks/file_starts.py CORPUS [CORPUS ...] [--model PATH]

The first-attack detector cannot see a file's first 70 ms (``Analysis.blind_start``),
so a candidate of the network there, earlier than the detected attack, used to be
taken as the first attack. For every file of the corpora with such a candidate, the
benchmark asks whether a labelled chop point lies within 50 ms of it (a note starts
there: the candidate is right) and whether the file opens inside a sound by
``samplechop.spectral.levels.opens_inside_sound`` (the candidate is then not taken as the
first attack), and prints the counts of the four cases with the files.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    from samplechop.chop import ChopSettings, analyse, find_candidates
    from samplechop.constants import EVAL_WINDOW
    from samplechop.io.annotations import read_labels
    from samplechop.model import load_model

    model = load_model(args.model)
    cases: dict[tuple[bool, bool], list[str]] = defaultdict(list)
    files, blind = 0, None
    for corpus in args.corpora:
        for path in sorted(corpus.glob("*.flac")):
            files += 1
            analysis = analyse(path, model=model, describe=False)
            blind = analysis.blind_start
            labels = read_labels(path.with_suffix(".txt"))
            # the candidates with chop's defaults, before the first-attack stage
            settings = ChopSettings(n=max(1, labels.size), first_attack=False)
            times = find_candidates(analysis, settings).times
            min_gap = settings.min_length
            first = analysis.first_attack
            if first is None or first > analysis.info.duration - min_gap or not times.size:
                continue  # as with_first_attack: no first attack to stand in for
            earliest = float(times.min())
            if earliest >= first - min_gap or earliest >= analysis.blind_start:
                continue
            right = labels.size > 0 and bool(abs(labels - earliest).min() <= EVAL_WINDOW)
            cases[(right, analysis.opens_inside_sound)].append(f"{path.stem} ({earliest:.3f} s)")
    if blind is None:
        raise SystemExit(f"no .flac files in {', '.join(map(str, args.corpora))}")
    total = sum(len(names) for names in cases.values())
    print(f"{files} files; {total} with a network candidate in the first "
          f"{1000 * blind:.0f} ms before the detected first attack")
    for right in (False, True):
        for inside in (True, False):
            names = cases[(right, inside)]
            what = "a labelled point there" if right else "no labelled point there"
            verdict = "opens inside a sound (candidate not taken as the first attack)" if inside \
                else "opens on an attack (candidate taken as the first attack)"
            print(f"{what}, {verdict}: {len(names)}")
            for name in names:
                print(f"    {name}")


if __name__ == "__main__":
    main()

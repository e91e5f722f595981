"""Chops of the real recordings in ../shared/data/real/: placement and clicks.

Run by hand:

    python benchmarks/real_recordings.py [--model PATH] [-n 16] [--markdown] [--plots DIR]
                                         [--folder DIR]

For each recording, the shipped (or given) model chops it with default settings, and:

- every chop start is compared with the onsets that librosa detects in the
  original (onset_detect with backtracking, i.e. at the start of each attack): the
  share of chops within 30 ms of an onset is reported;
- "mid-note" counts chops whose start lies where the signal is already loud and not
  rising: RMS in the 20 ms before the cut at least as high as in the 20 ms after
  (both criteria in ``benchmarks/criteria.py``);
- clicks: the sample step at each cut of the written WAVs after fades, i.e. the first
  and last sample of every chop (a chop is played from and to silence), in dBFS.

``--folder DIR`` measures the recordings of another folder instead (``real_dev_set.py``
cuts one from music that Debian packages ship, for choices that the four must not make).

With ``--plots DIR`` the kit's plot of each recording (waveform, numbered chops and
the model's score curve) is copied to ``DIR/<stem>.png`` (docs/real/ in the docs).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def db(value: float) -> float:
    return 20 * np.log10(max(value, 1e-10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("-n", type=int, default=16)
    parser.add_argument("--markdown", action="store_true", help="print the chop tables as markdown")
    parser.add_argument("--plots", default=None, help="folder to copy each recording's chop plot to")
    parser.add_argument("--folder", type=Path, default=REAL,
                        help="the recordings to chop (default: the four of ../shared/data/real)")
    args = parser.parse_args()
    from samplechop.io.inputs import collect_audio

    recordings, problems = collect_audio([args.folder])  # the audio files chop would find there
    if problems:
        raise SystemExit(str(problems[0]))

    from criteria import detected_onsets, level_does_not_rise, mono_mix, near_onset, rise_db
    from samplechop.chop import ChopSettings, analyse, select_chops
    from samplechop.export import write_outputs
    from samplechop.model import load_model

    model = load_model(args.model)
    work = Path(tempfile.mkdtemp(prefix="samplechop-real-"))
    totals = {"chops": 0, "near": 0, "mid": 0}
    worst_step = 0.0
    try:
        for path in recordings:
            result = select_chops(analyse(path, model=model), ChopSettings(n=args.n))
            kit = write_outputs(result, work, formats=("wav", "plot") if args.plots else ("wav",))
            if args.plots:
                Path(args.plots).mkdir(parents=True, exist_ok=True)
                from PIL import Image  # matplotlib's own dependency

                plots = sorted(kit.glob("*.png"))
                if not plots:
                    raise SystemExit(f"{path.name}: no plot was written (is matplotlib installed?)")
                with Image.open(plots[0]) as image:  # 256 colours: a quarter of the size
                    image.convert("RGB").quantize(256).save(Path(args.plots) / f"{path.stem}.png", optimize=True)
            mono, sr = mono_mix(path)
            onsets = detected_onsets(mono, sr)
            near = mid = 0
            rows = []
            for chop in result.chops:
                distance = float(np.min(np.abs(onsets - chop.start))) if onsets.size else np.inf
                near += bool(near_onset(np.array([chop.start]), onsets)[0])
                mid += level_does_not_rise(mono, sr, chop.start_sample)
                rows.append((chop, distance, rise_db(mono, sr, chop.start_sample)))
            steps = []
            for wav in sorted(kit.glob("*_chop*.wav")):
                data = sf.read(wav, dtype="float32", always_2d=True)[0]
                steps.append(max(np.abs(data[0]).max(), np.abs(data[-1]).max()))
            worst = float(max(steps))
            worst_step = max(worst_step, worst)
            count = len(result.chops)
            totals["chops"] += count
            totals["near"] += near
            totals["mid"] += mid
            print(f"{path.name}: {count} chops, {near}/{count} within 30 ms of an onset, "
                  f"{mid} mid-note, largest step at a cut {db(worst):.0f} dBFS")
            if args.markdown:
                print()
                print("| # | start (s) | length (s) | score | rank | nearest onset (ms) | rise at cut |")
                print("| --- | --- | --- | --- | --- | --- | --- |")
                for chop, distance, rise in rows:
                    print(f"| {chop.index} | {chop.start:.3f} | {chop.length:.3f} | {chop.score:.2f} | "
                          f"{chop.rank} | {1000 * distance:.0f} | {rise:+.0f} dB |")
                print()
        share = totals["near"] / max(totals["chops"], 1)
        print(f"all: {totals['near']}/{totals['chops']} = {100 * share:.0f}% of chops within 30 ms of an onset; "
              f"{totals['mid']} mid-note; largest step at any cut {db(worst_step):.0f} dBFS")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

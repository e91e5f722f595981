"""How well onset detectors find the attacks of rendered music, whose note-ons are exact.

Run by hand:

    python benchmarks/onset_detectors.py CORPUS [--onsets NAME=JSON ...] [--real] [--model PATH]

The real-recording criterion of the default-model issue counts a chop as starting on
an attack when a detector finds an onset within 30 ms of it (``criteria.py`` uses
librosa's). How far can a detector's onsets stand in for the attacks? On a rendered
corpus every note-on is known from the piece's ``.mid``; per detector this prints:

- precision, recall and F-measure of its onsets against all note-ons (notes closer
  than 30 ms counted as one attack), window 30 ms (mir_eval's onset matching);
- the share of the labelled chop points (each one a note-on) within 30 ms of an
  onset, and of random times (chance); for each detector given, the share of the
  labelled points with an onset of neither it nor librosa's;
- with ``--real``, the share of the model's chops of the real recordings (the
  shipped model or ``--model``; ``-n 16``, default settings) within 30 ms of an onset.

Detectors: librosa's ``onset_detect`` as ``criteria.py`` runs it (backtracked),
the same without backtracking, librosa's SuperFlux settings (138 mel bands from
27.5 Hz to 16 kHz in dB, lag 2, maximum filter of 3 bands; its documentation's
example), backtracked; and any given as ``--onsets NAME=JSON``, a map from each
file's resolved path to its onset times (``madmom_onsets.py`` writes one).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from criteria import ONSET_WINDOW, detected_onsets, mono_mix, near_onset, note_onsets

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def attacks(note_times: np.ndarray) -> np.ndarray:
    """Note-ons with those closer than the window to the one before dropped (one attack)."""
    kept: list[float] = []
    for time in np.sort(note_times):
        if not kept or time - kept[-1] > ONSET_WINDOW:
            kept.append(float(time))
    return np.asarray(kept)


def librosa_detectors(mono: np.ndarray, sr: int) -> dict[str, np.ndarray]:
    import librosa

    plain = librosa.onset.onset_detect(y=mono, sr=sr, hop_length=256, units="time")
    mel = librosa.feature.melspectrogram(y=mono, sr=sr, hop_length=256, n_fft=2048, fmin=27.5,
                                         fmax=min(16000.0, sr / 2), n_mels=138)
    envelope = librosa.onset.onset_strength(S=librosa.power_to_db(mel, ref=np.max), sr=sr, hop_length=256,
                                            lag=2, max_size=3)
    superflux = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=256, backtrack=True,
                                           units="time")
    return {"librosa (criteria.py)": detected_onsets(mono, sr), "librosa, not backtracked": plain,
            "librosa SuperFlux, backtracked": superflux}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--onsets", action="append", default=[], metavar="NAME=JSON",
                        help="onsets of another detector: a JSON map from resolved file paths to times")
    parser.add_argument("--real", action="store_true", help="also the model's chops of the real recordings")
    parser.add_argument("--model", default=None, help="model for --real (default: the shipped model)")
    args = parser.parse_args()

    import mir_eval

    from samplechop.evaluate import labelled_files

    extra = {}
    for option in args.onsets:
        name, _, path = option.partition("=")
        if not path:
            raise SystemExit(f"--onsets {option}: expected NAME=JSON")
        extra[name] = json.loads(Path(path).read_text())
    rng = np.random.default_rng(0)
    stats: dict[str, dict[str, list]] = {}
    neither: dict[str, list[bool]] = {}
    items = labelled_files([args.corpus], log=lambda message: None)
    if not items:
        raise SystemExit(f"{args.corpus}: no labelled audio files")
    for item in items:
        notes = note_onsets(Path(item.path))
        if notes is None:
            raise SystemExit(f"{item.path}: no .mid and .meta.json beside it (a rendered corpus is needed)")
        truth = attacks(notes)
        mono, sr = mono_mix(item.path)
        chance = rng.uniform(0, mono.size / sr, 200)
        found = librosa_detectors(mono, sr)
        for name, table in extra.items():
            key = str(Path(item.path).resolve())
            if key not in table:
                raise SystemExit(f"--onsets {name}: no onsets for {key}")
            found[name] = np.asarray(table[key], dtype=float)
        librosa_near = near_onset(item.labels, found["librosa (criteria.py)"])
        for name in extra:
            neither.setdefault(name, []).extend(~librosa_near & ~near_onset(item.labels, found[name]))
        for name, onsets in found.items():
            entry = stats.setdefault(name, {"hits": [], "found": [], "truth": [], "labels": [], "chance": []})
            entry["hits"].append(len(mir_eval.util.match_events(truth, onsets, ONSET_WINDOW)))
            entry["found"].append(onsets.size)
            entry["truth"].append(truth.size)
            entry["labels"] += list(near_onset(item.labels, onsets))
            entry["chance"] += list(near_onset(chance, onsets))
    real: dict[str, list[tuple[int, int]]] = {}
    if args.real:
        from samplechop.chopper import ChopSettings, analyse, select_chops
        from samplechop.model import load_model

        model = load_model(args.model)
        for path in sorted(REAL.glob("*.ogg")):
            times = select_chops(analyse(path, model=model), ChopSettings(n=16)).times
            mono, sr = mono_mix(path)
            found = librosa_detectors(mono, sr)
            for name, table in extra.items():
                key = str(path.resolve())
                if key in table:
                    found[name] = np.asarray(table[key], dtype=float)
            for name, onsets in found.items():
                real.setdefault(name, []).append((int(near_onset(times, onsets).sum()), times.size))
    window = f"{1000 * ONSET_WINDOW:.0f} ms"
    print(f"{len(items)} files, {sum(stats[next(iter(stats))]['truth'])} attacks (note-ons), "
          f"{len(stats[next(iter(stats))]['labels'])} labelled chop points; window {window}\n")
    print("| detector | precision | recall | F | labels on an onset | random times on an onset |"
          + (" real chops on an onset |" if real else ""))
    print("| --- | --- | --- | --- | --- | --- |" + (" --- |" if real else ""))
    for name, entry in stats.items():
        hits, found_count, truth_count = sum(entry["hits"]), sum(entry["found"]), sum(entry["truth"])
        precision, recall = hits / max(found_count, 1), hits / max(truth_count, 1)
        f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        line = (f"| {name} | {precision:.3f} | {recall:.3f} | {f:.3f} | {np.mean(entry['labels']):.1%} | "
                f"{np.mean(entry['chance']):.1%} |")
        if real:
            counts = real.get(name)
            if counts:
                near, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
                line += f" {near}/{total} ({', '.join(str(c[0]) for c in counts)}) |"
            else:
                line += " - |"
        print(line)
    for name, flags in neither.items():
        print(f"\nlabelled chop points with an onset of neither librosa (criteria.py) nor {name} within {window}: "
              f"{np.mean(flags):.1%}")


if __name__ == "__main__":
    main()

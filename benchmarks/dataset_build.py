"""Scale of `samplechop dataset build`: 100 files of 3 minutes.

Run by hand on an otherwise idle machine:

    python benchmarks/dataset_build.py CORPUS [--files 100] [--minutes 3] [--jobs 2]

CORPUS is a folder rendered by `samplechop corpus render` (audio + label files).
The benchmark joins its pieces into FILES files of MINUTES minutes each (44.1 kHz
stereo 16-bit WAV, labels shifted along), then runs `samplechop dataset build` on
them in a child process and reports files per minute, data points (frames) per
second and the peak memory (max RSS of the build and its workers).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from samplechop.io.annotations import find_label_file, read_labels, write_labels


def join_pieces(corpus: Path, out: Path, *, files: int, minutes: float, seed: int = 0) -> None:
    """Write ``files`` long files made of corpus pieces, with their labels."""
    pieces = sorted(p for p in corpus.glob("*.flac") if find_label_file(p))
    if not pieces:
        raise SystemExit(f"{corpus}: no labelled pieces")
    rng = np.random.default_rng(seed)
    target = int(minutes * 60 * 44100)
    out.mkdir(parents=True)
    for index in range(files):
        chunks, labels, total = [], [], 0
        while total < target:
            piece = pieces[int(rng.integers(len(pieces)))]
            data, sr = sf.read(piece, dtype="float32", always_2d=True)
            if sr != 44100:
                continue
            data = np.repeat(data[:, :1], 2, axis=1) if data.shape[1] == 1 else data[:, :2]
            labels.extend(total / 44100 + read_labels(find_label_file(piece)))
            chunks.append(data)
            total += data.shape[0]
        audio = np.concatenate(chunks)[:target]
        times = [t for t in labels if t < target / 44100]
        sf.write(out / f"long{index:03d}.wav", audio, 44100, subtype="PCM_16")
        write_labels(out / f"long{index:03d}.txt", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the joined files here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="samplechop-dsbench-"))
    try:
        source = args.keep or work / "source"
        if not source.exists():
            join_pieces(args.corpus, source, files=args.files, minutes=args.minutes)
        executable = str(Path(sys.executable).with_name("samplechop"))
        start = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", executable, "dataset", "build", str(source), "-o", str(work / "data"),
             "--jobs", str(args.jobs), "--progress", "off"],
            capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        peak_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
        import json

        manifest = json.loads((work / "data" / "manifest.json").read_text())
        frames = sum(entry["frames"] for entry in manifest["files"])
        print(result.stdout.strip())
        print(f"{args.files} files of {args.minutes:g} min, --jobs {args.jobs}: {seconds:.1f} s = "
              f"{60 * args.files / seconds:.0f} files/minute, {frames} data points = "
              f"{frames / seconds:,.0f} data points/s, peak memory {peak_mb:.0f} MB (largest process)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

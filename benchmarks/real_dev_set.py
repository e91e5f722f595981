"""Cut a development set of real recordings from music that Debian packages ship.

Run by hand:

    apt-get install wesnoth-1.16-music fretsonfire-songs-muldjord fretsonfire-songs-sectoid \\
        drascula-music hyperrogue-music singularity-music planetblupi-music-ogg
    python benchmarks/real_dev_set.py OUT_DIR [--seconds 40] [--per-source 6]

The four recordings in ``../shared/data/real/`` are the ones the default-model issue
measures chops on; choices made by looking at them would be judged on the data they
were fitted to. This set is for making such choices instead: recorded and produced
music (orchestral game scores, a rock band, adventure-game jazz and pop, ambient and
electronic pieces), none of it seen by the team when the model was built. It is not
labelled; ``real_recordings.py --folder OUT_DIR`` measures chops on it as on the four.

From each source, ``--per-source`` tracks evenly spaced in the sorted list of its
tracks at least ``--seconds`` long are taken, and from each the ``--seconds``
starting at 30% of its length (or ending at its end, if that comes first), as FLAC
at the track's rate. Fret's on Fire songs come as a backing
track and a guitar track: their sum is the song. The audio is not the project's to
redistribute: it is cut into a folder outside the repository, never committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

#: (name, glob pattern under /usr/share) of each source, with its Debian package.
SOURCES = (
    ("wesnoth", "games/wesnoth/1.16/data/core/music/*.ogg"),  # wesnoth-1.16-music
    ("fretsonfire", "games/fretsonfire/data/songs/*/*/song.ogg"),  # fretsonfire-songs-*
    ("drascula", "scummvm/drascula/audio/track*.ogg"),  # drascula-music
    ("hyperrogue", "hyperrogue/music/*.ogg"),  # hyperrogue-music
    ("singularity", "games/singularity/music/*.ogg"),  # singularity-music
    ("planetblupi", "planetblupi/music/*.ogg"),  # planetblupi-music-ogg
)

SHARE = Path("/usr/share")


def evenly_spaced(paths: list[Path], count: int) -> list[Path]:
    """``count`` paths spread evenly over the sorted list (all of them when fewer)."""
    if len(paths) <= count:
        return paths
    return [paths[int(i * len(paths) / count)] for i in range(count)]


def excerpt(path: Path, seconds: float) -> tuple[np.ndarray, int]:
    """The ``seconds`` of a track from 30% of its length (with its guitar track, if any)."""
    info = sf.info(str(path))
    length = int(seconds * info.samplerate)
    start = max(0, min(int(0.3 * info.frames), info.frames - length))
    data, sr = sf.read(str(path), start=start, frames=length, dtype="float32", always_2d=True)
    guitar = path.with_name("guitar.ogg")
    if path.name == "song.ogg" and guitar.exists():
        extra, extra_sr = sf.read(str(guitar), start=start, frames=length, dtype="float32", always_2d=True)
        if extra_sr != sr:
            raise SystemExit(f"{guitar}: {extra_sr} Hz, but its song is {sr} Hz")
        frames = min(len(data), len(extra))
        if frames < len(data):
            print(f"{path.parent.name}: the guitar track ends early; excerpt cut to {frames / sr:.1f} s")
        data = data[:frames] + extra[:frames]  # a mono track broadcasts over a stereo one
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak > 1.0:  # the sum of two tracks may clip
        data = data / peak
    return data, sr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--per-source", type=int, default=6)
    args = parser.parse_args()
    if args.seconds <= 0 or args.per_source < 1:
        parser.error("--seconds must be positive and --per-source at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, pattern in SOURCES:
        found = sorted(SHARE.glob(pattern))
        if not found:
            print(f"{name}: no files under {SHARE / pattern} (is its package installed?)")
            continue
        paths = [path for path in found if sf.info(str(path)).duration >= args.seconds]
        for index, path in enumerate(evenly_spaced(paths, args.per_source)):
            data, sr = excerpt(path, args.seconds)
            stem = f"{name}-{index:02d}-{path.parent.name if path.name == 'song.ogg' else path.stem}"
            stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)
            sf.write(str(args.out / f"{stem}.flac"), data, sr)
            written += 1
        print(f"{name}: {min(len(paths), args.per_source)} of the {len(paths)} tracks of at least "
              f"{args.seconds:g} s ({len(found)} in all)")
    print(f"{written} excerpts in {args.out}")


if __name__ == "__main__":
    main()

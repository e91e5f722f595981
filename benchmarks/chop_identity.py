"""Check that a change of code leaves the chops as they were.

Chops the given audio (files or folders; the demo sample is always added) through
the command line, ``samplechop chop --dry-run --json``, under several settings, and
records every chop's start and end sample, score and rank, with the source's tempo
and key. ``--write REF.json`` stores the record; ``--check REF.json`` compares
today's with it and lists every difference (exit code 1 when there is one).

It goes through the command line, not the library, so that the record survives a
rearrangement of the modules behind it.

Usage::

    python benchmarks/chop_identity.py dev ../shared/data/real --write before.json
    # ... change the code ...
    python benchmarks/chop_identity.py dev ../shared/data/real --check before.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

#: The settings chopped under: the defaults, and the other paths through selection.
SETTINGS = {
    "default": [],
    "no diversity, 8": ["-n", "8", "--lambda", "0"],
    "no first attack, 24": ["--no-first-attack", "-n", "24"],
    "contiguous, unrefined, no release rule": ["--mode", "contiguous", "--no-refine", "--release-db", "0"],
    "threshold 0, 40, lambda 0.6": ["--threshold", "0", "-n", "40", "--lambda", "0.6"],
}


def record(inputs: list[str]) -> dict:
    """Chops of every input under every entry of :data:`SETTINGS`."""
    out: dict = {}
    for name, options in SETTINGS.items():
        command = [sys.executable, "-m", "samplechop", "chop", "--demo", *inputs, "--dry-run", "--json",
                   "--progress", "off", *options]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1) or not done.stdout.strip():
            raise SystemExit(f"chop failed under {name!r}: {done.stderr.strip()}")
        files = {}
        for document in json.loads(done.stdout)["files"]:
            source = document["source"]
            files[Path(source["path"]).name] = {
                "tempo": source.get("tempo"),
                "key": source.get("key"),
                "chops": [[c["start_sample"], c["end_sample"], c["score"], c["rank"]] for c in document["chops"]],
            }
        out[name] = files
        print(f"{name}: {len(files)} files, {sum(len(f['chops']) for f in files.values())} chops", file=sys.stderr)
    return out


def differences(before: dict, now: dict) -> list[str]:
    """Every file and setting whose chops, tempo or key differ."""
    found = []
    for name in sorted(set(before) | set(now)):
        old, new = before.get(name, {}), now.get(name, {})
        for file in sorted(set(old) | set(new)):
            if old.get(file) != new.get(file):
                found.append(f"{name}: {file}: {old.get(file)} -> {new.get(file)}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", help="audio files or folders besides the demo sample")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="REF", help="store the chops as the reference")
    action.add_argument("--check", metavar="REF", help="compare the chops with a stored reference")
    args = parser.parse_args()
    now = record(args.inputs)
    if args.write:
        Path(args.write).write_text(json.dumps(now, indent=0) + "\n")
        print(f"wrote {args.write}")
        return 0
    found = differences(json.loads(Path(args.check).read_text()), now)
    count = sum(len(chops["chops"]) for files in now.values() for chops in files.values())
    if found:
        print("\n".join(found[:50]))
        print(f"{len(found)} differences")
        return 1
    print(f"identical: {count} chops of {len(now['default'])} files under {len(now)} settings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

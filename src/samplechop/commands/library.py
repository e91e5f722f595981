"""``samplechop library``: the producer's own chops, kept to learn from."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..console import display_path, printable
from ..exceptions import SampleChopError
from ..library import Library, default_library_dir

__all__ = ["run_library"]


def _library(args: argparse.Namespace) -> Library:
    return Library(args.library if args.library else default_library_dir())


def run_library(args: argparse.Namespace) -> int:
    """Run ``library list``, ``add`` or ``remove``; returns the exit code."""
    library = _library(args)
    if args.library_command == "list":
        return _list(library, as_json=args.json)
    if args.library_command == "add":
        return _add(library, args)
    entry = library.remove(args.id)
    print(f"removed {entry.id} ({printable(entry.name)}) from {display_path(library.folder)}")
    return 0


def _list(library: Library, *, as_json: bool) -> int:
    entries, problems = library.entries()
    if as_json:
        json.dump({"library": display_path(library.folder), "entries": [entry.to_dict() for entry in entries],
                   "damaged": [printable(problem) for problem in problems]}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"{display_path(library.folder)}: {len(entries)} sample{'s' if len(entries) != 1 else ''}")
        if entries:
            width = max(len(entry.name) for entry in entries)
            print(f"  {'id':<16}  {'name':<{width}}  {'chops':>5}  {'length':>7}  {'origin':<6}  updated")
            for entry in entries:
                print(f"  {entry.id:<16}  {printable(entry.name):<{width}}  {entry.chops:>5}  "
                      f"{entry.duration:>6.1f}s  {entry.origin:<6}  {entry.updated}")
    for problem in problems:
        print(f"samplechop: warning: {printable(problem)} (skipped)", file=sys.stderr)
    return 0


def _add(library: Library, args: argparse.Namespace) -> int:
    failures: list[SampleChopError] = []
    for item in args.paths:
        try:
            path = Path(item)
            if path.is_dir():
                entry = library.add_kit(path)
            else:
                entry = library.add_labelled(path, args.labels, name=args.name)
        except SampleChopError as error:
            failures.append(error)
            print(f"samplechop: error: {printable(str(error))}", file=sys.stderr)
            continue
        print(f"saved {printable(entry.name)} ({entry.chops} chops) as {entry.id} in {display_path(library.folder)}")
    if failures:
        return failures[0].exit_code if len(failures) == len(args.paths) else 1
    return 0

"""``samplechop learn``: build and fine-tune on the producer's chops in one command."""

from __future__ import annotations

import argparse
import sys

from ..console import printable
from ..exceptions import SampleChopError
from ..library import Library, default_library_dir, labelled_sources

__all__ = ["run_learn"]


def run_learn(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Learn a model from labelled samples or the library; returns the exit code."""
    try:
        from ..training.learn import LearnSettings, describe, learn
    except ImportError as error:
        raise SampleChopError(
            f"learning needs PyTorch ({error.name} is missing): pip install 'samplechop[train]'"
        ) from None
    library = Library(args.library if args.library else default_library_dir())
    sources, problems = labelled_sources(args.sources, library=library)
    for problem in problems:
        print(f"samplechop: warning: {printable(str(problem))} (skipped)", file=sys.stderr)
    settings = LearnSettings(steps=args.steps, lr=args.lr, held_out_share=args.held_out_share, seed=args.seed,
                             threads=args.threads)
    report = learn(sources, args.output, base=args.base, settings=settings, work=args.work, progress=progress,
                   log=lambda message: print(f"samplechop: {printable(message)}", file=sys.stderr))
    print(describe(report, args.output))
    return 0

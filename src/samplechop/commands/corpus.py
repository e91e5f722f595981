"""``samplechop corpus render``."""

from __future__ import annotations

import argparse
import time

from ..exceptions import ParameterError, SampleChopError

__all__ = ["run_corpus_render"]


def run_corpus_render(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Render the corpus; returns 0."""
    if args.count < 1:
        raise ParameterError(f"--count must be >= 1, got {args.count}")
    try:
        from ..corpus import render_corpus
    except ImportError as error:
        raise SampleChopError(
            f"rendering the corpus needs {error.name}: pip install 'samplechop[corpus]'"
        ) from None
    started = time.perf_counter()
    paths = render_corpus(
        args.output, count=args.count, seed=args.seed, split=args.split, duration=args.duration,
        sample_rate=args.sample_rate, chorale_share=args.chorale_share, jobs=args.jobs, progress=progress,
    )
    print(f"{args.output}: {len(paths)} pieces ({args.split}, seed {args.seed}) "
          f"in {time.perf_counter() - started:.1f} s")
    return 0

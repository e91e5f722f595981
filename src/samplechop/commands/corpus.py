"""``samplechop corpus render``."""

from __future__ import annotations

import argparse
import time

from ..batch.summary import SummaryRow, check_summary_path, write_summary
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
    summary_path = check_summary_path(args.summary) if args.summary is not None else None
    started = time.perf_counter()
    rows: list[SummaryRow] = []
    try:
        paths = render_corpus(
            args.output, count=args.count, seed=args.seed, split=args.split, duration=args.duration,
            sample_rate=args.sample_rate, chorale_share=args.chorale_share, jobs=args.jobs, progress=progress,
            scheduler=args.scheduler, retries=args.retries, summary=rows,
        )
    finally:
        if summary_path is not None and rows:
            write_summary(summary_path, rows)
    print(f"{args.output}: {len(paths)} pieces ({args.split}, seed {args.seed}) "
          f"in {time.perf_counter() - started:.1f} s")
    return 0

"""``samplechop dataset build``."""

from __future__ import annotations

import argparse
import sys

from ..batch.summary import check_summary_path, write_summary
from ..dataset.build import build_dataset
from ..exceptions import ParameterError
from ..spectral.features import DEFAULT_FEATURES, SEED_FEATURES

__all__ = ["run_dataset_build"]


def run_dataset_build(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Build a data set; returns 0, or 1 when some sources were skipped."""
    features = {"logspec": DEFAULT_FEATURES, "cqt_sum": SEED_FEATURES}.get(args.features)
    if features is None:
        raise ParameterError(f"unknown feature kind {args.features!r}")
    summary = check_summary_path(args.summary) if args.summary is not None else None
    report = build_dataset(
        args.sources, args.output, features=features, label_width=args.label_width,
        valid_share=args.valid_share, seed=args.seed, jobs=args.jobs, shard_frames=args.shard_frames,
        repitch=args.repitch, progress=progress,
        log=lambda message: print(f"samplechop: {message}", file=sys.stderr),
        scheduler=args.scheduler, retries=args.retries,
    )
    if summary is not None:
        write_summary(summary, report.rows)
    counts = report.counts
    rate = report.frames / report.seconds if report.seconds > 0 else 0.0
    print(f"{args.output}: built {report.built} file(s), skipped {report.skipped} already built, "
          f"{len(report.failed)} unusable; {report.frames} new frames in {report.seconds:.1f} s "
          f"({rate:,.0f} frames/s)")
    for split in ("train", "valid"):
        c = counts[split]
        print(f"  {split}: {c['files']} files, {c['frames']} frames, {c['positives']} positive "
              f"({100 * c['positive_share']:.2f}%)")
    return 1 if report.failed else 0

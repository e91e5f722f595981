"""``samplechop train``."""

from __future__ import annotations

import argparse
import sys

from ..exceptions import ParameterError, SampleChopError

__all__ = ["run_train", "parse_mix"]


def parse_mix(values: list[str]) -> tuple[tuple[str, float], ...]:
    """``--mix DATA:SHARE`` options as (data set folder, share) pairs.

    Raises
    ------
    ParameterError
        When a value has no ``:SHARE`` or its share is not a number.
    """
    pairs = []
    for value in values:
        path, colon, share = value.rpartition(":")
        try:
            pairs.append((path, float(share)))
        except ValueError:
            colon = ""
        if not colon or not path:
            raise ParameterError(f"--mix expects DATA:SHARE (a data set folder and a share such as 0.25), "
                                 f"got {value!r}")
    return tuple(pairs)


def run_train(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Train a model; returns 0."""
    try:
        from ..training.train import TrainSettings, train_model
    except ImportError as error:
        raise SampleChopError(
            f"training needs PyTorch ({error.name} is missing): pip install 'samplechop[train]'"
        ) from None
    settings = TrainSettings(
        arch=args.arch, init=args.init, steps=args.steps, batch_size=args.batch_size,
        excerpt=args.excerpt, lr=args.lr, pitch_shift=args.pitch_shift, eq_db=args.eq_db, eval_every=args.eval_every,
        patience=args.patience, seed=args.seed, threads=args.threads, checkpoint=args.checkpoint,
        max_minutes=args.max_minutes, precision=args.precision, start_share=args.start_share,
        mix=parse_mix(args.mix), keep=args.keep,
    )
    report = train_model(args.data, args.output, settings, progress=progress,
                         log=lambda message: print(message, file=sys.stderr))
    print(f"{args.output}: best validation F {report.best_score:.3f} at step {report.best_step} "
          f"of {report.steps} ({report.stopped}); threshold {report.threshold:.2f}; "
          f"{report.seconds / 60:.1f} min, {report.frames_per_second:,.0f} frames/s")
    return 0

"""``samplechop evaluate``."""

from __future__ import annotations

import argparse
import sys

from ..chop import ChopSettings
from ..evaluate import evaluate, labelled_files, write_table
from ..exceptions import ParameterError
from ..model import load_model

__all__ = ["run_evaluate"]


def run_evaluate(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Evaluate and print the table; returns 0 (1 when some files could not be scored)."""
    ChopSettings(lam=args.lam).validate()  # the options it shares with chop
    log = lambda message: print(f"samplechop: {message}", file=sys.stderr)  # noqa: E731
    model = load_model(args.model)
    seed_model = load_model(args.seed_model) if args.seed_model else None
    items = labelled_files(args.data, split=args.split, log=log)
    if args.jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {args.jobs}")
    table = evaluate(items, model=model, seed_model=seed_model, lam=args.lam,
                     first_attack=not args.no_first_attack,
                     baselines=not args.no_baselines, progress=progress, log=log,
                     jobs=args.jobs, scheduler=args.scheduler, retries=args.retries)
    print(table.format())
    if args.json_path:
        write_table(table, args.json_path)
        print(f"wrote {args.json_path}")
    return 1 if table.failed else 0

"""``samplechop chop``: chop files and write the kits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from ..batch.chop_unit import FAILED, ChopJob, ChopOutcome, chop_file, complete_kit_chops, done_outcome
from ..batch.engine import DEFAULT_RETRIES, TaskFailure, run_units
from ..batch.models import keep_model
from ..batch.summary import SummaryRow, check_summary_path, write_summary
from ..chop import ChopSettings
from ..console import printable
from ..cores import available_cores
from ..exceptions import OutputError, ParameterError, SampleChopError
from ..export import output_dir_for
from ..export.formats import DEFAULT_FORMATS, check_dependencies, parse_formats
from ..export.keys import DEFAULT_START_NOTE, parse_note
from ..export.writer import check_output
from ..io.fileio import reclaim_stale
from ..io.inputs import collect_audio
from ..io.resources import demo_path
from ..model import load_model
from .chop_text import damage_warning, format_table

__all__ = ["run_chop", "damage_warning", "settings_from_args", "output_options_from_args", "format_table",
           "default_jobs"]


def settings_from_args(args: argparse.Namespace) -> ChopSettings:
    """Chop settings from parsed arguments, validated."""
    return ChopSettings(
        n=args.n,
        lam=args.lam,
        threshold=args.threshold,
        min_length=args.min_length,
        max_length=args.max_length,
        max_candidates=args.candidates,
        mode=args.mode,
        fade_in=args.fade_in / 1000.0,
        fade_out=args.fade_out / 1000.0,
        refine=not args.no_refine,
        release_db=args.release_db,
        first_attack=not args.no_first_attack,
    ).validate()


def output_options_from_args(args: argparse.Namespace) -> tuple[tuple[str, ...], int]:
    """The output formats and the start note from parsed arguments, validated.

    Raises
    ------
    ParameterError
        For an unknown format, a bad note, or a format whose package is missing
        (checked unless ``--dry-run``).
    """
    text = getattr(args, "formats", None)
    formats = DEFAULT_FORMATS if text is None else parse_formats(text)
    note_text = getattr(args, "start_note", None)
    try:
        start_note = DEFAULT_START_NOTE if note_text is None else parse_note(str(note_text))
    except ValueError as error:
        raise ParameterError(f"--start-note: {error}") from None
    if not getattr(args, "dry_run", False):
        check_dependencies(formats)
    return formats, start_note


def _check_output_folder(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output exists and is not a folder")


def default_jobs() -> int:
    """The cores this process may run on: the default of ``--jobs``."""
    return available_cores()


def _problem_input(error: SampleChopError) -> str:
    """The input an error of :func:`collect_audio` names (its message starts with it)."""
    return str(error).partition(": ")[0]


def run_chop(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Chop every input; returns the exit code (0 when every file was chopped).

    The files are chopped by :func:`samplechop.batch.chop_unit.chop_file`: in this
    process (``--jobs 1``, or a single file), in the local process pool (``--jobs N``)
    or on Dask (``--scheduler``). Each file's table is printed whole, in input order.
    """
    settings = settings_from_args(args)
    formats, start_note = output_options_from_args(args)
    scheduler = getattr(args, "scheduler", None)
    jobs = getattr(args, "jobs", None) or default_jobs()
    if jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {jobs}")
    summary_path = getattr(args, "summary", None)
    if summary_path is not None:
        summary_path = check_summary_path(summary_path)
    inputs = list(args.inputs)
    if args.demo:
        inputs.append(str(demo_path()))
    if not inputs:
        raise ParameterError("no INPUT given (name audio files or folders, or use --demo)")
    out_dir = Path(args.output)
    if not args.dry_run:
        _check_output_folder(out_dir)
    files, problems = collect_audio(inputs, skip=[out_dir])
    failures: list[tuple[int, str]] = [(problem.exit_code, printable(str(problem))) for problem in problems]
    rows = [SummaryRow(_problem_input(problem), FAILED, error=printable(str(problem))) for problem in problems]
    for problem in problems:
        print(f"samplechop: error: {printable(str(problem))}", file=sys.stderr)
    in_process = scheduler is None and (jobs == 1 or len(files) <= 1)
    if files:
        model = load_model(args.model)  # a bad model is one line before any work
        if in_process:
            keep_model(args.model, model)
        del model
    tasks, settled = _jobs(files, args, settings, formats, start_note, out_dir, progress=progress and in_process,
                           threads=None if in_process else 1)
    outcomes: list[Optional[ChopOutcome]] = [None] * len(files)
    for index, outcome in settled.items():
        outcomes[index] = outcome
    numbers = [index for index in range(len(files)) if index not in settled]
    documents: list[dict[str, Any]] = []
    shown = 0
    with run_units(chop_file, [tasks[index] for index in numbers], jobs=jobs, scheduler=scheduler,
                   retries=getattr(args, "retries", DEFAULT_RETRIES), progress=progress and len(files) > 1,
                   desc="chop") as finished:
        for number, record in finished:
            index = numbers[number]
            if isinstance(record, TaskFailure):
                record = ChopOutcome(str(files[index]), FAILED,
                                     error=printable(f"{files[index]}: {record.message}"), exit_code=1)
            outcomes[index] = record
            while shown < len(files) and outcomes[shown] is not None:
                _show(outcomes[shown], json_output=args.json, documents=documents)
                shown += 1
    while shown < len(files):  # files settled before any work, after the last one run
        _show(outcomes[shown], json_output=args.json, documents=documents)
        shown += 1
    if scheduler is not None and not args.dry_run:
        reclaim_stale(out_dir)  # staging folders of workers that died mid-kit
    for outcome in outcomes:
        rows.append(SummaryRow(outcome.source, outcome.status, chops=outcome.chops, output=outcome.output or "",
                               error=outcome.error))
        if outcome.status == FAILED:
            failures.append((outcome.exit_code, outcome.error))
    if summary_path is not None:
        write_summary(summary_path, rows)
    if args.json:
        json.dump({"files": documents, "failed": [message for _, message in failures]},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    if failures:
        total = len(files) + len(problems)
        if total > 1:
            print(f"samplechop: {total - len(failures)} of {total} inputs chopped; "
                  f"{len(failures)} failed:", file=sys.stderr)
            for _, message in failures:
                print(f"  - {message}", file=sys.stderr)
        return failures[0][0]
    return 0


def _jobs(
    files: list[Path],
    args: argparse.Namespace,
    settings: ChopSettings,
    formats: tuple[str, ...],
    start_note: int,
    out_dir: Path,
    *,
    progress: bool,
    threads: Optional[int] = None,
) -> tuple[list[ChopJob], dict[int, ChopOutcome]]:
    """One job per file, and the outcomes of the files settled before any work.

    Settled here: a file whose kit folder another input of this run takes (two inputs
    sharing a file name), whose kit exists (refused, as without ``--overwrite``), or
    whose kit is complete (``--resume``: done). Every other file's kit folder did not
    exist when the batch started, so its job may take a complete kit found later for
    its own (a retry after its worker died).
    """
    owner: dict[Path, Path] = {}
    settled: dict[int, ChopOutcome] = {}
    resume = getattr(args, "resume", False)
    tasks = []
    for index, path in enumerate(files):
        folder = output_dir_for(path, out_dir)
        writes = not args.dry_run
        try:
            if writes and folder in owner:
                raise OutputError(
                    f"{path}: its kit folder {folder} is already used by {owner[folder]} in this run "
                    "(two inputs share a file name)"
                )
            owner.setdefault(folder, path)
            done = complete_kit_chops(folder) if writes and resume and not args.overwrite else None
            if done is not None:
                settled[index] = done_outcome(str(path), folder, done)
            elif writes:
                check_output(folder, overwrite=args.overwrite)
        except SampleChopError as error:
            settled[index] = ChopOutcome(str(path), FAILED, error=printable(str(error)), exit_code=error.exit_code)
        tasks.append(ChopJob(
            str(path), str(out_dir), settings, tuple(formats), start_note, model=args.model, dry_run=args.dry_run,
            overwrite=args.overwrite, keep_complete=writes, document=args.json, progress=progress,
            threads=threads,
        ))
    return tasks, settled


def _show(outcome: ChopOutcome, *, json_output: bool, documents: list[dict[str, Any]]) -> None:
    """Print one file's outcome whole: its error, or its warning and table (or keep its JSON)."""
    if outcome.status == FAILED:
        print(f"samplechop: error: {outcome.error}", file=sys.stderr)
        return
    if outcome.warning:
        print(f"samplechop: warning: {outcome.warning}", file=sys.stderr)
    if json_output:
        if outcome.document is not None:
            documents.append(outcome.document)
    elif outcome.text:
        print(outcome.text)

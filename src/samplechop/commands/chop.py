"""``samplechop chop``: chop files and write the kits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from ..chop import ChopResult, ChopSettings, analyse, select_chops
from ..console import display_path, printable
from ..exceptions import AudioError, OutputError, ParameterError, SampleChopError
from ..export import output_dir_for
from ..export.formats import DEFAULT_FORMATS, check_dependencies, parse_formats
from ..export.keys import DEFAULT_START_NOTE, parse_note
from ..export.manifest import manifest
from ..export.slices import chop_names
from ..export.writer import Kit, check_output, kit_stem, write_kit
from ..io.audio import AudioInfo
from ..io.inputs import collect_audio
from ..io.resources import demo_path
from ..model import load_model

__all__ = ["run_chop", "damage_warning", "settings_from_args", "output_options_from_args", "format_table"]


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


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:06.3f}"


def format_table(result: ChopResult) -> str:
    """A plain-text table of a file's chops: number, start, length, score, rank."""
    lines = [f"{display_path(result.info.path)}: {sum(c.rank is not None for c in result.chops)} chops"
             f" ({result.info.duration:.1f} s, {result.info.sr} Hz, {result.info.channels} ch)"]
    lines.append(f"  {'#':>3}  {'start':>9}  {'length':>7}  {'score':>5}  {'rank':>4}")
    for chop in result.chops:
        rank = "-" if chop.rank is None else str(chop.rank)
        score = "-" if chop.rank is None else f"{chop.score:.2f}"
        lines.append(f"  {chop.index:>3}  {_clock(chop.start):>9}  {chop.length:>7.3f}  {score:>5}  {rank:>4}")
    for note in result.notes:
        lines.append(f"  note: {printable(note)}")
    return "\n".join(lines)


def damage_warning(info: AudioInfo) -> str:
    """The one line that tells what was wrong with a file that was chopped anyway."""
    return printable(f"{info.path}: {'; '.join(info.damage)}; chopped what could be read")


def _check_output_folder(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output exists and is not a folder")


def run_chop(args: argparse.Namespace, *, progress: bool = False) -> int:
    """Chop every input; returns the exit code (0 when every file was chopped)."""
    settings = settings_from_args(args)
    formats, start_note = output_options_from_args(args)
    inputs = list(args.inputs)
    if args.demo:
        inputs.append(str(demo_path()))
    if not inputs:
        raise ParameterError("no INPUT given (name audio files or folders, or use --demo)")
    out_dir = Path(args.output)
    if not args.dry_run:
        _check_output_folder(out_dir)
    files, problems = collect_audio(inputs, skip=[out_dir])
    failures: list[SampleChopError] = list(problems)
    for problem in problems:
        print(f"samplechop: error: {printable(str(problem))}", file=sys.stderr)
    model = load_model(args.model) if files else None
    documents: list[dict[str, Any]] = []
    kit_owner: dict[Path, Path] = {}
    bar = None
    if progress and len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr)
    for path in files:
        try:
            result, kit = _chop_one(path, args, settings, model, out_dir, kit_owner,
                                    formats=formats, start_note=start_note, progress=progress)
            if args.json:
                documents.append(_document(result, kit, path, start_note=start_note))
        except SampleChopError as error:
            failures.append(error)
            print(f"samplechop: error: {printable(str(error))}", file=sys.stderr)
        else:
            if result.info.damage:
                print(f"samplechop: warning: {damage_warning(result.info)}", file=sys.stderr)
            if not args.json:
                print(format_table(result))
                if kit is not None:
                    print(_written(kit, len(result.chops)))
                    for remark in kit.notes:
                        print(f"  note: {printable(remark)}")
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if args.json:
        json.dump({"files": documents, "failed": [printable(str(error)) for error in failures]},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    if failures:
        total = len(files) + len(problems)
        if total > 1:
            print(f"samplechop: {total - len(failures)} of {total} inputs chopped; "
                  f"{len(failures)} failed:", file=sys.stderr)
            for error in failures:
                print(f"  - {printable(str(error))}", file=sys.stderr)
        return failures[0].exit_code
    return 0


def _document(result: ChopResult, kit: Optional[Kit], path: Path, *, start_note: int) -> dict:
    """The JSON document of one chopped file: its manifest and where it was written."""
    if kit is not None:
        document = dict(kit.document)
        if kit.notes:
            document["notes"] = list(document.get("notes", [])) + kit.notes
    else:
        document = manifest(result, chop_names(kit_stem(path), len(result.chops)), start_note=start_note)
    document["output"] = display_path(kit.folder) if kit else None
    return document


def _written(kit: Kit, count: int) -> str:
    """One line naming what a kit holds besides its WAV chops."""
    others = [name for name in kit.document.get("outputs", {}).values() if name in kit.files]
    return f"  wrote {count} WAV files, {', '.join(others)} to {display_path(kit.folder)}"


def _chop_one(
    path: Path,
    args: argparse.Namespace,
    settings: ChopSettings,
    model,
    out_dir: Path,
    kit_owner: dict[Path, Path],
    *,
    formats: tuple[str, ...],
    start_note: int,
    progress: bool = False,
) -> tuple[ChopResult, Optional[Kit]]:
    folder = output_dir_for(path, out_dir)
    if not args.dry_run:
        if folder in kit_owner:
            raise OutputError(
                f"{path}: its kit folder {folder} is already used by {kit_owner[folder]} in this run "
                "(two inputs share a file name)"
            )
        check_output(folder, overwrite=args.overwrite)
    result = select_chops(analyse(path, model=model, progress=progress), settings)
    if not result.chops:
        raise AudioError(f"{path}: no chop candidates found: {'; '.join(result.notes)}")
    if args.dry_run:
        return result, None
    kit_owner[folder] = path
    return result, write_kit(result, out_dir, overwrite=args.overwrite, formats=formats, start_note=start_note)

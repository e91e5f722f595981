"""The unit of work of ``samplechop chop``: one input file, chopped into one kit.

The same function runs in the command's own process (``--jobs 1``), in the local
process pool (``--jobs N``) and on Dask workers (``--scheduler``). It takes and
returns small records (paths, settings, text): audio is read and the kit written
by whoever runs it, on storage the client and the workers share.

A file is *done* when its kit folder holds its manifest: kits are built in a
hidden staging folder and renamed into place whole (:mod:`samplechop.export.writer`),
so a kit folder that exists is complete, and a half-written kit is never taken
for a done one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..blas import hold_to_one_thread
from ..chop import ChopSettings, analyse, select_chops
from ..commands.chop_text import damage_warning, format_table, kit_document, written_line
from ..console import display_path, printable
from ..exceptions import AudioError, SampleChopError
from ..export.writer import check_output, output_dir_for, write_kit
from ..io.inputs import KIT_MANIFEST_SUFFIX
from .models import process_model

__all__ = ["ChopJob", "ChopOutcome", "chop_file", "done_outcome", "complete_kit_chops",
           "CHOPPED", "DONE", "FAILED"]

#: Status of a file whose kit was written, found complete (``--resume``), or not made.
CHOPPED, DONE, FAILED = "chopped", "done", "failed"


@dataclass(frozen=True)
class ChopJob:
    """Everything needed to chop one file; small, so that it travels to any worker.

    Attributes
    ----------
    source : str
        The audio file, as a path the worker can read.
    out_dir : str
        The folder the kit goes into (``out_dir/<stem>/``).
    settings : ChopSettings
        Validated chop settings.
    formats : tuple of str
        Output formats besides the WAV chops.
    start_note : int
        MIDI note of the first chop.
    model : str or None
        Model file (None: the shipped model).
    dry_run, overwrite : bool
        As the command's options: write nothing; replace a kit.
    keep_complete : bool
        Take a complete kit found in place for done and leave it. The command sets it
        for the files whose kit folder did not exist when the batch started: such a
        kit was written by an earlier attempt of the same task, whose worker died
        before it could say so, and the retry must not refuse or redo it.
    document : bool
        Return the file's JSON document (``--json``).
    progress : bool
        Show the analysis's own progress bar (only in the command's process).
    threads : int or None
        Threads of the file's features, network and kit writing (None: their
        defaults, for a file chopped alone); 1 where several files are chopped at
        once, each on its own core.
    """

    source: str
    out_dir: str
    settings: ChopSettings
    formats: tuple[str, ...]
    start_note: int
    model: Optional[str] = None
    dry_run: bool = False
    overwrite: bool = False
    keep_complete: bool = False
    document: bool = False
    progress: bool = False
    threads: Optional[int] = None


@dataclass
class ChopOutcome:
    """What became of one file: no audio, only what the client prints and summarises.

    Attributes
    ----------
    source : str
        The input file.
    status : {"chopped", "done", "failed"}
        ``done``: its complete kit was found and left as it was (``--resume``, or a retry).
    chops : int
        Chops in its kit (0 when it failed).
    output : str or None
        Its kit folder (None for a dry run or a failure).
    text : str
        The table and the lines about what was written, as printed on stdout.
    warning : str
        A warning about damaged audio, or "".
    error : str
        One line saying why it failed, or "".
    exit_code : int
        0, or the exit code of its error.
    document : dict or None
        Its JSON document, when the job asked for it.
    """

    source: str
    status: str
    chops: int = 0
    output: Optional[str] = None
    text: str = ""
    warning: str = ""
    error: str = ""
    exit_code: int = 0
    document: Optional[dict[str, Any]] = field(default=None)


def complete_kit_chops(folder: Path) -> Optional[int]:
    """The number of chops of the complete kit in ``folder``, or None when there is none.

    A kit is complete when its manifest is present and readable: the folder appears
    only once the kit is whole, and the manifest is part of it.
    """
    manifests = sorted(folder.glob(f"*{KIT_MANIFEST_SUFFIX}")) if folder.is_dir() else []
    if len(manifests) != 1:
        return None
    try:
        document = json.loads(manifests[0].read_text(encoding="utf-8"))
        return len(document["chops"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def done_outcome(source: str, folder: Path, chops: int) -> ChopOutcome:
    """The outcome of a file whose complete kit (of ``chops`` chops) is in ``folder``."""
    return ChopOutcome(source, DONE, chops=chops, output=str(folder),
                       text=f"{display_path(source)}: kit complete in {display_path(folder)}, skipped")


def chop_file(job: ChopJob) -> ChopOutcome:
    """Chop one file and write its kit (or find it done); the per-file unit of work.

    Errors of the file itself (bad audio, an existing kit, no candidates) come back
    as a ``failed`` outcome: trying again would not help. Anything else (a worker's
    disk vanishing, a bug) is raised, for the engine to retry or report.

    Parameters
    ----------
    job : ChopJob

    Returns
    -------
    ChopOutcome
    """
    hold_to_one_thread()  # the same scores wherever it runs, and no spinning threads (see ..blas)
    path = Path(job.source)
    folder = output_dir_for(path, job.out_dir)
    try:
        if job.keep_complete and not job.overwrite and not job.dry_run:
            done = complete_kit_chops(folder)
            if done is not None:
                return done_outcome(job.source, folder, done)
        if not job.dry_run:
            check_output(folder, overwrite=job.overwrite)
        result = select_chops(analyse(path, model=process_model(job.model), progress=job.progress,
                                      threads=job.threads, describe=not job.dry_run or job.document),
                              job.settings)
        if not result.chops:
            raise AudioError(f"{path}: no chop candidates found: {'; '.join(result.notes)}")
        kit = None
        if not job.dry_run:
            kit = write_kit(result, job.out_dir, overwrite=job.overwrite, formats=job.formats,
                            start_note=job.start_note, threads=job.threads)
    except SampleChopError as error:
        return ChopOutcome(job.source, FAILED, error=printable(str(error)), exit_code=error.exit_code)
    lines = [format_table(result)]
    if kit is not None:
        lines.append(written_line(kit, len(result.chops)))
        lines.extend(f"  note: {printable(remark)}" for remark in kit.notes)
    return ChopOutcome(
        job.source, CHOPPED, chops=len(result.chops), output=str(kit.folder) if kit else None,
        text="\n".join(lines), warning=damage_warning(result.info) if result.info.damage else "",
        document=kit_document(result, kit, path, start_note=job.start_note) if job.document else None,
    )

"""Write everything for one chopped file into its own folder, atomically.

The folder ``<out>/<stem>/`` is built under a hidden temporary name and renamed into
place once complete: a failed or interrupted run leaves no half-written kit, and an
existing kit is replaced only with ``overwrite`` and only once the new one is whole.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..annotations import write_labels
from ..chopper import ChopResult
from ..exceptions import OutputError
from ..fileio import atomic_write_text, publish_dir, staging_dir
from .manifest import MANIFEST_SUFFIX, dumps, manifest
from .slices import chop_names, write_slices

__all__ = ["output_dir_for", "check_output", "write_outputs"]


def output_dir_for(source: os.PathLike | str, out_dir: os.PathLike | str) -> Path:
    """The kit folder of a source: ``<out_dir>/<source stem>``."""
    return Path(out_dir) / Path(source).stem


def check_output(final_dir: Path, *, overwrite: bool) -> None:
    """Refuse early, before any work, when the kit folder exists and may not be replaced."""
    if final_dir.exists() and not overwrite:
        raise OutputError(f"{final_dir}: exists already (use --overwrite to replace it)")
    if final_dir.exists() and not final_dir.is_dir():
        raise OutputError(f"{final_dir}: exists and is not a folder")


def write_outputs(result: ChopResult, out_dir: os.PathLike | str, *, overwrite: bool = False) -> Path:
    """Write the chops, manifest and label file of ``result``.

    Writes ``<out_dir>/<stem>/<stem>_chop01.wav`` ..., ``<stem>.chops.json`` and
    ``<stem>.txt`` (the chop times, one per line, the format training reads).

    Returns
    -------
    folder : Path
        The kit folder.

    Raises
    ------
    OutputError
        When the folder exists (without ``overwrite``) or cannot be written.
    """
    final_dir = output_dir_for(result.info.path, out_dir)
    check_output(final_dir, overwrite=overwrite)
    stem = result.info.path.stem
    staged = staging_dir(final_dir)
    try:
        names = chop_names(stem, len(result.chops))
        settings = result.settings
        write_slices(result.info, result.chops, staged, names,
                     fade_in=settings.fade_in, fade_out=settings.fade_out)
        atomic_write_text(staged / f"{stem}{MANIFEST_SUFFIX}", dumps(manifest(result, names)))
        if result.times.size:
            write_labels(staged / f"{stem}.txt", result.times)
        publish_dir(staged, final_dir, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return final_dir

"""Collect the audio files that a command's INPUT arguments name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from ..constants import AUDIO_SUFFIXES
from ..exceptions import AudioError

__all__ = ["is_audio_name", "collect_audio", "is_kit_folder", "kit_folders", "KIT_MANIFEST_SUFFIX"]


def is_audio_name(path: Path) -> bool:
    """Whether a file name has an audio suffix this tool reads."""
    return path.suffix.lower() in AUDIO_SUFFIXES and not path.name.startswith(".")


def collect_audio(
    inputs: Iterable[os.PathLike | str], *, skip: Iterable[os.PathLike | str] = ()
) -> tuple[list[Path], list[AudioError]]:
    """Expand files and folders into audio files.

    Folders are searched recursively for files with an audio suffix, in sorted
    order, leaving out hidden files and folders (a kit being written is staged in
    one), kit folders (a ``.chops.json`` inside) and the folders in ``skip``. Files
    named directly are kept whatever their suffix (reading them tells whether they
    are audio).

    Parameters
    ----------
    inputs : iterable of path-like
        Files and folders.
    skip : iterable of path-like
        Folders not to search, such as the output folder of the same run: chopping
        ``samples/`` into ``samples/kits`` must not chop the kits of the last run.

    Returns
    -------
    files : list of Path
        Each file once, in the order given.
    problems : list of AudioError
        One per input that is missing or a folder with no audio.
    """
    files: list[Path] = []
    problems: list[AudioError] = []
    seen: set[Path] = set()
    skipped = {Path(folder).resolve() for folder in skip}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(_audio_in(path, skipped))
            if not found:
                problems.append(AudioError(f"{path}: folder holds no audio files "
                                           f"({', '.join(AUDIO_SUFFIXES)})"))
        elif path.exists():
            found = [path]
        else:
            problems.append(AudioError(f"{path}: file not found"))
            found = []
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, problems


#: The suffix of the chops manifest that marks a kit folder (as ``chop`` writes it).
KIT_MANIFEST_SUFFIX = ".chops.json"


def is_kit_folder(folder: Path) -> bool:
    """Whether ``folder`` is a kit that ``chop`` wrote (it holds a chops manifest)."""
    return folder.is_dir() and any(folder.glob(f"*{KIT_MANIFEST_SUFFIX}"))


def kit_folders(folder: Path) -> list[Path]:
    """The kit folders under ``folder``, searched as :func:`collect_audio` searches it."""
    return [Path(root) for root, _, names in _walk(folder, set()) if _holds_manifest(names)]


def _holds_manifest(names: list[str]) -> bool:
    return any(name.endswith(KIT_MANIFEST_SUFFIX) for name in names)


def _walk(folder: Path, skipped: set[Path]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk`` of ``folder`` without hidden folders, the ``skipped`` ones, and the
    insides of kits (a kit folder is yielded, its sub-folders are not searched)."""
    for root, folders, names in os.walk(folder):
        if _holds_manifest(names):
            folders[:] = []
        else:
            folders[:] = [name for name in folders
                          if not name.startswith(".") and (Path(root) / name).resolve() not in skipped]
        yield root, folders, names


def _audio_in(folder: Path, skipped: set[Path]) -> Iterator[Path]:
    """Audio files under ``folder``, outside hidden folders, the ``skipped`` ones and kits.

    A kit folder (one holding a ``.chops.json`` manifest) holds chops, not sources:
    ``chop samples -o samples`` must not chop the last run's kits.
    """
    for root, _, names in _walk(folder, skipped):
        if _holds_manifest(names):
            continue
        for name in names:
            path = Path(root) / name
            if is_audio_name(path) and path.is_file():
                yield path

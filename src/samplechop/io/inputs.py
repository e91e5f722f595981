"""Collect the audio files that a command's INPUT arguments name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..constants import AUDIO_SUFFIXES
from ..exceptions import AudioError

__all__ = ["is_audio_name", "collect_audio"]


def is_audio_name(path: Path) -> bool:
    """Whether a file name has an audio suffix this tool reads."""
    return path.suffix.lower() in AUDIO_SUFFIXES and not path.name.startswith(".")


def collect_audio(inputs: Iterable[os.PathLike | str]) -> tuple[list[Path], list[AudioError]]:
    """Expand files and folders into audio files.

    Folders are searched recursively for files with an audio suffix, in sorted
    order. Files named directly are kept whatever their suffix (reading them tells
    whether they are audio).

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
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and is_audio_name(p))
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

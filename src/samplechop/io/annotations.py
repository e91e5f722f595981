"""Read and write chop label files.

Conventions (as in mir_eval): a chop list is a sorted 1-D ``np.ndarray`` of times in
seconds from the start of the file.

Formats read (see ``docs/chop-points.md``):

* comma-separated times (the original sampleChop format), on one or more lines;
* one time per line;
* Audacity label tracks, ``start<TAB>end<TAB>text`` per line (the start is the chop);
* the ``<stem>.chops.json`` manifest that ``samplechop chop`` writes.

Lines starting with ``#`` are comments. Written label files hold one time per line.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from ..exceptions import AnnotationError
from .fileio import atomic_write_text

__all__ = [
    "LabelWarning",
    "LABEL_SUFFIXES",
    "read_labels",
    "write_labels",
    "find_label_file",
    "validate_times",
]

#: Suffixes tried, in order, when looking for the label file of an audio file.
LABEL_SUFFIXES = (".txt", ".chops.json", ".csv", ".labels")


class LabelWarning(UserWarning):
    """A label file was usable but needed a fix (unsorted or duplicated times)."""


#: Largest label file read (bytes). A text file of 100,000 chop times, or a chops
#: manifest of 512 chops with their descriptions, is far below it; a larger file is not
#: a label file, and reading it would take long and much memory.
MAX_LABEL_BYTES = 4 << 20


def _parse_text(text: str, path: Path) -> list[float]:
    times: list[float] = []
    for line_number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if "\t" in line:
            # Audacity label track: start, end, text.
            fields = [line.split("\t")[0]]
        else:
            fields = [field for field in line.replace(";", ",").split(",")]
            if len(fields) == 1:
                fields = line.split()
        for field in fields:
            field = field.strip()
            if not field:
                continue
            try:
                times.append(float(field))
            except ValueError:
                raise AnnotationError(
                    f"{path}: line {line_number}: {field!r} is not a time in seconds"
                ) from None
    return times


def _parse_manifest(text: str, path: Path) -> list[float]:
    try:
        document = json.loads(text)
        chops = document["chops"]
        return [float(chop["start"]) for chop in chops]
    except (ValueError, KeyError, TypeError) as error:
        raise AnnotationError(f"{path}: not a samplechop chops manifest ({error})") from None


def validate_times(
    times: Iterable[float], *, path: os.PathLike | str = "<labels>", duration: Optional[float] = None
) -> np.ndarray:
    """Check chop times and return them as a sorted, duplicate-free array.

    Parameters
    ----------
    times : iterable of float
        Chop times in seconds.
    path : path-like
        Named in messages.
    duration : float, optional
        Length of the audio in seconds; times past it are an error.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted unique times in seconds.

    Raises
    ------
    AnnotationError
        When there is no time, or a time is not finite, negative or past the end.

    Warns
    -----
    LabelWarning
        When the times were unsorted or duplicated (they are sorted and merged).
    """
    array = np.asarray(list(times), dtype=float)
    if array.size == 0:
        raise AnnotationError(f"{path}: holds no chop times")
    if not np.all(np.isfinite(array)):
        raise AnnotationError(f"{path}: holds a time that is not a finite number")
    if np.any(array < 0):
        raise AnnotationError(f"{path}: holds a negative time ({array.min():g} s)")
    if duration is not None and np.any(array > duration):
        raise AnnotationError(
            f"{path}: holds a time past the end of the audio "
            f"({array.max():.3f} s > {duration:.3f} s)"
        )
    if np.any(np.diff(array) < 0):
        warnings.warn(f"{path}: times were not in order; sorted them", LabelWarning, stacklevel=2)
        array = np.sort(array)
    unique = np.unique(array)
    if unique.size < array.size:
        warnings.warn(
            f"{path}: {array.size - unique.size} duplicated time(s) removed",
            LabelWarning,
            stacklevel=2,
        )
    return unique


def read_labels(path: os.PathLike | str, *, duration: Optional[float] = None) -> np.ndarray:
    """Read a label file (any supported format).

    Parameters
    ----------
    path : path-like
        The label file.
    duration : float, optional
        Length of the audio in seconds, to reject times past its end.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted chop times in seconds.

    Raises
    ------
    AnnotationError
        When the file is missing, unreadable, empty or holds an invalid time.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_LABEL_BYTES:
            raise AnnotationError(
                f"{path}: label file is {size / 2**20:.1f} MiB, larger than a label file can be "
                f"({MAX_LABEL_BYTES // 2**20} MiB)"
            )
        if not path.is_file():
            raise AnnotationError(f"{path}: is not a regular file, so not a label file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_LABEL_BYTES + 1)  # the file may have grown since stat
        if len(data) > MAX_LABEL_BYTES:
            raise AnnotationError(f"{path}: label file is larger than a label file can be "
                                  f"({MAX_LABEL_BYTES // 2**20} MiB)")
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError(f"{path}: label file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise AnnotationError(f"{path}: cannot read label file ({error})") from None
    if path.name.endswith(".json"):
        times = _parse_manifest(text, path)
    else:
        times = _parse_text(text, path)
    return validate_times(times, path=path, duration=duration)


def write_labels(path: os.PathLike | str, times: Iterable[float]) -> None:
    """Write chop times, one per line in seconds, atomically.

    Parameters
    ----------
    path : path-like
        Destination label file (``.txt``).
    times : iterable of float
        Chop times in seconds.
    """
    lines = "".join(f"{time:.6f}\n" for time in sorted(float(t) for t in times))
    atomic_write_text(path, lines)


def find_label_file(audio_path: os.PathLike | str) -> Optional[Path]:
    """Return the label file beside an audio file (same stem), or ``None``."""
    audio_path = Path(audio_path)
    for suffix in LABEL_SUFFIXES:
        candidate = audio_path.with_name(audio_path.stem + suffix)
        if candidate.is_file():
            return candidate
    return None

"""The batch summary: one row per input with its status, chop count and error.

Written as CSV or JSON (chosen by the file's suffix), atomically, so that a
summary file is always either the last complete one or absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from ..exceptions import OutputError, ParameterError
from ..io.fileio import atomic_write_text

__all__ = ["SummaryRow", "SUMMARY_FIELDS", "check_summary_path", "write_summary"]


@dataclass(frozen=True)
class SummaryRow:
    """One input of a batch.

    Attributes
    ----------
    input : str
        The input file (or piece).
    status : str
        ``chopped`` / ``built`` / ``rendered``: made in this run; ``done``: found
        complete and left as it was; ``failed``: not made (see ``error``).
    chops : int
        Chops in its kit (``chop``), or chop points in its labels (``dataset build``, ``corpus render``).
    output : str
        Where its result is, or "".
    error : str
        One line saying why it failed, or "" (a worker that died is said so here).
    """

    input: str
    status: str
    chops: int = 0
    output: str = ""
    error: str = ""


SUMMARY_FIELDS = tuple(SummaryRow.__dataclass_fields__)


def check_summary_path(path: os.PathLike | str) -> Path:
    """The summary path, refused early unless it ends in ``.csv`` or ``.json``."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".json"):
        raise ParameterError(f"--summary {path}: the file name must end in .csv or .json")
    return path


def write_summary(path: os.PathLike | str, rows: Iterable[SummaryRow]) -> Path:
    """Write the summary rows atomically, as CSV or JSON by the suffix of ``path``.

    Returns
    -------
    Path
        The file written.
    """
    path = check_summary_path(path)
    rows = list(rows)
    if path.suffix.lower() == ".json":
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        text = json.dumps({"counts": counts, "inputs": [asdict(row) for row in rows]},
                          indent=1, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)
        text = buffer.getvalue()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the summary here ({error.strerror or error})") from None
    atomic_write_text(path, text)
    return path

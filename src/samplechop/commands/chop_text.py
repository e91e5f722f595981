"""What ``samplechop chop`` prints about one chopped file: its table, what was written, its JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ..chop import ChopResult
from ..console import display_path, printable
from ..export.manifest import manifest
from ..export.slices import chop_names
from ..export.writer import Kit, kit_stem
from ..io.audio import AudioInfo

__all__ = ["format_table", "damage_warning", "written_line", "kit_document"]


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


def written_line(kit: Kit, count: int) -> str:
    """One line naming what a kit holds besides its WAV chops."""
    others = [name for name in kit.document.get("outputs", {}).values() if name in kit.files]
    return f"  wrote {count} WAV files, {', '.join(others)} to {display_path(kit.folder)}"


def kit_document(result: ChopResult, kit: Optional[Kit], path: Path, *, start_note: int) -> dict[str, Any]:
    """The JSON document of one chopped file: its manifest and where it was written."""
    if kit is not None:
        document = dict(kit.document)
        if kit.notes:
            document["notes"] = list(document.get("notes", [])) + kit.notes
    else:
        document = manifest(result, chop_names(kit_stem(path), len(result.chops)), start_note=start_note)
    document["output"] = display_path(kit.folder) if kit else None
    return document

"""The library's folders and the labelled sources that ``learn`` reads.

A library is a folder with one sub-folder per sample, named by the first 16 hex
digits of the SHA-256 of the sample's audio::

    <library>/
      3f2a9c0d1e4b5a67/
        entry.json          what the entry is (below)
        <name>.<suffix>     a copy of the audio, byte for byte
        <name>.txt          the chop times, one per line (a label file)

so that every entry folder is also a source that ``samplechop dataset build`` reads.
A ``models`` folder beside the entries holds the models the web app learnt or
imported (see :mod:`samplechop.web.models`); it is no entry.
``entry.json`` holds ``format`` (``"samplechop-library-entry"``), ``version``, ``name``
(the sample's name as the producer knows it), ``audio`` and ``labels`` (the two file
names), ``sha256`` of the audio, ``duration`` (s), ``chops`` (their count),
``origin`` (``"app"``, ``"kit"`` or ``"labels"``), and ``added`` and ``updated``
(UTC, ISO 8601). An entry is written in a staging folder and moved into place in one
step, so it is whole or absent; saving the same audio again replaces its chops.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from ..console import display_path
from ..exceptions import AnnotationError, LibraryError, OutputError, SampleChopError
from ..export.names import safe_stem
from ..io.annotations import find_label_file, read_labels, validate_times, write_labels
from ..io.fileio import atomic_write_text, discard_staging, file_sha256, publish_dir, staging_dir
from ..io.inputs import KIT_MANIFEST_SUFFIX, collect_audio, is_kit_folder, kit_folders

__all__ = ["Library", "LibraryEntry", "LabelledSource", "labelled_sources", "kit_source", "chop_times", "ENTRY_FILE",
           "MODELS_FOLDER"]

#: The description of an entry, in its folder.
ENTRY_FILE = "entry.json"
ENTRY_FORMAT = "samplechop-library-entry"
ENTRY_VERSION = 1
#: Hex digits of the audio's SHA-256 that name an entry's folder.
ID_DIGITS = 16
ORIGINS = ("app", "kit", "labels")
#: The folder of the web app's personal models, inside the library (not an entry).
MODELS_FOLDER = "models"


@dataclass(frozen=True)
class LabelledSource:
    """An audio file and the label file of its chops, as ``learn`` reads them.

    Attributes
    ----------
    audio, labels : Path
    sha256 : str
        Of the audio.
    name : str
        What the producer calls it (a file name, or a library entry's name).
    """

    audio: Path
    labels: Path
    sha256: str
    name: str


@dataclass(frozen=True)
class LibraryEntry:
    """One sample of the library (see the module docstring for the fields)."""

    id: str
    folder: Path
    name: str
    audio: Path
    labels: Path
    sha256: str
    duration: float
    chops: int
    origin: str
    added: str
    updated: str

    def source(self) -> LabelledSource:
        """The entry as a labelled source for ``learn``."""
        return LabelledSource(audio=self.audio, labels=self.labels, sha256=self.sha256, name=self.name)

    def to_dict(self) -> dict:
        """JSON-ready form (paths as text)."""
        return {"id": self.id, "name": self.name, "folder": display_path(self.folder),
                "sha256": self.sha256, "duration": self.duration, "chops": self.chops,
                "origin": self.origin, "added": self.added, "updated": self.updated}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


class Library:
    """A library folder (made when the first entry is added).

    Parameters
    ----------
    folder : path-like
        Where the library lives (see :func:`samplechop.library.default_library_dir`).
    """

    def __init__(self, folder: os.PathLike | str) -> None:
        self.folder = Path(folder)

    def entries(self) -> tuple[list[LibraryEntry], list[str]]:
        """The entries, oldest first, and one line per folder that is not a whole entry.

        Returns
        -------
        entries : list of LibraryEntry
        problems : list of str
            Damaged entries (missing or unreadable ``entry.json``, a missing audio or
            label file), so that they can be reported and skipped.
        """
        if not self.folder.is_dir():
            return [], []
        entries: list[LibraryEntry] = []
        problems: list[str] = []
        for folder in sorted(self.folder.iterdir()):
            if folder.name.startswith(".") or folder.name == MODELS_FOLDER or not folder.is_dir():
                continue
            try:
                entries.append(self._read(folder))
            except LibraryError as error:
                problems.append(str(error))
        entries.sort(key=lambda entry: (entry.added, entry.id))
        return entries, problems

    def get(self, entry_id: str) -> LibraryEntry:
        """The entry whose id is or starts with ``entry_id`` (at least 4 hex digits)."""
        entries, _ = self.entries()
        found = [entry for entry in entries if len(entry_id) >= 4 and entry.id.startswith(entry_id.lower())]
        if len(found) != 1:
            what = "no entry" if not found else f"{len(found)} entries"
            raise LibraryError(f"{self.folder}: {what} with id {entry_id!r} (see `samplechop library list`)")
        return found[0]

    def add(self, audio: os.PathLike | str, times: Iterable[float], *, name: Optional[str] = None,
            origin: str = "labels") -> LibraryEntry:
        """Save a sample and its chop times (replacing the chops of the same audio).

        Parameters
        ----------
        audio : path-like
            The sample; it is copied into the library.
        times : iterable of float
            Its chop times in seconds.
        name : str, optional
            What to call it (default: the audio file's stem).
        origin : {"app", "kit", "labels"}
            Where the chops come from.

        Raises
        ------
        AudioError
            When the audio cannot be read.
        AnnotationError
            When the times are empty, negative or past the end.
        LibraryError
            When the library cannot be written.
        """
        from ..io.audio import probe

        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
        audio = Path(audio)
        info = probe(audio)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unsorted or repeated times are fixed silently here
            chops = validate_times(list(times), path=audio, duration=info.duration)
        sha = file_sha256(audio)
        entry_id = sha[:ID_DIGITS]
        final = self.folder / entry_id
        name = name or audio.stem
        stem = safe_stem(name)
        previous = self._read_or_none(final)
        try:
            staged = staging_dir(final)
        except OutputError as error:
            raise LibraryError(f"{self.folder}: the library cannot be written ({error})") from None
        try:
            copied = staged / f"{stem}{audio.suffix.lower()}"
            shutil.copyfile(audio, copied)
            if file_sha256(copied) != sha:
                raise LibraryError(f"{audio}: changed while it was copied into the library")
            write_labels(staged / f"{stem}.txt", chops)
            now = _now()
            document = {
                "format": ENTRY_FORMAT, "version": ENTRY_VERSION, "name": display_path(name),
                "audio": copied.name, "labels": f"{stem}.txt", "sha256": sha,
                "duration": round(info.duration, 6), "chops": int(chops.size), "origin": origin,
                "added": previous.added if previous else now, "updated": now,
            }
            atomic_write_text(staged / ENTRY_FILE, json.dumps(document, indent=1) + "\n")
            publish_dir(staged, final, overwrite=True)
        except (OSError, OutputError) as error:
            discard_staging(staged)
            reason = getattr(error, "strerror", None) or str(error)
            raise LibraryError(f"{final}: cannot write the entry ({reason})") from None
        except BaseException:
            discard_staging(staged)
            raise
        return self._read(final)

    def add_labelled(self, audio: os.PathLike | str, labels: Optional[os.PathLike | str] = None,
                     *, name: Optional[str] = None) -> LibraryEntry:
        """Save an audio file with its label file (default: the one beside it)."""
        audio = Path(audio)
        label_path = Path(labels) if labels is not None else find_label_file(audio)
        if label_path is None:
            raise AnnotationError(f"{audio}: no label file beside it ({audio.stem}.txt or {audio.stem}.chops.json)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = read_labels(label_path)
        return self.add(audio, times, name=name, origin="labels")

    def add_kit(self, kit: os.PathLike | str) -> LibraryEntry:
        """Save a kit that ``samplechop chop`` wrote, with its chops as the label file says.

        The kit's ``<stem>.txt`` holds the chop times; a producer corrects them there
        (or in the web app, which writes the same file). The audio is the source the
        kit's manifest names.
        """
        source = kit_source(Path(kit))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = read_labels(source.labels)
        return self.add(source.audio, times, name=source.name, origin="kit")

    def remove(self, entry_id: str) -> LibraryEntry:
        """Delete an entry (its folder goes in one step)."""
        entry = self.get(entry_id)
        for leftover in self.folder.glob(".*.removed"):  # from a removal that was cut short
            shutil.rmtree(leftover, ignore_errors=True)
        try:
            trash = Path(tempfile.mkdtemp(prefix=f".{entry.folder.name}.", suffix=".removed", dir=self.folder))
            os.replace(entry.folder, trash / entry.folder.name)
        except OSError as error:
            raise LibraryError(f"{entry.folder}: cannot remove ({error.strerror or error})") from None
        shutil.rmtree(trash, ignore_errors=True)
        return entry

    def _read_or_none(self, folder: Path) -> Optional[LibraryEntry]:
        try:
            return self._read(folder) if folder.is_dir() else None
        except LibraryError:
            return None

    def _read(self, folder: Path) -> LibraryEntry:
        """Read one entry folder, checking that it is whole."""
        try:
            document = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LibraryError(f"{folder}: damaged library entry: {ENTRY_FILE} is missing") from None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise LibraryError(f"{folder}: damaged library entry: {ENTRY_FILE} unreadable ({error})") from None
        try:
            if document["format"] != ENTRY_FORMAT:
                raise ValueError(f"format {document['format']!r}")
            entry = LibraryEntry(
                id=folder.name, folder=folder, name=str(document["name"]),
                audio=folder / Path(str(document["audio"])).name, labels=folder / Path(str(document["labels"])).name,
                sha256=str(document["sha256"]), duration=float(document["duration"]),
                chops=int(document["chops"]), origin=str(document["origin"]),
                added=str(document["added"]), updated=str(document["updated"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LibraryError(f"{folder}: damaged library entry: {ENTRY_FILE} lacks a field ({error})") from None
        for path in (entry.audio, entry.labels):
            if not path.is_file():
                raise LibraryError(f"{folder}: damaged library entry: {path.name} is missing")
        return entry


def kit_source(kit: Path) -> LabelledSource:
    """The source audio of a kit folder and the kit's label file.

    Raises
    ------
    LibraryError
        When ``kit`` is not a kit, or its source audio is no longer where the
        manifest says.
    """
    manifests = sorted(kit.glob(f"*{KIT_MANIFEST_SUFFIX}"))
    if not manifests:
        raise LibraryError(f"{kit}: not a kit folder (no .chops.json manifest in it)")
    manifest = manifests[0]
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        source = document["source"]
        named = [Path(source[key]) for key in ("absolute_path", "path") if source.get(key)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise LibraryError(f"{manifest}: not a readable chops manifest ({error})") from None
    if not named:
        raise LibraryError(f"{manifest}: not a readable chops manifest (no source path)")
    # Kits from before the absolute path was recorded name the source as it was typed,
    # relative to where chop ran: most often the folder above the output folder.
    candidates = [path for path in named if path.is_absolute()] + [
        folder / path for path in named if not path.is_absolute()
        for folder in (Path.cwd(), kit.parent.parent, kit.parent)]
    audio = next((candidate for candidate in candidates if candidate.is_file()), named[0])
    if not audio.is_file():
        raise LibraryError(f"{kit}: its source audio {audio} is not there any more")
    stem = manifest.name[: -len(KIT_MANIFEST_SUFFIX)]
    labels = kit / f"{stem}.txt"
    return LabelledSource(audio=audio, labels=labels if labels.is_file() else manifest,
                          sha256=file_sha256(audio), name=audio.stem)


def labelled_sources(
    inputs: Sequence[os.PathLike | str], *, library: Optional[Library] = None
) -> tuple[list[LabelledSource], list[SampleChopError]]:
    """The labelled sources that ``learn`` reads, each once.

    Parameters
    ----------
    inputs : sequence of path-like
        Kit folders (from ``chop``), audio files with a label file beside them, and
        folders of either. Empty: the library's entries.
    library : Library, optional
        Read when ``inputs`` is empty.

    Returns
    -------
    sources : list of LabelledSource
        Whole ones, each audio once (the last labels given for it win).
    problems : list of SampleChopError
        One per input that was skipped: damaged library entries, audio without a
        label file, kits whose audio moved, audio that changed since it was saved.
    """
    sources: dict[str, LabelledSource] = {}
    problems: list[SampleChopError] = []
    if not inputs:
        if library is None:
            raise LibraryError("no sources given and no library to read")
        entries, damaged = library.entries()
        problems.extend(LibraryError(message) for message in damaged)
        for entry in entries:
            if file_sha256(entry.audio) != entry.sha256:
                problems.append(LibraryError(f"{entry.folder}: damaged library entry: "
                                             f"{entry.audio.name} does not match its hash"))
                continue
            sources[entry.sha256] = entry.source()
        return list(sources.values()), problems
    kits: list[Path] = []
    files: list[Path] = []
    for item in map(Path, inputs):
        if is_kit_folder(item):
            kits.append(item)
            continue
        inside = kit_folders(item) if item.is_dir() else []
        kits.extend(inside)
        found, missing = collect_audio([item])  # leaves the kits' chops out
        files.extend(found)
        if not inside:  # a folder of kits alone holds no loose audio, rightly
            problems.extend(missing)
    for kit in kits:
        try:
            source = kit_source(kit)
            sources[source.sha256] = source
        except LibraryError as error:
            problems.append(error)
    for audio in files:
        labels = find_label_file(audio)
        if labels is None:
            problems.append(AnnotationError(f"{audio}: no label file beside it "
                                            f"({audio.stem}.txt or {audio.stem}.chops.json)"))
            continue
        sha = file_sha256(audio)
        sources[sha] = LabelledSource(audio=audio, labels=labels, sha256=sha, name=audio.stem)
    return list(sources.values()), problems


def chop_times(source: LabelledSource) -> np.ndarray:
    """The chop times of a labelled source."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_labels(source.labels)

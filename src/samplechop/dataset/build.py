"""``samplechop dataset build``: labelled audio files -> feature shards.

Each source file is read, turned into the frame features that the feature settings
name, and its label file into frame targets; files are processed in parallel and
their frames appended to large shard files. Sources already in the data set (same
content hash) are skipped, so a re-run after an interruption completes the build.
Files that cannot be used are reported and skipped.

Files are processed by the local process pool or, with ``scheduler``, on Dask
(:mod:`samplechop.batch.engine`); either way their frames go into the shards in
source order, so a build gives the same shards and manifest whoever ran it. Dask
workers write each file's arrays to a part file in the hidden ``.parts`` folder,
named by the content it is made from; the client appends them to the shards and
removes the folder at the end. A part that exists is complete (written atomically)
and is reused when an interrupted build runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..batch.engine import DEFAULT_RETRIES, TaskFailure, run_units
from ..batch.summary import SummaryRow
from ..blas import hold_to_one_thread
from ..chop import SILENCE_PEAK
from ..exceptions import AnnotationError, AudioError, DatasetError, ParameterError, SampleChopError
from ..io import audio
from ..io.annotations import find_label_file, read_labels
from ..io.fileio import atomic_path, file_sha256
from ..io.inputs import collect_audio
from ..spectral.features import compute_features
from .store import MANIFEST_NAME, FileEntry, frame_targets, manifest_document, open_dataset, write_manifest

__all__ = ["BuildReport", "build_dataset", "split_of", "PARTS_FOLDER"]

#: Hidden folder of a data set in which Dask workers leave each file's arrays for the client.
PARTS_FOLDER = ".parts"


@dataclass
class BuildReport:
    """What a build did."""

    built: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    rows: list[SummaryRow] = field(default_factory=list)


def _draw(sha256: str, seed: int) -> float:
    """A number in [0, 1) fixed by a file's content hash and the seed."""
    return int(hashlib.sha256(f"{seed}:{sha256}".encode()).hexdigest()[:8], 16) / 2**32


def split_of(hashes: Sequence[str], *, valid_share: float, seed: int) -> list[str]:
    """``valid`` or ``train`` for each file, by file, from content hashes.

    The ``round(valid_share * n)`` files with the lowest draws (at least one when
    ``valid_share > 0`` and there are two files or more) are held out, so a small
    data set still gets a validation file; the split depends only on the files'
    contents and the seed, never on their order.
    """
    draws = np.array([_draw(sha, seed) for sha in hashes])
    count = int(round(valid_share * len(hashes)))
    if valid_share > 0 and len(hashes) >= 2:
        count = max(count, 1)
    held_out = set(np.argsort(draws, kind="stable")[:count].tolist())
    return ["valid" if index in held_out else "train" for index in range(len(hashes))]


@dataclass
class _Task:
    path: Path
    label_path: Path
    sha256: str
    labels_sha256: str
    split: str
    features: Mapping[str, Any]
    label_width: int
    pitch_shifts: Sequence[int]


def _process(task: _Task) -> tuple[_Task, Any]:
    """Worker: features and targets of one file (and its re-pitched copies).

    numpy's BLAS runs on one thread (:mod:`samplechop.blas`), so that a data
    set does not depend on where it was built.
    """
    hold_to_one_thread()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            info = audio.probe(task.path)
            labels = read_labels(task.label_path, duration=info.duration)
            sr = int(task.features["sr"])
            y, _ = audio.load_analysis(task.path, sr=sr, info=info)
            peak = float(np.max(np.abs(y))) if y.size else 0.0
            if peak < SILENCE_PEAK:
                raise AudioError(f"{task.path}: is silent")
            y = y / np.float32(peak)
            frame_rate = sr / int(task.features["hop_length"])
            outputs = []
            for shift in task.pitch_shifts:
                signal = y if shift == 0 else _repitch(y, sr=sr, steps=shift)
                features = compute_features(signal, task.features).astype(np.float16)
                targets = frame_targets(labels, n_frames=features.shape[0], frame_rate=frame_rate,
                                        width=task.label_width)
                outputs.append((shift, features, targets))
        messages = [str(w.message) for w in caught]
        return task, (info.duration, labels, outputs, messages)
    except SampleChopError as error:
        return task, error
    except Exception as error:  # a file that breaks a decoder must not stop the build
        return task, AudioError(f"{task.path}: cannot be used ({type(error).__name__}: {error})")


@dataclass
class _PartTask:
    """A file to process on a Dask worker, which writes its arrays to ``part`` (shared storage)."""

    task: _Task
    part: str


def part_name(task: _Task) -> str:
    """The part file of a task: named by the contents it is made from (audio, labels,
    feature settings, label width, pitch shifts), so a part that exists is the one wanted."""
    recipe = json.dumps([task.sha256, task.labels_sha256, dict(task.features), task.label_width,
                         list(task.pitch_shifts)], sort_keys=True, default=str)
    return hashlib.sha256(recipe.encode()).hexdigest()[:32] + ".npz"


def _process_to_part(part_task: _PartTask) -> tuple[_Task, Any]:
    """Dask worker: :func:`_process` one file and write its arrays to its part file.

    Returns the task and either its error or ``(duration, labels, part path, messages)``:
    the arrays stay on shared storage and never pass through the scheduler. A part
    that exists is complete (it is written atomically) and is not made again.
    """
    task, part = part_task.task, Path(part_task.part)
    if part.is_file():
        with np.load(part) as stored:
            meta = json.loads(str(stored["meta"]))
        return task, (meta["duration"], np.asarray(meta["labels"]), str(part), meta["messages"])
    task, outcome = _process(task)
    if isinstance(outcome, SampleChopError):
        return task, outcome
    duration, labels, outputs, messages = outcome
    arrays = {"meta": np.asarray(json.dumps({"duration": duration, "labels": [float(t) for t in labels],
                                             "messages": messages, "shifts": [o[0] for o in outputs]}))}
    for shift, features, targets in outputs:
        arrays[f"features{shift}"], arrays[f"targets{shift}"] = features, targets
    with atomic_path(part) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
    return task, (duration, labels, str(part), messages)


def _load_part(part: str) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The ``(shift, features, targets)`` a worker wrote to a part file."""
    with np.load(part) as stored:
        shifts = json.loads(str(stored["meta"]))["shifts"]
        return [(shift, stored[f"features{shift}"], stored[f"targets{shift}"]) for shift in shifts]


def _repitch(y: np.ndarray, *, sr: int, steps: int) -> np.ndarray:
    try:
        import librosa
    except ImportError:
        raise ParameterError("re-pitching audio needs librosa: pip install 'samplechop[train]'") from None
    return librosa.effects.pitch_shift(y, sr=sr, n_steps=steps).astype(np.float32)


def _save_array(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, array)


def build_dataset(
    sources: Sequence[os.PathLike | str],
    out_dir: os.PathLike | str,
    *,
    features: Mapping[str, Any],
    label_width: int = 1,
    valid_share: float = 0.15,
    seed: int = 0,
    jobs: int = 2,
    shard_frames: int = 2_000_000,
    repitch: int = 0,
    labels: Optional[Mapping[Path, Path]] = None,
    progress: bool = False,
    log=print,
    scheduler: Optional[str] = None,
    retries: int = DEFAULT_RETRIES,
) -> BuildReport:
    """Build (or complete) a data set from labelled audio.

    Parameters
    ----------
    sources : sequence of path-like
        Audio files or folders; each audio file needs a label file of the same stem.
    out_dir : path-like
        Data set folder (created if needed).
    features : mapping
        Feature settings (:data:`samplechop.spectral.features.DEFAULT_FEATURES` or ``SEED_FEATURES``).
    label_width : int >= 0
        Frames either side of a labelled frame that are positive too.
    valid_share : float in [0, 1)
        Share of files held out for validation (by file).
    seed : int
        Seed of the split.
    jobs : int >= 1
        Worker processes.
    shard_frames : int
        Frames per shard file.
    repitch : int >= 0
        Also store copies re-pitched in the audio by -repitch..repitch semitones
        (0: none; training can shift in the feature domain instead).
    labels : mapping of Path to Path, optional
        The label file of an audio file that has none beside it (a kit's source,
        whose labels are in the kit), keyed by the audio's resolved path.
    progress : bool
        Show a progress bar.
    log : callable
        Receives one-line messages (skipped files, warnings).
    scheduler : str, optional
        ``local:N`` or a Dask scheduler's address: process the files on Dask. The
        workers leave each file's arrays in the data set's hidden ``.parts`` folder
        (so the folder must be on storage they share); the shards and manifest are
        the same as a local build's.
    retries : int >= 0
        With ``scheduler``: runs of a failing task after its first.

    Returns
    -------
    BuildReport
    """
    if label_width < 0:
        raise ParameterError(f"--label-width must be >= 0, got {label_width}")
    if not 0.0 <= valid_share < 1.0:
        raise ParameterError(f"--valid-share must be in [0, 1), got {valid_share}")
    if jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {jobs}")
    if shard_frames < 1000:
        raise ParameterError(f"--shard-frames must be >= 1000, got {shard_frames}")
    if repitch < 0 or repitch > 12:
        raise ParameterError(f"--repitch must be between 0 and 12 semitones, got {repitch}")
    started = time.perf_counter()
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetError(f"{folder}: cannot create data set folder ({error.strerror})") from None
    frame_rate = int(features["sr"]) / int(features["hop_length"])
    if (folder / MANIFEST_NAME).exists():
        existing = open_dataset(folder)
        if existing.features != dict(features) or existing.label_width != label_width:
            raise DatasetError(
                f"{folder}: was built with other feature settings or label width "
                f"({existing.features['kind']}, width {existing.label_width}); build into a new folder"
            )
        entries, shards = list(existing.files), dict(existing.shards)
    else:
        entries, shards = [], {}
    done = {entry.key for entry in entries}
    label_counts = {(entry.sha256, entry.labels_sha256): len(entry.labels) for entry in entries}
    report = BuildReport()
    files, problems = collect_audio(sources, skip=[folder])
    errors: list[SampleChopError] = []

    def skip(error: SampleChopError, source: Optional[Path] = None) -> None:
        errors.append(error)
        report.failed.append(str(error))
        log(f"skipped: {error}")
        report.rows.append(SummaryRow(str(source) if source else str(error).partition(": ")[0], "failed",
                                      error=str(error)))

    for problem in problems:
        skip(problem)
    shifts = [0] + [s for s in range(-repitch, repitch + 1) if s != 0]
    tasks: list[_Task] = []
    for path in files:
        label_path = (labels or {}).get(path.resolve()) or find_label_file(path)
        if label_path is None:
            skip(AnnotationError(f"{path}: no label file beside it ({path.stem}.txt or {path.stem}.chops.json)"),
                 path)
            continue
        try:
            # A source is its audio and its labels: corrected labels make a new entry.
            sha, labels_sha = file_sha256(path), file_sha256(label_path)
        except OSError as error:
            skip(AudioError(f"{path}: cannot read ({error.strerror})"), path)
            continue
        wanted = [shift for shift in shifts if (sha, labels_sha, shift) not in done]
        if not wanted:
            report.skipped += 1
            report.rows.append(SummaryRow(str(path), "done", chops=label_counts.get((sha, labels_sha), 0),
                                          output=str(folder)))
            continue
        done.update((sha, labels_sha, shift) for shift in wanted)
        tasks.append(_Task(path, label_path, sha, labels_sha, "train", dict(features), label_width, wanted))
    # An entry whose source file now has other labels is replaced by the new version.
    relabelled = {(str(task.path), task.sha256) for task in tasks if 0 in task.pitch_shifts}
    entries[:] = [entry for entry in entries if (entry.source, entry.sha256) not in relabelled]
    # Files already in the data set keep their split; new files are split among themselves.
    known = {entry.sha256: entry.split for entry in entries}
    new = [task for task in tasks if task.sha256 not in known]
    for task, split in zip(new, split_of([t.sha256 for t in new], valid_share=valid_share, seed=seed)):
        task.split = split
    for task in tasks:
        task.split = known.get(task.sha256, task.split)

    pending: list[tuple[FileEntry, np.ndarray, np.ndarray]] = []
    pending_frames = 0

    def flush() -> None:
        nonlocal pending, pending_frames
        if not pending:
            return
        name = f"shard-{len(shards):05d}"
        _save_array(folder / f"{name}.features.npy", np.concatenate([p[1] for p in pending]))
        _save_array(folder / f"{name}.targets.npy", np.concatenate([p[2] for p in pending]))
        offset = 0
        for entry, feats, _ in pending:
            entry.shard, entry.offset = name, offset
            offset += feats.shape[0]
            entries.append(entry)
        shards[name] = offset
        write_manifest(folder, manifest_document(features=features, label_width=label_width,
                                                 frame_rate=frame_rate, shards=shards, files=entries))
        pending, pending_frames = [], 0

    def add(task: _Task, outcome: Any) -> None:
        nonlocal pending_frames
        if isinstance(outcome, TaskFailure):
            outcome = SampleChopError(f"{task.path}: {outcome.message}")
        if isinstance(outcome, SampleChopError):
            skip(outcome, task.path)
            return
        duration, labels, outputs, messages = outcome
        if isinstance(outputs, str):
            outputs = _load_part(outputs)
        for message in messages:
            report.warnings.append(message)
            log(f"warning: {message}")
        frames = 0
        for shift, feats, targets in outputs:
            entry = FileEntry(
                source=str(task.path), sha256=task.sha256, labels_sha256=task.labels_sha256,
                shard="", offset=0,
                frames=int(feats.shape[0]), labels=[round(float(t), 6) for t in labels],
                positives=int(targets.sum()), split=task.split, duration=round(duration, 6),
                augmentation={"pitch_shift": shift} if shift else None,
            )
            pending.append((entry, feats, targets))
            frames += feats.shape[0]
        pending_frames += frames
        report.frames += frames
        report.built += 1
        report.rows.append(SummaryRow(str(task.path), "built", chops=len(labels), output=str(folder)))
        if pending_frames >= shard_frames:
            flush()

    parts = folder / PARTS_FOLDER
    if scheduler is None:
        unit, work = _process, tasks
    else:
        parts.mkdir(exist_ok=True)
        unit, work = _process_to_part, [_PartTask(task, str(parts / part_name(task))) for task in tasks]
    # Results come back as they finish; frames go into the shards in task order, as in
    # a build in one process, so that the shards do not depend on who built them.
    waiting: dict[int, Any] = {}
    added = 0
    with run_units(unit, work, jobs=jobs, scheduler=scheduler, retries=retries, progress=progress,
                   desc="dataset", log=log) as finished:
        for number, record in finished:
            waiting[number] = record if isinstance(record, TaskFailure) else record[1]
            while added in waiting:
                add(tasks[added], waiting.pop(added))
                added += 1
    flush()
    if parts.is_dir():
        shutil.rmtree(parts, ignore_errors=True)  # every part is in a shard now
    if not entries and len(errors) == 1:
        raise errors[0]  # one source, unusable: its own error and exit code, as chop gives
    if not entries:
        raise DatasetError(f"{folder}: no usable labelled audio among the sources")
    # The split drawn before the files were read may have held out files that then
    # proved unusable: draw it again among the new files that were built, so that
    # --valid-share holds for what the data set contains.
    new_hashes = {task.sha256 for task in new}
    built_new = sorted({entry.sha256 for entry in entries if entry.sha256 in new_hashes})
    redrawn = dict(zip(built_new, split_of(built_new, valid_share=valid_share, seed=seed)))
    changed = False
    for entry in entries:
        if entry.sha256 in redrawn and entry.split != redrawn[entry.sha256]:
            entry.split, changed = redrawn[entry.sha256], True
    if changed or not (folder / MANIFEST_NAME).exists():
        write_manifest(folder, manifest_document(features=features, label_width=label_width,
                                                 frame_rate=frame_rate, shards=shards, files=entries))
    report.seconds = time.perf_counter() - started
    report.counts = open_dataset(folder).counts()
    return report

"""``samplechop dataset build``: labelled audio files -> feature shards.

Each source file is read, turned into the frame features that the feature settings
name, and its label file into frame targets; files are processed in parallel and
their frames appended to large shard files. Sources already in the data set (same
content hash) are skipped, so a re-run after an interruption completes the build.
Files that cannot be used are reported and skipped.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..chop import SILENCE_PEAK
from ..exceptions import AnnotationError, AudioError, DatasetError, ParameterError, SampleChopError
from ..io import audio
from ..io.annotations import find_label_file, read_labels
from ..io.fileio import atomic_path, file_sha256
from ..io.inputs import collect_audio
from ..spectral.features import compute_features
from ..workers import process_pool
from .store import MANIFEST_NAME, FileEntry, frame_targets, manifest_document, open_dataset, write_manifest

__all__ = ["BuildReport", "build_dataset", "split_of"]


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
    """Worker: features and targets of one file (and its re-pitched copies)."""
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
    report = BuildReport()
    files, problems = collect_audio(sources, skip=[folder])
    errors: list[SampleChopError] = []

    def skip(error: SampleChopError) -> None:
        errors.append(error)
        report.failed.append(str(error))
        log(f"skipped: {error}")

    for problem in problems:
        skip(problem)
    shifts = [0] + [s for s in range(-repitch, repitch + 1) if s != 0]
    tasks: list[_Task] = []
    for path in files:
        label_path = (labels or {}).get(path.resolve()) or find_label_file(path)
        if label_path is None:
            skip(AnnotationError(f"{path}: no label file beside it ({path.stem}.txt or {path.stem}.chops.json)"))
            continue
        try:
            # A source is its audio and its labels: corrected labels make a new entry.
            sha, labels_sha = file_sha256(path), file_sha256(label_path)
        except OSError as error:
            skip(AudioError(f"{path}: cannot read ({error.strerror})"))
            continue
        wanted = [shift for shift in shifts if (sha, labels_sha, shift) not in done]
        if not wanted:
            report.skipped += 1
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

    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="file", file=sys.stderr, desc="dataset")
    pool = process_pool(jobs) if jobs > 1 and len(tasks) > 1 else None
    try:
        results = pool.imap(_process, tasks) if pool else map(_process, tasks)
        for task, outcome in results:
            if bar is not None:
                bar.update(1)
            if isinstance(outcome, SampleChopError):
                skip(outcome)
                continue
            duration, labels, outputs, messages = outcome
            for message in messages:
                report.warnings.append(message)
                log(f"warning: {message}")
            for shift, feats, targets in outputs:
                entry = FileEntry(
                    source=str(task.path), sha256=task.sha256, labels_sha256=task.labels_sha256,
                    shard="", offset=0,
                    frames=int(feats.shape[0]), labels=[round(float(t), 6) for t in labels],
                    positives=int(targets.sum()), split=task.split, duration=round(duration, 6),
                    augmentation={"pitch_shift": shift} if shift else None,
                )
                pending.append((entry, feats, targets))
                pending_frames += feats.shape[0]
                report.frames += feats.shape[0]
            report.built += 1
            if pending_frames >= shard_frames:
                flush()
        flush()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if bar is not None:
            bar.close()
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

"""Accuracy of a chop model against labelled audio, beside baselines, in one run.

Every method is scored per file with the F-measure at 50 ms (mir_eval), choosing
N = the number of labelled chops of that file:

``model``
    The full chopping pipeline (scores, candidates, the file's first attack,
    Maximal Average Diversification with the given lambda, placement on the
    attack).
``seed``
    The same pipeline with a seed-architecture model, when one is given.
``onsets``
    librosa's onset-strength peaks, the N strongest (merged within 100 ms).
``beats``
    librosa's beat-tracked frames, the N strongest by onset strength.

Precision and recall of the model at its default settings (its own threshold, no
limit on N) are reported too.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .chop import MAX_CHOPS, Analysis, ChopSettings, analyse, select_chops
from .exceptions import AnnotationError, DatasetError, ParameterError, SampleChopError
from .io.annotations import find_label_file, read_labels
from .io.fileio import atomic_write_text
from .io.inputs import collect_audio
from .model import ChopModel
from .scoring import f_measure, top_n_times

__all__ = ["LabelledFile", "EvaluationTable", "FileScore", "ScoreJob", "labelled_files", "evaluate", "score_file",
           "score_job", "baseline_times"]


@dataclass(frozen=True)
class LabelledFile:
    """An audio file and its chop times."""

    path: Path
    labels: np.ndarray


@dataclass
class EvaluationTable:
    """Per-file and mean scores of every method."""

    methods: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    default_settings: dict[str, float] = field(default_factory=dict)

    def mean(self) -> dict[str, float]:
        """Mean F per method over the scored files."""
        return {m: float(np.mean([row[m] for row in self.rows])) if self.rows else 0.0 for m in self.methods}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"methods": self.methods, "mean_f": self.mean(), "files": self.rows,
                "model_at_default_settings": self.default_settings, "failed": self.failed,
                "window": 0.05}

    def format(self) -> str:
        """The table as text."""
        width = max([len("mean")] + [len(Path(row["file"]).name) for row in self.rows])
        head = f"{'file':<{width}}  {'labels':>6}  " + "  ".join(f"{m:>7}" for m in self.methods)
        lines = [head, "-" * len(head)]
        for row in self.rows:
            lines.append(f"{Path(row['file']).name:<{width}}  {row['labels']:>6}  "
                         + "  ".join(f"{row[m]:>7.3f}" for m in self.methods))
        mean = self.mean()
        lines.append("-" * len(head))
        total = sum(row["labels"] for row in self.rows)
        lines.append(f"{'mean':<{width}}  {total:>6}  " + "  ".join(f"{mean[m]:>7.3f}" for m in self.methods))
        if self.default_settings:
            d = self.default_settings
            lines.append(f"model at default settings (threshold {d['threshold']:.2f}, no limit on N): "
                         f"precision {d['precision']:.3f}, recall {d['recall']:.3f}, F {d['f']:.3f}")
        return "\n".join(lines)


def labelled_files(data: Sequence[os.PathLike | str], *, split: str = "valid",
                   log: Callable[[str], None] = print) -> list[LabelledFile]:
    """The labelled audio that ``evaluate`` scores.

    A data set folder contributes its files of ``split`` (re-pitched copies left
    out); files and other folders contribute audio files that have a label file.
    """
    from .dataset.store import MANIFEST_NAME, open_dataset

    items: list[LabelledFile] = []
    loose: list[os.PathLike | str] = []
    for entry in data:
        if (Path(entry) / MANIFEST_NAME).is_file():
            dataset = open_dataset(entry)
            for record in dataset.split(split):
                if record.augmentation:
                    continue
                if not Path(record.source).is_file():
                    log(f"skipped: {record.source}: source audio of {entry} not found")
                    continue
                items.append(LabelledFile(Path(record.source), np.asarray(record.labels, dtype=float)))
        else:
            loose.append(entry)
    if loose:
        files, problems = collect_audio(loose)
        for problem in problems:
            log(f"skipped: {problem}")
        for path in files:
            label_path = find_label_file(path)
            if label_path is None:
                log(f"skipped: {path}: no label file beside it")
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    items.append(LabelledFile(path, read_labels(label_path)))
            except AnnotationError as error:
                log(f"skipped: {error}")
    if not items:
        raise DatasetError("no labelled audio to evaluate")
    return items


def baseline_times(y: np.ndarray, *, sr: int, hop_length: int, n: int) -> dict[str, np.ndarray]:
    """Chop times of the librosa baselines: onsets and beats, the N strongest."""
    import librosa

    envelope = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop_length)
    frame_rate = sr / hop_length
    onsets = top_n_times(envelope, n=n, frame_rate=frame_rate)
    _, beat_frames = librosa.beat.beat_track(onset_envelope=envelope, sr=sr, hop_length=hop_length)
    beat_frames = np.asarray(beat_frames, dtype=int)
    beat_frames = beat_frames[beat_frames < envelope.size]
    strongest = beat_frames[np.argsort(-envelope[beat_frames], kind="stable")[:n]]
    return {"onsets": onsets, "beats": np.sort(strongest / frame_rate)}


def _model_times(analysis: Analysis, n: int, *, lam: float, first_attack: bool) -> np.ndarray:
    settings = ChopSettings(n=min(n, MAX_CHOPS), lam=lam, threshold=0.0, first_attack=first_attack)
    return select_chops(analysis, settings).times


@dataclass(frozen=True)
class FileScore:
    """One file's row of the table, and what the model found at its default settings."""

    row: dict[str, Any]
    found: int
    hits: int
    labelled: int


def score_file(item: LabelledFile, *, model: ChopModel, seed_model: Optional[ChopModel] = None,
               lam: float = ChopSettings.lam, first_attack: bool = True, baselines: bool = True) -> FileScore:
    """Score the model, the seed model and the baselines on one file.

    Raises
    ------
    SampleChopError
        When the file cannot be read or chopped.
    """
    analysis = analyse(item.path, model=model, describe=False)
    n = int(item.labels.size)
    row: dict[str, Any] = {"file": str(item.path), "labels": n}
    row["model"] = f_measure(item.labels, _model_times(analysis, n, lam=lam, first_attack=first_attack))[0]
    if seed_model is not None:
        seed_analysis = analyse(item.path, model=seed_model, describe=False)
        row["seed"] = f_measure(item.labels, _model_times(seed_analysis, n, lam=lam, first_attack=first_attack))[0]
    if baselines:
        hop = int(model.features["hop_length"])
        for name, times in baseline_times(analysis.y, sr=analysis.sr, hop_length=hop, n=n).items():
            row[name] = f_measure(item.labels, times)[0]
    defaults = ChopSettings(n=MAX_CHOPS, lam=0.0, threshold=None, first_attack=first_attack)
    default = select_chops(analysis, defaults).times
    _, _, recall = f_measure(item.labels, default)
    return FileScore({key: (round(value, 4) if isinstance(value, float) else value) for key, value in row.items()},
                     found=int(default.size), hits=int(round(recall * n)), labelled=n)


@dataclass(frozen=True)
class ScoreJob:
    """A file to score in a worker, which loads the models from their paths."""

    item: LabelledFile
    model: Optional[str]
    seed_model: Optional[str]
    lam: float
    first_attack: bool
    baselines: bool


def score_job(job: ScoreJob) -> FileScore | SampleChopError:
    """The unit of work of ``evaluate`` on a pool or on Dask: one file's scores, or its error."""
    from .batch.models import process_model
    from .blas import hold_to_one_thread

    hold_to_one_thread()
    try:
        return score_file(job.item, model=process_model(job.model),
                          seed_model=process_model(job.seed_model) if job.seed_model is not None else None,
                          lam=job.lam, first_attack=job.first_attack, baselines=job.baselines)
    except SampleChopError as error:
        return error


def evaluate(
    items: Sequence[LabelledFile],
    *,
    model: ChopModel,
    seed_model: Optional[ChopModel] = None,
    lam: float = ChopSettings.lam,
    first_attack: bool = True,
    baselines: bool = True,
    progress: bool = False,
    log: Callable[[str], None] = print,
    jobs: int = 1,
    scheduler: Optional[str] = None,
    retries: int = 2,
) -> EvaluationTable:
    """Score the model, the seed model and the baselines on every file.

    ``lam`` and ``first_attack`` are the chopping pipeline's settings for both models
    (see :class:`samplechop.chop.ChopSettings`). With ``jobs`` > 1 or a ``scheduler``
    (``local:N`` or a Dask address), the files are scored by workers that load the
    models from their files (so both must have been read from a file); the table is
    the same, in the same order.

    Returns
    -------
    EvaluationTable
    """
    methods = ["model"] + (["seed"] if seed_model is not None else []) + (["onsets", "beats"] if baselines else [])
    table = EvaluationTable(methods=methods)
    outcomes: list[FileScore | SampleChopError] = []
    if jobs == 1 and scheduler is None:
        from .batch.engine import progress_bar

        bar = progress_bar(len(items), progress=progress, desc="evaluate")
        try:
            for item in items:
                try:
                    outcomes.append(score_file(item, model=model, seed_model=seed_model, lam=lam,
                                               first_attack=first_attack, baselines=baselines))
                except SampleChopError as error:
                    outcomes.append(error)
                bar.update(1)
        finally:
            bar.close()
    else:
        outcomes = _score_in_workers(items, model=model, seed_model=seed_model, lam=lam, first_attack=first_attack,
                                     baselines=baselines, progress=progress, log=log, jobs=jobs,
                                     scheduler=scheduler, retries=retries)
    hits = found = total = 0
    for outcome in outcomes:
        if isinstance(outcome, SampleChopError):
            table.failed.append(str(outcome))
            log(f"skipped: {outcome}")
            continue
        table.rows.append(outcome.row)
        found, hits, total = found + outcome.found, hits + outcome.hits, total + outcome.labelled
    precision = hits / found if found else 0.0
    recall = hits / total if total else 0.0
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    table.default_settings = {"threshold": model.threshold, "precision": round(precision, 4),
                              "recall": round(recall, 4), "f": round(f, 4)}
    return table


def _score_in_workers(items: Sequence[LabelledFile], *, model: ChopModel, seed_model: Optional[ChopModel],
                      lam: float, first_attack: bool, baselines: bool, progress: bool,
                      log: Callable[[str], None], jobs: int, scheduler: Optional[str],
                      retries: int) -> list[FileScore | SampleChopError]:
    """Each file's scores or error, in the order of ``items``, from workers of the local pool or Dask."""
    from .batch.engine import TaskFailure, run_units

    for name, chosen in (("--model", model), ("--seed-model", seed_model)):
        if chosen is not None and chosen.path is None:
            raise ParameterError(f"{name}: a model held in memory cannot be sent to workers; give its file")
    work = [ScoreJob(item, str(model.path), str(seed_model.path) if seed_model is not None else None,
                     lam, first_attack, baselines) for item in items]
    outcomes: list[Any] = [None] * len(items)
    with run_units(score_job, work, jobs=jobs, scheduler=scheduler, retries=retries, progress=progress,
                   desc="evaluate", log=log) as finished:
        for number, record in finished:
            if isinstance(record, TaskFailure):
                record = SampleChopError(f"{items[number].path}: {record.message}")
            outcomes[number] = record
    return outcomes


def write_table(table: EvaluationTable, path: os.PathLike | str) -> None:
    """Write the table as JSON, atomically."""
    atomic_write_text(path, json.dumps(table.to_dict(), indent=1) + "\n")

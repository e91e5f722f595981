"""``samplechop learn``: a producer's own chops become their own model, in one step.

From a handful of samples the producer chopped (or corrected) by hand:

1. some are held out, when there are enough (:func:`held_out_count`): they are only
   used at the end, to tell whether the new model chops them better;
2. a data set is built from the others, with the base model's features;
3. the base model (default: the shipped one) is fine-tuned on it for a fixed number
   of steps at a low learning rate (:class:`LearnSettings`; the values were chosen
   with ``benchmarks/learn_taste.py``, see docs/learn.md);
4. the held-out samples are chopped by the base model and by the new one, through
   the whole chopping pipeline with N = their number of chops, and scored by the
   F-measure at 50 ms;
5. the new model is written only if it does better there, or, with too few samples
   to hold any out, written with that said plainly. Its ``training.learn`` record
   holds its provenance: the base model, the samples (names and hashes), the
   settings and the held-out figures.

The work (data set, checkpoint) goes in a folder beside the output, so an
interrupted run resumes where it stopped; it is removed when the run ends.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from .. import __version__
from ..console import display_path
from ..evaluate import LabelledFile, evaluate
from ..exceptions import LibraryError, ParameterError
from ..io.fileio import atomic_write_text, file_sha256
from ..library.store import LabelledSource, chop_times
from ..model import DEFAULT_MODEL_PATH, ChopModel, load_model, save_model
from .learn_settings import (
    MIN_FILES,
    MIN_FILES_TO_CHECK,
    LearnSettings,
    check_source_count,
    held_out_count,
)
from .train import TrainSettings, train_model

__all__ = ["LearnSettings", "LearnReport", "learn", "held_out_count", "MIN_FILES", "MIN_FILES_TO_CHECK"]


@dataclass
class LearnReport:
    """What a ``learn`` run did.

    ``f_base`` and ``f_learnt`` are the mean F of the base and the new model on the
    held-out samples (None when none were held out); ``written`` says whether the new
    model was written, and ``verdict`` says why, in one sentence.
    """

    learnt_from: list[str]
    held_out: list[str]
    f_base: Optional[float]
    f_learnt: Optional[float]
    written: bool
    verdict: str
    seconds: float
    steps: int
    skipped: list[str] = field(default_factory=list)


def _draw(sha256: str, seed: int) -> str:
    return hashlib.sha256(f"learn:{seed}:{sha256}".encode()).hexdigest()


def split_sources(sources: Sequence[LabelledSource], *, share: float, seed: int
                  ) -> tuple[list[LabelledSource], list[LabelledSource]]:
    """(learnt from, held out), by content hash: the same samples give the same split."""
    ordered = sorted(sources, key=lambda source: _draw(source.sha256, seed))
    count = held_out_count(len(ordered), share)
    return ordered[count:], ordered[:count]


def _mean_f(model: ChopModel, sources: Sequence[LabelledSource], log: Callable[[str], None]) -> float:
    items = [LabelledFile(source.audio, chop_times(source)) for source in sources]
    table = evaluate(items, model=model, baselines=False, log=log)
    if not table.rows:
        raise LibraryError("none of the held-out samples could be chopped")
    return float(table.mean()["model"])


def learn(
    sources: Sequence[LabelledSource],
    output: os.PathLike | str,
    *,
    base: Optional[os.PathLike | str] = None,
    settings: Optional[LearnSettings] = None,
    work: Optional[os.PathLike | str] = None,
    progress: bool = False,
    log: Callable[[str], None] = print,
    on_progress: Optional[Callable[[str, int, int], None]] = None,
) -> LearnReport:
    """Fine-tune a model on a producer's chops; write it if it chops held-out ones better.

    Parameters
    ----------
    sources : sequence of LabelledSource
        The producer's labelled samples (see :func:`samplechop.library.labelled_sources`).
    output : path-like
        The model file to write.
    base : path-like, optional
        The model to start from (default: the shipped model).
    settings : LearnSettings, optional
    work : path-like, optional
        Folder for the data set and checkpoint (default: ``<output>.learn`` beside the
        output). Kept while a run is unfinished, so that running again resumes.
    progress : bool
        Show progress bars.
    log : callable
        Receives one-line messages.
    on_progress : callable, optional
        Called with ``(phase, done, total)`` as the run goes: ``"building"`` (the data
        set, 0 of the samples learnt from), ``"training"`` (steps done of the steps),
        ``"checking"`` (models scored of 2 on the held-out samples), so that the web app
        can show a progress bar.

    Returns
    -------
    LearnReport

    Raises
    ------
    LibraryError
        With fewer than :data:`MIN_FILES` samples.
    """
    from ..dataset.build import build_dataset

    settings = (settings or LearnSettings()).validate()
    started = time.perf_counter()
    output = Path(output)
    if not output.parent.is_dir():
        raise ParameterError(f"{output.parent}: output folder does not exist")
    check_source_count(len(sources))
    base_path = Path(base) if base is not None else DEFAULT_MODEL_PATH
    base_model = load_model(base_path)
    train_sources, held_out = split_sources(sources, share=settings.held_out_share, seed=settings.seed)
    work = _work_folder(output, work, plan={
        "base": file_sha256(base_path), "settings": asdict(settings),
        "learnt": sorted(source.sha256 for source in train_sources),
        "held_out": sorted(source.sha256 for source in held_out),
    }, log=log)
    log(f"learning from {len(train_sources)} samples"
        + (f", holding out {len(held_out)} to check the result" if held_out else
           f"; too few ({len(sources)}) to hold any out and check the result"))

    report_progress = on_progress or (lambda phase, done, total: None)
    report_progress("building", 0, len(train_sources))
    build = build_dataset(
        [source.audio for source in train_sources], work / "data", features=base_model.features,
        valid_share=0.0, seed=settings.seed, jobs=1,
        labels={source.audio.resolve(): source.labels for source in train_sources},
        progress=progress, log=log,
    )
    train_settings = TrainSettings(
        init=str(base_path), steps=settings.steps, lr=settings.lr, seed=settings.seed, threads=settings.threads,
        batch_size=settings.batch_size, excerpt=settings.excerpt, pitch_shift=settings.pitch_shift,
        eq_db=settings.eq_db,
        eval_every=max(5, settings.steps // 5), keep="last", checkpoint=str(work / "learn.ckpt"),
    )
    candidate = work / "learnt.npz"
    report_progress("training", 0, settings.steps)
    trained = train_model(work / "data", candidate, train_settings, progress=progress,
                          log=lambda message: None if message.startswith("warning: the data set has no validation")
                          else log(message),
                          on_step=lambda step, total: report_progress("training", step, total))
    learnt = load_model(candidate)

    f_base = f_learnt = None
    if held_out:
        report_progress("checking", 0, 2)
        f_base = _mean_f(base_model, held_out, log)
        report_progress("checking", 1, 2)
        f_learnt = _mean_f(learnt, held_out, log)
        report_progress("checking", 2, 2)
        written = f_learnt > f_base
        verdict = (f"better on the {len(held_out)} held-out samples: F {f_base:.3f} -> {f_learnt:.3f}"
                   if written else
                   f"not better on the {len(held_out)} held-out samples (F {f_base:.3f} -> {f_learnt:.3f}): "
                   f"no model written; chop more samples, or correct more chops")
    else:
        written = True
        verdict = (f"too few samples ({len(sources)}) to hold some out: the new model is written unchecked; "
                   f"with {MIN_FILES_TO_CHECK} or more, learn checks it on held-out samples")

    report = LearnReport(
        learnt_from=[source.name for source in train_sources], held_out=[source.name for source in held_out],
        f_base=f_base, f_learnt=f_learnt, written=written, verdict=verdict,
        seconds=time.perf_counter() - started, steps=trained.steps,
        skipped=list(build.failed),
    )
    if written:
        provenance = {
            "base": {"path": display_path(base_path), "sha256": file_sha256(base_path)},
            "files": [{"name": source.name, "sha256": source.sha256, "role": role}
                      for role, group in (("learnt", train_sources), ("held out", held_out)) for source in group],
            "settings": asdict(settings),
            "held_out": {"files": len(held_out), "f_base": _rounded(f_base), "f_learnt": _rounded(f_learnt)},
            "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "samplechop": __version__,
        }
        save_model(output, features=learnt.features, architecture=learnt.architecture, params=learnt.params,
                   input_mean=learnt.input_mean, input_std=learnt.input_std, threshold=learnt.threshold,
                   training={**learnt.training, "learn": provenance}, onnx=learnt.onnx)
    shutil.rmtree(work, ignore_errors=True)
    return report


def _work_folder(output: Path, work: Optional[os.PathLike | str], *, plan: dict,
                 log: Callable[[str], None]) -> Path:
    """The folder ``MODEL.learn`` (beside the output, or in ``work``) for this run's data
    set and checkpoint, made or resumed.

    Only a folder of that name is ever removed, never the folder given as ``work``. An
    interrupted run's folder is resumed only if it was made for the same base model,
    samples (learnt and held out) and settings; otherwise it is started afresh, so that
    a held-out sample can never have been trained on.
    """
    folder = (Path(work) if work is not None else output.parent) / f"{output.name}.learn"
    plan_path = folder / "plan.json"
    if folder.exists():
        try:
            previous = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous != json.loads(json.dumps(plan)):
            log(f"{folder}: made for other samples or settings; starting afresh")
            shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    if not plan_path.exists():
        atomic_write_text(plan_path, json.dumps(plan, indent=1) + "\n")
    return folder


def _rounded(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(float(value), 4)


def describe(report: LearnReport, output: os.PathLike | str) -> str:
    """The report as a few lines for the terminal."""
    lines = [f"learnt from {len(report.learnt_from)} samples in {report.seconds:.0f} s ({report.steps} steps)"]
    if report.held_out:
        lines.append(f"held out: {', '.join(report.held_out)}")
    lines.append(("wrote " + display_path(output) + ": " if report.written else "") + report.verdict)
    return "\n".join(lines)


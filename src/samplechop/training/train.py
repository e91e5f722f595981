"""``samplechop train``: the PyTorch training loop.

Excerpts of the training files are drawn at random (weighted by length) from the
memory-mapped shards, so the data set never has to fit in memory. The class
imbalance (few chop frames among many) is handled by weighting the positive frames
of the binary cross-entropy by the square root of the negative/positive ratio.
Validation scores each validation file's top-N peaks (N = its labelled count)
with the F-measure at 50 ms; training stops early when that stops improving, and
the best model is written as a model file that runs without PyTorch. A checkpoint
after every validation lets an interrupted run resume where it was.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from ..constants import TRAINING_PRECISIONS
from ..dataset.store import Dataset, open_dataset
from ..exceptions import DatasetError, ModelError, ParameterError
from ..model import load_model, save_model
from ..model.architectures import default_architecture, seed_architecture
from ..scoring import f_measure, top_n_times
from .export import onnx_graph
from .networks import build_network, export_params

__all__ = ["TrainSettings", "TrainReport", "train_model", "normalisation"]


@dataclass
class TrainSettings:
    """Options of a training run (see ``samplechop train --help``).

    ``keep`` says which model is written: ``"best"``, the one of the best validation
    F (the command line's choice), or ``"last"``, the one of the last step, for a run
    whose validation files are its training files (``samplechop learn``); then there
    is no early stopping either.
    """

    arch: Optional[str] = None
    init: Optional[str] = None
    steps: int = 3000
    batch_size: int = 16
    excerpt: float = 12.0
    lr: float = 2e-3
    pitch_shift: int = 3
    eq_db: float = 6.0
    eval_every: int = 250
    patience: int = 6
    seed: int = 0
    threads: int = 2
    checkpoint: Optional[str] = None
    max_minutes: Optional[float] = None
    precision: str = "float32"
    start_share: float = 0.0
    keep: str = "best"
    mix: tuple[tuple[str, float], ...] = ()

    def validate(self) -> "TrainSettings":
        if self.steps < 1:
            raise ParameterError(f"--steps must be >= 1, got {self.steps}")
        if self.batch_size < 1:
            raise ParameterError(f"--batch-size must be >= 1, got {self.batch_size}")
        if not 0.5 <= self.excerpt <= 600:
            raise ParameterError(f"--excerpt must be between 0.5 and 600 seconds, got {self.excerpt}")
        if not 0 < self.lr < 1:
            raise ParameterError(f"--lr must be in (0, 1), got {self.lr}")
        if not 0 <= self.pitch_shift <= 12:
            raise ParameterError(f"--pitch-shift must be between 0 and 12, got {self.pitch_shift}")
        if not (math.isfinite(self.eq_db) and 0 <= self.eq_db <= 24):
            raise ParameterError(f"--eq-db must be between 0 and 24, got {self.eq_db}")
        if self.eval_every < 1 or self.patience < 1 or self.threads < 1:
            raise ParameterError("--eval-every, --patience and --threads must be >= 1")
        if not 0.0 <= self.start_share <= 1.0:
            raise ParameterError(f"--start-share must be between 0 and 1, got {self.start_share}")
        for data, share in self.mix:
            if not (math.isfinite(share) and 0.0 < share < 1.0):
                raise ParameterError(f"--mix {data}: the share must be between 0 and 1, got {share}")
        if sum(share for _, share in self.mix) >= 1.0:
            raise ParameterError("--mix: the shares add up to 1 or more, leaving no excerpts of the data set")
        if self.keep not in ("best", "last"):
            raise ParameterError(f"keep must be 'best' or 'last', got {self.keep!r}")
        if self.precision not in TRAINING_PRECISIONS:
            raise ParameterError(
                f"--precision must be one of {', '.join(TRAINING_PRECISIONS)}, got {self.precision!r}")
        return self


@dataclass
class TrainReport:
    """What a training run did."""

    steps: int
    best_step: int
    best_score: float
    threshold: float
    seconds: float
    frames_per_second: float
    stopped: str
    history: list[dict[str, float]]


def _finite(features: np.ndarray, dataset: Dataset, entry) -> np.ndarray:
    """``features`` (float32), or a :class:`DatasetError` naming the shard and the source
    when they hold NaN or infinity (a damaged shard must not train a model of NaN)."""
    features = np.asarray(features, dtype=np.float32)
    if not np.all(np.isfinite(features)):
        raise DatasetError(f"{dataset.path / entry.shard}.features.npy: NaN or infinity in the features of "
                           f"{entry.source}; rebuild the data set")
    return features


def normalisation(dataset: Dataset, *, max_frames: int = 400_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation over (a sample of) the training frames."""
    rng = np.random.default_rng(seed)
    entries = dataset.split("train")
    total = sum(entry.frames for entry in entries)
    share = min(1.0, max_frames / max(total, 1))
    parts = []
    for entry in entries:
        features, _ = dataset.arrays(entry)
        take = max(1, int(entry.frames * share))
        index = np.sort(rng.choice(entry.frames, size=min(take, entry.frames), replace=False))
        parts.append(_finite(features[index], dataset, entry))
    sample = np.concatenate(parts)
    return sample.mean(axis=0), np.maximum(sample.std(axis=0), 1e-3)


class _Source:
    """The training files of one data set, their draw weights and the data set's share."""

    def __init__(self, dataset: Dataset, share: float) -> None:
        self.dataset = dataset
        self.share = share
        self.entries = dataset.split("train")
        if not self.entries:
            raise DatasetError(f"{dataset.path}: has no training files")
        lengths = np.array([entry.frames for entry in self.entries], dtype=np.float64)
        self.weights = lengths / lengths.sum()

    @property
    def positive_rate(self) -> float:
        """The share of positive frames among the training frames."""
        return sum(entry.positives for entry in self.entries) / max(1, sum(entry.frames for entry in self.entries))


class _ExcerptSampler:
    """Random excerpts (features, targets, mask) of the training files.

    Each excerpt first picks its data set: a data set mixed in (``mixed``) with its
    share of the excerpts, the main one with the rest. Within a data set it picks a
    file with a probability proportional to its length, and starts at a random
    frame, or, with probability ``start_share``, at the file's first frame: there
    the network sees what ``chop`` sees at the start of every file (nothing before
    it, and the file's first attack labelled by rule 4), which excerpts from a
    random frame almost never show it.
    """

    def __init__(self, dataset: Dataset, *, frames: int, batch_size: int, pitch_shift: int,
                 eq_db: float, mean: np.ndarray, std: np.ndarray, rng: np.random.Generator,
                 start_share: float = 0.0, mixed: Sequence[tuple[Dataset, float]] = ()) -> None:
        self.sources = [_Source(dataset, 1.0 - sum(share for _, share in mixed))]
        self.sources += [_Source(other, share) for other, share in mixed]
        self.source_weights = np.array([source.share for source in self.sources])
        self.dataset = dataset
        self.frames = frames
        self.batch_size = batch_size
        spectral = dataset.features["kind"] == "logspec"
        self.pitch_shift = pitch_shift if spectral else 0
        self.eq_db = eq_db if spectral else 0.0
        self.mean, self.std = mean, std
        self.rng = rng
        self.start_share = start_share

    def _draw(self) -> tuple[_Source, int]:
        """A data set by share, and one of its training files by length."""
        source = self.sources[int(self.rng.choice(len(self.sources), p=self.source_weights))]
        return source, int(self.rng.choice(len(source.entries), p=source.weights))

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        size = self.dataset.feature_size
        x = np.zeros((self.batch_size, self.frames, size), dtype=np.float32)
        y = np.zeros((self.batch_size, self.frames), dtype=np.float32)
        mask = np.zeros((self.batch_size, self.frames), dtype=np.float32)
        if len(self.sources) == 1:  # the draws of the runs before data sets were mixed
            source = self.sources[0]
            draws = [(source, int(choice)) for choice in
                     self.rng.choice(len(source.entries), size=self.batch_size, p=source.weights)]
        else:
            draws = [self._draw() for _ in range(self.batch_size)]
        for row, (source, choice) in enumerate(draws):
            entry = source.entries[choice]
            features, targets = source.dataset.arrays(entry)
            length = features.shape[0]
            start = int(self.rng.integers(0, max(1, length - self.frames + 1)))
            if self.start_share and self.rng.random() < self.start_share:
                start = 0
            stop = min(length, start + self.frames)
            chunk = _finite(features[start:stop], source.dataset, entry)
            shift = int(self.rng.integers(-self.pitch_shift, self.pitch_shift + 1)) if self.pitch_shift else 0
            if shift:
                chunk = _shift_bins(chunk, shift)
            if self.eq_db:
                chunk = _equalise(chunk, self._random_eq(chunk.shape[1]))
            x[row, : stop - start] = (chunk - self.mean) / self.std
            y[row, : stop - start] = targets[start:stop]
            mask[row, : stop - start] = 1.0
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)

    def _random_eq(self, bands: int) -> np.ndarray:
        """Gains (dB) per band: a level and a tilt, each uniform in +-eq_db, plus a
        bell of +-eq_db at a random band (about 1.2 octaves wide at half height for
        84 bands)."""
        position = np.linspace(-1.0, 1.0, bands)
        level, tilt, bell = self.rng.uniform(-self.eq_db, self.eq_db, size=3)
        centre = self.rng.uniform(-1.0, 1.0)
        return level + tilt * position + bell * np.exp(-0.5 * ((position - centre) / 0.15) ** 2)


def _equalise(features: np.ndarray, gains_db: np.ndarray) -> np.ndarray:
    """Apply gains (dB per band) to ``log1p`` band magnitudes.

    The features are ``log1p(m)`` of band magnitudes ``m``; a gain ``g`` makes them
    ``log1p(g * m)``: exactly the spectrogram of the audio through an equaliser whose
    gain is constant across each band, and close to it for the smooth curves of
    :meth:`_ExcerptSampler._random_eq`.
    """
    gains = np.power(10.0, np.asarray(gains_db, dtype=np.float32) / 20.0).astype(np.float32)
    return np.log1p(np.expm1(features) * gains)


def _shift_bins(features: np.ndarray, steps: int) -> np.ndarray:
    """Re-pitch a semitone spectrogram by ``steps`` bins; vacated bins are silent (0)."""
    shifted = np.zeros_like(features)
    if steps > 0:
        shifted[:, steps:] = features[:, :-steps]
    else:
        shifted[:, :steps] = features[:, -steps:]
    return shifted


def _validate(network: torch.nn.Module, dataset: Dataset, split: str, mean: np.ndarray,
              std: np.ndarray) -> tuple[float, float]:
    """Mean F at 50 ms with N = labelled count, and the threshold of best F on all peaks."""
    network.eval()
    scores = []
    all_values, all_hits, label_total = [], [], 0
    with torch.no_grad():
        for entry, features, _ in dataset.iter_arrays(split):
            x = (_finite(features, dataset, entry) - mean) / std
            activations = torch.sigmoid(network(torch.from_numpy(x)[None]))[0].numpy()
            labels = np.asarray(entry.labels)
            estimated = top_n_times(activations, n=labels.size, frame_rate=dataset.frame_rate)
            scores.append(f_measure(labels, estimated)[0])
            values, hits = peak_hits(activations, labels, frame_rate=dataset.frame_rate)
            all_values.append(values)
            all_hits.append(hits)
            label_total += labels.size
    network.train()
    threshold = _candidate_threshold(np.concatenate(all_values), np.concatenate(all_hits), label_total)
    return float(np.mean(scores)) if scores else 0.0, threshold


def peak_hits(activations: np.ndarray, labels: np.ndarray, *, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Every peak of a file's scores and whether a label lies within 50 ms of it: what
    the candidate threshold is chosen from (:func:`_candidate_threshold`).

    Returns
    -------
    values : np.ndarray [shape=(peaks,)]
        The score of each peak.
    hits : np.ndarray [shape=(peaks,), dtype=bool]
    """
    candidates = top_n_times(activations, n=10**6, frame_rate=frame_rate)
    values = activations[np.round(candidates * frame_rate).astype(int)]
    hits = np.zeros(candidates.size, dtype=bool)
    if labels.size and candidates.size:
        hits = np.abs(candidates[:, None] - labels[None, :]).min(axis=1) <= 0.05
    return values, hits


def _candidate_threshold(values: np.ndarray, hits: np.ndarray, label_total: int, *, keep: float = 0.95) -> float:
    """The candidate threshold: the highest that keeps ``keep`` of the hits of all peaks.

    In ``chop`` the threshold prunes candidates before the best N are chosen, so it
    is set for recall: it drops peaks that are almost never chop points while
    keeping 95% of the labelled points that some peak finds.
    """
    if values.size == 0 or label_total == 0 or not hits.any():
        return 0.1
    base = float(np.sum(hits))
    best = 0.02
    for threshold in np.round(np.arange(0.02, 0.96, 0.01), 2):
        if float(np.sum(hits & (values >= threshold))) >= keep * base:
            best = float(threshold)
    return best


def _atomic_torch_save(state: dict[str, Any], path: Path) -> None:
    temporary = path.with_name(f".{path.name}.part")
    torch.save(state, temporary)
    os.replace(temporary, path)


def train_model(
    data: os.PathLike | str,
    output: os.PathLike | str,
    settings: TrainSettings,
    *,
    progress: bool = False,
    log: Callable[[str], None] = print,
    on_step: Optional[Callable[[int, int], None]] = None,
) -> TrainReport:
    """Train a chop model on a data set and write the best model file.

    Parameters
    ----------
    data : path-like
        Data set folder (``samplechop dataset build``).
    output : path-like
        Model file to write.
    settings : TrainSettings
    progress : bool
        Show a progress bar.
    log : callable
        Receives one-line progress messages.
    on_step : callable, optional
        Called with ``(steps done, steps in all)`` after every step (for a progress bar
        other than the terminal's).

    Returns
    -------
    TrainReport
    """
    settings.validate()
    started = time.perf_counter()
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    dataset = open_dataset(data)
    output = Path(output)
    if output.parent and not output.parent.exists():
        raise ParameterError(f"{output.parent}: output folder does not exist")

    mixed = [(open_dataset(path), share) for path, share in settings.mix]
    for other, _ in mixed:
        if other.features != dataset.features:
            raise DatasetError(f"{other.path}: built with other features than {dataset.path}; "
                               f"rebuild it with the same 'dataset build' options to mix it in")
    init_model = load_model(settings.init) if settings.init else None
    if init_model is not None:
        if init_model.features != dataset.features:
            raise ModelError(f"{settings.init}: model was built for other features than {dataset.path}")
        architecture = dict(init_model.architecture)
        mean, std = init_model.input_mean, init_model.input_std
    else:
        name = settings.arch or ("chopnet" if dataset.features["kind"] == "logspec" else "seed")
        architecture = default_architecture() if name == "chopnet" else seed_architecture()
        if name == "chopnet" and dataset.features["kind"] != "logspec":
            raise ParameterError("the chopnet architecture needs a 'logspec' data set")
        mean, std = normalisation(dataset, seed=settings.seed)
    network = build_network(architecture, dataset.feature_size)
    if init_model is not None:
        network.load_state_dict({k: torch.from_numpy(v) for k, v in init_model.params.items()})

    train_entries = dataset.split("train")
    valid_split = "valid" if dataset.split("valid") else "train"
    if valid_split == "train":
        log("warning: the data set has no validation files; early stopping watches training files")
    frames = max(8, int(round(settings.excerpt * dataset.frame_rate)))
    sampler = _ExcerptSampler(dataset, frames=frames, batch_size=settings.batch_size,
                              pitch_shift=settings.pitch_shift, eq_db=settings.eq_db, mean=mean, std=std,
                              rng=rng, start_share=settings.start_share, mixed=mixed)
    if mixed:  # the positive share of the excerpts as the sampler mixes them
        rate = sum(source.share * source.positive_rate for source in sampler.sources)
        pos_weight = torch.tensor(math.sqrt((1.0 - rate) / rate) if rate > 0 else 1.0)
    else:
        positives = sum(entry.positives for entry in train_entries)
        negatives = sum(entry.frames for entry in train_entries) - positives
        pos_weight = torch.tensor(math.sqrt(max(negatives, 1) / max(positives, 1)))
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.lr, weight_decay=1e-4)
    warmup = min(200, settings.steps // 10 + 1)

    def learning_rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, settings.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate)
    checkpoint = Path(settings.checkpoint) if settings.checkpoint else output.with_name(output.name + ".ckpt")
    run_config = {"data": str(Path(data).resolve()), "architecture": architecture,
                  "settings": {k: v for k, v in asdict(settings).items()
                               if k not in ("checkpoint", "max_minutes", "threads", "mix")}}
    if mixed:  # absent without --mix, so that earlier checkpoints still resume
        run_config["settings"]["mix"] = [[str(Path(path).resolve()), share] for path, share in settings.mix]
    step, best_score, best_step, best_threshold, stale = 0, -1.0, 0, 0.5, 0
    history: list[dict[str, float]] = []
    if checkpoint.exists():
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        except Exception as error:
            raise ModelError(f"{checkpoint}: corrupt checkpoint ({error}); delete it to start afresh") from None
        saved = state.get("config") or {}
        saved.get("settings", {}).setdefault("precision", "float32")  # checkpoints from before --precision
        saved.get("settings", {}).setdefault("start_share", 0.0)  # and from before --start-share
        saved.get("settings", {}).setdefault("keep", "best")  # and from before keep
        if saved != run_config:
            raise ModelError(f"{checkpoint}: checkpoint of another run; delete it or pass --checkpoint")
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, best_score, best_step = state["step"], state["best_score"], state["best_step"]
        best_threshold, stale, history = state["best_threshold"], state["stale"], state["history"]
        mean, std = state["mean"], state["std"]
        sampler.mean, sampler.std = mean, std
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed from {checkpoint} at step {step}")

    def save_best(threshold: float, score: float) -> None:
        graph = onnx_graph(network, dataset.feature_size)
        network.train()
        save_model(output, features=dataset.features, architecture=architecture, onnx=graph,
                   params=export_params(network), input_mean=mean, input_std=std, threshold=threshold,
                   training={"data": str(dataset.path), "step": step, "valid_f": round(score, 4),
                             "settings": run_config["settings"],
                             "counts": dataset.counts(), "init": settings.init,
                             **({"mixed": [{"data": str(other.path), "share": share, "counts": other.counts()}
                                           for other, share in mixed]} if mixed else {})})

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=settings.steps, initial=step, unit="step", file=sys.stderr, desc="train")
    network.train()
    stopped = "steps"
    frames_seen, train_seconds = 0, 0.0
    running = None
    while step < settings.steps:
        tick = time.perf_counter()
        x, y, mask = sampler.batch()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=settings.precision == "bfloat16"):
            logits = network(x)
        loss = (F.binary_cross_entropy_with_logits(logits.float(), y, pos_weight=pos_weight, reduction="none")
                * mask).sum() / mask.sum()
        if not torch.isfinite(loss):
            raise ModelError(f"training diverged at step {step + 1}: the loss is {loss.item()}; "
                             f"no model written beyond the best so far (try a lower --lr)")
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        step += 1
        frames_seen += int(mask.sum())
        train_seconds += time.perf_counter() - tick
        value = loss.item()
        running = value if running is None else 0.95 * running + 0.05 * value
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{running:.3f}", best=f"{max(best_score, 0):.3f}")
        if on_step is not None:
            on_step(step, settings.steps)
        if step % settings.eval_every == 0 or step == settings.steps:
            score, threshold = _validate(network, dataset, valid_split, mean, std)
            history.append({"step": step, "loss": round(running, 4), "valid_f": round(score, 4)})
            if score > best_score or settings.keep == "last":
                best_score, best_step, best_threshold, stale = score, step, threshold, 0
                save_best(threshold, score)
            else:
                stale += 1
            log(f"step {step}: loss {running:.4f}, validation F {score:.3f} (best {best_score:.3f} at {best_step})")
            _atomic_torch_save({
                "config": run_config, "network": network.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "step": step, "best_score": best_score,
                "best_step": best_step, "best_threshold": best_threshold, "stale": stale,
                "history": history, "mean": mean, "std": std, "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
            }, checkpoint)
            if stale >= settings.patience:
                stopped = "early stopping"
                break
        if settings.max_minutes is not None and time.perf_counter() - started > 60 * settings.max_minutes:
            stopped = "time limit"
            break
    if bar is not None:
        bar.close()
    if best_score < 0:
        score, threshold = _validate(network, dataset, valid_split, mean, std)
        best_score, best_step, best_threshold = score, step, threshold
        save_best(threshold, score)
    return TrainReport(
        steps=step, best_step=best_step, best_score=best_score, threshold=best_threshold,
        seconds=time.perf_counter() - started,
        frames_per_second=frames_seen / train_seconds if train_seconds > 0 else 0.0,
        stopped=stopped, history=history,
    )

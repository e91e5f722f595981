"""The chopping pipeline: audio -> activations -> candidates -> chops.

Two stages, so that the costly one runs once per file:

* :func:`analyse` reads the audio, computes the model's features and scores every
  frame;
* :func:`select_chops` picks the chops from those scores for a set of options
  (the file's first attack, threshold, releases left out, merging, top candidates,
  Maximal Average Diversification), and places each one at the start of its attack
  in the original audio.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from . import audio
from .attacks import first_attack, opens_inside_sound, padded_frames
from .constants import N_FFT
from .diversify import maximal_average_diversification, pairwise_distances
from .exceptions import AudioError, ParameterError
from .features import (compute_features, features_and_one_fft, harmonic_spectra, log_spectrogram,
                       one_fft_settings)
from .model import ChopModel, load_model
from .levels import RELEASE_DROP_DB, release_mask
from .postprocess import candidates as find_candidates
from .refine import refine_start

__all__ = ["ChopSettings", "Analysis", "Chop", "ChopResult", "analyse", "select_chops", "place_chops",
           "candidate_spectra", "MAX_CHOPS", "SILENCE_PEAK"]

#: Largest number of chops one file may be cut into.
MAX_CHOPS = 512

#: A file whose analysis signal never exceeds this peak (about -90 dBFS) is silent.
SILENCE_PEAK = 10 ** (-90 / 20)

#: Files at least this long (seconds) get a progress bar of their own.
LONG_FILE = 60.0

#: Chop modes: ``"chops"`` keeps only the chops; ``"contiguous"`` is the original
#: design's split, which also keeps the audio before the first chop.
MODES = ("chops", "contiguous")


@dataclass(frozen=True)
class ChopSettings:
    """Options of chop selection and cutting.

    Attributes
    ----------
    n : int
        Chops wanted.
    lam : float in [0, 1]
        Diversity weight of Maximal Average Diversification.
    threshold : float in [0, 1] or None
        Lowest score of a candidate (None: the model's default); the file's first
        attack is kept whatever its score (see ``first_attack``).
    min_length : float
        Seconds: candidates closer than this merge, so chops are about this long at
        least (placing a chop on its attack moves its start by up to 60 ms earlier
        or 45 ms later).
    max_length : float or None
        Seconds: longest chop (None: a chop runs to the next one).
    max_candidates : int or None
        Candidates kept for selection, best first (None: 2 * n, at least n + 8).
    mode : str
        ``"chops"`` or ``"contiguous"``.
    fade_in, fade_out : float
        Fade lengths in seconds (0 turns them off).
    refine : bool
        Move each chop to the start of its attack, at a zero crossing.
    release_db : float
        A peak where the level of the next 100 ms falls by more than this many dB
        below the 100 ms before (a release or decay) is no candidate; 0 turns the
        rule off (see :mod:`samplechop.levels`).
    first_attack : bool
        Always keep the file's first attack as a chop (rule 4 of the label
        convention; see :mod:`samplechop.attacks`), whatever the model scores there.
    """

    n: int = 16
    lam: float = 0.3
    threshold: Optional[float] = None
    min_length: float = 0.1
    max_length: Optional[float] = None
    max_candidates: Optional[int] = None
    mode: str = "chops"
    fade_in: float = 0.001
    fade_out: float = 0.005
    refine: bool = True
    release_db: float = RELEASE_DROP_DB
    first_attack: bool = True

    def validate(self) -> "ChopSettings":
        """Check every option; raise :class:`ParameterError` naming the first bad one."""
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n <= 0:
            raise ParameterError(f"-n must be a whole number of chops >= 1, got {self.n}")
        if self.n > MAX_CHOPS:
            raise ParameterError(f"-n {self.n} is too many: at most {MAX_CHOPS} chops per file")
        if not (0.0 <= self.lam <= 1.0):
            raise ParameterError(f"--lambda must be between 0 and 1, got {self.lam}")
        if self.threshold is not None and not (0.0 <= self.threshold <= 1.0):
            raise ParameterError(f"--threshold must be between 0 and 1, got {self.threshold}")
        if not (math.isfinite(self.release_db) and 0.0 <= self.release_db <= 60.0):
            raise ParameterError(f"--release-db must be between 0 and 60, got {self.release_db}")
        if not (0.0 < self.min_length <= 60.0):
            raise ParameterError(f"--min-length must be in (0, 60] seconds, got {self.min_length}")
        if self.max_length is not None and self.max_length < self.min_length:
            raise ParameterError(
                f"--max-length ({self.max_length} s) is shorter than --min-length ({self.min_length} s)"
            )
        if self.max_candidates is not None and self.max_candidates < 1:
            raise ParameterError(f"--candidates must be >= 1, got {self.max_candidates}")
        if self.mode not in MODES:
            raise ParameterError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        for name, value in (("--fade-in", self.fade_in), ("--fade-out", self.fade_out)):
            if not (0.0 <= value <= 1.0):
                raise ParameterError(f"{name} must be between 0 and 1000 ms, got {value * 1000:g} ms")
        return self


@dataclass
class Analysis:
    """A file's audio and the model's score for every frame.

    Attributes
    ----------
    info : AudioInfo
        The source file's header.
    y : np.ndarray [shape=(n,), dtype=float32]
        Mono analysis signal at ``sr``, peak-normalised.
    sr : int
        Analysis sample rate.
    activations : np.ndarray [shape=(frames,)]
        Chop probability per frame.
    frame_rate : float
        Frames per second.
    model : ChopModel
    features : np.ndarray [shape=(frames, feature_size)]
        The model's input features (for ``logspec`` models, the semitone
        spectrogram: exporters derive tempo, key and pitch from it).
    one_fft_spectrogram : np.ndarray [shape=(frames, n_bins)], optional
        For models whose low bands come from a longer window: the same spectrogram
        with every band from the short FFT, computed by :func:`analyse` on the way
        to the features (see :attr:`semitone_spectrogram`).
    """

    info: audio.AudioInfo
    y: np.ndarray
    sr: int
    activations: np.ndarray
    frame_rate: float
    model: ChopModel
    features: np.ndarray
    one_fft_spectrogram: Optional[np.ndarray] = None

    @property
    def times(self) -> np.ndarray:
        """Time of every frame in seconds."""
        return np.arange(self.activations.size) / self.frame_rate

    @cached_property
    def semitone_spectrogram(self) -> np.ndarray:
        """The semitone spectrogram of the analysis signal, all bands from one short
        FFT, for attacks and harmonic spectra: the one :func:`analyse` kept for models
        with a longer window for their low bands (whose 371 ms window would announce
        an attack up to 190 ms early), the model's features for other ``logspec``
        models, computed once on first use for models that read others."""
        config = self.model.features
        if self.one_fft_spectrogram is not None:
            return self.one_fft_spectrogram
        if config["kind"] == "logspec" and not config.get("low_bins"):
            return self.features
        if config["kind"] == "logspec":  # an Analysis built without analyse()
            return log_spectrogram(self.y, **one_fft_settings(config))
        return log_spectrogram(self.y, sr=self.sr, hop_length=int(config["hop_length"]), n_fft=N_FFT)

    @property
    def _attack_transform(self) -> tuple[int, int]:
        """Window and hop in samples of :attr:`semitone_spectrogram`, which the
        attacks are found in."""
        config = self.model.features
        n_fft = int(config.get("n_fft", N_FFT)) if config["kind"] == "logspec" else N_FFT
        return n_fft, int(config["hop_length"])

    @property
    def blind_start(self) -> float:
        """Seconds at the start of the file in which :attr:`first_attack` sees no attack
        (frames whose window reaches before the file, and the first whole one)."""
        return (padded_frames(*self._attack_transform) + 1) / self.frame_rate

    @cached_property
    def opens_inside_sound(self) -> bool:
        """Whether the file starts inside a sound, not on an attack (see
        :func:`samplechop.attacks.opens_inside_sound`); computed once."""
        return opens_inside_sound(self.y, sr=self.sr)

    @cached_property
    def first_attack(self) -> Optional[float]:
        """Time of the file's first attack in seconds, or None (see
        :func:`samplechop.attacks.first_attack`); computed once."""
        n_fft, hop_length = self._attack_transform
        return first_attack(self.semitone_spectrogram, frame_rate=self.frame_rate, n_fft=n_fft,
                            hop_length=hop_length)


@dataclass(frozen=True)
class Chop:
    """One chop, in seconds and in samples of the source.

    ``rank`` is the order in which selection chose it (1 = first); ``None`` for the
    lead-in (the audio before the first chop, kept in contiguous mode).
    """

    index: int
    start: float
    end: float
    start_sample: int
    end_sample: int
    score: float
    rank: Optional[int]

    @property
    def length(self) -> float:
        """Seconds."""
        return self.end - self.start


@dataclass
class ChopResult:
    """The chops of one file and how they were found."""

    info: audio.AudioInfo
    settings: ChopSettings
    chops: list[Chop]
    candidate_times: np.ndarray
    candidate_scores: np.ndarray
    threshold: float
    model_path: Optional[Path] = None
    notes: list[str] = field(default_factory=list)
    analysis: Optional[Analysis] = field(default=None, repr=False)

    @property
    def times(self) -> np.ndarray:
        """Chop start times in seconds (the lead-in excluded), sorted."""
        return np.array([chop.start for chop in self.chops if chop.rank is not None])


def analyse(path: os.PathLike | str, *, model: Optional[ChopModel] = None, progress: bool = False) -> Analysis:
    """Read a file and score every frame as a chop point.

    With ``progress``, a file longer than :data:`LONG_FILE` seconds shows a progress
    bar (on stderr) while the network runs.

    Raises
    ------
    AudioError
        When the file cannot be read, is silent, or is shorter than the model's context.
    """
    model = model or load_model()
    config = model.features
    sr = int(config["sr"])
    y, info = audio.load_analysis(path, sr=sr)
    peak = max(float(y.max()), -float(y.min())) if y.size else 0.0  # no |y| copy
    if peak < SILENCE_PEAK:
        raise AudioError(f"{info.path}: is silent (peak below -90 dBFS): nothing to chop")
    min_frames = model.min_frames
    frame_rate = sr / int(config["hop_length"])
    if y.size // int(config["hop_length"]) + 1 < min_frames:
        raise AudioError(
            f"{info.path}: is {info.duration:.2f} s long, shorter than the model's context "
            f"({min_frames / frame_rate:.2f} s)"
        )
    np.divide(y, np.float32(peak), out=y)  # in place: load_analysis gave a fresh array
    one_fft = None
    if config["kind"] == "logspec" and config.get("low_bins"):
        # one short STFT serves the network's features and the attacks (see semitone_spectrogram)
        features, one_fft = features_and_one_fft(y, config)
    else:
        features = compute_features(y, config)
    if progress and info.duration >= LONG_FILE:
        from tqdm import tqdm

        with tqdm(total=features.shape[0], unit="frame", desc=info.path.name, file=sys.stderr,
                  leave=False) as bar:
            activations = model.predict(features, progress=bar.update)
    else:
        activations = model.predict(features)
    return Analysis(info=info, y=y, sr=sr, activations=activations, frame_rate=frame_rate, model=model,
                    features=features, one_fft_spectrogram=one_fft)


def _candidate_limit(settings: ChopSettings) -> int:
    if settings.max_candidates is not None:
        return int(settings.max_candidates)
    return max(2 * settings.n, settings.n + 8)


def _mono(read: Callable[[int, int], np.ndarray]) -> Callable[[int, int], np.ndarray]:
    """A reader of the source's samples ``[start, stop)`` as their mono mix (float64)."""
    return lambda start, stop: audio.to_float(read(start, stop)).mean(axis=1)


def _refined_samples(info: audio.AudioInfo, times: np.ndarray) -> np.ndarray:
    """Start samples in the source for chop times, each moved onto its attack."""
    starts = np.round(times * info.sr).astype(np.int64)
    reach = int(round(0.07 * info.sr))  # the attack search (-60/+45 ms) and the zero crossing
    refined = []
    with audio.segment_reader(info) as read:
        mono = _mono(read)
        for centre in starts:
            lo = max(0, int(centre) - reach)
            segment = mono(lo, int(centre) + reach)
            refined.append(lo + refine_start(segment, sr=info.sr, centre=int(centre) - lo))
    return np.asarray(refined, dtype=np.int64)


def _releases(analysis: Analysis, drop_db: float) -> np.ndarray:
    """Frames where the level falls away (see :mod:`samplechop.levels`): never candidates."""
    hop_length = int(analysis.model.features["hop_length"])
    return release_mask(analysis.y, sr=analysis.sr, hop_length=hop_length, n_frames=analysis.activations.size,
                        drop_db=drop_db)


def candidate_spectra(analysis: Analysis, times: np.ndarray) -> np.ndarray:
    """Harmonic-only spectra of the sound after each candidate time (see
    :func:`samplechop.features.harmonic_spectra`), from the analysis's semitone
    spectrogram."""
    return harmonic_spectra(analysis.semitone_spectrogram, times, frame_rate=analysis.frame_rate)


def _with_first_attack(
    analysis: Analysis, times: np.ndarray, scores: np.ndarray, *, min_gap: float
) -> tuple[np.ndarray, np.ndarray, Optional[int]]:
    """Candidates with the file's first attack put in front of them (index 0) and the
    candidates closer to it than ``min_gap`` merged into it.

    When a candidate of the network lies more than ``min_gap`` before the detected
    attack (the detector cannot see a file's first 70 ms, where a sample cut on a hit
    has its first attack), that earliest candidate is the first attack instead, moved
    to the front; but not a candidate in those first 70 ms of a file that opens
    inside a sound (:func:`samplechop.attacks.opens_inside_sound`): the network,
    which sees silence before the file, scores such a start as an attack where no
    note starts, and it stays an ordinary candidate (the earliest one after those
    70 ms, if still more than ``min_gap`` before the detected attack, is the first
    attack). Unchanged (index None) when no attack is found, or none early enough to
    make a chop."""
    first = analysis.first_attack
    if first is None or first > analysis.info.duration - min_gap:
        return times, scores, None
    eligible = np.flatnonzero(times < first - min_gap)
    if eligible.size and times[eligible].min() < analysis.blind_start and analysis.opens_inside_sound:
        # the start of a sound already playing, scored as an attack: not the first attack
        eligible = eligible[times[eligible] >= analysis.blind_start]
    if eligible.size:
        earliest = int(eligible[np.argmin(times[eligible])])
        order = np.concatenate(([earliest], np.delete(np.arange(times.size), earliest)))
        return times[order], scores[order], 0
    frame = int(round(first * analysis.frame_rate))
    near = analysis.activations[max(0, frame - 1) : frame + 2]
    apart = np.abs(times - first) >= min_gap
    times = np.concatenate(([first], times[apart]))
    scores = np.concatenate(([float(near.max())], scores[apart]))
    return times, scores, 0


def select_chops(
    analysis: Analysis,
    settings: ChopSettings,
    *,
    spectra: Optional[Callable[[Analysis, np.ndarray], np.ndarray]] = None,
) -> ChopResult:
    """Choose and place the chops of an analysed file.

    Parameters
    ----------
    analysis : Analysis
        From :func:`analyse`.
    settings : ChopSettings
    spectra : callable, optional
        ``spectra(analysis, times)`` gives the candidates' harmonic spectra
        (default :func:`candidate_spectra`); a caller that re-selects often can pass
        one that keeps them.

    Returns
    -------
    ChopResult
        Chops in time order; ``notes`` says plainly when fewer than ``n`` were found.
    """
    settings.validate()
    info = analysis.info
    threshold = analysis.model.threshold if settings.threshold is None else settings.threshold
    limit = _candidate_limit(settings)
    times, scores = find_candidates(
        analysis.activations,
        frame_rate=analysis.frame_rate,
        threshold=threshold,
        min_gap=settings.min_length,
        duration=info.duration,
        limit=limit,
        exclude=_releases(analysis, settings.release_db) if settings.release_db > 0 else None,
    )
    first = None
    if settings.first_attack:
        times, scores, first = _with_first_attack(analysis, times, scores, min_gap=settings.min_length)
    notes: list[str] = []
    if times.size > settings.n and settings.lam > 0:
        distances = pairwise_distances((spectra or candidate_spectra)(analysis, times))
        chosen = maximal_average_diversification(scores, distances, n=settings.n, lam=settings.lam,
                                                 first=first)
    else:  # best first, the first attack (if any) in front
        chosen = np.arange(min(settings.n, times.size))
    if chosen.size < settings.n:
        notes.append(
            f"found {chosen.size} chop{'s' if chosen.size != 1 else ''} of the {settings.n} asked for: "
            f"the audio holds no more candidates scoring >= {threshold:.2f} "
            f"at least {settings.min_length:g} s apart"
        )
    ranks = np.arange(1, chosen.size + 1)
    result = place_chops(analysis, settings, times[chosen], scores=scores[chosen], ranks=ranks)
    result.candidate_times, result.candidate_scores = times, scores
    result.threshold, result.notes = threshold, notes
    return result


def place_chops(
    analysis: Analysis,
    settings: ChopSettings,
    times: np.ndarray,
    *,
    scores: Optional[np.ndarray] = None,
    ranks: Optional[np.ndarray] = None,
) -> ChopResult:
    """Cut an analysed file at given times (chosen by selection, or by a person).

    Each time is moved onto its attack at a zero crossing (unless ``settings.refine``
    is off) and every chop runs to the next one.

    Parameters
    ----------
    analysis : Analysis
    settings : ChopSettings
        Mode, lengths, fades and refinement; the threshold is only recorded.
    times : np.ndarray [shape=(n,)]
        Chop times in seconds, any order.
    scores : np.ndarray [shape=(n,)], optional
        Their scores (default: the model's activation at each time).
    ranks : np.ndarray [shape=(n,)], optional
        Their selection ranks (default: by score).

    Returns
    -------
    ChopResult
    """
    info = analysis.info
    times = np.clip(np.asarray(times, dtype=np.float64), 0.0, info.duration)
    if scores is None:
        frames = np.clip(np.round(times * analysis.frame_rate).astype(int), 0, analysis.activations.size - 1)
        scores = analysis.activations[frames].astype(np.float64)
    if ranks is None:
        ranks = np.empty(times.size, dtype=int)
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, times.size + 1)
    order = np.argsort(times, kind="stable")
    chop_times, chop_scores, chop_ranks = times[order], np.asarray(scores)[order], np.asarray(ranks)[order]
    if settings.refine and chop_times.size:
        starts = _refined_samples(info, chop_times)
    else:
        starts = np.round(chop_times * info.sr).astype(np.int64)
    starts = np.clip(starts, 0, info.frames - 1)
    chops = _cut_points(info, settings, starts, chop_scores, chop_ranks)
    threshold = analysis.model.threshold if settings.threshold is None else settings.threshold
    return ChopResult(
        info=info,
        settings=settings,
        chops=chops,
        candidate_times=chop_times,
        candidate_scores=chop_scores,
        threshold=threshold,
        model_path=analysis.model.path,
        analysis=analysis,
    )


def _cut_points(
    info: audio.AudioInfo,
    settings: ChopSettings,
    starts: np.ndarray,
    scores: np.ndarray,
    ranks: np.ndarray,
) -> list[Chop]:
    """Turn sorted start samples into chops that end where the next one starts."""
    starts = np.maximum.accumulate(starts) if starts.size else starts
    bounds = list(starts)
    entries: list[tuple[int, int, float, Optional[int]]] = []
    if settings.mode == "contiguous" and (not bounds or bounds[0] > 0):
        entries.append((0, int(bounds[0]) if bounds else info.frames, 0.0, None))
    max_samples = None if settings.max_length is None else int(round(settings.max_length * info.sr))
    for position, start in enumerate(bounds):
        end = int(bounds[position + 1]) if position + 1 < len(bounds) else info.frames
        if max_samples is not None and settings.mode == "chops":
            end = min(end, int(start) + max_samples)
        if end <= start:
            continue
        entries.append((int(start), end, float(scores[position]), int(ranks[position])))
    return [
        Chop(
            index=number,
            start=start / info.sr,
            end=end / info.sr,
            start_sample=start,
            end_sample=end,
            score=score,
            rank=rank,
        )
        for number, (start, end, score, rank) in enumerate(entries, start=1)
    ]

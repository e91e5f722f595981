"""The costly stage, run once per file: audio -> features -> the model's score of every frame.

:func:`analyse` reads the audio, computes the model's features and scores every
frame; the :class:`Analysis` it returns also computes, once each and on first use,
what the later stages read of the file: the one-FFT semitone spectrogram, the first
attack, whether the file opens inside a sound, and the source's tempo, key and chroma
for the kit (started by :func:`analyse` on a thread of its own, where the selection
that follows leaves a core idle).
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np

from ..blas import hold_to_one_thread
from ..constants import MIN_FRAMES, N_FFT
from ..cores import available_cores
from ..exceptions import AudioError
from ..io import audio
from ..model import ChopModel, load_model
from ..spectral.description import SourceDescription, describe_source
from ..spectral.features import compute_features, features_and_one_fft, log_spectrogram, one_fft_settings
from ..spectral.levels import opens_inside_sound
from ..spectral.onsets import first_attack, padded_frames

__all__ = ["Analysis", "analyse", "SILENCE_PEAK", "LONG_FILE", "FEATURE_THREADS", "DESCRIBE_BESIDE_SECONDS"]

#: A file whose analysis signal never exceeds this peak (about -90 dBFS) is silent.
SILENCE_PEAK = 10 ** (-90 / 20)

#: Files at least this long (seconds) get a progress bar of their own.
LONG_FILE = 60.0

#: Threads that compute a file's features (the network's runtime has threads of its own).
FEATURE_THREADS = min(2, available_cores())

#: Longest source (seconds) that :func:`analyse` starts describing beside the work that
#: follows it: the description of a long source holds float64 copies of its
#: spectrogram, and beside the chops of a 60-minute file being written it raised the
#: command's peak memory over 1 GB (docs/experiments.md, "the library call to 1000x").
DESCRIBE_BESIDE_SECONDS = 600.0


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
    _description: Optional["Future[SourceDescription]"] = field(default=None, init=False, repr=False,
                                                              compare=False)
    _description_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                              compare=False)

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
        :func:`samplechop.spectral.levels.opens_inside_sound`); computed once."""
        return opens_inside_sound(self.y, sr=self.sr)

    @property
    def source_description(self) -> SourceDescription:
        """The source's tempo, key and chroma (:func:`~samplechop.spectral.description.describe_source`
        of :attr:`semitone_spectrogram`, or of the features for models that read no
        semitone spectrogram); computed once, or waited for when
        :meth:`describe_source_beside` started it."""
        with self._description_lock:
            if self._description is None:
                described: Future[SourceDescription] = Future()
                described.set_result(self._describe_source(self._described_features))
                self._description = described
            description = self._description
        try:
            return description.result()
        except BaseException:
            with self._description_lock:  # not kept: the next read computes it again
                if self._description is description:
                    self._description = None
            raise

    def describe_source_beside(self) -> None:
        """Start computing :attr:`source_description` on a thread of its own, unless
        it is started or done; its error, if any, is raised where it is read (and the
        read after that computes it again)."""
        with self._description_lock:
            if self._description is not None:
                return
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samplechop-describe")
            try:
                self._description = pool.submit(self._describe_source, self._described_features)
            finally:
                pool.shutdown(wait=False)  # the thread ends with its one task

    @property
    def _described_features(self) -> np.ndarray:
        """What the source is described from: for ``logspec`` models, the spectrogram
        of one short FFT (a longer window for the low bands would blur onsets and weigh
        the bass more)."""
        if self.model.features.get("kind", "logspec") == "logspec":
            return self.semitone_spectrogram
        return self.features

    def _describe_source(self, features: np.ndarray) -> SourceDescription:
        return describe_source(features, self.model.features, frame_rate=self.frame_rate)

    @cached_property
    def first_attack(self) -> Optional[float]:
        """Time of the file's first attack in seconds, or None (see
        :func:`samplechop.spectral.onsets.first_attack`); computed once."""
        n_fft, hop_length = self._attack_transform
        return first_attack(self.semitone_spectrogram, frame_rate=self.frame_rate, n_fft=n_fft,
                            hop_length=hop_length)


def analyse(path: os.PathLike | str, *, model: Optional[ChopModel] = None, progress: bool = False,
            threads: Optional[int] = None, describe: bool = True) -> Analysis:
    """Read a file and score every frame as a chop point.

    With ``progress``, a file longer than :data:`LONG_FILE` seconds shows a progress
    bar (on stderr) while the network runs. ``threads`` compute the features and run
    the network (default: :data:`FEATURE_THREADS` and the model's
    :data:`~samplechop.model.file.NETWORK_THREADS`); the result is the same for any
    number.

    With ``describe``, the source's tempo, key and chroma, which a kit's manifest
    gives, are started on a thread of their own once the scores are out
    (:meth:`Analysis.describe_source_beside`): the selection that follows runs on
    one core and leaves the other idle. Not for ``threads`` of 1 (a file analysed
    beside others), on a machine of one core, or for sources over
    :data:`DESCRIBE_BESIDE_SECONDS`; pass ``False`` where no kit will be written.

    The first analysis holds numpy's BLAS to one thread for the rest of the process
    (:mod:`samplechop.blas`): the same scores wherever a file is analysed.

    Raises
    ------
    AudioError
        When the file cannot be read, is silent, or is shorter than :data:`MIN_FRAMES`
        analysis frames.
    """
    hold_to_one_thread()  # the same scores wherever it runs, and no spinning threads (see ..blas)
    model = model or load_model()
    config = model.features
    sr = int(config["sr"])
    y, info = audio.load_analysis(path, sr=sr)
    peak = max(float(y.max()), -float(y.min())) if y.size else 0.0  # no |y| copy
    if peak < SILENCE_PEAK:
        raise AudioError(f"{info.path}: is silent (peak below -90 dBFS): nothing to chop")
    frame_rate = sr / int(config["hop_length"])
    if y.size // int(config["hop_length"]) + 1 < MIN_FRAMES:
        raise AudioError(
            f"{info.path}: is {info.duration:.2f} s long, shorter than the shortest sample chopped "
            f"({MIN_FRAMES / frame_rate:.2f} s)"
        )
    np.divide(y, np.float32(peak), out=y)  # in place: load_analysis gave a fresh array
    one_fft = None
    if config["kind"] == "logspec" and config.get("low_bins"):
        # one short STFT serves the network's features and the attacks (see semitone_spectrogram)
        features, one_fft = features_and_one_fft(y, config, threads=threads or FEATURE_THREADS)
    else:
        features = compute_features(y, config)
    if progress and info.duration >= LONG_FILE:
        from tqdm import tqdm

        with tqdm(total=features.shape[0], unit="frame", desc=info.path.name, file=sys.stderr,
                  leave=False) as bar:
            activations = model.predict(features, progress=bar.update, threads=threads)
    else:
        activations = model.predict(features, threads=threads)
    analysis = Analysis(info=info, y=y, sr=sr, activations=activations, frame_rate=frame_rate, model=model,
                        features=features, one_fft_spectrogram=one_fft)
    if describe and (threads or FEATURE_THREADS) > 1 and info.duration <= DESCRIBE_BESIDE_SECONDS:
        analysis.describe_source_beside()
    return analysis

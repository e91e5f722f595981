"""Spectral features of a signal: pure functions of numpy arrays.

Two feature kinds, named in every model's configuration:

``"logspec"``
    A log-magnitude spectrogram on semitone-spaced bands: a short-time Fourier
    transform mapped through triangular filters centred on the semitones from
    ``fmin`` (C2), then ``log1p``. It carries the harmony (which notes sound) the way a
    CQT does, at a fraction of the cost: one FFT per frame and a matrix product
    (and, with ``n_fft_low``, a longer window for the lowest bands, computed on the
    signal resampled so that it costs little more).
    Frame ``t`` is centred on sample ``t * hop_length``.
``"cqt_sum"``
    The original design's feature: librosa's constant-Q transform, ``log1p`` of its
    magnitude summed over the bins of each frame (one value per frame, a loudness
    curve). Needs librosa (the ``train`` extra).
"""

from __future__ import annotations

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Mapping, Optional

import numpy as np

from .. import constants
from ..exceptions import ParameterError

__all__ = [
    "DEFAULT_FEATURES",
    "SEED_FEATURES",
    "semitone_filterbank",
    "stft_magnitude",
    "log_spectrogram",
    "cqt_sum",
    "compute_features",
    "low_band_spectrogram",
    "one_fft_settings",
    "features_and_one_fft",
    "n_frames",
    "feature_size",
]

#: Settings of the longer window of the low bands (see :func:`log_spectrogram`).
_LOW_WINDOW_KEYS = ("n_fft_low", "low_bins")

#: Feature settings of the default model.
DEFAULT_FEATURES: dict[str, Any] = {
    "kind": "logspec",
    "sr": constants.SAMPLE_RATE,
    "hop_length": constants.HOP_LENGTH,
    "n_fft": constants.N_FFT,
    "fmin": constants.FMIN,
    "n_bins": constants.N_BINS,
    "bins_per_octave": constants.BINS_PER_OCTAVE,
    "n_fft_low": constants.N_FFT_LOW,
    "low_bins": constants.LOW_BINS,
}

#: Feature settings of the original (seed) design.
SEED_FEATURES: dict[str, Any] = {
    key: value for key, value in DEFAULT_FEATURES.items() if key not in _LOW_WINDOW_KEYS
} | {"kind": "cqt_sum"}

#: Frames transformed per chunk: bounds memory on long files, and a chunk of 1024
#: frames (8 MB of windowed samples) computes in 0.058 s per 3-minute file, where
#: chunks of 4096 took 0.087 s: the smaller chunk stays in the CPU's caches between the
#: window, the FFT and the filterbank (docs/experiments.md).
_CHUNK_FRAMES = 1024


def n_frames(n_samples: int, *, hop_length: int) -> int:
    """Number of centred analysis frames for a signal of ``n_samples``."""
    return 1 + int(n_samples) // int(hop_length)


@lru_cache(maxsize=8)
def semitone_filterbank(
    *,
    sr: int = constants.SAMPLE_RATE,
    n_fft: int = constants.N_FFT,
    fmin: float = constants.FMIN,
    n_bins: int = constants.N_BINS,
    bins_per_octave: int = constants.BINS_PER_OCTAVE,
) -> np.ndarray:
    """Triangular filters centred on log-spaced (semitone) frequencies.

    Each filter rises from the centre frequency of the band below to its own centre
    and falls to the centre of the band above; filters narrower than the FFT's bin
    spacing take the nearest FFT bin. Each filter's weights sum to 1, so a band
    holds the mean magnitude of the bins it covers.

    Returns
    -------
    weights : np.ndarray [shape=(1 + n_fft // 2, n_bins), dtype=float32]
        Multiply a magnitude spectrogram (frames x FFT bins) by it.
    """
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sr)
    centres = fmin * 2.0 ** (np.arange(-1, n_bins + 1) / bins_per_octave)
    if centres[-2] >= sr / 2:
        raise ParameterError(
            f"n_bins={n_bins} from fmin={fmin:.1f} Hz reaches past the Nyquist frequency of {sr} Hz"
        )
    triangles = _triangles(fft_freqs, centres)
    for band, triangle in enumerate(triangles):
        if triangle.sum() <= 0:
            triangle[np.argmin(np.abs(fft_freqs - centres[band + 1]))] = 1.0
        triangle /= triangle.sum()
    return triangles.T.astype(np.float32, order="C")


def _triangles(fft_freqs: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Triangles on the FFT's frequencies: triangle ``k`` rises from ``edges[k]`` to 1 at
    ``edges[k + 1]`` and falls to 0 at ``edges[k + 2]``.

    Returns
    -------
    triangles : np.ndarray [shape=(edges.size - 2, fft_freqs.size), dtype=float64]
        One row per triangle.
    """
    widths = np.diff(edges)
    rising = (fft_freqs[None, :] - edges[:-2, None]) / widths[:-1, None]
    falling = (edges[2:, None] - fft_freqs[None, :]) / widths[1:, None]
    return np.maximum(0.0, np.minimum(rising, falling))


def stft_magnitude(
    y: np.ndarray, *, n_fft: int = constants.N_FFT, hop_length: int = constants.HOP_LENGTH,
    start_frame: int = 0, stop_frame: int | None = None, n_freqs: int | None = None,
) -> np.ndarray:
    """Magnitude of the short-time Fourier transform, Hann window, centred frames.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    n_fft, hop_length : int
        Frame size and hop in samples.
    start_frame, stop_frame : int
        Compute only frames ``[start_frame, stop_frame)`` (default: all).
    n_freqs : int, optional
        Keep only the lowest ``n_freqs`` frequency bins (default: all
        ``1 + n_fft // 2``), e.g. those a filterbank uses.

    Returns
    -------
    magnitude : np.ndarray [shape=(frames, n_freqs), dtype=float32]
    """
    total = n_frames(len(y), hop_length=hop_length)
    stop_frame = total if stop_frame is None else min(int(stop_frame), total)
    start_frame = max(0, int(start_frame))
    n_freqs = 1 + n_fft // 2 if n_freqs is None else min(max(int(n_freqs), 1), 1 + n_fft // 2)
    if stop_frame <= start_frame:
        return np.zeros((0, n_freqs), dtype=np.float32)
    half = n_fft // 2
    first = start_frame * hop_length - half
    last = (stop_frame - 1) * hop_length + half
    lo, hi = max(first, 0), min(last, len(y))
    segment = np.zeros(last - first, dtype=np.float32)
    segment[lo - first : hi - first] = y[lo:hi]
    frames = np.lib.stride_tricks.sliding_window_view(segment, n_fft)[::hop_length]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    import scipy.fft

    spectrum = scipy.fft.rfft(frames * window, axis=1)
    return np.abs(spectrum[:, :n_freqs]).astype(np.float32, copy=False)


def _filtered_log_magnitudes(
    y: np.ndarray, weights: np.ndarray, *, n_fft: int, hop_length: int, n_frames_out: int,
    pool: Optional[Executor] = None,
) -> np.ndarray:
    """``log1p`` of the STFT magnitudes of ``y`` times a filterbank, ``n_frames_out`` frames,
    computed in chunks of frames so the full STFT is never held in memory; only the FFT
    bins up to the highest one the filterbank weighs get a magnitude. With a ``pool``,
    the chunks are computed on its threads (numpy and scipy.fft release the GIL), each
    exactly as alone.

    Returns
    -------
    bands : np.ndarray [shape=(n_frames_out, weights.shape[1]), dtype=float32]
    """
    rows = np.flatnonzero(weights.any(axis=1))
    used = int(rows[-1]) + 1 if rows.size else 1
    out = np.empty((n_frames_out, weights.shape[1]), dtype=np.float32)

    def chunk(start: int) -> None:
        stop = min(start + _CHUNK_FRAMES, n_frames_out)
        magnitude = stft_magnitude(
            y, n_fft=n_fft, hop_length=hop_length, start_frame=start, stop_frame=stop, n_freqs=used
        )
        np.log1p(magnitude @ weights[:used], out=out[start:stop])

    starts = range(0, n_frames_out, _CHUNK_FRAMES)
    if pool is None:
        for start in starts:
            chunk(start)
    else:
        _wait_all([pool.submit(chunk, start) for start in starts])
    return out


def _wait_all(futures: list[Future]) -> None:
    """Wait for every future; on an error or a stop signal, cancel those not started, so
    that the pool's shutdown waits for the running ones only."""
    try:
        for future in futures:
            future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _low_band_factor(sr: float, hop_length: int, n_fft_low: int, fmin: float, low_bins: int,
                     bins_per_octave: int) -> int:
    """Largest power-of-two resampling factor for the low bands' STFT (see :func:`log_spectrogram`).

    The bands' top edge (the centre of the band above them) must stay below 90% of
    the new Nyquist frequency, inside the resampler's pass band.
    """
    if n_fft_low % 2 or n_fft_low < 16:
        raise ParameterError(f"n_fft_low={n_fft_low} must be an even frame size of at least 16 samples")
    top = fmin * 2.0 ** (low_bins / bins_per_octave)
    factor = 1
    while (n_fft_low % (4 * factor) == 0 and n_fft_low // (2 * factor) >= 16
           and hop_length % (2 * factor) == 0 and 0.9 * sr / (4 * factor) > top):
        factor *= 2
    return factor


def log_spectrogram(
    y: np.ndarray,
    *,
    sr: int = constants.SAMPLE_RATE,
    hop_length: int = constants.HOP_LENGTH,
    n_fft: int = constants.N_FFT,
    fmin: float = constants.FMIN,
    n_bins: int = constants.N_BINS,
    bins_per_octave: int = constants.BINS_PER_OCTAVE,
    n_fft_low: int | None = None,
    low_bins: int = 0,
    pool: Optional[Executor] = None,
) -> np.ndarray:
    """Log-magnitude semitone spectrogram (the ``"logspec"`` feature).

    Computed in chunks of frames, so the full STFT is never held in memory.

    Parameters
    ----------
    n_fft_low : int, optional
        Frame size (samples at ``sr``) of a second, longer STFT for the lowest
        ``low_bins`` bands, whose semitones lie closer together than the bins of an
        ``n_fft``-point FFT (at 22.05 kHz and 2048 points, below about C4): there
        it resolves the bass's pitch at the cost of time resolution. It is
        computed on the signal resampled (soxr) by the largest power of two that
        keeps these bands well below the new Nyquist frequency and divides
        ``n_fft_low`` and ``hop_length``, with frames of ``n_fft_low / factor``
        points: the same frequency bins and window length as an
        ``n_fft_low``-point FFT at ``sr``, at a small fraction of its cost.
        Magnitudes are scaled to those of an ``n_fft``-point FFT, so a steady
        sinusoid gives the same band value in both STFTs.
    low_bins : int
        Number of bands, from ``fmin`` up, taken from the longer STFT.
    pool : Executor, optional
        Threads to compute chunks of frames on; the result is the same.

    Returns
    -------
    features : np.ndarray [shape=(frames, n_bins), dtype=float32]
    """
    weights = semitone_filterbank(
        sr=sr, n_fft=n_fft, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave
    )
    low_bins = int(low_bins) if n_fft_low else 0
    if not 0 <= low_bins <= n_bins:
        raise ParameterError(f"low_bins={low_bins} must lie in [0, n_bins={n_bins}]")
    out = _filtered_log_magnitudes(y, weights, n_fft=n_fft, hop_length=hop_length,
                                   n_frames_out=n_frames(len(y), hop_length=hop_length), pool=pool)
    if low_bins:
        out[:, :low_bins] = low_band_spectrogram(
            y, sr=sr, hop_length=hop_length, n_fft=n_fft, fmin=fmin, bins_per_octave=bins_per_octave,
            n_fft_low=int(n_fft_low), low_bins=low_bins, pool=pool,
        )
    return out


def low_band_spectrogram(
    y: np.ndarray,
    *,
    sr: int,
    hop_length: int,
    n_fft: int,
    fmin: float,
    bins_per_octave: int,
    n_fft_low: int,
    low_bins: int,
    pool: Optional[Executor] = None,
) -> np.ndarray:
    """The lowest ``low_bins`` bands of :func:`log_spectrogram` from its longer window.

    Separate so that a caller holding the one-FFT spectrogram (the chop analysis, which
    needs it for attacks) replaces its low bands without a second short STFT.

    Returns
    -------
    bands : np.ndarray [shape=(frames, low_bins), dtype=float32]
        ``log1p`` of the band magnitudes, scaled to those of an ``n_fft``-point FFT.
    """
    import soxr

    factor = _low_band_factor(sr, hop_length, int(n_fft_low), fmin, low_bins, bins_per_octave)
    low_fft = int(n_fft_low) // factor
    weights = semitone_filterbank(
        sr=sr / factor, n_fft=low_fft, fmin=fmin, n_bins=low_bins, bins_per_octave=bins_per_octave
    ) * np.float32(n_fft / low_fft)
    y_low = np.zeros(len(y) // factor + 1, dtype=np.float32)
    resampled = soxr.resample(np.asarray(y, dtype=np.float32), sr, sr / factor, quality="HQ")
    y_low[: min(len(resampled), len(y_low))] = resampled[: len(y_low)]
    return _filtered_log_magnitudes(y_low, weights, n_fft=low_fft, hop_length=hop_length // factor,
                                    n_frames_out=n_frames(len(y), hop_length=hop_length), pool=pool)


def one_fft_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`log_spectrogram` for a ``logspec`` configuration's
    spectrogram with every band from the one short FFT (no longer low window)."""
    return {key: value for key, value in config.items() if key != "kind" and key not in _LOW_WINDOW_KEYS}


def features_and_one_fft(
    y: np.ndarray, config: Mapping[str, Any], *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """A ``logspec`` configuration's features and its one-FFT spectrogram, sharing the short STFT.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal at ``config["sr"]``.
    config : mapping
        A ``logspec`` feature configuration.
    threads : int
        Threads to compute on: the low bands (resampled, and their STFT) on one of
        them, beside the short STFT's chunks of frames on the others. The result is the
        same for any number.

    Returns
    -------
    features : np.ndarray [shape=(frames, n_bins), dtype=float32]
        As :func:`compute_features` gives them.
    one_fft : np.ndarray [shape=(frames, n_bins), dtype=float32]
        Every band from the short FFT (the same array as ``features`` when the
        configuration has no longer low window).
    """
    settings = one_fft_settings(config)
    low_bins = int(config.get("low_bins", 0)) if config.get("n_fft_low") else 0
    if threads <= 1:
        return _features_and_one_fft(y, config, settings, low_bins, pool=None)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="samplechop-features") as pool:
        return _features_and_one_fft(y, config, settings, low_bins, pool=pool)


def _features_and_one_fft(
    y: np.ndarray, config: Mapping[str, Any], settings: dict[str, Any], low_bins: int,
    *, pool: Optional[Executor],
) -> tuple[np.ndarray, np.ndarray]:
    low_settings = {key: settings[key] for key in ("sr", "hop_length", "n_fft", "fmin", "bins_per_octave")}
    low_settings |= {"n_fft_low": int(config.get("n_fft_low") or 0), "low_bins": low_bins}
    # the low bands are resampled and transformed while the short STFT's chunks run
    low = pool.submit(low_band_spectrogram, y, **low_settings) if low_bins and pool is not None else None
    try:
        one_fft = log_spectrogram(y, **settings, pool=pool)
    except BaseException:
        if low is not None:
            low.cancel()
        raise
    if not low_bins:
        return one_fft, one_fft
    features = one_fft.copy()
    features[:, :low_bins] = low.result() if low is not None else low_band_spectrogram(y, **low_settings)
    return features, one_fft


def cqt_sum(
    y: np.ndarray,
    *,
    sr: int = constants.SAMPLE_RATE,
    hop_length: int = constants.HOP_LENGTH,
    fmin: float = constants.FMIN,
    n_bins: int = constants.N_BINS,
    bins_per_octave: int = constants.BINS_PER_OCTAVE,
    **_: Any,
) -> np.ndarray:
    """The original design's feature: per-frame sum of the log-magnitude CQT.

    Returns
    -------
    features : np.ndarray [shape=(frames, 1), dtype=float32]
    """
    try:
        import librosa
    except ImportError:
        raise ParameterError(
            "the 'cqt_sum' feature needs librosa: pip install 'samplechop[train]'"
        ) from None
    spectrum = np.abs(
        librosa.cqt(
            y.astype(np.float32),
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            n_bins=n_bins,
            bins_per_octave=bins_per_octave,
        )
    )
    total = n_frames(len(y), hop_length=hop_length)
    summed = np.log1p(spectrum).sum(axis=0)[:total]
    out = np.zeros((total, 1), dtype=np.float32)
    out[: summed.size, 0] = summed
    return out


def feature_size(config: Mapping[str, Any]) -> int:
    """Values per frame of a feature configuration."""
    return 1 if config["kind"] == "cqt_sum" else int(config["n_bins"])


def compute_features(y: np.ndarray, config: Mapping[str, Any]) -> np.ndarray:
    """Compute the features that a configuration names.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal at ``config["sr"]``.
    config : mapping
        Feature settings (see :data:`DEFAULT_FEATURES`).

    Returns
    -------
    features : np.ndarray [shape=(frames, feature_size(config)), dtype=float32]
    """
    settings = {key: value for key, value in config.items() if key != "kind"}
    kind = config.get("kind")
    if kind == "logspec":
        return log_spectrogram(y, **settings)
    if kind == "cqt_sum":
        settings.pop("n_fft", None)
        return cqt_sum(y, **settings)
    raise ParameterError(f"unknown feature kind {kind!r}")

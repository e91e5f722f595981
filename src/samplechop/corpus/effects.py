"""Make a clean rendering sound like a record: room, band-limit, EQ, saturation,
compression, wow, hiss, hum, crackle, stereo width, level.

Conventions (as librosa): audio is ``y`` with shape ``(channels, n)``, float,
sample rate ``sr``. Each effect is a pure function; :func:`random_chain` draws a
:class:`RecordChain` (all parameters of one piece) from the piece's generator and
:func:`apply_chain` runs it. No effect moves an attack by more than a fraction
of a millisecond except :func:`wow`, whose time map :func:`wow_time_map` is
applied to the labels as well, so labels stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy import signal

from ..exceptions import ParameterError

__all__ = [
    "reverb",
    "band_limit",
    "peaking_eq",
    "saturate",
    "compress",
    "add_hiss",
    "add_hum",
    "add_crackle",
    "wow",
    "wow_time_map",
    "stereo_width",
    "normalise",
    "RecordChain",
    "random_chain",
    "apply_chain",
]


def _check(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2:
        raise ParameterError(f"audio must have shape (channels, n), not {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("audio holds a value that is not finite")
    return y


def reverb(
    y: np.ndarray, *, sr: int, rt60: float, wet: float, rng: np.random.Generator,
    predelay: float = 0.0, damping: float = 6000.0,
) -> np.ndarray:
    """Add a room: convolution with a synthetic impulse response of decaying noise.

    Parameters
    ----------
    y : np.ndarray [shape=(channels, n)]
    sr : int
    rt60 : float > 0
        Seconds for the tail to fall by 60 dB.
    wet : float >= 0
        Level of the reverberant sound against the direct sound (kept at 1).
    rng : np.random.Generator
        Draws the noise of the impulse response (one per channel).
    predelay : float
        Seconds before the tail starts (the direct sound is not delayed).
    damping : float
        Cut-off in Hz of a low-pass on the tail.

    Returns
    -------
    y : np.ndarray [shape=(channels, n)]
    """
    y = _check(y)
    length = int(min(rt60 * 1.1, 3.0) * sr)
    t = np.arange(length) / sr
    envelope = np.exp(-6.91 * t / rt60)
    sos = signal.butter(2, min(damping, 0.45 * sr), btype="low", fs=sr, output="sos")
    start = int(predelay * sr)
    out = np.empty_like(y)
    for channel in range(y.shape[0]):
        tail = signal.sosfilt(sos, rng.standard_normal(length)) * envelope
        response = np.concatenate([np.zeros(start), tail])
        response *= wet / np.sqrt(np.sum(response**2) + 1e-12)
        response[0] += 1.0
        out[channel] = signal.oaconvolve(y[channel], response)[: y.shape[1]]
    return out


def band_limit(y: np.ndarray, *, sr: int, low: float, high: float, order: int = 2) -> np.ndarray:
    """High-pass at ``low`` Hz and low-pass at ``high`` Hz (Butterworth, causal)."""
    y = _check(y)
    high = min(high, 0.45 * sr)
    if not 0 < low < high:
        raise ParameterError(f"band limits must satisfy 0 < low < high, not {low} and {high}")
    sos = signal.butter(order, [low, high], btype="band", fs=sr, output="sos")
    return signal.sosfilt(sos, y, axis=-1)


def peaking_eq(y: np.ndarray, *, sr: int, freq: float, gain_db: float, q: float = 1.0) -> np.ndarray:
    """One peaking band (the audio-EQ-cookbook biquad): ``gain_db`` around ``freq`` Hz."""
    y = _check(y)
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * min(freq, 0.45 * sr) / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return signal.lfilter(b / den[0], den / den[0], y, axis=-1)


def saturate(y: np.ndarray, *, drive: float) -> np.ndarray:
    """Soft clipping ``tanh(drive * y) / tanh(drive)`` (keeps a full-scale peak at full scale)."""
    y = _check(y)
    if drive <= 0:
        raise ParameterError(f"drive must be positive, not {drive}")
    return np.tanh(drive * y) / np.tanh(drive)


def compress(
    y: np.ndarray, *, sr: int, threshold_db: float, ratio: float, attack: float = 0.01, release: float = 0.15
) -> np.ndarray:
    """Downward compression with a peak envelope follower (1 ms blocks), no make-up gain.

    Parameters
    ----------
    y : np.ndarray [shape=(channels, n)]
    sr : int
    threshold_db : float
        Level (dBFS) above which gain is reduced.
    ratio : float >= 1
    attack, release : float
        Time constants of the envelope in seconds.
    """
    y = _check(y)
    if ratio < 1:
        raise ParameterError(f"ratio must be at least 1, not {ratio}")
    block = max(1, int(sr * 0.001))
    n = y.shape[1]
    blocks = -(-n // block)
    padded = np.zeros((y.shape[0], blocks * block))
    padded[:, :n] = np.abs(y)
    peaks = padded.reshape(y.shape[0], blocks, block).max(axis=(0, 2))
    rise = np.exp(-block / (attack * sr))
    fall = np.exp(-block / (release * sr))
    envelope = np.empty(blocks)
    level = 0.0
    for index, peak in enumerate(peaks.tolist()):
        coefficient = rise if peak > level else fall
        level = coefficient * level + (1 - coefficient) * peak
        envelope[index] = level
    level_db = 20 * np.log10(envelope + 1e-9)
    gain_db = np.minimum(0.0, (threshold_db - level_db) * (1 - 1 / ratio))
    centres = (np.arange(blocks) + 0.5) * block
    gain = 10 ** (np.interp(np.arange(n), centres, gain_db) / 20)
    return y * gain


def add_hiss(y: np.ndarray, *, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add tape / surface hiss (white noise tilted towards pink) at ``level_db`` dBFS RMS."""
    y = _check(y)
    noise = signal.lfilter([1.0], [1.0, -0.7], rng.standard_normal(y.shape), axis=-1)
    noise *= 10 ** (level_db / 20) / (np.sqrt(np.mean(noise**2)) + 1e-12)
    return y + noise


def add_hum(y: np.ndarray, *, sr: int, freq: float, level_db: float) -> np.ndarray:
    """Add mains hum (``freq`` and its first harmonics) at ``level_db`` dBFS peak."""
    y = _check(y)
    t = np.arange(y.shape[1]) / sr
    hum = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3))
    return y + 10 ** (level_db / 20) * hum / 1.83


def add_crackle(y: np.ndarray, *, sr: int, rate: float, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add vinyl crackle: sparse short clicks, ``rate`` per second, peaks around ``level_db`` dBFS."""
    y = _check(y)
    n = y.shape[1]
    count = int(rng.poisson(rate * n / sr))
    clicks = np.zeros(y.shape)
    if count:
        positions = rng.integers(0, n, size=count)
        amplitudes = 10 ** (level_db / 20) * rng.lognormal(0.0, 0.7, size=count) * rng.choice([-1.0, 1.0], size=count)
        balance = rng.uniform(0.5, 1.0, size=(y.shape[0], count))
        for channel in range(y.shape[0]):
            np.add.at(clicks[channel], positions, amplitudes * balance[channel])
        shape = np.exp(-np.arange(int(0.0015 * sr) + 1) / (0.0003 * sr)) * np.cos(np.arange(int(0.0015 * sr) + 1) * 0.9)
        clicks = signal.lfilter(shape, [1.0], clicks, axis=-1)
    return y + clicks


def wow_time_map(
    times: np.ndarray, *, rates: tuple[float, ...], depths: tuple[float, ...], phases: tuple[float, ...],
) -> np.ndarray:
    """Where events at input ``times`` (seconds) land after :func:`wow` with the same parameters."""
    times = np.asarray(times, dtype=float)
    out = times.copy()
    for _ in range(4):  # fixed point of t_out = t_in - offset(t_out); a contraction for small depths
        offset = sum(d / (2 * np.pi * r) * np.sin(2 * np.pi * r * out + p) for r, d, p in zip(rates, depths, phases))
        out = times - offset
    return out


def wow(
    y: np.ndarray, *, sr: int, rates: tuple[float, ...], depths: tuple[float, ...], phases: tuple[float, ...],
) -> np.ndarray:
    """Slow pitch modulation (wow, flutter) by time-varying resampling.

    Output time ``t`` reads the input at ``t + sum(d / (2 pi r) sin(2 pi r t + p))``:
    speed deviates by up to ``d`` (relative) at rate ``r`` Hz. With d = 0.003 at
    0.5 Hz events move by 1 ms at most; :func:`wow_time_map` gives the exact map.
    """
    y = _check(y)
    t = np.arange(y.shape[1]) / sr
    offset = sum(d / (2 * np.pi * r) * np.sin(2 * np.pi * r * t + p) for r, d, p in zip(rates, depths, phases))
    positions = (t + offset) * sr
    index = np.arange(y.shape[1])
    return np.stack([np.interp(positions, index, channel) for channel in y])


def stereo_width(y: np.ndarray, *, width: float) -> np.ndarray:
    """Scale the side signal of stereo audio by ``width`` (0 = mono, 1 = unchanged)."""
    y = _check(y)
    if y.shape[0] != 2:
        return y
    mid, side = (y[0] + y[1]) / 2, (y[0] - y[1]) / 2 * width
    return np.stack([mid + side, mid - side])


def normalise(y: np.ndarray, *, peak_db: float) -> np.ndarray:
    """Scale to a peak of ``peak_db`` dBFS (silence is returned unchanged)."""
    y = _check(y)
    peak = np.max(np.abs(y)) if y.size else 0.0
    return y if peak == 0 else y * (10 ** (peak_db / 20) / peak)


@dataclass
class RecordChain:
    """Every parameter of one piece's record sound (``None``: effect off)."""

    reverb: Optional[dict] = None
    band: Optional[dict] = None
    eq: list[dict] = field(default_factory=list)
    drive: Optional[float] = None
    compressor: Optional[dict] = None
    wow: Optional[dict] = None
    hiss_db: Optional[float] = None
    hum: Optional[dict] = None
    crackle: Optional[dict] = None
    mono: bool = False
    width: float = 1.0
    peak_db: float = -1.0

    def map_times(self, times: np.ndarray) -> np.ndarray:
        """Where events at ``times`` (seconds) land in the processed audio."""
        return np.asarray(times, dtype=float) if self.wow is None else wow_time_map(times, **self.wow)


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def random_chain(rng: np.random.Generator, *, sr: int) -> RecordChain:
    """Draw the record sound of one piece."""
    chain = RecordChain()
    if rng.random() < 0.65:
        chain.reverb = dict(rt60=float(rng.uniform(0.3, 2.5)), wet=float(rng.uniform(0.05, 0.35)),
                            predelay=float(rng.uniform(0.0, 0.025)), damping=float(rng.uniform(2000, 9000)))
    if rng.random() < 0.85:
        chain.band = dict(low=_log_uniform(rng, 30, 250), high=min(_log_uniform(rng, 3000, 16000), 0.45 * sr),
                          order=int(rng.choice([1, 2])))
    chain.eq = [dict(freq=_log_uniform(rng, 120, 6000), gain_db=float(rng.uniform(-6, 6)),
                     q=float(rng.uniform(0.5, 2.0)))
                for _ in range(int(rng.integers(0, 4)))]
    if rng.random() < 0.5:
        chain.drive = float(rng.uniform(1.0, 5.0))
    if rng.random() < 0.6:
        chain.compressor = dict(threshold_db=float(rng.uniform(-30, -10)), ratio=float(rng.uniform(2, 8)),
                                attack=float(rng.uniform(0.002, 0.02)), release=float(rng.uniform(0.05, 0.3)))
    if rng.random() < 0.4:
        rates, depths = [float(rng.uniform(0.4, 1.2))], [float(rng.uniform(0.0005, 0.003))]
        if rng.random() < 0.3:
            rates.append(float(rng.uniform(5, 12)))
            depths.append(float(rng.uniform(0.0001, 0.0005)))
        chain.wow = dict(rates=tuple(rates), depths=tuple(depths),
                         phases=tuple(float(p) for p in rng.uniform(0, 2 * np.pi, len(rates))))
    if rng.random() < 0.7:
        chain.hiss_db = float(rng.uniform(-75, -45))
    if rng.random() < 0.15:
        chain.hum = dict(freq=float(rng.choice([50.0, 60.0])), level_db=float(rng.uniform(-70, -50)))
    if rng.random() < 0.5:
        chain.crackle = dict(rate=_log_uniform(rng, 1, 40), level_db=float(rng.uniform(-55, -28)))
    chain.mono = bool(rng.random() < 0.3)
    chain.width = float(rng.uniform(0.4, 1.2)) if rng.random() < 0.5 else 1.0
    chain.peak_db = float(rng.uniform(-10, -0.5))
    return chain


def apply_chain(y: np.ndarray, *, sr: int, chain: RecordChain, rng: np.random.Generator) -> np.ndarray:
    """Run a :class:`RecordChain` on ``y`` (shape ``(channels, n)``).

    Returns
    -------
    y : np.ndarray [shape=(1 or 2, n), dtype=float32]
        Processed audio, peak at ``chain.peak_db`` dBFS (mono when ``chain.mono``).
    """
    y = normalise(_check(y), peak_db=-3.0)
    if chain.reverb is not None:
        y = reverb(y, sr=sr, rng=rng, **chain.reverb)
    if chain.band is not None:
        y = band_limit(y, sr=sr, **chain.band)
    for band in chain.eq:
        y = peaking_eq(y, sr=sr, **band)
    if chain.drive is not None:
        y = saturate(normalise(y, peak_db=-1.0), drive=chain.drive)
    if chain.compressor is not None:
        y = compress(normalise(y, peak_db=-1.0), sr=sr, **chain.compressor)
    if chain.wow is not None:
        y = wow(y, sr=sr, **chain.wow)
    y = normalise(y, peak_db=-1.0)
    if chain.hiss_db is not None:
        y = add_hiss(y, level_db=chain.hiss_db, rng=rng)
    if chain.hum is not None:
        y = add_hum(y, sr=sr, **chain.hum)
    if chain.crackle is not None:
        y = add_crackle(y, sr=sr, rng=rng, **chain.crackle)
    if chain.mono:
        y = y.mean(axis=0, keepdims=True)
    else:
        y = stereo_width(y, width=chain.width)
    return normalise(y, peak_db=chain.peak_db).astype(np.float32)

"""The plot (``<stem>.png``): waveform, numbered chop markers and the model's score curve.

Drawn with matplotlib's Agg renderer into an in-memory PNG of exactly
:data:`WIDTH` x :data:`HEIGHT` pixels. matplotlib is the ``plot`` extra
(``pip install 'samplechop[plot]'``) and is imported only when a plot is drawn.
"""

from __future__ import annotations

import io
import warnings
from typing import Optional, Sequence

import numpy as np

from ..exceptions import ParameterError

__all__ = ["render_plot", "waveform_envelope", "WIDTH", "HEIGHT", "PLOT_SUFFIX"]

PLOT_SUFFIX = ".png"

#: Size of the image in pixels.
WIDTH, HEIGHT = 1600, 600
_DPI = 100


def waveform_envelope(y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest sample in each of ``columns`` equal stretches of ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    columns : int > 0

    Returns
    -------
    low, high : np.ndarray [shape=(min(columns, n),)]
    """
    columns = max(1, min(int(columns), y.size))
    edges = np.linspace(0, y.size, columns + 1).astype(np.int64)
    low = np.minimum.reduceat(y, edges[:-1])
    high = np.maximum.reduceat(y, edges[:-1])
    return low, high


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "matplotlib":
            raise
        raise ParameterError("the plot and report formats need matplotlib: "
                             "pip install 'samplechop[plot]'") from None
    return Figure, FigureCanvasAgg


def render_plot(
    y: np.ndarray,
    *,
    sr: int,
    activations: np.ndarray,
    frame_rate: float,
    starts: Sequence[float],
    labels: Sequence[str],
    threshold: Optional[float] = None,
    title: str = "",
) -> bytes:
    """Draw the waveform, the chops and the score curve as a PNG.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal (the analysis signal).
    sr : int
        Its sample rate.
    activations : np.ndarray [shape=(frames,)]
        The model's score per frame, in [0, 1].
    frame_rate : float
        Frames per second of ``activations``.
    starts : sequence of float
        Chop starts in seconds.
    labels : sequence of str
        Text of each chop's marker (its number).
    threshold : float, optional
        Drawn as a dashed line on the score axis.
    title : str

    Returns
    -------
    png : bytes
        A :data:`WIDTH` x :data:`HEIGHT` RGBA PNG.

    Raises
    ------
    ParameterError
        When matplotlib is not installed.
    """
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=(WIDTH / _DPI, HEIGHT / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.05, 0.1, 0.9, 0.74))
    duration = y.size / sr if y.size else 1.0
    if y.size:
        low, high = waveform_envelope(np.asarray(y, dtype=np.float32), WIDTH * 2)
        times = np.linspace(0.0, duration, low.size)
        axes.fill_between(times, low, high, color="#7a8ca3", linewidth=0, label="waveform")
    axes.set_xlim(0.0, duration)
    axes.set_ylim(-1.05, 1.05)
    axes.set_xlabel("time (s)")
    axes.set_ylabel("amplitude")
    scores = figure.add_axes(axes.get_position(), sharex=axes, frameon=False)
    scores.yaxis.tick_right()
    scores.yaxis.set_label_position("right")
    frame_times = np.arange(activations.size) / frame_rate
    scores.plot(frame_times, activations, color="#d9480f", linewidth=0.9, alpha=0.85, label="model score")
    if threshold is not None:
        scores.axhline(threshold, color="#d9480f", linewidth=0.8, linestyle="--", alpha=0.6)
    scores.set_ylim(0.0, 1.05)
    scores.set_ylabel("score")
    scores.tick_params(axis="x", labelbottom=False, bottom=False)
    for start, label in zip(starts, labels):
        axes.axvline(start, color="#1c7ed6", linewidth=1.2)
        axes.text(start, 1.02, label, transform=axes.get_xaxis_transform(), ha="center",
                  va="bottom", fontsize=8, color="white",
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "#1c7ed6", "edgecolor": "none"})
    figure.suptitle(title, x=0.05, y=0.98, ha="left", fontsize=11)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # letters missing from the font are drawn as boxes
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()

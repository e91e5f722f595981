"""A streaming resampler that works on a thread of its own, beside the reader.

Reading a file for analysis decodes and mixes down a block, then resamples it
(soxr); the two take about the same time (for a 16-bit stereo WAV at 44.1 kHz,
0.02 s each per 3 minutes), and soxr releases the GIL. :class:`PipelinedResampler`
resamples block ``k`` on its thread while the caller reads block ``k + 1``. The
blocks go through one ``soxr.ResampleStream``, one at a time and in order, so the
output is the same as resampling them in the caller's thread.

Each resampled block is copied at once into one array for the whole signal, sized
from the file's length: kept as pieces to be joined at the end, the blocks that the
thread allocates stayed in its own malloc arena after the join, and the command's
peak memory on a 3-minute file rose from 174 MB to about 200 MB.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Optional

import numpy as np

__all__ = ["PipelinedResampler"]


class PipelinedResampler:
    """Resample a stream of mono blocks from ``in_rate`` to ``out_rate`` on a thread.

    Use as a context manager; :meth:`push` each block, then :meth:`finish`. Leaving
    the block on an error or interruption waits for the block in flight (a few
    milliseconds) and drops the rest.

    Parameters
    ----------
    in_rate, out_rate : float
        Sample rates in Hz.
    frames : int
        Samples expected at ``in_rate`` (the file's length): the output array is
        allocated for them at once, and grown if more come.

    Examples
    --------
    >>> with PipelinedResampler(44100, 22050) as resampler:
    ...     for block in blocks:
    ...         resampler.push(block)
    ...     y = resampler.finish()
    """

    def __init__(self, in_rate: float, out_rate: float, *, frames: int = 0) -> None:
        import soxr

        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samplechop-resample")
        self._pending: Optional[Future] = None
        self._out = np.empty(int(np.ceil(max(int(frames), 0) * out_rate / in_rate)) + 16, dtype=np.float32)
        self._filled = 0

    def __enter__(self) -> "PipelinedResampler":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _collect(self) -> None:
        """Wait for the block in flight (its error is raised here)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _append(self, samples: np.ndarray) -> None:
        """Copy resampled samples after those already out, growing the array if need be."""
        end = self._filled + samples.size
        if end > self._out.size:
            grown = np.empty(max(end, 2 * self._out.size), dtype=np.float32)
            grown[: self._filled] = self._out[: self._filled]
            self._out = grown
        self._out[self._filled : end] = samples
        self._filled = end

    def _resample(self, block: np.ndarray) -> None:
        self._append(self._stream.resample_chunk(block))

    def push(self, block: np.ndarray) -> None:
        """Hand over the next block (float32, 1-D); it is resampled once the previous
        one is done, while the caller goes on. The caller must not change it after."""
        self._collect()
        self._pending = self._pool.submit(self._resample, block)

    def finish(self) -> np.ndarray:
        """The whole resampled signal, the stream flushed.

        Returns
        -------
        y : np.ndarray [shape=(n,), dtype=float32]
            A fresh array (a copy of its right size when far fewer samples came than
            ``frames`` promised).
        """
        self._collect()
        self._append(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        out, self._out = self._out, np.zeros(0, dtype=np.float32)
        if self._filled < out.size // 2:
            return out[: self._filled].copy()
        return out[: self._filled]

"""A streaming resampler that works on a thread of its own, beside the reader.

Reading a file for analysis decodes and mixes down a block, then resamples it
(soxr); the two take about the same time (for a 16-bit stereo WAV at 44.1 kHz,
0.02 s each per 3 minutes), and soxr releases the GIL. :class:`PipelinedResampler`
resamples block ``k`` on its thread while the caller reads block ``k + 1``. The
blocks go through one ``soxr.ResampleStream``, one at a time and in order, so the
output is the same as resampling them in the caller's thread.
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

    Examples
    --------
    >>> with PipelinedResampler(44100, 22050) as resampler:
    ...     for block in blocks:
    ...         resampler.push(block)
    ...     y = resampler.finish()
    """

    def __init__(self, in_rate: float, out_rate: float) -> None:
        import soxr

        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samplechop-resample")
        self._pending: Optional[Future] = None
        self._pieces: list[np.ndarray] = []

    def __enter__(self) -> "PipelinedResampler":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _collect(self) -> None:
        """Wait for the block in flight and keep its samples (its error is raised here)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._pieces.append(pending.result())

    def push(self, block: np.ndarray) -> None:
        """Hand over the next block (float32, 1-D); it is resampled once the previous
        one is done, while the caller goes on. The caller must not change it after."""
        self._collect()
        self._pending = self._pool.submit(self._stream.resample_chunk, block)

    def finish(self) -> np.ndarray:
        """The whole resampled signal, the stream flushed.

        Returns
        -------
        y : np.ndarray [shape=(n,), dtype=float32]
        """
        self._collect()
        self._pieces.append(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        pieces, self._pieces = self._pieces, []
        return np.concatenate(pieces) if len(pieces) > 1 else np.ascontiguousarray(pieces[0])

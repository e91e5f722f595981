"""Worker processes for the parallel jobs (corpus rendering, data set building).

Workers are forked where the platform can fork (they need no re-import of the
caller's main module, so a script without a main guard works), spawned elsewhere.

A forked worker inherits every object of its parent, garbage included. Should it
collect an inherited onnxruntime session (a chop model the parent dropped but had
not yet collected), the session's destructor waits for thread-pool threads that do
not exist in the child, and the worker hangs for ever: the test suite did this once
after loading models earlier in the same process. So the pool is forked with the
garbage collector's view of the parent frozen (``gc.freeze``, meant for exactly
this): workers never collect what they inherit, only what they make.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.pool import Pool

__all__ = ["process_pool", "process_executor"]


def process_pool(processes: int) -> Pool:
    """A pool of ``processes`` worker processes, forked where possible (see above)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn").Pool(processes, initializer=_default_stop_signals)
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(processes, initializer=_default_stop_signals)
    finally:
        gc.unfreeze()


def process_executor(processes: int) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``processes`` workers, forked where possible (see above).

    Unlike :func:`process_pool`, it does not wait for ever on a task whose worker was
    killed (by the out-of-memory killer, say): the executor breaks, and every task
    not yet done raises ``BrokenProcessPool``. Its workers are forked here, before it
    is returned, so that they fork with the garbage collector's view frozen.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_default_stop_signals)
    executor = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_default_stop_signals)
    gc.freeze()
    try:
        executor.submit(int).result()  # a forking executor starts all its workers on its first task
    finally:
        gc.unfreeze()
    return executor


def _default_stop_signals() -> None:
    """Let SIGTERM end a worker at once, as the pool's ``terminate`` expects.

    A forked worker inherits the command line's handler, which turns SIGTERM into an
    exception to unwind the parent's outputs; the workers write nothing to unwind.
    """
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)

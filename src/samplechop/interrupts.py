"""Ctrl-C, SIGTERM and SIGHUP: one way to stop a run, with nothing half-written.

Within :func:`stops_as_interrupts`, the three signals raise an exception where the
program is (:class:`KeyboardInterrupt` for Ctrl-C, its subclass :class:`StopSignal`
for the others), and every output being built is removed as it unwinds.

One place must not be interrupted that way: a Python callback that C code calls
(libsndfile writing a WAV through a Python file object calls back to write each
block). An exception
raised there is printed and dropped by cffi, and the run goes on. Such calls are
wrapped in :func:`deferred`: a signal that arrives inside is raised when it ends.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator, Optional

__all__ = ["StopSignal", "STOP_SIGNALS", "stops_as_interrupts", "deferred", "ignored"]


class StopSignal(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised to unwind the run as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Signals that stop a run: Ctrl-C (exit 130), SIGTERM and SIGHUP (128 + the number).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_deferring = 0
_pending: Optional[int] = None


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise StopSignal(signum)


def _handle(signum: int, frame: object) -> None:
    global _pending
    if _deferring:
        _pending = signum
        return
    _raise(signum)


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _handlers(action) -> Iterator[None]:
    if not _on_main_thread():  # only the main thread may set handlers (and gets signals)
        yield
        return
    # A signal ignored when the program started stays ignored: nohup ignores SIGHUP,
    # and a shell ignores SIGINT for the jobs it starts in the background.
    taken = [number for number in STOP_SIGNALS if signal.getsignal(number) is not signal.SIG_IGN]
    previous = {number: signal.signal(number, action) for number in taken}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def stops_as_interrupts() -> contextlib.AbstractContextManager[None]:
    """Within the block, Ctrl-C, SIGTERM and SIGHUP raise where the program is."""
    return _handlers(_handle)


def ignored() -> contextlib.AbstractContextManager[None]:
    """Within the block, the stop signals are ignored: for the clean-up after a stop,
    which a second Ctrl-C must not cut short."""
    return _handlers(signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold back a stop signal that arrives within the block until the block ends."""
    global _deferring, _pending
    if not _on_main_thread():
        yield
        return
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending is not None:
            signum, _pending = _pending, None
            _raise(signum)

"""Run a batch's units of work: in this process, in the local process pool, or on Dask.

A *unit* is a function of one small, picklable task (a path and settings) that
reads its input and writes its output itself, on storage shared with the client,
and returns a small record. :func:`run_units` yields each task's record as it
finishes, whatever runs it:

* ``jobs=1``: in this process, one task after the other;
* ``jobs=N``: the local process pool of :mod:`samplechop.workers`;
* ``scheduler="local:N"`` or an address such as ``tcp://10.0.0.5:8786``: Dask
  distributed (:mod:`samplechop.batch.dask_engine`, imported only then).

A task whose unit raises is reported as a :class:`TaskFailure` and the batch goes
on. On Dask a raising task is first retried ``retries`` times, and a task whose
worker dies is moved to another worker by distributed itself, until the
scheduler's ``allowed-failures`` is reached; both end as a :class:`TaskFailure`.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Sequence

from ..exceptions import ParameterError

__all__ = ["TaskFailure", "run_units", "parse_scheduler", "progress_bar", "DEFAULT_RETRIES"]

#: Times Dask runs a task again after it raised (its worker dying is counted apart).
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class TaskFailure:
    """A task whose unit raised, or whose workers died, after every retry.

    Attributes
    ----------
    message : str
        One line: what went wrong.
    """

    message: str


def parse_scheduler(text: str) -> tuple[str, Any]:
    """``("local", N)`` for ``local:N``, else ``("address", text)``.

    Raises
    ------
    ParameterError
        For ``local:`` without a whole number of workers >= 1, or an empty address.
    """
    text = text.strip()
    if text.startswith("local:") or text == "local":
        count = text.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ParameterError(f"--scheduler {text}: give local:N with N >= 1 worker processes")
        return "local", int(count)
    if not text:
        raise ParameterError("--scheduler: give a scheduler address (tcp://HOST:PORT) or local:N")
    return "address", text


def _guarded(unit: Callable[[Any], Any], task: Any) -> Any:
    """The unit's record, or a :class:`TaskFailure` when it raised (a stop still stops)."""
    try:
        return unit(task)
    except Exception as error:  # one task's failure must not end the batch
        return TaskFailure(f"{type(error).__name__}: {error}")


@contextlib.contextmanager
def run_units(
    unit: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    jobs: int = 1,
    scheduler: Optional[str] = None,
    retries: int = DEFAULT_RETRIES,
    progress: bool = False,
    desc: str = "batch",
    log: Callable[[str], None] = lambda message: print(f"samplechop: {message}", file=sys.stderr),
) -> Iterator[Iterator[tuple[int, Any]]]:
    """Run ``unit`` on every task: a context whose iterator gives ``(task number, record
    or TaskFailure)`` as each task ends.

    Leaving the context (at the end, or by an error or a stop signal in the caller's
    loop) stops the workers' queue at once: tasks not started are cancelled, the pool
    or the Dask client is closed, rather than whenever the garbage collector would
    close a generator left half-way.

    Parameters
    ----------
    unit : callable
        A module-level function of one task (it is pickled by reference).
    tasks : sequence
        Small picklable tasks.
    jobs : int >= 1
        Local worker processes (without ``scheduler``); 1 runs in this process.
    scheduler : str, optional
        ``local:N`` or a Dask scheduler address: run on Dask instead.
    retries : int >= 0
        Dask: runs of a raising task after its first.
    progress : bool
        Show a progress bar on stderr.
    desc : str
        The progress bar's label and the Dask tasks' name.
    log : callable
        Receives one-line messages (the Dask dashboard's address).

    Yields
    ------
    iterator of (int, record or TaskFailure)

    Examples
    --------
    >>> with run_units(str.upper, ["a", "b"]) as finished:
    ...     sorted(finished)
    [(0, 'A'), (1, 'B')]
    """
    if jobs < 1:
        raise ParameterError(f"--jobs must be >= 1, got {jobs}")
    if retries < 0:
        raise ParameterError(f"--retries must be >= 0, got {retries}")
    if not tasks:
        results: Iterator[tuple[int, Any]] = iter(())
    elif scheduler is not None:
        from .dask_engine import run_on_dask

        results = run_on_dask(unit, tasks, scheduler=scheduler, retries=retries, progress=progress,
                              desc=desc, log=log)
    elif jobs == 1 or len(tasks) == 1:
        results = _in_process(unit, tasks, progress=progress, desc=desc)
    else:
        results = _in_pool(unit, tasks, jobs=min(jobs, len(tasks)), progress=progress, desc=desc)
    try:
        yield results
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


def _in_process(unit: Callable[[Any], Any], tasks: Sequence[Any], *, progress: bool,
                desc: str) -> Iterator[tuple[int, Any]]:
    """Run the tasks one after the other in this process."""
    bar = progress_bar(len(tasks), progress=progress, desc=desc)
    try:
        for index, task in enumerate(tasks):
            record = _guarded(unit, task)
            bar.update(1)
            yield index, record
    finally:
        bar.close()


#: What a task of the local pool comes back as when a worker process died under it.
POOL_WORKER_DIED = ("a worker process of the local pool died (killed, or out of memory), and the pool with it; "
                    "run again with --resume to finish, or use --scheduler, which retries on another worker")


def _in_pool(unit: Callable[[Any], Any], tasks: Sequence[Any], *, jobs: int, progress: bool,
             desc: str) -> Iterator[tuple[int, Any]]:
    """Run the tasks in the local process pool, as they finish.

    A worker killed from outside breaks the pool: the tasks not done by then come back
    as :class:`TaskFailure` at once, rather than the batch waiting for ever.
    """
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from ..workers import process_executor

    executor = process_executor(jobs)  # forked before the progress bar's thread starts
    bar = progress_bar(len(tasks), progress=progress, desc=desc)
    number: dict[Any, int] = {}
    try:
        number.update((executor.submit(_guarded, unit, task), index) for index, task in enumerate(tasks))
        for future in as_completed(number):
            try:
                record = future.result()
            except BrokenProcessPool:
                record = TaskFailure(POOL_WORKER_DIED)
            bar.update(1)
            yield number[future], record
    finally:
        bar.close()
        # Cancel what has not started here: shutdown's own cancel_futures is lost when
        # the executor is collected before its manager thread reads it.
        for future in number:
            future.cancel()
        # Once every task is done, wait for the manager thread to end: left running, it
        # races Python's exit hook for the executor's wake-up pipe, and about one exit in
        # 40 printed "Exception ignored ... OSError: [Errno 9] Bad file descriptor"
        # (CPython 3.11). A batch stopped early does not wait for the running tasks.
        executor.shutdown(wait=all(future.done() for future in number))


class _NoBar:
    """What :func:`progress_bar` gives when no bar is shown: tqdm is not imported for
    nothing (its import takes 13 ms of the 0.5 s the command takes to chop one file)."""

    def update(self, n: int = 1) -> None:
        """Count ``n`` more files done (nothing to show)."""

    def close(self) -> None:
        """End the bar (nothing to close)."""


def progress_bar(total: int, *, progress: bool, desc: str):
    """A tqdm bar on stderr, or an object with its ``update`` and ``close`` that shows
    nothing unless ``progress``."""
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc=desc, file=sys.stderr)

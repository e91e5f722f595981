"""Run a batch's units of work on Dask distributed (``--scheduler``).

Imported only when ``--scheduler`` is given: nothing else in samplechop imports
dask. ``local:N`` starts a ``LocalCluster`` of N single-threaded worker processes
in this process; any other value is the address of a running scheduler
(``tcp://10.0.0.5:8786``), which must be reachable within :data:`CONNECT_SECONDS`
and have a worker within :data:`WORKER_WAIT_SECONDS`, or the run stops with a
:class:`~samplechop.exceptions.ClusterError`.

Tasks carry paths and settings, results are small records: the workers read and
write the audio on storage they share with the client, and no array passes
through the scheduler. A task that raises is run again up to ``retries`` times
(Dask's ``retries=``); a task whose worker dies is moved to another worker by the
scheduler until its ``distributed.scheduler.allowed-failures`` is reached. Either
way a task that still fails ends as a :class:`~samplechop.batch.engine.TaskFailure`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import signal
import threading
import uuid
from typing import Any, Callable, Iterator, Sequence

from ..exceptions import ClusterError, ParameterError
from .engine import TaskFailure, parse_scheduler

__all__ = ["run_on_dask", "connect", "start_local_cluster", "CONNECT_SECONDS", "WORKER_WAIT_SECONDS"]

#: Seconds to reach a scheduler (unless dask's ``distributed.comm.timeouts.connect`` is set lower).
CONNECT_SECONDS = 10.0
#: Seconds to wait for a scheduler's first worker.
WORKER_WAIT_SECONDS = 60.0


def _require_distributed() -> None:
    if importlib.util.find_spec("distributed") is None:
        raise ParameterError("--scheduler needs Dask distributed: pip install 'samplechop[cluster]'")


def _connect_seconds() -> float:
    import dask
    from dask.utils import parse_timedelta

    configured = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", None) or CONNECT_SECONDS)
    return min(float(configured), CONNECT_SECONDS)


#: What Dask's nanny sets in a worker's environment to return freed memory to the
#: system early. It turns off glibc's adaptive threshold, so every file's large arrays
#: are mapped and unmapped anew: chopping 200 files of 30 s took 4 s more system time
#: and 1.5 to 2 s more on the clock with it (docs/benchmarks.md, "Batches"). Set to
#: None (unset) for the workers of ``local:N``; docs/cluster.md says how to do the same
#: for ``dask worker``.
WORKER_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def start_local_cluster(workers: int):
    """A ``LocalCluster`` of ``workers`` single-threaded worker processes, as ``local:N`` starts.

    Its workers keep glibc's own memory trimming (see :data:`WORKER_TRIM_KEY`), and are
    started with SIGINT ignored (a spawned process keeps an ignored
    signal, and Python then installs no handler): Ctrl-C reaches every process of
    the terminal's group, and a worker would die of it with a traceback on the
    terminal; the command stops them itself as it unwinds.
    """
    import dask
    from distributed import LocalCluster

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:
        with dask.config.set({WORKER_TRIM_KEY: None}):
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                silence_logs=logging.ERROR, dashboard_address=":0")
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def connect(scheduler: str, *, log: Callable[[str], None]) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (``local:N`` or an address), closed on exit.

    Raises
    ------
    ParameterError
        When Dask distributed is not installed, or ``local:N`` is malformed.
    ClusterError
        When the scheduler cannot be reached in time, or has no worker.
    """
    kind, value = parse_scheduler(scheduler)
    _require_distributed()
    from distributed import Client

    cluster = None
    if kind == "local":
        cluster = start_local_cluster(value)
        client = Client(cluster)
    else:
        seconds = _connect_seconds()
        try:
            client = Client(value, timeout=seconds)
        except (OSError, TimeoutError, ValueError, TypeError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ClusterError(f"--scheduler {value}: cannot reach a Dask scheduler within {seconds:g} s "
                               f"({reason})") from None
    try:
        if kind == "address":
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except (TimeoutError, OSError):
                raise ClusterError(f"--scheduler {value}: the scheduler has no worker "
                                   f"(none joined within {WORKER_WAIT_SECONDS:g} s)") from None
        if _dashboard_served(client):
            log(f"Dask dashboard: {client.dashboard_link}")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dashboard_served(client) -> bool:
    """Whether the scheduler serves the dashboard's pages (they need bokeh where it runs)."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return False
    try:  # a lambda travels by value: the scheduler needs no samplechop
        return bool(client.run_on_scheduler(lambda: __import__("importlib.util").util.find_spec("bokeh") is not None))
    except Exception:  # a scheduler that refuses to run functions: say nothing rather than guess
        return False


def _failure(future) -> TaskFailure:
    """One line for a task that raised every time or whose workers died."""
    from distributed import KilledWorker

    error = future.exception()
    if isinstance(error, KilledWorker):
        return TaskFailure("the Dask workers running it died, as many times as the scheduler's "
                           "allowed-failures permits")
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return TaskFailure(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def run_on_dask(
    unit: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    scheduler: str,
    retries: int,
    progress: bool,
    desc: str,
    log: Callable[[str], None],
) -> Iterator[tuple[int, Any]]:
    """Run ``unit`` on every task on Dask; yield ``(task number, record or TaskFailure)`` as each ends.

    See :func:`samplechop.batch.engine.run_units` for the parameters.
    """
    from distributed import as_completed

    from .engine import progress_bar

    with connect(scheduler, log=log) as client:
        run = uuid.uuid4().hex[:8]
        keys = [f"{desc}-{run}-{index:06d}" for index in range(len(tasks))]
        futures = client.map(unit, list(tasks), key=keys, retries=retries, pure=False)
        number = {future.key: index for index, future in enumerate(futures)}
        bar = progress_bar(len(tasks), progress=progress, desc=desc)
        try:
            for future in as_completed(futures):
                index = number[future.key]
                if future.status == "finished":
                    record = future.result()
                else:
                    record = _failure(future)
                future.release()
                bar.update(1)
                yield index, record
        finally:
            bar.close()
            client.cancel(futures)

"""numpy's BLAS on one thread wherever samplechop computes.

Two reasons, both measured (docs/benchmarks.md, "Batches"; docs/experiments.md):

* the features' matrix product sums in an order that depends on the number of
  BLAS threads, so a chop's score (in its sixth decimal) and a data set's feature
  bytes would depend on where they were computed: in a library call, the command, a
  forked pool worker, or a Dask worker, whose nanny limits BLAS to one thread;
* OpenBLAS's idle threads spin, on the cores that the features' threads and
  onnxruntime's need: a library call on a 3-minute file took 0.30 s with OpenBLAS's
  default threads and 0.22 s with one; two pool workers with two BLAS threads each
  on two cores chopped 60 files of 30 s in 5.9 s, and in 3.3 s with one BLAS thread
  each.

The limit is set for the whole process, once, not around each call: a context that
restores the old limit would race with a second thread (a Dask worker's, the web
app's). A program that uses samplechop as a library therefore runs its own numpy
BLAS work on one thread too, from its first analysis on. The command line asks for
it through ``OPENBLAS_NUM_THREADS`` before numpy is imported (:func:`before_numpy`),
which starts no thread and imports nothing; where that does not apply (numpy built
on another BLAS, or imported before), threadpoolctl sets it on the first analysis
(:func:`hold_to_one_thread`).
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["before_numpy", "hold_to_one_thread"]

_HELD = False
_ASKED_BEFORE_NUMPY = False
_LOCK = threading.Lock()


def before_numpy() -> None:
    """Ask OpenBLAS for one thread through the environment (of this process and the
    processes it starts), for a program whose numpy is not imported yet (the command
    line); nothing once numpy is imported."""
    global _ASKED_BEFORE_NUMPY
    if "numpy" in sys.modules:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    _ASKED_BEFORE_NUMPY = True


def _environment_took() -> bool:
    """Whether numpy started on one thread because :func:`before_numpy` asked: it did if
    numpy's BLAS is OpenBLAS (read from numpy's build configuration, no import)."""
    if not _ASKED_BEFORE_NUMPY or os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        return False
    import numpy

    blas = getattr(numpy, "__config__", None)
    config = getattr(blas, "CONFIG", {}) if blas is not None else {}
    name = str(config.get("Build Dependencies", {}).get("blas", {}).get("name", ""))
    return "openblas" in name.lower()


def hold_to_one_thread() -> None:
    """Limit numpy's BLAS to one thread in this process, from now on (once per process)."""
    global _HELD
    with _LOCK:
        if _HELD:
            return
        if not _environment_took():
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")
        _HELD = True

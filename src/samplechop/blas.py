"""numpy's BLAS on one thread wherever samplechop computes.

Two reasons, both measured (docs/benchmarks.md):

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
app's). The command line asks for it through the environment before numpy is
imported (:func:`before_numpy`), which starts no thread and imports nothing;
elsewhere threadpoolctl sets it on the first analysis (:func:`hold_to_one_thread`).
"""

from __future__ import annotations

import os
import sys

__all__ = ["before_numpy", "hold_to_one_thread"]

_HELD = False


def before_numpy() -> None:
    """Ask OpenBLAS for one thread through the environment, for a program whose
    numpy is not imported yet (the command line); without effect once it is."""
    global _HELD
    if "numpy" in sys.modules:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    _HELD = True


def hold_to_one_thread() -> None:
    """Limit numpy's BLAS to one thread in this process, from now on (once per process)."""
    global _HELD
    if _HELD:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    _HELD = True

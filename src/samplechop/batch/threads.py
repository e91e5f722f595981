"""numpy's BLAS on one thread in every process that runs a batch's units of work.

Two reasons, both measured (docs/benchmarks.md, "Batches"):

* the features' matrix product sums in an order that depends on the number of
  BLAS threads, so a chop's score (in its sixth decimal) and a data set's feature
  bytes would depend on where they were computed: in this process, a forked pool
  worker, or a Dask worker, whose nanny limits BLAS to one thread;
* OpenBLAS's idle threads spin: two pool workers with two BLAS threads each on two
  cores chopped 60 files of 30 s in 5.9 s, against 5.4 s for one process, and in
  3.3 s with one BLAS thread each. One file alone is no slower on one thread.

The limit is set for the whole process, once, not around each unit: a context that
restores the old limit would race with a second thread of the same Dask worker.
"""

from __future__ import annotations

__all__ = ["hold_blas_to_one_thread"]

_HELD = False


def hold_blas_to_one_thread() -> None:
    """Limit numpy's BLAS to one thread in this process, from now on (once per process)."""
    global _HELD
    if _HELD:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    _HELD = True

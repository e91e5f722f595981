"""Forked workers never collect what they inherit (an onnxruntime session would hang them)."""

import gc
import multiprocessing

import numpy as np

from samplechop.model import load_model
from samplechop.workers import process_pool


def _collect(_):
    return gc.collect()


def test_workers_do_not_hang_on_a_model_the_parent_left_as_garbage():
    enabled = gc.isenabled()
    gc.disable()  # keep the garbage until the pool has forked
    try:
        model = load_model()
        model.predict(np.zeros((400, 84), dtype=np.float32))  # its thread pool has run
        holder = {"model": model}
        holder["self"] = holder  # a cycle: only the collector frees it
        del model, holder
        pool = process_pool(2)
        try:
            # a forked worker that collected the session would wait for ever
            assert pool.map_async(_collect, range(4)).get(timeout=30) == [0, 0, 0, 0]
        except multiprocessing.TimeoutError:
            raise AssertionError("a worker hung collecting an inherited onnxruntime session") from None
        finally:
            pool.terminate()
    finally:
        if enabled:
            gc.enable()

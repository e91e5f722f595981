"""The network's chunks run side by side on threads: the same scores as in turn or in
one pass, and an error or interruption in a chunk reaches the caller."""

import threading

import numpy as np
import pytest

from samplechop.model import file as model_file
from samplechop.model import load_model


@pytest.fixture(scope="module")
def model():
    loaded = load_model()
    assert loaded.runtime == "onnxruntime"
    return loaded


def _features(frames, seed=0):
    return np.random.default_rng(seed).standard_normal((frames, 84)).astype(np.float32)


def _network_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-network")]


@pytest.mark.parametrize("frames", [8, 193, 1000, 4097, 9000])
def test_chunks_on_threads_give_the_scores_of_one_pass(model, monkeypatch, frames):
    x = _features(frames)
    monkeypatch.setattr(model_file, "_CHUNK_FRAMES", 10**9)
    monkeypatch.setattr(model_file, "NETWORK_THREADS", 1)
    one_pass = model.predict(x)
    monkeypatch.setattr(model_file, "_CHUNK_FRAMES", 4096)
    for threads in (1, 2, 3):
        monkeypatch.setattr(model_file, "NETWORK_THREADS", threads)
        seen = []
        np.testing.assert_array_equal(model.predict(x, progress=seen.append), one_pass)
        assert sum(seen) == frames
    assert not _network_threads()


@pytest.mark.parametrize("frames, threads", [(1, 2), (100, 2), (7752, 2), (7752, 1), (155_000, 2), (9000, 3)])
def test_chunks_cover_the_frames_once_in_equal_numbers_per_thread(frames, threads):
    bounds = model_file._chunk_bounds(frames, threads)
    assert bounds[0][0] == 0 and bounds[-1][1] == frames
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:]))
    assert max(stop - start for start, stop in bounds) <= model_file._CHUNK_FRAMES // threads
    if frames >= threads * 100:
        assert len(bounds) % threads == 0


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError("onnxruntime failed")])
def test_a_failing_chunk_stops_the_run_and_leaves_no_thread(model, monkeypatch, stop):
    monkeypatch.setattr(model_file, "NETWORK_THREADS", 2)
    real = type(model)._logits
    calls = []

    def fails_once(self, x):
        calls.append(len(x))
        if len(calls) == 2:
            raise stop
        return real(self, x)

    monkeypatch.setattr(type(model), "_logits", fails_once)
    with pytest.raises(type(stop) if isinstance(stop, BaseException) else stop):
        model.predict(_features(20_000))
    assert len(calls) < 8  # the chunks not started were dropped
    assert not _network_threads()


def test_one_onnxruntime_thread_gives_the_scores_of_its_default_threads(model):
    """The session runs each chunk on one thread; onnxruntime's default (a thread per
    core) must give the same scores, or a machine with more cores would chop otherwise."""
    import onnxruntime

    x = ((_features(3000) - model.input_mean) / model.input_std).astype(np.float32)
    options = onnxruntime.SessionOptions()  # the defaults: as many intra-op threads as cores
    default = onnxruntime.InferenceSession(model.onnx, sess_options=options, providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(model._logits(x), default.run(None, {"x": x[None]})[0][0])

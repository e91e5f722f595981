"""How responsive the web app stays while it learns: its own process, or a thread.

Fills a temporary library with generated samples, then polls ``GET /api/learn`` and
``GET /api/config`` every 50 ms (through FastAPI's test client, which runs the app's
event loop in this process) in three cases:

* ``idle``: nothing else runs;
* ``process``: the app's own learning job (``POST /api/learn``: ``samplechop learn``
  in a child process, one PyTorch thread);
* ``thread``: the same ``learn`` run in a thread of the server's process, with one
  PyTorch thread, as a thread-based design would.

and prints the median, 95th percentile and slowest answer of each. docs/web.md
gives the figures.

    python benchmarks/web_learn_latency.py [--steps 60] [--samples 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf


def _samples(folder: Path, count: int) -> list[tuple[Path, np.ndarray]]:
    rng = np.random.default_rng(0)
    made = []
    for index in range(count):
        sr, duration = 22050, 8.0
        times = np.sort(rng.uniform(0.3, duration - 0.5, 6))
        y = 0.002 * rng.standard_normal(int(duration * sr))
        burst = int(0.03 * sr)
        for time_ in times:
            start = int(time_ * sr)
            y[start:start + burst] += 0.8 * np.exp(-np.arange(burst) / (0.006 * sr)) * rng.standard_normal(burst)
        path = folder / f"sample{index}.wav"
        sf.write(path, y.astype(np.float32), sr)
        made.append((path, times))
    return made


def _poll(client, seconds: float, until=None) -> list[float]:
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in ("/api/learn", "/api/config"):
            tick = time.perf_counter()
            assert client.get(path).status_code == 200
            latencies.append(time.perf_counter() - tick)
        if until is not None and until():
            break
        time.sleep(0.05)
    return latencies


def _describe(name: str, latencies: list[float], seconds: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    median = 1000 * statistics.median(ordered)
    print(f"{name:8s} {len(ordered):5d} answers in {seconds:5.1f} s: median {median:6.1f} ms, "
          f"95th percentile {1000 * p95:6.1f} ms, slowest {1000 * ordered[-1]:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from samplechop.library import Library, labelled_sources
    from samplechop.model import load_model
    from samplechop.web.app import create_app
    from samplechop.web.settings import WebSettings

    options = {"steps": args.steps, "batch_size": 4, "excerpt": 4.0}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        library = Library(folder / "library")
        for path, times in _samples(folder, args.samples):
            library.add(path, times, origin="app")
        app = create_app(load_model(), WebSettings(library=library.folder, learn_options=options))
        with TestClient(app, base_url="http://127.0.0.1:8000") as client:
            _describe("idle", _poll(client, 5.0), 5.0)

            started = time.monotonic()
            assert client.post("/api/learn", json={}).status_code == 202
            latencies = _poll(client, 600.0, until=lambda: client.get("/api/learn").json()["job"]["state"] != "running")
            job = client.get("/api/learn").json()["job"]
            assert job["state"] == "done", job
            _describe("process", latencies, time.monotonic() - started)

            from samplechop.training.learn import LearnSettings, learn

            sources, _ = labelled_sources([], library=library)
            done = threading.Event()

            def in_thread() -> None:
                try:
                    learn(sources, folder / "thread.npz", settings=LearnSettings(threads=1, **options),
                          log=lambda line: None)
                finally:
                    done.set()

            started = time.monotonic()
            threading.Thread(target=in_thread, daemon=True).start()
            latencies = _poll(client, 600.0, until=done.is_set)
            _describe("thread", latencies, time.monotonic() - started)


if __name__ == "__main__":
    main()

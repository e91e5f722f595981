"""A smaller run of ``benchmarks/web_load.py``: the server under many clients at once.

``samplechop serve`` on a loopback port takes a burst of simultaneous uploads and a
mix of requests across every endpoint (twice: the first round warms it up), answers
each with 2xx, a deliberate 4xx or 503, stays up, logs no traceback, and its memory
once every session expired is within 20% of its level after the warm-up round.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "web_load.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("web_load", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_server_survives_a_burst_and_a_mix_of_requests():
    web_load = _load_benchmark()
    lines = []
    figures = web_load.run_load(clients=12, requests=150, threads=6, keep_minutes=0.05, timeout=60,
                                log=lines.append)
    assert figures["failures"] == [], "\n".join(lines + figures["failures"])
    assert figures["alive"] and figures["tracebacks"] == 0
    assert figures["uploads_accepted"] >= 1 and figures["analyses"].get("ready", 0) >= 1
    assert figures["requests"] >= 150
    assert set(figures["statuses"]) <= {200, 202, 204} | web_load.DELIBERATE
    assert figures["rss_growth"] <= web_load.MEMORY_TOLERANCE

"""Load test of ``samplechop serve``: many clients at once, then a mix of requests.

Starts ``samplechop serve`` on a free loopback port (sessions kept ``--keep-minutes``),
analyses one warm-up upload and lets it expire (the idle level: code and caches
loaded), then

1. ``--clients`` clients upload the demo at once;
2. ``--requests`` requests, mixed across every endpoint (status, select, snap,
   audio, kit, labels, delete, uploads, the page, and malformed, foreign-origin and
   foreign-host requests), from ``--threads`` threads, each with a timeout;
3. waits until every session has expired, and reads the server's memory again.

It fails (exit 1) when the server dies, answers anything but 2xx, a deliberate 4xx
or 503, times out, writes a traceback to its log, or when its memory after expiry is
more than 20% above the idle level. Loopback only. Prints its figures::

    python benchmarks/web_load.py [--clients 20] [--requests 500]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

#: Statuses the server answers on purpose: the bad requests the mix sends, unknown or
#: expired sessions, a sample still being analysed, limits, and a full server.
DELIBERATE = {400, 403, 404, 408, 409, 413, 415, 422, 503}

#: Largest growth of the server's memory after expiry over its idle level.
MEMORY_TOLERANCE = 0.20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "samplechopLoadBoundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Client:
    """Requests to the server, every answer's status and time recorded."""

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.statuses: collections.Counter = collections.Counter()
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.address + path, data=body, method=method, headers=headers or {})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, content = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        except (OSError, http.client.HTTPException) as error:  # refused, reset, cut short or timed out
            status, content = 0, str(error).encode()
        elapsed = time.monotonic() - started
        with self._lock:
            self.statuses[status] += 1
            self.latencies.append(elapsed)
            if not (200 <= status < 300 or status in DELIBERATE):
                self.failures.append(f"{method} {path}: {status} {content[:200]!r}")
            elif status >= 400 and not _is_json_error(content):
                self.failures.append(f"{method} {path}: {status} without a JSON error: {content[:200]!r}")
        return status, content

    def json(self, method: str, path: str, document: dict) -> tuple[int, bytes]:
        return self.request(method, path, json.dumps(document).encode(), {"Content-Type": "application/json"})

    def upload(self, name: str, data: bytes) -> tuple[int, bytes]:
        body, content_type = _multipart(name, data)
        return self.request("POST", "/api/sessions", body, {"Content-Type": content_type})


def _is_json_error(content: bytes) -> bool:
    try:
        document = json.loads(content)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("error"), str)


def _settle(client: Client, token: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        status, content = client.request("GET", f"/api/sessions/{token}")
        if status != 200:
            return "gone"
        state = json.loads(content)["state"]
        if state in ("ready", "failed"):
            return state
        time.sleep(0.2)
    return "timeout"


def _mixed_request(client: Client, tokens: list[str], sample: bytes, rng: random.Random, port: int) -> None:
    token = rng.choice(tokens) if tokens else "nosuchsession"
    kind = rng.choice(["status", "select", "select", "snap", "audio", "kit", "labels", "config", "page",
                       "upload", "delete", "bad-multipart", "foreign-origin", "foreign-host", "bad-json"])
    if kind == "status":
        client.request("GET", f"/api/sessions/{token}")
    elif kind == "select":
        client.json("POST", f"/api/sessions/{token}/select", {"n": rng.randint(1, 32), "lam": rng.random()})
    elif kind == "snap":
        client.json("POST", f"/api/sessions/{token}/snap", {"time": rng.uniform(0, 11)})
    elif kind == "audio":
        client.request("GET", f"/api/sessions/{token}/audio")
    elif kind in ("kit", "labels"):
        times = sorted(rng.sample(range(1, 110), rng.randint(1, 8)))
        client.json("POST", f"/api/sessions/{token}/{kind}", {"times": [t / 10 for t in times]})
    elif kind == "config":
        client.request("GET", "/api/config")
    elif kind == "page":
        client.request("GET", "/")
    elif kind == "upload":
        status, content = client.upload("mixed.flac", sample)
        if status == 202:
            tokens.append(json.loads(content)["id"])
    elif kind == "delete":
        try:
            victim = tokens.pop(rng.randrange(len(tokens)))
        except (IndexError, ValueError):  # another thread took the last one
            victim = "nosuchsession"
        client.request("DELETE", f"/api/sessions/{victim}")
    elif kind == "bad-multipart":
        client.request("POST", "/api/sessions", b"",
                       {"Content-Type": "multipart/form-data; boundary=" + "b" * 300})
    elif kind == "foreign-origin":
        body, content_type = _multipart("x.flac", sample[:1000])
        client.request("POST", "/api/sessions", body, {"Content-Type": content_type,
                                                       "Origin": f"http://127.0.0.1:{port + 1}"})
    elif kind == "foreign-host":
        client.request("GET", "/api/config", headers={"Host": "rebound.example"})
    else:
        client.request("POST", f"/api/sessions/{token}/select", b"{not json", {"Content-Type": "application/json"})


def run_load(*, clients: int = 20, requests: int = 500, threads: int = 8, keep_minutes: float = 0.1,
             timeout: float = 60.0, sample: Path | None = None, log=print) -> dict:
    """Run the load test; its figures (``failures`` lists what went wrong)."""
    from samplechop.io.resources import demo_path

    data = (sample or demo_path()).read_bytes()
    port = _free_port()
    address = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as server_log:
        process = subprocess.Popen([sys.executable, "-m", "samplechop", "serve", "--port", str(port),
                                    "--keep-minutes", str(keep_minutes)],
                                   stdout=subprocess.DEVNULL, stderr=server_log, text=True)
        try:
            return _measure(process, address, port, data, clients=clients, requests=requests, threads=threads,
                            keep_seconds=keep_minutes * 60, timeout=timeout, server_log=server_log, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_empty(client: Client, process, keep_seconds: float, tokens: list[str]) -> None:
    """Wait until every session the test knows of has expired and the sweeper removed it.

    Asking for a session marks it as used, so the sessions are asked for only after
    a whole lifetime (and a sweep) has passed; those still there are waited for again.
    """
    sweep = min(30.0, max(0.5, keep_seconds / 4))
    alive = list(tokens)
    deadline = time.monotonic() + 3 * (keep_seconds + sweep) + 30
    while alive and process.poll() is None and time.monotonic() < deadline:
        time.sleep(keep_seconds + sweep + 0.5)
        alive = [token for token in alive if client.request("GET", f"/api/sessions/{token}")[0] == 200]
    time.sleep(sweep + 0.5)  # the sweep that found the last ones gives their memory back


def _measure(process, address: str, port: int, data: bytes, *, clients: int, requests: int, threads: int,
             keep_seconds: float, timeout: float, server_log, log) -> dict:
    client = Client(address, timeout)
    deadline = time.monotonic() + 60
    while client.request("GET", "/api/config")[0] != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.2)
    client.statuses.clear()
    client.latencies.clear()
    client.failures.clear()
    figures: dict = {"rss_start_mib": _rss_mib(process.pid)}

    # warm-up: one round of the same load, then its expiry, so that code, caches and
    # every thread's memory pools count as idle
    _round(client, process, data, port, clients=clients, requests=requests, threads=threads,
           keep_seconds=keep_seconds, timeout=timeout, figures={})
    figures["rss_idle_mib"] = _rss_mib(process.pid)
    client.failures.clear()
    _round(client, process, data, port, clients=clients, requests=requests, threads=threads,
           keep_seconds=keep_seconds, timeout=timeout, figures=figures)
    figures["alive"] = process.poll() is None
    figures["rss_after_expiry_mib"] = _rss_mib(process.pid) if figures["alive"] else float("nan")
    server_log.seek(0)
    text = server_log.read()
    figures["tracebacks"] = text.count("Traceback")
    failures = list(client.failures)
    if not figures["alive"]:
        failures.append("the server died")
    if figures["tracebacks"]:
        failures.append(f"{figures['tracebacks']} tracebacks in the server's log:\n{text[-2000:]}")
    growth = figures["rss_after_expiry_mib"] / figures["rss_idle_mib"] - 1
    figures["rss_growth"] = round(growth, 3)
    if not growth <= MEMORY_TOLERANCE:
        failures.append(f"memory after expiry {figures['rss_after_expiry_mib']:.0f} MiB is {growth:.0%} over "
                        f"the idle {figures['rss_idle_mib']:.0f} MiB")
    figures["failures"] = failures
    for name, value in figures.items():
        if name != "failures":
            log(f"{name:>22}: {value:.3g}" if isinstance(value, float) else f"{name:>22}: {value}")
    return figures


def _round(client: Client, process, data: bytes, port: int, *, clients: int, requests: int, threads: int,
           keep_seconds: float, timeout: float, figures: dict) -> None:
    """One round: the burst of uploads, the mixed requests, the expiry; its figures into ``figures``."""
    peak = [_rss_mib(process.pid)]
    stop_sampling = threading.Event()

    def sample_memory() -> None:
        while not stop_sampling.wait(0.1):
            try:
                peak[0] = max(peak[0], _rss_mib(process.pid))
            except (OSError, RuntimeError):
                return

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    client.statuses.clear()
    client.latencies.clear()
    started = time.monotonic()

    # 1. clients upload at once
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda index: client.upload(f"client{index}.flac", data), range(clients)))
    tokens = [json.loads(content)["id"] for status, content in answers if status == 202]
    figures["uploads_accepted"] = len(tokens)
    figures["uploads_refused"] = collections.Counter(status for status, _ in answers if status != 202)
    settled = collections.Counter(_settle(client, token, time.monotonic() + timeout) for token in tokens)
    figures["analyses"] = dict(settled)
    figures["burst_seconds"] = round(time.monotonic() - started, 2)

    # 2. mixed requests
    rng = random.Random(21)
    mixed_started = time.monotonic()
    seeds = [rng.random() for _ in range(requests)]
    known = list(tokens)
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda seed: _mixed_request(client, known, data, random.Random(seed), port), seeds))
    figures["mixed_seconds"] = round(time.monotonic() - mixed_started, 2)
    figures["statuses"] = dict(sorted(client.statuses.items()))
    figures["requests"] = sum(client.statuses.values())
    latencies = sorted(client.latencies)
    figures["latency_median_s"] = round(statistics.median(latencies), 3)
    figures["latency_p95_s"] = round(latencies[int(0.95 * (len(latencies) - 1))], 3)
    figures["latency_max_s"] = round(latencies[-1], 3)
    figures["rss_peak_mib"] = peak[0]
    stop_sampling.set()
    sampler.join()

    # 3. expiry
    _wait_until_empty(client, process, keep_seconds, list(set(tokens) | set(known)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--keep-minutes", type=float, default=0.1)
    args = parser.parse_args(argv)
    figures = run_load(clients=args.clients, requests=args.requests, threads=args.threads,
                       keep_minutes=args.keep_minutes)
    for failure in figures["failures"]:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

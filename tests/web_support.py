"""Fixtures and helpers shared by the web app's tests (no tests here).

The tests use the shipped network with its threshold set to 0 (written by
:func:`model_file`): every peak of its score is a candidate, so a test that asks for
N chops of the demo gets N however the shipped weights score its notes, and the
weights can be retrained without touching these tests. A test that needs to know
the scores gives its own (see ``_ChosenScores`` in ``test_web_api.py``).
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

from samplechop.model import DEFAULT_MODEL_PATH, load_model, save_model

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2, which PyPI's httpx users lack
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient as _FrameworkClient  # noqa: E402

#: Where the tests' client says it talks to: the server's own loopback address, as
#: the page does (the app refuses other ``Host`` names, see ``samplechop.web.guard``).
LOCAL_URL = "http://127.0.0.1:8000"


class TestClient(_FrameworkClient):
    """FastAPI's test client, addressing the app as ``127.0.0.1:8000`` by default."""

    __test__ = False

    def __init__(self, app, base_url: str = LOCAL_URL, **kwargs) -> None:
        super().__init__(app, base_url=base_url, **kwargs)

__all__ = ["TestClient", "LOCAL_URL", "model_file", "wait_until_settled", "multipart_body", "wav_bytes", "tone",
           "free_port", "start_server", "stop_server", "ThreadServer"]


def model_file(folder: Path) -> Path:
    """Write the tests' model into ``folder``; its path: the shipped network (the one
    the page uses by default), with threshold 0."""
    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip("the shipped model is missing from this checkout")
    shipped = load_model(DEFAULT_MODEL_PATH)
    path = folder / "web-test-model.npz"
    save_model(path, features=shipped.features, architecture=shipped.architecture, params=shipped.params,
               input_mean=shipped.input_mean, input_std=shipped.input_std, threshold=0.0,
               training=shipped.training, onnx=shipped.onnx)
    return path


def wait_until_settled(client, token: str, timeout: float = 60.0) -> dict:
    """Poll a session until it is ready or failed; its last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/sessions/{token}").json()
        if status.get("state") in ("ready", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def multipart_body(filename: str, data: bytes, *, field: str = "file",
                   boundary: str = "samplechopTestBoundary") -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one file; the body and its content type."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def wav_bytes(y: np.ndarray, sr: int = 22050) -> bytes:
    """``y`` as the bytes of a 16-bit WAV file."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def tone(seconds: float, *, sr: int = 8000, reverse: bool = False) -> bytes:
    """A small WAV file of a sine sweep (8 kHz, 16-bit: 16 KB a second)."""
    t = np.arange(int(seconds * sr)) / sr
    y = (0.5 * np.sin(2 * np.pi * (200 + 300 * t) * t)).astype(np.float32)
    return wav_bytes(y[::-1].copy() if reverse else y, sr=sr)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model_path, *extra: str) -> tuple[subprocess.Popen, str]:
    """Run ``samplechop serve`` on a free port; the process and its address, once it answers.

    Its stderr goes to a temporary file (a pipe nobody reads could fill up and stall
    it); :func:`stop_server` returns it.
    """
    port = free_port()
    log = tempfile.TemporaryFile("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "samplechop", "serve", "--port", str(port), "--model", str(model_path), *extra],
        stdout=subprocess.DEVNULL, stderr=log, text=True,
    )
    process.log = log  # type: ignore[attr-defined]
    address = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{address}/api/config", timeout=1):
                return process, address
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {stop_server(process)}") from None
            time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> str:
    """Stop a server from :func:`start_server`; what it wrote on stderr."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    text = log.read()
    log.close()
    return text


class ThreadServer:
    """An app served by uvicorn on a free loopback port, in a thread of the test's process.

    Unlike :func:`start_server`, the test chooses the app's settings and sees its log
    records (``caplog``). Use as a context manager; ``address`` is its base URL.
    """

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.address = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", log_config=None,
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = None

    def __enter__(self) -> "ThreadServer":
        import threading

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

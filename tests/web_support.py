"""Fixtures and helpers shared by the web app's tests (no tests here).

The tests use a small untrained model with threshold 0, so that every run finds the
same candidates whatever model ships in the package (the shipped one is used only
when PyTorch, needed to build the small one, is missing).
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

from samplechop.model import DEFAULT_MODEL_PATH

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette asks for httpx2, which PyPI's httpx users lack
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

__all__ = ["TestClient", "model_file", "wait_until_settled", "multipart_body", "wav_bytes", "tone",
           "free_port", "start_server", "stop_server"]


def model_file(folder: Path) -> Path:
    """The tests' model: the shipped one, which the page uses by default."""
    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip("the shipped model is missing from this checkout")
    return DEFAULT_MODEL_PATH


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

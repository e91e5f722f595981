"""Receiving an upload: the multipart body streamed to disk, its size bounded.

The body is parsed as it arrives (python-multipart's streaming parser) and the part
named ``file`` is written straight to the session's folder, so memory per upload is
one network chunk whatever the file's size. The limit is enforced twice: from the
``Content-Length`` header before anything is read, and by counting bytes while they
stream in (a client may send no length, or lie about it).

A client that stalls is dropped: the upload fails with HTTP 408 when nothing arrives
for ``idle_seconds``, or when the whole body takes longer than ``total_seconds``, so
that a few stalled connections cannot hold the server's upload slots. A client that
goes away mid-upload ends the request quietly (no traceback in the log).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Optional

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from .errors import WebError

__all__ = ["receive_upload", "FIELD", "OVERHEAD_BYTES"]

#: The form field that carries the file.
FIELD = b"file"

#: Bytes of multipart framing allowed on top of the file (boundaries, part headers,
#: other small fields).
OVERHEAD_BYTES = 64 * 1024

#: Longest part header block (bytes).
_MAX_HEADER_BYTES = 16 * 1024


def _too_large(max_bytes: int) -> WebError:
    return WebError(413, f"the file is larger than this server's limit of {max_bytes / 2**20:g} MB")


class _Receiver:
    """Parser callbacks that write the ``file`` part to an open file."""

    def __init__(self, handle, max_bytes: int) -> None:
        self.handle = handle
        self.max_bytes = max_bytes
        self.written = 0
        self.filename: Optional[str] = None
        self.found = False
        self._in_file = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._header_bytes, self._in_file = {}, 0, False

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > _MAX_HEADER_BYTES:
            raise WebError(400, "the upload's part headers are too long")

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition == b"form-data" and options.get(b"name") == FIELD and not self.found:
            self.found = self._in_file = True
            raw = options.get(b"filename", b"")
            self.filename = raw.decode("utf-8", errors="replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.written += end - start
        if self.written > self.max_bytes:
            raise _too_large(self.max_bytes)
        self.handle.write(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False


class _Interrupted(Exception):
    """The client went away before its body ended."""


async def _chunks(request: Request, *, idle_seconds: float, total_seconds: float):
    """The request body's chunks as they arrive, within the time limits.

    Raises
    ------
    WebError
        408 when the client stalls.
    _Interrupted
        When the client disconnects.
    """
    deadline = time.monotonic() + total_seconds
    while True:
        left = deadline - time.monotonic()
        wait = min(idle_seconds, left)
        message = None
        if wait > 0:
            with anyio.move_on_after(wait):
                message = await request.receive()
        if message is None:
            if left <= idle_seconds:
                raise WebError(408, f"the upload took longer than {total_seconds:g} s: try again")
            raise WebError(408, f"the upload stalled (nothing arrived for {idle_seconds:g} s): try again")
        if message["type"] == "http.disconnect":
            raise _Interrupted()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def receive_upload(request: Request, destination: Path, *, max_bytes: int,
                         idle_seconds: float = 15.0, total_seconds: float = 600.0) -> str:
    """Stream the ``file`` field of a multipart request to ``destination``.

    Parameters
    ----------
    request : Request
        A ``multipart/form-data`` POST.
    destination : Path
        Server-owned path to write the file to (created; removed on failure).
    max_bytes : int
        Largest file accepted.
    idle_seconds, total_seconds : float
        Longest wait for the next chunk, and for the whole body.

    Returns
    -------
    name : str
        The file name the client gave (for display only; may be empty).

    Raises
    ------
    WebError
        413 when the file or the body is too large, 415 when the body is not
        multipart, 400 when it is malformed, holds no ``file`` field or the client
        went away, 408 when the client stalls, 422 when the file is empty.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise WebError(415, "send the sample as multipart/form-data, in a field named 'file'")
    limit = max_bytes + OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(max_bytes)
    received = 0
    try:
        with open(destination, "xb") as handle:
            receiver = _Receiver(handle, max_bytes)
            parser = MultipartParser(boundary, receiver.callbacks())
            async for chunk in _chunks(request, idle_seconds=idle_seconds, total_seconds=total_seconds):
                received += len(chunk)
                if received > limit:
                    raise _too_large(max_bytes)
                parser.write(chunk)
            parser.finalize()
    except FormParserError:  # a bad boundary, framing or part header
        _remove(destination)
        raise WebError(400, "the upload is not well-formed multipart/form-data") from None
    except _Interrupted:
        _remove(destination)
        raise WebError(400, "the upload was interrupted") from None
    except BaseException:
        _remove(destination)
        raise
    if not receiver.found:
        _remove(destination)
        raise WebError(400, "the upload holds no field named 'file'")
    if receiver.written == 0:
        _remove(destination)
        raise WebError(422, "the file is empty")
    return receiver.filename or ""


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()

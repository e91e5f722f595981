"""A bound on the size of request bodies, for every route but the upload.

JSON bodies are read whole by the framework, so this ASGI middleware reads them first,
up to the limit, and answers 413 itself beyond it; the upload route streams its body
and bounds it on its own (see :mod:`samplechop.web.uploads`).
"""

from __future__ import annotations

import json
from typing import Awaitable, Callable, MutableMapping

__all__ = ["BodyLimit"]

Scope = MutableMapping
Message = MutableMapping
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """ASGI middleware that refuses request bodies over ``max_bytes`` with HTTP 413.

    Parameters
    ----------
    app : ASGI application
    max_bytes : int
        Largest body of any route not in ``streaming_paths``.
    streaming_paths : collection of str
        Paths whose handlers read and bound their bodies themselves.
    """

    def __init__(self, app, *, max_bytes: int, streaming_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streaming_paths = streaming_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streaming_paths:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload = json.dumps({"error": f"request body larger than {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})

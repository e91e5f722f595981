"""Who may talk to the server, and the security headers of every answer.

An ASGI middleware in front of the whole app:

* **Host.** A server listening on a loopback address answers only requests whose
  ``Host`` is that address, ``127.0.0.1``, ``::1`` or ``localhost`` on its own port:
  a page of another site whose name is made to resolve to 127.0.0.1 (DNS rebinding)
  gets 400. ``samplechop serve --host`` with another address lifts the check (the
  server is then meant to be reached by other names).
* **Origin.** A request that carries an ``Origin`` (a browser's fetch, form or
  XMLHttpRequest) must come from the server's own origin; a page of another origin,
  even another port of this machine, gets 403, also for a "no-cors" form POST whose
  answer it could not read (it would still create a session). A state-changing
  request that a browser marks ``Sec-Fetch-Site: cross-site`` or ``same-site`` is
  refused likewise.
* **Headers.** Every answer, errors included, carries :data:`SECURITY_HEADERS`: no
  MIME sniffing, a strict content security policy, no framing, no referrer, and
  resources readable by the server's own origin only.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Awaitable, Callable, MutableMapping, Optional

__all__ = ["Guard", "SECURITY_HEADERS", "CSP", "is_loopback", "split_host"]

Scope = MutableMapping
Message = MutableMapping
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: The content security policy of every answer: the page's own scripts, styles,
#: audio and requests only; no plugins, no base URL, never framed.
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

#: Headers added to every answer.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)

#: Names that always mean this machine.
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

#: Methods that change nothing on the server.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) means this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(value: str, default_port: int) -> tuple[str, Optional[int]]:
    """A ``Host`` header's name (lower case, IPv6 without brackets) and port; port None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ("" if not rest else "x")
    else:
        name, _, port_text = value.partition(":")
    if not port_text:
        return name, default_port
    return name, int(port_text) if port_text.isdigit() else None


class Guard:
    """ASGI middleware: the ``Host`` and ``Origin`` checks and the security headers.

    Parameters
    ----------
    app : ASGI application
    listen_host : str
        The address the server listens on (:attr:`WebSettings.host`).
    """

    def __init__(self, app, *, listen_host: str) -> None:
        self.app = app
        self.check_host = is_loopback(listen_host)
        self.names = LOCAL_NAMES | {listen_host.strip("[]").lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + list(SECURITY_HEADERS)
            await send(message)

        problem = self.refusal(scope)
        if problem is not None:
            await _refuse(send_with_headers, *problem)
            return
        await self.app(scope, receive, send_with_headers)

    def refusal(self, scope: Scope) -> Optional[tuple[int, str]]:
        """The status and message refusing a request, or None when it may go on."""
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
        scheme = scope.get("scheme", "http")
        default_port = 443 if scheme == "https" else 80
        host = headers.get("host", "")
        server = scope.get("server")
        if self.check_host:
            name, port = split_host(host, default_port)
            if name not in self.names or (server and server[1] is not None and port != server[1]):
                return 400, "this server answers to localhost only (unknown Host)"
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"{scheme}://{host}".lower():
            return 403, "requests from other sites are refused"
        site = headers.get("sec-fetch-site", "")
        if scope.get("method", "GET") not in SAFE_METHODS and site in ("cross-site", "same-site"):
            return 403, "requests from other sites are refused"
        return None


async def _refuse(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})

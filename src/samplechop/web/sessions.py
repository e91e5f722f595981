"""Sessions: one upload, its analysis and its kits, in a folder the server names.

A session's id is a random token (:func:`secrets.token_urlsafe`); its folder is
``<root>/<id>`` and holds ``source/<stem><suffix>`` (the upload), ``preview.wav``
(what the page plays) and the kits built for download. The name the browser sent is
shown as it is; file names are built only from its safe stem
(:func:`~samplechop.export.names.safe_stem`: no separators, no leading dots, no
reserved names) and a suffix of the package's own, inside the session's own
``source/`` folder; ids a client sends are looked up in a dict, never joined to a path.

Sessions expire :attr:`WebSettings.keep_minutes` after their last use. A new upload
first makes room: a client at :attr:`WebSettings.max_client_sessions` loses its own
session unused for longest, and a full server (:attr:`WebSettings.max_sessions`) the
session of any client unused for longest, once it has been unused for
:attr:`WebSettings.evict_after_seconds`; only when no session may go is the upload
refused (HTTP 503 with ``Retry-After``). Uploads being received and analyses are
bounded apart (:attr:`WebSettings.max_uploading`, per client
:attr:`WebSettings.max_client_uploading`, and :attr:`WebSettings.max_pending`), so
that stalled uploads are never reported as analyses.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from ..constants import AUDIO_SUFFIXES
from ..export.names import safe_stem
from .disk import DiskBudget
from .errors import WebError
from .selection import SpectraCache
from .settings import WebSettings

if TYPE_CHECKING:  # pragma: no cover
    from ..chop import Analysis
    from ..io.audio import AudioInfo
    from ..model import ChopModel

__all__ = ["Session", "SessionStore", "display_name", "source_suffix", "STATES", "UPLOAD_STEM"]

#: A session's states, in order: receiving the file, waiting for a worker, being
#: analysed, and the two ends.
STATES = ("uploading", "queued", "analysing", "ready", "failed")

#: States that count towards :attr:`WebSettings.max_pending`.
ANALYSES = ("queued", "analysing")

#: States of a session whose work is not done (never replaced by a new upload).
PENDING = ("uploading", *ANALYSES)

#: Random bytes of a session id (its only handle): 144 bits.
TOKEN_BYTES = 18

#: Seconds a client is told to wait when uploads or analyses are at their limit.
RETRY_UPLOAD_SECONDS = 5
RETRY_ANALYSIS_SECONDS = 20

#: The name an upload is received under, before it is named after its safe stem.
UPLOAD_STEM = "sample"

#: Longest display name kept (characters).
_MAX_NAME = 200


def display_name(name: Optional[str]) -> str:
    """The file name a browser sent, made fit to show: its last path part, printable,
    at most 200 characters (``"sample"`` when nothing is left)."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(char for char in unicodedata.normalize("NFC", text)
                   if unicodedata.category(char)[0] != "C").strip()
    return text[:_MAX_NAME] or "sample"


def source_suffix(name: str) -> str:
    """The audio suffix of a file name, taken from :data:`AUDIO_SUFFIXES` (or ``""``).

    The suffix helps libsndfile tell formats apart; it is one of the package's own
    strings, never the client's.
    """
    lowered = name.lower()
    for suffix in AUDIO_SUFFIXES:
        if lowered.endswith(suffix):
            return suffix
    return ""


@dataclass(eq=False)
class Session:
    """One upload and everything computed from it.

    Attributes
    ----------
    id : str
        Random token, the session's only handle.
    folder : Path
        Server-owned folder of its files.
    name : str
        The uploaded file's name, for display only.
    stem : str
        A safe stem of ``name``, for the names of downloads.
    source : Path
        The upload on disk.
    state : str
        One of :data:`STATES`.
    client : str
        The address of the client that uploaded it (for the per-client limits).
    reserved : int
        Bytes of the server's disk budget its files hold.
    model : ChopModel, optional
        The model it is analysed with (the one chosen when it was uploaded; None: the
        analyser's own).
    model_label : dict, optional
        What the page shows of that model (id, name, whether it is the producer's).
    """

    id: str
    folder: Path
    name: str
    stem: str
    source: Path
    created: float
    touched: float
    client: str = ""
    reserved: int = 0
    preview_rate: Optional[int] = None
    state: str = "uploading"
    error: Optional[str] = None
    started: Optional[float] = None
    finished: Optional[float] = None
    info: Optional["AudioInfo"] = None
    analysis: Optional["Analysis"] = None
    cache: SpectraCache = field(default_factory=SpectraCache)
    removed: bool = False
    model: Optional["ChopModel"] = None
    model_label: Optional[dict] = None

    @property
    def preview(self) -> Path:
        """The WAV the page plays and draws."""
        return self.folder / "preview.wav"

    def name_upload(self, name: Optional[str]) -> None:
        """Record the name the browser sent for the upload and give the upload its suffix.

        The upload is received as ``<folder>/sample`` and moved to
        ``<folder>/source/<stem><suffix>``: the stem is :func:`safe_stem` of the name
        (so the kit's folder and files inside the zip carry the sample's name, as
        they do from the command line), the suffix one of :data:`AUDIO_SUFFIXES`
        matched against the name (it helps libsndfile tell formats apart). The
        subfolder keeps the name apart from the session's own files.
        """
        self.name = display_name(name)
        self.stem = safe_stem(self.name.rsplit(".", 1)[0] if "." in self.name else self.name)
        # Without a known suffix, ".upload" keeps a dotted stem whole ("x.wav" of
        # "x.wav.bin"), so the kit inside the zip is named like the download.
        target = self.folder / "source" / f"{self.stem}{source_suffix(self.name) or '.upload'}"
        if target != self.source:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            self.source.replace(target)
            self.source = target

    def public_message(self, text: str) -> str:
        """A message with the server's path of the upload replaced by its display name."""
        return text.replace(str(self.source), self.name)


class SessionStore:
    """The live sessions, their folders under one temporary root, and their expiry.

    Parameters
    ----------
    settings : WebSettings
    clock : callable, optional
        Seconds, monotonic (tests pass their own).
    """

    def __init__(self, settings: WebSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.root = Path(tempfile.mkdtemp(prefix="samplechop-web-"))
        self.disk = DiskBudget(settings.max_disk_bytes)
        self.trimmed = True  # whether freed memory was given back since the store last emptied
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _count(self, states: tuple[str, ...], client: Optional[str] = None) -> int:
        """Sessions in ``states`` (of ``client`` only, when given); call with the lock held."""
        return sum(session.state in states and (client is None or session.client == client)
                   for session in self._sessions.values())

    def _least_used_idle(self, client: Optional[str] = None, *, unused_for: float = 0.0) -> Optional[Session]:
        """The idle session (analysed or failed) unused for longest, of ``client`` when given,
        if it has been unused for ``unused_for`` seconds; call with the lock held."""
        limit = self.clock() - unused_for
        idle = [session for session in self._sessions.values()
                if session.state not in PENDING and (client is None or session.client == client)
                and session.touched <= limit]
        return min(idle, key=lambda session: session.touched, default=None)

    def create(self, client: str = "") -> Session:
        """Open a session for an upload (named once it has arrived, see :meth:`Session.name_upload`).

        Parameters
        ----------
        client : str
            The client's address, for the per-client limits.

        Raises
        ------
        WebError
            503 (with ``Retry-After``) when too many uploads are being received or
            analysed, or when the server is full and no session may be replaced.
        """
        settings = self.settings
        evicted: list[Session] = []
        with self._lock:
            if self._count(("uploading",), client) >= settings.max_client_uploading:
                raise WebError(503, f"{settings.max_client_uploading} of your uploads are still arriving; "
                                    "wait for them to finish", retry_after=RETRY_UPLOAD_SECONDS)
            receiving = self._count(("uploading",))
            if receiving >= settings.max_uploading:
                raise WebError(503, f"the server is receiving {receiving} uploads; try again in a few seconds",
                               retry_after=RETRY_UPLOAD_SECONDS)
            analysing = self._count(ANALYSES)
            if analysing >= settings.max_pending:
                raise WebError(503, f"the server is busy analysing {analysing} samples; try again in a minute",
                               retry_after=RETRY_ANALYSIS_SECONDS)
            if sum(session.client == client for session in self._sessions.values()) >= settings.max_client_sessions:
                evicted.append(self._evict(self._least_used_idle(client)))
            if len(self._sessions) >= settings.max_sessions:
                evicted.append(self._evict(self._least_used_idle(unused_for=settings.evict_after_seconds)))
            token = secrets.token_urlsafe(TOKEN_BYTES)
            folder = self.root / token
            folder.mkdir(mode=0o700)
            now = self.clock()
            session = Session(id=token, folder=folder, name=UPLOAD_STEM, stem=UPLOAD_STEM,
                              source=folder / UPLOAD_STEM, created=now, touched=now, client=client)
            self._sessions[token] = session
            self.trimmed = False
        for old in evicted:
            self._discard(old)
        return session

    def _evict(self, session: Optional[Session]) -> Session:
        """Take ``session`` out of the store to make room; 503 when there is none (call with
        the lock held; the caller discards it once the lock is released)."""
        if session is None:
            raise WebError(503, "the server holds as many samples as it may, all in use; "
                                "try again in a few minutes", retry_after=RETRY_ANALYSIS_SECONDS)
        del self._sessions[session.id]
        return session

    def queue_position(self, session: Session) -> int:
        """Sessions queued for analysis before ``session``."""
        with self._lock:
            return sum(other.state == "queued" and other.created < session.created
                       for other in self._sessions.values())

    def get(self, token: str) -> Session:
        """The session of an id, marked as used now.

        Raises
        ------
        WebError
            404 when there is no such session (never was, expired or removed).
        """
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                raise WebError(404, "no such sample on the server (it may have expired): upload it again")
            session.touched = self.clock()
        return session

    def remove(self, token: str) -> bool:
        """Forget a session and delete its folder; False when there was none."""
        with self._lock:
            session = self._sessions.pop(token, None)
        if session is None:
            return False
        self._discard(session)
        return True

    def expire(self) -> list[str]:
        """Remove every session unused for longer than ``keep_minutes``; their ids."""
        limit = self.clock() - self.settings.keep_seconds
        with self._lock:
            old = [session for session in self._sessions.values() if session.touched < limit]
            for session in old:
                del self._sessions[session.id]
        for session in old:
            self._discard(session)
        return [session.id for session in old]

    def close(self) -> None:
        """Remove every session and the root folder."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            self._discard(session)
        shutil.rmtree(self.root, ignore_errors=True)

    def reserve(self, session: Session, size: int, what: str) -> None:
        """Reserve ``size`` bytes of the disk budget for a file of ``session``.

        Raises
        ------
        WebError
            503 when the server's disk budget has not that much left.
        """
        with self._lock:
            if session.removed:
                raise WebError(404, "no such sample on the server (it may have expired): upload it again")
            session.reserved += self.disk.reserve(size, what)

    def release(self, session: Session, size: int) -> None:
        """Give back ``size`` bytes that ``session`` reserved (a file of it is deleted)."""
        with self._lock:
            size = min(size, session.reserved)
            session.reserved -= size
            self.disk.release(size)

    def _discard(self, session: Session) -> None:
        session.removed = True
        session.analysis = None
        session.cache = SpectraCache()
        shutil.rmtree(session.folder, ignore_errors=True)
        self.release(session, session.reserved)

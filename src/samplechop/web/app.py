"""The web app: a FastAPI application serving the page and its JSON API.

========  ================================  ==============================================
method    path                              what
========  ================================  ==============================================
GET       ``/``                             the page
GET       ``/static/...``                   its scripts and style sheet
GET       ``/api/config``                   limits and default settings
POST      ``/api/sessions``                 upload a sample (multipart field ``file``);
                                            202 and the session, analysed in the background
GET       ``/api/sessions/{id}``            state (queued, analysing, ready, failed), the
                                            file's facts and the score curve when ready
POST      ``/api/sessions/{id}/select``     chops for ``{"n", "lam", "threshold"}``
POST      ``/api/sessions/{id}/snap``       ``{"time"}`` moved onto its attack
GET       ``/api/sessions/{id}/audio``      the sample as a 16-bit WAV, for the page to play
POST      ``/api/sessions/{id}/kit``        the kit zip for ``{"times": [...]}``
POST      ``/api/sessions/{id}/labels``     the label file for ``{"times": [...]}``
DELETE    ``/api/sessions/{id}``            remove the session and its files now
POST      ``/api/sessions/{id}/library``    save the upload and ``{"times": [...]}`` to the
                                            library
GET       ``/api/library``                  the library's samples
DELETE    ``/api/library/{entry}``          delete a sample from the library
GET       ``/api/learn``                    whether learning is possible; the last job
POST      ``/api/learn``                    learn from the library (``{"name"}``), 202
POST      ``/api/learn/cancel``             stop the job under way
GET       ``/api/models``                   the shipped and personal models, the active one
POST      ``/api/models``                   import a model file (multipart field ``file``)
POST      ``/api/models/active``            ``{"id"}``: the model of new uploads
POST      ``/api/models/{id}/name``         ``{"name"}``: rename a personal model
GET       ``/api/models/{id}/file``         the model file (``.npz``), to keep or share
DELETE    ``/api/models/{id}``              delete a personal model
========  ================================  ==============================================

Errors are JSON ``{"error": "..."}`` with a 4xx status (503, with ``Retry-After``,
when the server is full), so that the page can show them; every answer carries the
security headers of :mod:`samplechop.web.guard`, which also refuses foreign ``Host``
and ``Origin`` headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Optional
from urllib.parse import quote

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..chop import MAX_CHOPS, Analysis, ChopSettings
from ..constants import AUDIO_SUFFIXES
from ..exceptions import LibraryError, SampleChopError
from ..export.names import safe_stem
from ..io.audio import probe
from ..library import Library
from ..model import DEFAULT_MODEL_PATH, ChopModel
from .collection import LibraryShelf
from .controls import check_controls
from .errors import WebError, http_status
from .guard import SECURITY_HEADERS, Guard
from .jobs import Analyser
from .kit import build_kit, build_labels, kit_bytes, place
from .learning import Learner, missing_train_package
from .limits import BodyLimit
from .memory import release_free_memory
from .models import MAX_NAME, SHIPPED, ModelStore, PersonalModel, clean_name
from .selection import select, snap
from .sessions import Session, SessionStore, display_name
from .settings import WebSettings
from .uploads import receive_upload

__all__ = ["create_app", "STATIC_DIR", "UPLOAD_PATH"]

#: The page's files.
STATIC_DIR = Path(__file__).with_name("static")

#: Where uploads are posted.
UPLOAD_PATH = "/api/sessions"

#: Where model files are imported.
MODELS_PATH = "/api/models"

#: Seconds a client is told to wait while another model file is being imported.
RETRY_IMPORT_SECONDS = 5

#: Most points of the score curve sent to the page.
MAX_SCORE_POINTS = 4000

#: Bytes of a file sent at a time.
FILE_CHUNK_BYTES = 256 * 1024

#: Quick jobs (selection, kits) run at once in worker threads, beside the analyses.
QUICK_JOBS = 4

log = logging.getLogger(__name__)

#: The page's names of the fields of JSON bodies, for error messages.
CONTROL_NAMES = {"n": "Chops (N)", "lam": "Diversity", "threshold": "Threshold", "times": "chop times",
                 "time": "chop time", "name": "name", "id": "model"}


class SelectBody(BaseModel):
    """Selection settings sent by the page."""

    model_config = ConfigDict(extra="forbid")
    n: StrictInt = ChopSettings.n
    lam: float = ChopSettings.lam
    threshold: Optional[float] = None


class SnapBody(BaseModel):
    """A chop time to move onto its attack."""

    model_config = ConfigDict(extra="forbid")
    time: float = Field(ge=0, allow_inf_nan=False)


class TimesBody(BaseModel):
    """Final chop times sent by the page, with the settings they started from."""

    model_config = ConfigDict(extra="forbid")
    times: list[float] = Field(max_length=MAX_CHOPS)
    lam: float = ChopSettings.lam
    threshold: Optional[float] = None


class LibraryBody(BaseModel):
    """The chops on the page, to save to the library with the upload."""

    model_config = ConfigDict(extra="forbid")
    times: list[float] = Field(max_length=MAX_CHOPS)
    name: Optional[str] = Field(default=None, max_length=200)


class LearnBody(BaseModel):
    """A learning run's model name."""

    model_config = ConfigDict(extra="forbid")
    name: Optional[str] = Field(default=None, max_length=MAX_NAME)


class ChooseBody(BaseModel):
    """The model of new uploads: ``"shipped"`` or a personal model's id."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=64)


class NameBody(BaseModel):
    """A personal model's new name."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME)


def _score_curve(activations: np.ndarray, frame_rate: float) -> tuple[list[float], float]:
    """The score curve, max-pooled to at most :data:`MAX_SCORE_POINTS` points, and its rate."""
    step = max(1, math.ceil(activations.size / MAX_SCORE_POINTS))
    if step > 1:
        padded = np.pad(activations, (0, -activations.size % step), mode="edge")
        activations = padded.reshape(-1, step).max(axis=1)
    return [round(float(value), 3) for value in activations], frame_rate / step


def _status(session: Session, store: SessionStore) -> dict[str, Any]:
    now = time.monotonic()
    document: dict[str, Any] = {"id": session.id, "name": session.name, "stem": session.stem,
                                "state": session.state}
    if session.state == "queued":
        document["queue_position"] = store.queue_position(session)
    if session.started is not None:
        document["elapsed"] = round((session.finished or now) - session.started, 2)
    if session.error:
        document["error"] = session.error
    if session.model_label is not None:
        document["model"] = session.model_label
    info = session.info
    if info is not None:
        document["info"] = {"duration": info.duration, "sample_rate": info.sr, "channels": info.channels,
                            "format": info.format, "subtype": info.subtype,
                            "preview_rate": session.preview_rate}
    analysis = session.analysis
    if session.state == "ready" and analysis is not None:
        scores, rate = _score_curve(analysis.activations, analysis.frame_rate)
        document["analysis"] = {"threshold": round(float(analysis.model.threshold), 4),
                                "frame_rate": analysis.frame_rate, "scores": scores, "score_rate": rate}
    return document


def _error(status: int, message: str, headers: Optional[dict[str, str]] = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _client(request: Request) -> str:
    """The address a request comes from (for the per-client limits)."""
    return request.client.host if request.client else ""


_GONE = "no such sample on the server (it may have expired): upload it again"


async def _send(path: Path, media_type: str, *, filename: Optional[str] = None,
                after: Optional[Callable[[], None]] = None) -> StreamingResponse:
    """Answer with a file of a session, opened before answering: a session deleted
    meanwhile cannot cut the answer short (404 when the file is gone already).
    ``after`` runs once it is sent (or the client went away)."""
    try:
        handle = await anyio.to_thread.run_sync(open, path, "rb")
    except FileNotFoundError:
        if after is not None:
            after()
        raise WebError(404, _GONE) from None
    size = os.fstat(handle.fileno()).st_size

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := await anyio.to_thread.run_sync(handle.read, FILE_CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()
            if after is not None:
                await anyio.to_thread.run_sync(after)

    headers = {"Content-Length": str(size)}
    if filename is not None:
        headers["Content-Disposition"] = f"attachment; filename*=utf-8''{quote(filename)}"
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)


def _ready(session: Session) -> Analysis:
    """The analysis of a session, or a 409 naming why there is none yet."""
    analysis = session.analysis
    if session.state != "ready" or analysis is None:
        if session.state == "failed":
            raise WebError(409, session.error or "the analysis of this sample failed")
        raise WebError(409, "the sample is still being analysed")
    return analysis


def create_app(
    model: ChopModel,
    settings: Optional[WebSettings] = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    model : ChopModel
        The model every upload is analysed with.
    settings : WebSettings, optional
        Limits (default: :class:`WebSettings` defaults).
    clock : callable, optional
        Monotonic seconds, for session expiry (tests pass their own).

    Returns
    -------
    app : FastAPI
        Its ``state`` holds the ``store`` of sessions and the ``analyser``; the
        lifespan starts the expiry task and removes every file on shutdown.
    """
    settings = (settings or WebSettings()).validate()
    store = SessionStore(settings, clock=clock)
    analyser = Analyser(model, workers=settings.workers, store=store)
    library = Library(settings.library_dir())
    if library.folder.exists() and not library.folder.is_dir():
        raise LibraryError(f"{library.folder}: the library folder is a file; name a folder with --library")
    shelf = LibraryShelf(library, max_bytes=settings.max_library_bytes)
    models = ModelStore(library.folder, model, max_models=settings.max_models)
    models.clear_incoming()
    learner = Learner(library, models, options=settings.learn_options)
    shipped_name = "shipped model" if model.path == DEFAULT_MODEL_PATH else \
        f"server's model ({model.path.name if model.path else 'given'})"
    shipped_label = {"id": SHIPPED, "name": shipped_name, "personal": False}
    sweep_every = min(30.0, max(0.5, settings.keep_seconds / 4))

    async def sweep() -> None:
        while True:
            await asyncio.sleep(sweep_every)
            if await anyio.to_thread.run_sync(store.expire) or (len(store) == 0 and not store.trimmed):
                await anyio.to_thread.run_sync(release_free_memory)
                store.trimmed = len(store) == 0

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.quick = anyio.CapacityLimiter(QUICK_JOBS)
        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()
            analyser.shutdown()
            await anyio.to_thread.run_sync(learner.shutdown)
            store.close()

    app = FastAPI(title="samplechop", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store, app.state.analyser, app.state.settings = store, analyser, settings
    app.state.library, app.state.models, app.state.learner = shelf, models, learner
    app.state.quick = None
    app.state.importing = False
    app.add_middleware(BodyLimit, max_bytes=settings.max_json_bytes,
                       streaming_paths=frozenset({UPLOAD_PATH, MODELS_PATH}))
    app.add_middleware(Guard, listen_host=settings.host)  # outermost: refusals carry the headers too

    async def quick(function, *args):
        return await anyio.to_thread.run_sync(function, *args, limiter=app.state.quick)

    @app.exception_handler(SampleChopError)
    async def _samplechop_error(request: Request, error: SampleChopError) -> JSONResponse:
        return _error(http_status(error), str(error), error.headers if isinstance(error, WebError) else None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = []
        for item in error.errors()[:3]:
            where = ".".join(CONTROL_NAMES.get(str(part), str(part)) for part in item.get("loc", ()) if part != "body")
            problems.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", "invalid"))
        return _error(422, "bad request: " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # a bug of the server's: JSON for the page, the traceback in the log (the
        # framework logs it); sent past the guard, so it adds the headers itself
        headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        return _error(500, "the server failed unexpectedly (its log has the details)", headers)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    defaults = ChopSettings()

    @app.get("/api/config")
    async def config() -> dict[str, Any]:
        return {
            "version": __version__,
            "max_upload_mb": settings.max_upload_mb,
            "max_audio_minutes": settings.max_audio_minutes,
            "keep_minutes": settings.keep_minutes,
            "max_preview_mb": settings.max_preview_mb,
            "max_kit_mb": settings.max_kit_mb,
            "max_disk_mb": settings.max_disk_mb,
            "max_sessions": settings.max_sessions,
            "max_chops": MAX_CHOPS,
            "suffixes": list(AUDIO_SUFFIXES),
            "defaults": {"n": defaults.n, "lam": defaults.lam, "threshold": round(float(model.threshold), 4)},
            "learn_available": missing_train_package() is None,
            "max_model_mb": settings.max_model_mb,
        }

    @app.post(UPLOAD_PATH, status_code=202)
    async def upload(request: Request) -> dict[str, Any]:
        session = await anyio.to_thread.run_sync(store.create, _client(request))
        try:
            declared = request.headers.get("content-length", "")
            ceiling = settings.max_upload_bytes
            store.reserve(session, min(int(declared), ceiling) if declared.isdigit() else ceiling, "the upload")
            sent = await receive_upload(request, session.source, max_bytes=settings.max_upload_bytes,
                                        idle_seconds=settings.upload_idle_seconds,
                                        total_seconds=settings.upload_seconds)
            store.release(session, session.reserved - session.source.stat().st_size)
            session.name_upload(sent)
            session.model, personal = models.active()
            session.model_label = personal.to_dict() if personal is not None else shipped_label
            info = await quick(functools.partial(probe, max_seconds=settings.max_audio_minutes * 60), session.source)
        except SampleChopError as error:
            store.remove(session.id)
            if isinstance(error, WebError):
                raise
            raise WebError(http_status(error), session.public_message(str(error))) from None
        except BaseException:
            store.remove(session.id)
            raise
        session.info = info
        analyser.submit(session)
        return _status(session, store)

    @app.get("/api/sessions/{token}")
    async def status(token: str) -> dict[str, Any]:
        return _status(store.get(token), store)

    @app.delete("/api/sessions/{token}", status_code=204)
    async def remove(token: str) -> Response:
        if not await anyio.to_thread.run_sync(store.remove, token):
            raise WebError(404, "no such sample on the server (it may have expired)")
        return Response(status_code=204)

    @app.post("/api/sessions/{token}/select")
    async def choose(token: str, body: SelectBody) -> dict[str, Any]:
        session = store.get(token)
        analysis = _ready(session)
        check_controls(n=body.n, lam=body.lam, threshold=body.threshold)
        chop_settings = ChopSettings(n=body.n, lam=body.lam, threshold=body.threshold).validate()
        result = await quick(select, analysis, chop_settings, session.cache)
        return {
            "chops": [{"index": chop.index, "start": chop.start, "end": chop.end,
                       "score": round(chop.score, 4), "rank": chop.rank} for chop in result.chops],
            "notes": result.notes,
            "threshold": result.threshold,
            "candidates": len(result.candidates),
        }

    @app.post("/api/sessions/{token}/snap")
    async def snap_time(token: str, body: SnapBody) -> dict[str, float]:
        session = store.get(token)
        analysis = _ready(session)
        if body.time > analysis.info.duration:
            raise WebError(422, f"time {body.time:g} s is past the end of the audio")
        return {"time": await quick(snap, analysis, body.time)}

    @app.get("/api/sessions/{token}/audio")
    async def audio(token: str) -> StreamingResponse:
        session = store.get(token)
        _ready(session)
        return await _send(session.preview, "audio/wav")

    async def placed(token: str, body: TimesBody):
        """The session and its chops cut at the page's final times (for the downloads)."""
        session = store.get(token)
        analysis = _ready(session)
        check_controls(lam=body.lam, threshold=body.threshold)
        result = await quick(lambda: place(analysis, body.times, lam=body.lam, threshold=body.threshold))
        return session, result

    async def built(session: Session, function, *args):
        """``function(*args)`` for a session's download; 404 when the session goes meanwhile."""
        try:
            return await quick(function, *args)
        except SampleChopError:
            if session.removed:
                raise WebError(404, _GONE) from None
            raise

    @app.post("/api/sessions/{token}/kit")
    async def kit(token: str, body: TimesBody) -> FileResponse:
        session, result = await placed(token, body)
        size = kit_bytes(result)
        if size > settings.max_kit_bytes:
            raise WebError(422, f"this kit would take {size / 2**20:.0f} MB, over this server's limit of "
                                f"{settings.max_kit_mb:g} MB: delete chops, or move the first one later")
        store.reserve(session, size, "the kit")
        try:
            archive = await built(session, build_kit, result, session.folder)
        except BaseException:
            store.release(session, size)
            raise

        def remove_kit() -> None:
            shutil.rmtree(archive.parent.parent, ignore_errors=True)
            store.release(session, size)

        return await _send(archive, "application/zip", filename=f"{session.stem}.zip", after=remove_kit)

    @app.post("/api/sessions/{token}/labels")
    async def labels(token: str, body: TimesBody) -> FileResponse:
        session, result = await placed(token, body)
        path = await built(session, build_labels, result, session.folder)
        return await _send(path, "text/plain; charset=utf-8", filename=f"{session.stem}.txt",
                           after=lambda: path.unlink(missing_ok=True))

    # ---- the library of the producer's chops ---------------------------------------------------

    @app.post("/api/sessions/{token}/library", status_code=201)
    async def save_to_library(token: str, body: LibraryBody) -> dict[str, Any]:
        session = store.get(token)
        analysis = _ready(session)
        name = display_name(body.name) if body.name else None
        entry = await quick(shelf.save, session, analysis.info.duration, body.times, name)
        listing = await quick(shelf.listing)
        return {"entry": entry, "count": listing["count"]}

    @app.get("/api/library")
    async def library_listing() -> dict[str, Any]:
        return await quick(shelf.listing)

    @app.delete("/api/library/{entry_id}", status_code=204)
    async def library_remove(entry_id: str) -> Response:
        await quick(shelf.remove, entry_id)
        return Response(status_code=204)

    # ---- learning -------------------------------------------------------------------------------

    @app.get("/api/learn")
    async def learn_status() -> dict[str, Any]:
        return learner.status()

    @app.post("/api/learn", status_code=202)
    async def learn_start(body: Optional[LearnBody] = None) -> dict[str, Any]:
        await quick(learner.start, body.name if body else None)
        return learner.status()

    @app.post("/api/learn/cancel")
    async def learn_cancel() -> dict[str, Any]:
        learner.cancel()
        return learner.status()

    # ---- the producer's models ---------------------------------------------------------------------

    def model_listing() -> dict[str, Any]:
        personal = [model.to_dict() for model in models.models()]
        _, active = models.active()
        return {"active": active.id if active is not None else SHIPPED, "models": [shipped_label, *personal]}

    @app.get(MODELS_PATH)
    async def model_list() -> dict[str, Any]:
        return await quick(model_listing)

    @app.post(MODELS_PATH, status_code=201)
    async def model_import(request: Request) -> dict[str, Any]:
        if app.state.importing:
            raise WebError(503, "another model file is being imported: try again in a few seconds",
                           retry_after=RETRY_IMPORT_SECONDS)
        app.state.importing = True
        staged = None
        try:
            staged = await anyio.to_thread.run_sync(models.staging)
            sent = await receive_upload(request, staged / "model.npz", max_bytes=settings.max_model_bytes,
                                        idle_seconds=settings.upload_idle_seconds,
                                        total_seconds=settings.upload_seconds)
            name = display_name(sent)
            name = clean_name(name[:-4] if name.lower().endswith(".npz") else name, "imported model")
            kept: PersonalModel = await quick(functools.partial(models.add, staged / "model.npz", name=name,
                                                                origin="imported"))
            return kept.to_dict()
        finally:
            app.state.importing = False
            if staged is not None:
                models.discard(staged)

    @app.post(MODELS_PATH + "/active")
    async def model_choose(body: ChooseBody) -> dict[str, Any]:
        await quick(models.choose, body.id)
        return await quick(model_listing)

    @app.post(MODELS_PATH + "/{model_id}/name")
    async def model_rename(model_id: str, body: NameBody) -> dict[str, Any]:
        name = clean_name(body.name, "")
        if not name:
            raise WebError(422, "name: give the model a name with letters or digits")
        return (await quick(models.rename, model_id, name)).to_dict()

    @app.get(MODELS_PATH + "/{model_id}/file")
    async def model_file(model_id: str) -> StreamingResponse:
        chosen = models.get(model_id)
        filename = f"{safe_stem(chosen.name) or 'model'}.npz"
        return await _send(chosen.path, "application/octet-stream", filename=filename)

    @app.delete(MODELS_PATH + "/{model_id}", status_code=204)
    async def model_remove(model_id: str) -> Response:
        await quick(models.remove, model_id)
        return Response(status_code=204)

    return app

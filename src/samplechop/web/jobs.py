"""Analysis off the request path: a bounded pool of worker threads.

An upload is probed (its header read) on the request, so that a file that is not
audio, or too long, is refused at once; the analysis itself (decoding, features, the
network), the preview WAV and a first selection at the default settings (which
computes the candidates' spectra that the page's selections reuse) run in a
:class:`~concurrent.futures.ThreadPoolExecutor` of :attr:`WebSettings.workers`
threads, and the page polls the session's state.
numpy, scipy and libsndfile release the GIL, so the event loop stays responsive.
"""

from __future__ import annotations

import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

from ..chop import ChopSettings, analyse
from ..exceptions import SampleChopError
from ..model import ChopModel
from .preview import preview_format, write_preview
from .selection import select
from .sessions import Session, SessionStore

__all__ = ["Analyser"]

log = logging.getLogger(__name__)


class Analyser:
    """Runs :func:`samplechop.chop.analyse` for sessions, a few at a time.

    Parameters
    ----------
    model : ChopModel
        Shared by every analysis (read only) whose session names no model of its own.
    workers : int
        Analyses at once.
    store : SessionStore
        The sessions, whose disk budget each preview reserves its size from.
    """

    def __init__(self, model: ChopModel, *, workers: int, store: SessionStore) -> None:
        self.model = model
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="samplechop-analyse")

    def submit(self, session: Session) -> None:
        """Queue a session's analysis; its ``state`` tells how it goes."""
        session.state = "queued"
        self._pool.submit(self._run, session)

    def _run(self, session: Session) -> None:
        if session.removed:
            return
        session.state, session.started = "analysing", time.monotonic()
        try:
            analysis = analyse(session.source, model=session.model or self.model)
            form = preview_format(analysis.info, self.store.settings.max_preview_bytes)
            self.store.reserve(session, form.bytes, "the preview")
            write_preview(analysis.info, session.preview, form)
            session.preview_rate = form.sr
            select(analysis, ChopSettings(), session.cache)  # the page's first selection is then at once
        except SampleChopError as error:
            session.error = session.public_message(str(error))
            session.state = "failed"
        except Exception:  # reported on the page as a failure, logged for the operator
            log.exception("analysis of session %s failed", session.id)
            session.error = "the analysis failed unexpectedly (the server's log has the details)"
            session.state = "failed"
        else:
            if not session.removed:
                session.analysis = analysis
                session.info = analysis.info
                session.state = "ready"
        finally:
            session.finished = time.monotonic()
            if session.removed:  # expired or deleted meanwhile: leave nothing behind
                session.analysis = None
                shutil.rmtree(session.folder, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop taking work; queued analyses are dropped, running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

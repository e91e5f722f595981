"""Learning in the background: one ``samplechop learn`` run at a time, in its own process.

The page's "Learn my taste" starts :func:`samplechop.training.learn.learn` on the
samples of the library. It runs in a child process, ``python -m
samplechop.web.learn_child`` (a fresh interpreter: nothing of the server is
inherited, so no onnxruntime session or lock of the server's threads can hang it, see
:mod:`samplechop.workers`, and no main-module guard is needed as ``multiprocessing``'s
spawn would), with one PyTorch and BLAS thread. The server's event loop and its
analysis threads never wait for it: data set building, training and the held-out
check hold the child's own GIL, and the child reports its progress (phase, steps done
of the steps) as JSON lines on its standard output, which a watcher thread of the
server reads. docs/web.md gives the status-poll latency measured while it runs.

The job is checked before the process starts: PyTorch present (the ``train`` extra),
no other job running (409), enough samples in the library (422, in ``learn``'s own
words). A new model is kept in the :class:`~samplechop.web.models.ModelStore` only
when ``learn`` writes one (it judged it better on held-out samples, or had too few to
hold any out, and says so). Cancelling terminates the process; its work folder goes
with it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from ..exceptions import LibraryError
from ..library import Library, labelled_sources
from ..library.store import LabelledSource
from ..training.learn_settings import MIN_FILES, check_source_count
from .errors import WebError
from .models import ModelStore, clean_name

__all__ = ["Learner", "LearnJob", "TRAIN_PACKAGES", "INSTALL_TRAIN", "missing_train_package", "PHASES"]

#: Import names of the packages learning needs (the ``train`` extra).
TRAIN_PACKAGES = ("torch", "onnx", "librosa", "mir_eval")

#: What the page tells a producer whose samplechop lacks them.
INSTALL_TRAIN = "pip install 'samplechop[train]'"

#: A job's phases, in order, and the share of the progress bar each ends at.
PHASES = {"starting": 0.02, "building": 0.1, "training": 0.9, "checking": 1.0}

#: Job states; the first two are a job under way.
RUNNING = ("running", "cancelling")
STATES = (*RUNNING, "done", "failed", "cancelled")

#: Seconds the server waits for a cancelled or stopped process before it kills it.
STOP_SECONDS = 5.0

log = logging.getLogger(__name__)


def missing_train_package() -> Optional[str]:
    """The first package of :data:`TRAIN_PACKAGES` that is not installed, or None."""
    for name in TRAIN_PACKAGES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):  # a broken or half-removed installation
            return name
    return None


@dataclass
class LearnJob:
    """One learning run, as the page sees it.

    Attributes
    ----------
    id : str
        Random, to tell runs apart.
    name : str
        The name the new model will have.
    state : str
        ``running``, ``cancelling``, then ``done``, ``failed`` or ``cancelled``.
    phase : str
        A key of :data:`PHASES`.
    done, total : int
        Progress within the phase (steps of training, models checked).
    samples : int
        Samples of the library it learns from (held-out ones included).
    message : str
        ``learn``'s last line ("learning from 3 samples; ...").
    report : dict, optional
        The :class:`~samplechop.training.learn.LearnReport` once done.
    model : dict, optional
        The model kept, when ``learn`` wrote one.
    """

    id: str
    name: str
    samples: int
    started: float
    state: str = "running"
    phase: str = "starting"
    done: int = 0
    total: int = 0
    message: str = ""
    error: Optional[str] = None
    finished: Optional[float] = None
    report: Optional[dict[str, Any]] = None
    model: Optional[dict[str, Any]] = None

    @property
    def fraction(self) -> float:
        """The share of the run done, for a progress bar."""
        names = list(PHASES)
        start = PHASES[names[names.index(self.phase) - 1]] if self.phase != names[0] else 0.0
        within = self.done / self.total if self.total else 0.0
        return 1.0 if self.state == "done" else round(start + (PHASES[self.phase] - start) * within, 4)

    def to_dict(self, now: float) -> dict[str, Any]:
        """The job's state for the page."""
        document = {"id": self.id, "name": self.name, "state": self.state, "phase": self.phase,
                    "done": self.done, "total": self.total, "fraction": self.fraction, "samples": self.samples,
                    "message": self.message, "elapsed": round((self.finished or now) - self.started, 1)}
        for key in ("error", "report", "model"):
            if getattr(self, key) is not None:
                document[key] = getattr(self, key)
        return document


class Learner:
    """The server's one learning job.

    Parameters
    ----------
    library : Library
        The samples learnt from.
    models : ModelStore
        Where a new model is kept; its shipped model is the base learnt from.
    options : mapping
        Fields of :class:`~samplechop.training.learn.LearnSettings` that differ from its
        defaults (:attr:`WebSettings.learn_options`; tests ask for a few steps).
    """

    def __init__(self, library: Library, models: ModelStore, *, options: Mapping[str, Any]) -> None:
        self.library = library
        self.models = models
        self.options = {"threads": 1, **dict(options)}
        self._job: Optional[LearnJob] = None
        self._process = None
        self._watcher: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._starting = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether a job is under way."""
        job = self._job
        return job is not None and job.state in RUNNING

    def status(self) -> dict[str, Any]:
        """What the page's panel shows: whether learning is possible here, and the last job."""
        missing = missing_train_package()
        document: dict[str, Any] = {"available": missing is None, "min_samples": MIN_FILES, "job": None}
        if missing is not None:
            document["install"] = INSTALL_TRAIN
            document["error"] = _no_torch(missing)
        with self._lock:
            if self._job is not None:
                document["job"] = self._job.to_dict(time.monotonic())
        return document

    def start(self, name: Optional[str]) -> dict[str, Any]:
        """Start learning from the library (call from a worker thread: it hashes the samples).

        Raises
        ------
        WebError
            409 when learning is under way or the ``train`` extra is missing, 422 when
            the library holds too few samples.
        """
        if not self._starting.acquire(blocking=False):
            raise WebError(409, "learning is starting already: wait for its progress")
        try:
            if self.running:
                raise WebError(409, "learning is under way already: wait for it to finish, or cancel it")
            missing = missing_train_package()
            if missing is not None:
                raise WebError(409, _no_torch(missing))
            try:
                sources, _ = labelled_sources([], library=self.library)
            except OSError:  # a sample deleted while it was read
                raise WebError(409, "the library changed while learning started: start again") from None
            try:
                check_source_count(len(sources))
            except LibraryError as error:
                raise WebError(422, f"{error}: save more corrected samples to the library") from None
            job = LearnJob(id=secrets.token_hex(8), samples=len(sources), started=time.monotonic(),
                           name=clean_name(name, f"my model {time.strftime('%Y-%m-%d %H:%M')}"))
            self._launch(job, sources)
            return job.to_dict(time.monotonic())
        finally:
            self._starting.release()

    def _launch(self, job: LearnJob, sources: list[LabelledSource]) -> None:
        staged = self.models.staging()
        output = staged / "model.npz"
        description = {
            "sources": [{"audio": str(source.audio), "labels": str(source.labels), "sha256": source.sha256,
                         "name": source.name} for source in sources],
            "output": str(output), "work": str(staged / "work"), "base": str(self.models.shipped.path),
            "options": self.options,
        }
        errors = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        try:
            process = subprocess.Popen([sys.executable, "-m", "samplechop.web.learn_child"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                       text=True, encoding="utf-8", errors="replace", env=_child_environment())
        except OSError as error:
            errors.close()
            self.models.discard(staged)
            raise WebError(409, f"the learning process could not start ({error.strerror or error})") from None
        with self._lock:
            self._job, self._process = job, process
        self._watcher = threading.Thread(target=self._watch, args=(job, process, description, errors, staged),
                                         name="samplechop-learn-watch", daemon=True)
        try:
            self._watcher.start()
        except RuntimeError:  # no thread to watch it: the process must not run unwatched
            process.kill()
            process.wait()
            errors.close()
            self.models.discard(staged)
            with self._lock:
                self._job, self._process = None, None
            raise WebError(503, "the server cannot start learning now", retry_after=30) from None

    def _watch(self, job: LearnJob, process: subprocess.Popen, description: dict[str, Any], errors,
               staged: Path) -> None:
        """Hand the child its job, follow its messages until it ends, then keep its model."""
        outcome = None
        try:
            try:
                process.stdin.write(json.dumps(description))
                process.stdin.close()
            except OSError:  # it ended already (cancelled): its exit tells
                pass
            for line in process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:  # something else printed: not ours
                    continue
                if not isinstance(message, dict):
                    continue
                if "progress" in message:
                    phase, done, total = message["progress"]
                    with self._lock:
                        job.phase, job.done, job.total = phase, int(done), int(total)
                elif "log" in message:
                    job.message = self._public(str(message["log"]))
                else:
                    outcome = message
            process.wait()
            self._finish(job, process, outcome, Path(description["output"]), errors)
        except Exception:  # a bug of the server's: logged, and the job ends failed
            log.exception("learning job %s failed", job.id)
            self._end(job, "failed", error="learning failed unexpectedly (the server's log has the details)")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            errors.close()
            self.models.discard(staged)

    def _finish(self, job: LearnJob, process: subprocess.Popen, outcome: Optional[dict[str, Any]],
                output: Path, errors) -> None:
        if job.state == "cancelling":
            self._end(job, "cancelled")
        elif outcome is None or "crashed" in outcome:
            errors.seek(0)
            told = outcome["crashed"] if outcome else errors.read()[-4000:]
            log.error("learning job %s failed (exit code %s):\n%s", job.id, process.returncode, told)
            self._end(job, "failed", error="learning failed unexpectedly (the server's log has the details)")
        elif "failed" in outcome:
            self._end(job, "failed", error=self._public(str(outcome["failed"])))
        else:
            report = dict(outcome["done"])
            report["skipped"] = [self._public(str(line)) for line in report.get("skipped", [])]
            kept = None
            if report["written"]:
                details = {"f_base": report["f_base"], "f_learnt": report["f_learnt"], "verdict": report["verdict"],
                           "samples": len(report["learnt_from"]) + len(report["held_out"])}
                try:
                    kept = self.models.add(output, name=job.name, origin="learnt", details=details).to_dict()
                except WebError as error:
                    self._end(job, "failed", error=str(error), report=report)
                    return
            self._end(job, "done", report=report, model=kept)

    def _public(self, text: str) -> str:
        """A message of the learning process without the server's paths: the library's
        folder is "library", and the learning's own folders are left out."""
        text = text.replace(str(self.models.folder), "library/models").replace(str(self.library.folder), "library")
        return re.sub(r"library/models/\.incoming-[0-9a-f]+/work/[^:]*: ", "", text)

    def _end(self, job: LearnJob, state: str, **fields: Any) -> None:
        with self._lock:
            for key, value in fields.items():
                setattr(job, key, value)
            if state == "done":
                job.phase, job.done, job.total = "checking", 1, 1
            job.state, job.finished = state, time.monotonic()

    def cancel(self) -> dict[str, Any]:
        """Stop the job under way; its state becomes ``cancelled`` once the process ends.

        Raises
        ------
        WebError
            409 when no job is under way.
        """
        with self._lock:
            job, process = self._job, self._process
            if job is None or job.state not in RUNNING:
                raise WebError(409, "no learning is under way")
            job.state = "cancelling"
        if process is not None and process.poll() is None:
            process.terminate()
            stopper = threading.Timer(STOP_SECONDS, lambda: process.poll() is None and process.kill())
            stopper.daemon = True
            stopper.start()
        return job.to_dict(time.monotonic())

    def shutdown(self) -> None:
        """Stop a job under way and wait for its process (the server stops)."""
        if self.running:
            try:
                self.cancel()
            except WebError:
                pass
        watcher = self._watcher
        if watcher is not None:
            watcher.join(STOP_SECONDS * 2)


def _child_environment() -> dict[str, str]:
    """The learning process's environment: this samplechop first on its path, one BLAS thread."""
    environment = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_parent, *[part for part in environment.get("PYTHONPATH", "").split(os.pathsep) if part]])
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[name] = "1"
    return environment


def _no_torch(missing: str) -> str:
    return f"learning needs PyTorch and the train extra ({missing} is missing here): {INSTALL_TRAIN}, " \
           "then restart samplechop serve"

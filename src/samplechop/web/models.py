"""The producer's own models: learnt in the app or imported, kept in the library folder.

Each model is two files in ``<library>/models/``::

    <id>.npz     the model file, as ``samplechop learn`` writes it (its provenance in
                 ``training["learn"]``); downloaded and shared as it is
    <id>.json    what the page shows: ``name``, ``created`` (UTC, ISO 8601), ``origin``
                 (``"learnt"`` or ``"imported"``) and, for a learnt one, the held-out
                 figures and the verdict

The id is 16 random hex digits, never a name a client sent; ids that clients send
are checked against :data:`MODEL_ID` before any path is built. The model file is
written first and the description last, each atomically, so a model is listed only
once it is whole; deleting removes the description first. An imported file is
checked by :func:`samplechop.model.load_model` (and must have the features of the
server's model) before it is kept.

Which model new uploads are analysed with is the server's choice (:meth:`ModelStore.choose`),
the model the server started with (``"shipped"``) until the producer picks another;
it lasts until the server stops.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..exceptions import ModelError
from ..io.fileio import atomic_write_text
from ..library.store import MODELS_FOLDER
from ..model import ChopModel, load_model, save_model
from .errors import WebError

__all__ = ["ModelStore", "PersonalModel", "SHIPPED", "MODEL_ID", "MAX_NAME"]

#: The id that means the model the server started with.
SHIPPED = "shipped"

#: What a personal model's id looks like.
MODEL_ID = re.compile(r"[0-9a-f]{16}")

#: Longest model name kept (characters).
MAX_NAME = 80

_GONE = "no such model (it may have been deleted): reload the page"


def clean_name(name: Optional[str], fallback: str) -> str:
    """A model name fit to show: printable, one line, at most :data:`MAX_NAME` characters."""
    text = "".join(char for char in (name or "") if char.isprintable()).strip()
    return text[:MAX_NAME] or fallback


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class PersonalModel:
    """One of the producer's models (see the module docstring)."""

    id: str
    path: Path
    name: str
    created: str
    origin: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """What the page shows of it."""
        return {"id": self.id, "name": self.name, "created": self.created, "origin": self.origin,
                "personal": True, **self.details}


class ModelStore:
    """The personal models of a library folder, and the model new uploads use.

    Parameters
    ----------
    library : path-like
        The library folder (the models go in its ``models`` sub-folder, made when the
        first model is kept).
    shipped : ChopModel
        The model the server started with.
    max_models : int
        Most personal models kept; more are refused (HTTP 409).
    """

    def __init__(self, library: os.PathLike | str, shipped: ChopModel, *, max_models: int = 32) -> None:
        self.folder = Path(library) / MODELS_FOLDER
        self.shipped = shipped
        self.max_models = max_models
        self._active_id = SHIPPED
        self._active: ChopModel = shipped
        self._lock = threading.Lock()

    # ---- listing ------------------------------------------------------------------------

    def models(self) -> list[PersonalModel]:
        """The personal models, oldest first (damaged or half-written ones are skipped)."""
        if not self.folder.is_dir():
            return []
        found = []
        for description in self.folder.glob("*.json"):
            model = self._read(description.stem)
            if model is not None:
                found.append(model)
        return sorted(found, key=lambda model: (model.created, model.id))

    def get(self, model_id: str) -> PersonalModel:
        """A personal model by id.

        Raises
        ------
        WebError
            404 when there is none.
        """
        model = self._read(model_id) if MODEL_ID.fullmatch(model_id) else None
        if model is None:
            raise WebError(404, _GONE)
        return model

    def _read(self, model_id: str) -> Optional[PersonalModel]:
        path = self.folder / f"{model_id}.npz"
        try:
            document = json.loads((self.folder / f"{model_id}.json").read_text(encoding="utf-8"))
            name, created, origin = str(document["name"]), str(document["created"]), str(document["origin"])
            details = {key: document[key] for key in ("f_base", "f_learnt", "verdict", "samples", "base")
                       if key in document}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not path.is_file():
            return None
        return PersonalModel(id=model_id, path=path, name=name, created=created, origin=origin, details=details)

    # ---- the model of new uploads --------------------------------------------------------

    @property
    def active_id(self) -> str:
        """The id of the model new uploads use (:data:`SHIPPED` or a personal model's)."""
        return self._active_id

    def active(self) -> tuple[ChopModel, Optional[PersonalModel]]:
        """The model new uploads are analysed with, and its description (None: shipped)."""
        with self._lock:
            model, model_id = self._active, self._active_id
        if model_id == SHIPPED:
            return model, None
        description = self._read(model_id)
        if description is None:  # deleted behind the server's back
            with self._lock:
                if self._active_id == model_id:
                    self._active_id, self._active = SHIPPED, self.shipped
            return self.shipped, None
        return model, description

    def choose(self, model_id: str) -> None:
        """Make ``model_id`` (or :data:`SHIPPED`) the model of new uploads; it is loaded here.

        Raises
        ------
        WebError
            404 for an unknown id, 422 when the file no longer loads.
        """
        if model_id == SHIPPED:
            model = self.shipped
        else:
            chosen = self.get(model_id)
            try:
                model = load_model(chosen.path)
            except ModelError as error:
                raise WebError(422, f"the model {chosen.name!r} cannot be used: "
                                    f"{str(error).replace(str(chosen.path), chosen.name)}") from None
        with self._lock:
            self._active_id, self._active = model_id, model

    # ---- adding and removing ---------------------------------------------------------------

    def clear_incoming(self) -> None:
        """Remove the staging folders that a server stopped or killed mid-way left."""
        for leftover in self.folder.glob(".incoming-*") if self.folder.is_dir() else []:
            shutil.rmtree(leftover, ignore_errors=True)

    def _new_id(self) -> str:
        while True:
            model_id = secrets.token_hex(8)
            if not (self.folder / f"{model_id}.npz").exists():
                return model_id

    def staging(self) -> Path:
        """A new private folder inside the models folder, for a file being made or received
        (hidden, so never listed); the caller removes it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staged = self.folder / f".incoming-{secrets.token_hex(8)}"
            staged.mkdir(mode=0o700)
        except OSError as error:
            raise WebError(409, f"the library's models folder cannot be written ({error.strerror or error}); "
                                "the server's --library must name a folder it can write") from None
        return staged

    def add(self, file: Path, *, name: str, origin: str, details: Optional[dict[str, Any]] = None
            ) -> PersonalModel:
        """Keep a model file (moved from ``file``, on the same file system) under a new id.

        The file is checked with :func:`load_model` first, and must have the features
        of the server's model.

        Raises
        ------
        WebError
            422 when the file is not a usable samplechop model, 409 when
            ``max_models`` are kept already.
        """
        trusted = origin == "learnt"  # made by this server's own learning process
        try:
            model = load_model(file, use_graph=trusted)
            if not trusted:  # keep the weights, never someone else's ONNX graph
                save_model(file, features=model.features, architecture=model.architecture,
                           params=model.params, input_mean=model.input_mean, input_std=model.input_std,
                           threshold=model.threshold, training=model.training, onnx=_rebuilt_graph(model))
                model = load_model(file)
        except ModelError as error:
            raise WebError(422, f"{name}: {str(error).replace(str(file), 'this file')}") from None
        if model.features != self.shipped.features:
            raise WebError(422, f"{name}: this model reads other features than this server's "
                                "(it was made by another samplechop); it cannot be used here")
        with self._lock:
            if len(self.models()) >= self.max_models:
                raise WebError(409, f"{self.max_models} models are kept already: delete one first")
            model_id = self._new_id()
            target = self.folder / f"{model_id}.npz"
            os.replace(file, target)
            document = {"name": name, "created": _now(), "origin": origin, **(details or {})}
            atomic_write_text(self.folder / f"{model_id}.json", json.dumps(document, indent=1) + "\n")
        kept = self._read(model_id)
        assert kept is not None
        return kept

    def rename(self, model_id: str, name: str) -> PersonalModel:
        """Give a personal model a new name."""
        with self._lock:
            self.get(model_id)  # 404 when there is none
            description = self.folder / f"{model_id}.json"
            document = json.loads(description.read_text(encoding="utf-8"))
            document["name"] = name
            atomic_write_text(description, json.dumps(document, indent=1) + "\n")
        return self.get(model_id)

    def remove(self, model_id: str) -> PersonalModel:
        """Delete a personal model; new uploads go back to the shipped one if it was chosen.

        Uploads analysed with it keep their analysis.
        """
        with self._lock:
            model = self.get(model_id)
            (self.folder / f"{model_id}.json").unlink(missing_ok=True)  # unlisted from here on
            model.path.unlink(missing_ok=True)
            if self._active_id == model_id:
                self._active_id, self._active = SHIPPED, self.shipped
        return model

    def discard(self, staged: Path) -> None:
        """Remove a folder from :meth:`staging`."""
        shutil.rmtree(staged, ignore_errors=True)


def _rebuilt_graph(model: ChopModel) -> Optional[bytes]:
    """The ONNX graph of a model's weights, built here (needs PyTorch), or None.

    Without a graph the model runs in numpy, about three times slower on the network
    (docs/benchmarks.md), but nothing from the imported file is run as code.
    """
    try:
        from ..training.export import params_graph
    except ImportError:
        return None
    return params_graph(model.architecture, model.params, model.input_mean.size)

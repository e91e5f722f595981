"""Chop models loaded once per process, by path: a worker loads a model for its first
file and keeps it for the others.

A pool worker forked from a process that had loaded models inherits them, but not
the threads of their onnxruntime sessions, which stayed in the parent. Such models
are set aside, neither used nor freed (freeing one would wait for those threads for
ever; see :mod:`samplechop.workers`), and the worker loads its own.
"""

from __future__ import annotations

import os
from typing import Any, Optional

__all__ = ["process_model", "keep_model"]

#: Models loaded by this process, by path (None: the shipped model).
_MODELS: dict[Optional[str], Any] = {}
#: The process that loaded them.
_OWNER = os.getpid()
#: Models a forked worker inherited from its parent (kept, never used).
_INHERITED: list[dict[Optional[str], Any]] = []


def _own_models() -> dict[Optional[str], Any]:
    """This process's models, the parent's set aside in a forked child."""
    global _OWNER
    if os.getpid() != _OWNER:
        _INHERITED.append(dict(_MODELS))
        _MODELS.clear()
        _OWNER = os.getpid()
    return _MODELS


def process_model(path: Optional[str]):
    """The model of ``path`` (None: the shipped model), loaded once in this process.

    Raises
    ------
    ModelError
        When the file is missing or not a model.
    """
    models = _own_models()
    if path not in models:
        from ..model import load_model

        models[path] = load_model(path)
    return models[path]


def keep_model(path: Optional[str], model) -> None:
    """Let this process's units use ``model``, already loaded from ``path``, without loading it again."""
    _own_models()[path] = model

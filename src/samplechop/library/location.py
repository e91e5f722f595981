"""Where the library lives: the platform's user data folder, unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LIBRARY_ENV", "default_library_dir"]

#: Environment variable that moves the library (``--library`` overrides it).
LIBRARY_ENV = "SAMPLECHOP_LIBRARY"


def default_library_dir() -> Path:
    """The library folder: ``$SAMPLECHOP_LIBRARY``, or ``library`` in the user data folder.

    The user data folder is what :mod:`platformdirs` gives for ``samplechop``:
    ``~/.local/share/samplechop`` on Linux (or under ``$XDG_DATA_HOME``),
    ``~/Library/Application Support/samplechop`` on macOS, ``%LOCALAPPDATA%\\samplechop``
    on Windows.
    """
    configured = os.environ.get(LIBRARY_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("samplechop", appauthor=False)) / "library"

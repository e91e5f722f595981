"""Files shipped inside the package, found from ``__file__``."""

from __future__ import annotations

from pathlib import Path

from ..exceptions import SampleChopError

__all__ = ["DATA_DIR", "demo_path"]

#: Folder of the package's data files.
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def demo_path() -> Path:
    """The demo sample: a short excerpt rendered by the project's own generator."""
    path = DATA_DIR / "demo.flac"
    if not path.is_file():
        raise SampleChopError(f"{path}: the demo sample is missing from this installation")
    return path

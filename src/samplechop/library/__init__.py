"""The library of a producer's own chops: the samples they corrected, to learn from.

See :mod:`samplechop.library.store` for its layout and :func:`default_library_dir`
for where it lives.
"""

from .location import LIBRARY_ENV, default_library_dir
from .store import LabelledSource, Library, LibraryEntry, labelled_sources

__all__ = ["Library", "LibraryEntry", "LabelledSource", "labelled_sources", "default_library_dir", "LIBRARY_ENV"]

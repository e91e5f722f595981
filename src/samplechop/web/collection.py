"""The library as the page sees it: save the chops on the page, list, delete.

"Save to library" keeps the session's upload and the chop times on the page as a
library entry (:meth:`samplechop.library.Library.add`, origin ``"app"``: a copy of the
audio and a label file, written in a staging folder and moved into place in one
step). The times are checked as a kit's are (:func:`samplechop.web.kit.check_times`:
none, too many, past the end or two at one time are refused in the page's words).
Saves are one at a time, and refused (HTTP 409) once the library's samples take
:attr:`WebSettings.max_library_mb`. Ids that clients send are whole entry ids (16
hex digits), checked before the library is searched.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Optional, Sequence

from ..exceptions import LibraryError
from ..library import Library, LibraryEntry
from ..library.store import MODELS_FOLDER
from .errors import WebError
from .kit import check_times
from .sessions import Session

__all__ = ["LibraryShelf", "ENTRY_ID"]

#: What a library entry's id looks like.
ENTRY_ID = re.compile(r"[0-9a-f]{16}")

_MB = 1024 * 1024


def entry_document(entry: LibraryEntry) -> dict[str, Any]:
    """What the page shows of an entry (no paths)."""
    return {"id": entry.id, "name": entry.name, "chops": entry.chops, "duration": round(entry.duration, 3),
            "origin": entry.origin, "added": entry.added, "updated": entry.updated}


class LibraryShelf:
    """The library folder, for the web app.

    Parameters
    ----------
    library : Library
    max_bytes : int
        Bytes its samples may take before saving is refused.
    """

    def __init__(self, library: Library, *, max_bytes: int) -> None:
        self.library = library
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def listing(self) -> dict[str, Any]:
        """The entries (oldest first), their count, and one line per damaged folder."""
        entries, problems = self.library.entries()
        return {"count": len(entries), "entries": [entry_document(entry) for entry in entries],
                "problems": [problem.replace(str(self.library.folder), "library") for problem in problems]}

    def size(self) -> int:
        """Bytes the library's entries take (not its models, which have their own limit)."""
        if not self.library.folder.is_dir():
            return 0
        total = 0
        for path in self.library.folder.glob("*/*"):
            if path.parent.name.startswith(".") or path.parent.name == MODELS_FOLDER:
                continue
            try:
                total += path.stat().st_size if path.is_file() else 0
            except OSError:  # removed meanwhile
                continue
        return total

    def save(self, session: Session, duration: float, times: Sequence[float],
             name: Optional[str] = None) -> dict[str, Any]:
        """Save a session's upload with the page's chop times; the entry (call from a worker thread).

        Raises
        ------
        WebError
            409 when the library is full, 404 when the session went meanwhile; the
            times' own errors (422).
        """
        checked = check_times(times, duration=duration)
        gone = WebError(404, "no such sample on the server (it may have expired): upload it again")
        with self._lock:
            used = self.size()
            try:
                size = session.source.stat().st_size
            except FileNotFoundError:  # the session went while this save waited its turn
                raise gone from None
            if used + size > self.max_bytes:
                raise WebError(409, f"the library holds {used / _MB:.0f} MB, this server's limit is "
                                    f"{self.max_bytes / _MB:.0f} MB: delete samples from it first")
            try:
                entry = self.library.add(session.source, checked, name=name or session.stem, origin="app")
            except (FileNotFoundError, LibraryError) as error:
                if session.removed:
                    raise gone from None
                if isinstance(error, LibraryError):
                    raise WebError(409, str(error).replace(str(self.library.folder), "library")) from None
                raise
        return entry_document(entry)

    def remove(self, entry_id: str) -> dict[str, Any]:
        """Delete an entry.

        Raises
        ------
        WebError
            404 for an id that is not an entry's.
        """
        if not ENTRY_ID.fullmatch(entry_id):
            raise WebError(404, "no such sample in the library (it may have been deleted): reload the list")
        with self._lock:
            try:
                return entry_document(self.library.remove(entry_id))
            except LibraryError:
                raise WebError(404, "no such sample in the library (it may have been deleted): reload the list") \
                    from None

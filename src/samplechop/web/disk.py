"""A bound on the server's files: every upload, preview and kit reserves its bytes first.

The server writes three kinds of files: uploads (bounded by the upload limit),
previews (bounded by :attr:`WebSettings.max_preview_mb`) and kits (bounded by
:attr:`WebSettings.max_kit_mb`, deleted once sent). Each reserves its size from one
:class:`DiskBudget` before it is written and gives it back when it is deleted, so the
server's files never exceed :attr:`WebSettings.max_disk_mb` together.
"""

from __future__ import annotations

import threading

from .errors import WebError

__all__ = ["DiskBudget", "RETRY_SECONDS"]

#: Seconds a client is told to wait when the server's disk budget is spent.
RETRY_SECONDS = 60

_MB = 1024 * 1024


class DiskBudget:
    """Bytes the server's files may take, shared by every session.

    Parameters
    ----------
    limit : int
        Bytes in all.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """Bytes reserved now."""
        return self._used

    def reserve(self, size: int, what: str) -> int:
        """Reserve ``size`` bytes for ``what``; the bytes reserved.

        Raises
        ------
        WebError
            503 (with ``Retry-After``) when the budget has not that much left.
        """
        size = max(0, int(size))
        with self._lock:
            if self._used + size > self.limit:
                raise WebError(503, f"the server's disk space for samples ({self.limit / _MB:.0f} MB) is in use: "
                                    f"{what} needs {size / _MB:.0f} MB more; try again later",
                               retry_after=RETRY_SECONDS)
            self._used += size
        return size

    def release(self, size: int) -> None:
        """Give back ``size`` bytes reserved before."""
        with self._lock:
            self._used = max(0, self._used - int(size))

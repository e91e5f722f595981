"""Giving freed memory back to the system once sessions are gone.

An analysis allocates many arrays of a few MB from the worker threads; glibc keeps
the freed pages of each thread's arena for reuse rather than returning them, so
after a burst of uploads the server's resident memory would stay near its peak long
after every session expired. :func:`release_free_memory` asks glibc to return them
(``malloc_trim``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_free_memory"]


@functools.lru_cache(maxsize=1)
def _trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None)
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; whether it could be asked."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True

"""What the audio decoders print, captured instead of shown.

libsndfile decodes MP3 with libmpg123, which writes its own notes to the process's
standard error (``Note: Illegal Audio-MPEG-Header ...``, ``Trying to resync...``,
``[src/libmpg123/parse.c:...]``). They would reach the terminal before samplechop's
one line about the file. :func:`decoder_output` points file descriptor 2 at a
temporary file while the decoder runs, then gives back what it wrote, so that it can be
summed up in that one line.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from typing import Iterator

__all__ = ["decoder_output"]

#: Descriptor 2 belongs to the whole process: one capture at a time (the web app
#: reads files in several threads).
_CAPTURING = threading.Lock()

#: Most bytes of decoder output kept (a badly damaged MP3 writes a line per frame).
_KEPT_BYTES = 1 << 16


@contextlib.contextmanager
def decoder_output() -> Iterator[list[str]]:
    """Capture what native code writes to standard error inside the ``with`` block.

    Yields
    ------
    lines : list of str
        Filled with the captured lines when the block ends (at most 64 KiB of them).
    """
    lines: list[str] = []
    with _CAPTURING, tempfile.TemporaryFile() as sink:
        with contextlib.suppress(ValueError, OSError):
            sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(_KEPT_BYTES).decode("utf-8", errors="replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())

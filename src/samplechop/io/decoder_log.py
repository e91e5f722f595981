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
import re
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


#: How libmpg123's own lines begin; anything else written meanwhile (another thread's
#: log line, in the web app) is passed on to standard error when the capture ends.
_DECODER_LINE = re.compile(r"^(Note:|Warning:|Error:|\[src/libmpg123|\[.*mpg123)")


@contextlib.contextmanager
def decoder_output() -> Iterator[list[str]]:
    """Capture what the MP3 decoder writes to standard error inside the ``with`` block.

    Yields
    ------
    lines : list of str
        Filled with the decoder's lines when the block ends (at most 64 KiB of
        output is looked at). Other lines written to descriptor 2 meanwhile are
        written back to it. Where there is no descriptor 2 to capture (closed, or
        no console), nothing is captured and the list stays empty.
    """
    lines: list[str] = []
    with _CAPTURING:
        try:
            sink = tempfile.TemporaryFile()
        except OSError:
            yield lines
            return
        try:
            saved = os.dup(2)
        except OSError:  # no descriptor 2 (closed by the caller)
            sink.close()
            yield lines
            return
        with sink:
            if sys.stderr is not None:
                with contextlib.suppress(ValueError, OSError):
                    sys.stderr.flush()
            os.dup2(sink.fileno(), 2)
            try:
                yield lines
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                text = sink.read(_KEPT_BYTES).decode("utf-8", errors="replace")
                others = []
                for line in text.splitlines(keepends=True):
                    if _DECODER_LINE.match(line.strip()):
                        lines.append(line.strip())
                    elif line.strip():
                        others.append(line)
                if others:
                    with contextlib.suppress(OSError):
                        os.write(2, "".join(others).encode("utf-8", errors="replace"))

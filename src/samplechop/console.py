"""Text for the terminal: file names shown as they are, without their hazards.

A file name on Linux is any bytes but ``/`` and NUL. Python hands bytes that are not
UTF-8 over as lone surrogates, which cannot be printed, and a name may hold escape
sequences that a terminal would obey (colours, cursor moves, a changed title). Every
message that names a file is passed through :func:`printable` before it is shown.
"""

from __future__ import annotations

import os
import re

__all__ = ["printable", "display_path"]

#: C0 and C1 control characters, DEL, and the lone surrogates that stand for
#: undecodable bytes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    character = match.group()
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode gave it
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters and undecodable bytes written as escapes.

    Parameters
    ----------
    text : str
        One line of a message; a newline in it (from a file name) is escaped too.

    Returns
    -------
    str
        Safe to write to a terminal or a UTF-8 stream: ``\\x1b`` for ESC, ``\\xff`` for
        the byte 0xFF of a name that is not UTF-8.

    Examples
    --------
    >>> printable('take\\x1b[31m1.wav')
    'take\\\\x1b[31m1.wav'
    """
    return _UNPRINTABLE.sub(_escape, text)


def display_path(path: os.PathLike | str) -> str:
    """A path as :func:`printable` text, for messages and JSON documents."""
    return printable(os.fspath(path))

"""File names that every common file system accepts.

A kit's folder and files are named after the source's stem. Stems come from anywhere
(a download, a rip, a phone), so before use they are made safe on Windows, macOS and
Linux alike:

* Unicode is normalised to NFC (macOS hands out decomposed names; NFC is what the
  other systems and zip archives expect); letters of any script are kept;
* the characters Windows forbids (``< > : " / \\ | ? *``), control characters and
  the bytes of a name that is not UTF-8 (which Python holds as lone surrogates)
  become ``_``;
* leading dots (hidden files on Unix) and leading or trailing spaces and trailing dots
  (which Windows drops silently) are removed;
* a stem whose first part is a reserved device name on Windows (``CON``, ``PRN``,
  ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9``, in any case, with any
  extension) gets a leading ``_``;
* a stem longer than :data:`MAX_STEM_BYTES` bytes of UTF-8 is cut at a character
  boundary and given a short hash of the full stem, so that two long names sharing
  their beginning stay apart;
* an empty result becomes ``"sample"``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["MAX_STEM_BYTES", "safe_stem", "WINDOWS_RESERVED"]

#: Longest stem in bytes of UTF-8. The stem names both the kit folder and every file
#: in it (the longest suffix, ``_chop512.wav`` or ``_markers.wav``, adds 12 bytes), so
#: a file name stays far below the 255-byte limit of ext4, APFS and NTFS, and
#: ``<stem>/<stem>_chop01.wav`` stays below Windows' classic 260-character path limit
#: for output folders of reasonable depth.
MAX_STEM_BYTES = 120

#: Device names that Windows reserves, with or without an extension.
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{digit}" for digit in "123456789\u00b9\u00b2\u00b3"]
    + [f"LPT{digit}" for digit in "123456789\u00b9\u00b2\u00b3"]
)

_FORBIDDEN = re.compile("[<>:\"/\\\\|?*\x00-\x1f\x7f\ud800-\udfff]")

#: Bytes of the hash suffix (``-`` and 8 hex digits) added to shortened stems.
_HASH_CHARS = 8


def _truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits in ``max_bytes``."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _trim(text: str) -> str:
    return text.strip(" ").rstrip(". ").lstrip(". ")


def safe_stem(stem: str, *, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A version of ``stem`` that is a valid file name on Windows, macOS and Linux.

    Parameters
    ----------
    stem : str
        A file name without its extension (``Path(source).stem``).
    max_bytes : int > 16
        Longest result in bytes of UTF-8.

    Returns
    -------
    safe : str
        Non-empty, at most ``max_bytes`` bytes; equal to ``stem`` when that was safe
        already.

    Examples
    --------
    >>> safe_stem('beat: take 2?')
    'beat_ take 2_'
    >>> safe_stem('con')
    '_con'
    """
    if max_bytes <= _HASH_CHARS + 8:
        raise ValueError(f"max_bytes must be > {_HASH_CHARS + 8}, got {max_bytes}")
    text = unicodedata.normalize("NFC", stem)
    text = _trim(_FORBIDDEN.sub("_", text))
    if len(text.encode("utf-8")) > max_bytes:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:_HASH_CHARS]
        head = _trim(_truncate_utf8(text, max_bytes - _HASH_CHARS - 1))
        text = f"{head}-{digest}"
    if not text:
        return "sample"
    if text.split(".")[0].strip(" ").upper() in WINDOWS_RESERVED:
        text = "_" + _truncate_utf8(text, max_bytes - 1)
    return text

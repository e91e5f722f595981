"""Small readers of the files a kit holds, for the export tests (no tests here)."""

from __future__ import annotations

import re
import struct

__all__ = ["sfz_sections", "riff_chunks"]


def sfz_sections(text: str):
    """(header, {opcode: value}) in file order: a small SFZ reader, one opcode per token
    except `sample`, whose value runs to the end of its line."""
    text = re.sub(r"//[^\n]*", "", text)
    sections = []
    for header, body in re.findall(r"<(\w+)>([^<]*)", text):
        opcodes = {}
        for line in body.splitlines():
            line = line.strip()
            if line.startswith("sample="):
                opcodes["sample"] = line[len("sample="):]
            else:
                opcodes.update(token.split("=", 1) for token in line.split())
        sections.append((header, opcodes))
    return sections


def riff_chunks(data: bytes):
    """Top-level chunks of a RIFF/WAVE file as (id, payload), checking sizes and padding."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    chunks, position = [], 12
    while position < len(data):
        chunk_id, size = struct.unpack("<4sI", data[position:position + 8])
        chunks.append((chunk_id, data[position + 8:position + 8 + size]))
        position += 8 + size + (size & 1)
    assert position == len(data)
    return chunks

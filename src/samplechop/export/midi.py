"""The MIDI file (``.mid``): the chops played back in their original order and timing.

Loaded on a track that plays the kit's MPC program or SFZ instrument, it rebuilds the
source from its chops; moved around, it is the starting point of a flip.

A Standard MIDI File, format 0 (one track), written here with :mod:`struct` (the
format is small and fixed; see the MIDI 1.0 specification's "Standard MIDI Files
1.0"):

* header ``MThd``: format 0, one track, :data:`PPQ` ticks per quarter note;
* track ``MTrk``: the track name, the tempo (the source's estimated tempo, so the
  DAW's bar grid follows the music), a 4/4 time signature, then for chop ``i`` a
  note-on of note ``start_note + i - 1`` at its start and a note-off at its end, on
  channel 1, velocity :data:`VELOCITY`; end of track.

Times are converted with the tempo actually stored (whole microseconds per quarter
note), so a note starts within half a tick of its chop: at most 0.52 ms at 60 BPM
with 960 ticks per quarter (the resolution of MPC sequences).
"""

from __future__ import annotations

import struct
from typing import Optional, Sequence

__all__ = ["build_midi", "seconds_to_ticks", "MIDI_SUFFIX", "PPQ", "VELOCITY", "DEFAULT_BPM"]

MIDI_SUFFIX = ".mid"

#: Ticks per quarter note.
PPQ = 960

#: Velocity of every note.
VELOCITY = 100

#: Tempo when the source's could not be estimated.
DEFAULT_BPM = 120.0


def _variable_length(value: int) -> bytes:
    """A MIDI variable-length quantity: 7 bits a byte, most significant first."""
    if value < 0:
        raise ValueError("delta times are never negative")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + _variable_length(len(data)) + data


def seconds_to_ticks(seconds: float, *, tempo: int, ppq: int = PPQ) -> int:
    """Ticks from the start for a time in seconds at ``tempo`` microseconds a quarter note."""
    return int(round(seconds * 1_000_000 * ppq / tempo))


def build_midi(
    notes: Sequence[int],
    starts: Sequence[float],
    ends: Sequence[float],
    *,
    bpm: Optional[float] = None,
    name: str = "",
    channel: int = 0,
) -> bytes:
    """A format-0 Standard MIDI File that plays each note from its start to its end.

    Parameters
    ----------
    notes : sequence of int in [0, 127]
        Note of each chop.
    starts, ends : sequence of float
        Seconds from the start of the source.
    bpm : float > 0, optional
        Tempo written in the file (default :data:`DEFAULT_BPM`).
    name : str
        Track name (UTF-8).
    channel : int in [0, 15]
        MIDI channel, 0 for channel 1.

    Returns
    -------
    data : bytes
    """
    if not (len(notes) == len(starts) == len(ends)):
        raise ValueError("notes, starts and ends must have the same length")
    bpm = DEFAULT_BPM if not bpm or bpm <= 0 else float(bpm)
    tempo = max(1, min(0xFFFFFF, int(round(60_000_000 / bpm))))
    events: list[tuple[int, int, bytes]] = []  # (tick, order: offs before ons, message)
    for note, start, end in zip(notes, starts, ends):
        if not 0 <= note <= 127:
            raise ValueError(f"note {note} is outside 0-127")
        on = seconds_to_ticks(start, tempo=tempo)
        off = max(on + 1, seconds_to_ticks(end, tempo=tempo))
        events.append((on, 1, bytes([0x90 | channel, note, VELOCITY])))
        events.append((off, 0, bytes([0x80 | channel, note, 0])))
    events.sort(key=lambda event: (event[0], event[1]))
    track = bytearray()
    track += _variable_length(0) + _meta(0x03, name.encode("utf-8"))
    track += _variable_length(0) + _meta(0x51, tempo.to_bytes(3, "big"))
    track += _variable_length(0) + _meta(0x58, bytes([4, 2, 24, 8]))
    now = 0
    for tick, _, message in events:
        track += _variable_length(tick - now) + message
        now = tick
    track += _variable_length(0) + _meta(0x2F, b"")
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, PPQ)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)

"""Chop points of a piece, computed from its notes by the label convention.

The convention (``docs/chop-points.md``) is the law; this module is its
implementation for rendered MIDI. Conventions: times are seconds of the MIDI
timeline (note-on times as rendered, after humanisation); a chop list is a sorted
1-D ``np.ndarray`` of floats.

Rules as implemented
--------------------
1. **Harmonic change** (:func:`harmonic_changes`). Notes with a ``chord`` index
   (chords, pads, stabs, bass) carry the harmony. Going through them by note-on,
   the first note of a later harmonic segment whose chord identity differs from
   the current one is a chop. Identities come from the chord symbol (root and
   pitch-class set), never from the voicing, so a re-voiced or re-attacked chord
   is no change. Late notes of an earlier segment are ignored. After at least
   ``harmony_gap`` beats (default 4, one bar of 4/4) in which no harmonic note
   sounds (a drums-only break) the harmony counts as absent, and its return is a
   change even on the same chord; shorter gaps (comping rests, stabs over a
   groove) keep the previous chord.
2. **Phrase start** (:func:`phrase_starts`): a ``melody`` note whose voice has
   been silent (no note between note-off and this note-on) for at least
   ``min_rest`` beats; the first note of each melodic voice counts too.
3. **Sound after silence** (:func:`sound_after_silence`): a note-on after at least
   ``min_rest`` beats in which no note of any voice sounds. A note sounds from
   note-on to note-off: release tails and reverb are not counted (a stop is a stop
   in the score, whatever rings on). Drum notes are written with a nominal length
   for their instrument, which is what counts here.
4. **First attack** of the file (:func:`first_attack`).

Each point is then moved to the earliest note-on within ``snap`` seconds before
it (:func:`snap_to_attacks`), so that a chop keeps the whole attack of a
humanised or strummed onset group (a kick 8 ms ahead of the chord it lands with),
and points closer than :data:`~samplechop.constants.MERGE_WINDOW` are merged into
the earlier one (:func:`merge_close`; each point is compared with the last one
kept).
"""

from __future__ import annotations

from typing import Hashable, Iterable, Optional, Sequence

import numpy as np

from ..constants import MERGE_WINDOW
from ..exceptions import ParameterError
from .piece import Note

__all__ = [
    "SNAP_WINDOW",
    "harmonic_changes",
    "phrase_starts",
    "sound_after_silence",
    "first_attack",
    "snap_to_attacks",
    "merge_close",
    "chop_points",
    "excerpt_chop_points",
]

#: Notes starting at most this long (seconds) before a chop point are one attack with it.
SNAP_WINDOW = 0.03


def _check_beat(beat: float) -> None:
    if not np.isfinite(beat) or beat <= 0:
        raise ParameterError(f"beat must be a positive number of seconds, not {beat!r}")


def _by_onset(notes: Iterable[Note]) -> list[Note]:
    return sorted(notes, key=lambda note: (note.onset, note.pitch))


def harmonic_changes(
    notes: Sequence[Note],
    *,
    chords: Sequence[Hashable],
    beat: float,
    harmony_gap: float = 4.0,
) -> np.ndarray:
    """Rule 1: note-on times at which the backing harmony changes.

    Parameters
    ----------
    notes : sequence of Note
        All notes of the piece; those with ``chord is None`` are ignored.
    chords : sequence of hashable
        Chord identity of each harmonic segment (indexed by ``Note.chord``).
    beat : float > 0
        Seconds per beat.
    harmony_gap : float > 0
        Beats without any harmonic note after which the harmony counts as absent.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted times in seconds.
    """
    _check_beat(beat)
    times: list[float] = []
    current: Optional[int] = None
    sounding_until = -np.inf
    for note in _by_onset(n for n in notes if n.chord is not None):
        if not 0 <= note.chord < len(chords):
            raise ParameterError(
                f"note at {note.onset:.3f} s refers to chord {note.chord}, not in 0..{len(chords) - 1}"
            )
        if current is None or note.onset - sounding_until >= harmony_gap * beat:
            times.append(note.onset)
            current = note.chord
        elif note.chord > current:
            if chords[note.chord] != chords[current]:
                times.append(note.onset)
            current = note.chord
        sounding_until = max(sounding_until, note.offset)
    return np.asarray(times, dtype=float)


def _after_rest(notes: Sequence[Note], min_gap: float) -> list[float]:
    times: list[float] = []
    sounding_until = -np.inf
    for note in _by_onset(notes):
        if note.onset - sounding_until >= min_gap:
            times.append(note.onset)
        sounding_until = max(sounding_until, note.offset)
    return times


def phrase_starts(notes: Sequence[Note], *, beat: float, min_rest: float = 1.0) -> np.ndarray:
    """Rule 2: first notes of melodic phrases after at least ``min_rest`` beats of rest.

    Parameters
    ----------
    notes : sequence of Note
        All notes; only ``role == "melody"`` notes are used, voice by voice.
    beat : float > 0
        Seconds per beat.
    min_rest : float
        Shortest rest in beats, from the previous note-off of the same voice.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted times in seconds.
    """
    _check_beat(beat)
    voices: dict[str, list[Note]] = {}
    for note in notes:
        if note.role == "melody":
            voices.setdefault(note.voice, []).append(note)
    times = [t for voice_notes in voices.values() for t in _after_rest(voice_notes, min_rest * beat)]
    return np.asarray(sorted(times), dtype=float)


def sound_after_silence(notes: Sequence[Note], *, beat: float, min_rest: float = 1.0) -> np.ndarray:
    """Rule 3: note-ons after at least ``min_rest`` beats in which no note sounds.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted times in seconds (the first note-on of the piece included).
    """
    _check_beat(beat)
    return np.asarray(_after_rest(notes, min_rest * beat), dtype=float)


def first_attack(notes: Sequence[Note]) -> np.ndarray:
    """Rule 4: the first note-on of the piece (empty for a piece without notes)."""
    if not notes:
        return np.zeros(0)
    return np.asarray([min(note.onset for note in notes)], dtype=float)


def snap_to_attacks(times: np.ndarray, onsets: np.ndarray, *, window: float = SNAP_WINDOW) -> np.ndarray:
    """Move each time to the earliest onset within ``window`` seconds before it.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Chop times in seconds.
    onsets : np.ndarray [shape=(m,)]
        Every note-on of the piece in seconds.
    window : float >= 0
        How far back an onset still belongs to the same attack.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted snapped times.
    """
    times = np.asarray(times, dtype=float)
    onsets = np.sort(np.asarray(onsets, dtype=float))
    if times.size == 0 or onsets.size == 0:
        return np.sort(times)
    # The first onset at or after t - window; it is <= t whenever t itself is an onset.
    first = np.searchsorted(onsets, times - window - 1e-9, side="left")
    first = np.minimum(first, onsets.size - 1)
    candidates = onsets[first]
    snapped = np.where(candidates <= times, candidates, times)
    return np.sort(snapped)


def merge_close(times: np.ndarray, *, window: float = MERGE_WINDOW) -> np.ndarray:
    """Merge chop points closer than ``window`` seconds into the earlier one.

    Each time is compared with the last time kept, so a run of points spaced
    less than ``window`` apart keeps one point every ``window`` at most.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Chop times in seconds, any order.
    window : float >= 0
        Merge distance in seconds.

    Returns
    -------
    times : np.ndarray [shape=(k,)]
        Sorted merged times.
    """
    kept: list[float] = []
    for time in np.sort(np.asarray(times, dtype=float)):
        if not kept or time - kept[-1] >= window - 1e-9:
            kept.append(float(time))
    return np.asarray(kept, dtype=float)


def chop_points(
    notes: Sequence[Note],
    *,
    chords: Sequence[Hashable],
    beat: float,
    min_rest: float = 1.0,
    harmony_gap: float = 4.0,
    snap: float = SNAP_WINDOW,
    merge_window: float = MERGE_WINDOW,
) -> np.ndarray:
    """All chop points of a piece: rules 1-4, snapped to attacks and merged.

    Parameters
    ----------
    notes : sequence of Note
        Every note of the piece (times in seconds).
    chords : sequence of hashable
        Chord identity of each harmonic segment.
    beat : float > 0
        Seconds per beat.
    min_rest : float
        Beats of rest (rule 2) or silence (rule 3) before a chop.
    harmony_gap : float
        Beats without harmony after which harmony counts as absent (rule 1).
    snap : float
        See :func:`snap_to_attacks`.
    merge_window : float
        See :func:`merge_close`.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Sorted chop times in seconds.
    """
    parts = [
        harmonic_changes(notes, chords=chords, beat=beat, harmony_gap=harmony_gap),
        phrase_starts(notes, beat=beat, min_rest=min_rest),
        sound_after_silence(notes, beat=beat, min_rest=min_rest),
        first_attack(notes),
    ]
    onsets = np.asarray([note.onset for note in notes], dtype=float)
    times = snap_to_attacks(np.concatenate(parts), onsets, window=snap)
    return merge_close(times, window=merge_window)


def excerpt_chop_points(
    times: np.ndarray,
    onsets: np.ndarray,
    *,
    start: float,
    duration: float,
    merge_window: float = MERGE_WINDOW,
) -> np.ndarray:
    """Chop points of an excerpt ``[start, start + duration)`` cut from a piece.

    The piece's chop points inside the excerpt are kept (their rules were judged
    with the music before the cut, so a phrase going on across the cut is no
    phrase start), the first note-on inside the excerpt is added (rule 4), and
    times are shifted to the excerpt's start and merged again.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Chop points of the whole piece in seconds.
    onsets : np.ndarray [shape=(m,)]
        Every note-on of the piece in seconds.
    start, duration : float
        The excerpt, in seconds of the piece.
    merge_window : float
        See :func:`merge_close`.

    Returns
    -------
    times : np.ndarray [shape=(k,)]
        Sorted chop times in seconds from the start of the excerpt.
    """
    if duration <= 0:
        raise ParameterError(f"excerpt duration must be positive, not {duration!r}")
    times = np.asarray(times, dtype=float)
    onsets = np.asarray(onsets, dtype=float)
    end = start + duration
    inside = times[(times >= start) & (times < end)]
    attacks = onsets[(onsets >= start) & (onsets < end)]
    if attacks.size:
        inside = np.append(inside, attacks.min())
    return merge_close(inside - start, window=merge_window)

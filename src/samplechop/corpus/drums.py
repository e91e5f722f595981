"""Drum grooves and fills on GM channel 10 (keys of the GM percussion map).

A groove is drawn once per piece (:func:`make_groove`) and played bar by bar
with small variations (:func:`groove_bar`). Positions are in beats from the bar
line; velocities are nominal (the composer humanises them). Drum notes are
written with a nominal length per instrument (:data:`DRUM_LENGTHS`), which is
what rule 3 of the label convention sees as the time a hit sounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["GROOVES", "DRUM_LENGTHS", "Groove", "make_groove", "groove_bar", "fill", "crash"]

KICK, RIM, SNARE, CLAP, HAT, PEDAL_HAT, OPEN_HAT = 36, 37, 38, 39, 42, 44, 46
CRASH, RIDE, RIDE_BELL, TAMBOURINE, SHAKER = 49, 51, 53, 54, 70
LOW_TOM, MID_TOM, HIGH_TOM, FLOOR_TOM = 45, 47, 50, 41

#: Nominal sounding time (seconds) of each GM percussion key: the written note length.
DRUM_LENGTHS: dict[int, float] = {
    35: 0.3, 36: 0.25, 37: 0.1, 38: 0.2, 39: 0.15, 40: 0.2, 41: 0.35, 42: 0.08,
    43: 0.35, 44: 0.08, 45: 0.3, 46: 0.4, 47: 0.3, 48: 0.3, 49: 1.5, 50: 0.3,
    51: 0.6, 52: 1.2, 53: 0.5, 54: 0.15, 55: 0.8, 56: 0.15, 57: 1.5, 69: 0.1,
    70: 0.1, 75: 0.1,
}

#: Groove names known to :func:`make_groove`.
GROOVES = (
    "backbeat", "halftime", "shuffle", "funk", "breakbeat", "swing", "brush_ballad",
    "bossa", "lounge", "ballad", "orchestral", "pulse", "random",
)

Hit = tuple[float, int, int]


@dataclass
class Groove:
    """A drawn groove: the hits of one bar (or two alternating bars) and its flavour."""

    name: str
    bars: list[list[Hit]]
    ghosts: list[float] = field(default_factory=list)
    orchestral: bool = False


def _pick(rng: np.random.Generator, options: list) -> object:
    return options[int(rng.integers(len(options)))]


def _hats(rng: np.random.Generator, beats: int, *, pitch: int = HAT, loud: int = 80) -> list[Hit]:
    grid = float(_pick(rng, [0.5, 0.5, 0.25, 1.0]))
    hits = []
    for position in np.arange(0, beats, grid):
        accent = loud if position % 1 == 0 else int(loud * 0.7)
        hits.append((float(position), pitch, accent))
    if pitch == HAT and rng.random() < 0.35:
        last = beats - 0.5
        hits = [h for h in hits if h[0] != last] + [(last, OPEN_HAT, loud)]
    return hits


def make_groove(rng: np.random.Generator, name: str, *, beats_per_bar: int) -> Groove:
    """Draw a groove of the named family for a meter of ``beats_per_bar`` beats."""
    beats = beats_per_bar
    backbeats = [1.0, 3.0] if beats == 4 else [1.0, 2.0]
    if name in ("backbeat", "shuffle"):
        kicks = _pick(rng, [[0, 2], [0, 1.5, 2], [0, 2.5], [0, 1.75, 2], [0, 2, 2.75], [0, 0.75, 2, 2.5]])
        kicks = [k for k in kicks if k < beats]
        hits = [(float(k), KICK, 100) for k in kicks] + [(b, SNARE, 105) for b in backbeats]
        hits += _hats(rng, beats)
        if rng.random() < 0.3:
            hits += [(b, TAMBOURINE, 70) for b in backbeats]
        return Groove(name, [hits], ghosts=[0.75, 2.25, 3.75][: beats - 1])
    if name == "halftime":
        snare = 2.0 if beats == 4 else 1.0
        kicks = _pick(rng, [[0], [0, 2.5], [0, 1.75, 2.75], [0, 0.75]])
        hits = [(float(k), KICK, 100) for k in kicks if k < beats and k != snare] + [(snare, SNARE, 110)]
        return Groove(name, [hits + _hats(rng, beats)], ghosts=[1.75, 3.25])
    if name in ("funk", "breakbeat"):
        if name == "funk":
            extra = rng.choice([0.75, 1.5, 1.75, 2.25, 2.5, 3.25, 3.5], size=int(rng.integers(2, 5)), replace=False)
            kicks = [0.0] + sorted(float(k) for k in extra if k < beats and k not in backbeats)
        else:
            kicks = list(_pick(rng, [[0, 0.5, 2.5], [0, 1.75, 2.5], [0, 0.75, 2.25, 2.5]]))
        hits = [(float(k), KICK, 100) for k in kicks] + [(b, SNARE, 110) for b in backbeats]
        ghost_options = [0.75, 1.75, 2.25, 2.75, 3.25, 3.75]
        ghosts = sorted(float(g) for g in rng.choice(ghost_options, size=3, replace=False) if g < beats)
        hits += [(g, SNARE, 35) for g in ghosts]
        hits += _hats(rng, beats, loud=85)
        return Groove(name, [hits], ghosts=ghosts)
    if name in ("swing", "brush_ballad"):
        ride = [0, 1, 1.5, 2, 3, 3.5] if beats == 4 else [0, 1, 1.5, 2]
        soft = 0.6 if name == "brush_ballad" else 1.0
        hits = [(float(p), RIDE, int((85 if p % 1 == 0 else 65) * soft)) for p in ride]
        hits += [(b, PEDAL_HAT, int(60 * soft)) for b in backbeats]
        if name == "brush_ballad":
            hits += [(float(b), SNARE, 45) for b in range(beats)]
        elif rng.random() < 0.5:
            hits += [(float(b), KICK, 35) for b in range(beats)]
        return Groove(name, [hits], ghosts=[1.5, 2.5, 3.5][: beats - 1])
    if name == "bossa":
        kicks = [(0.0, KICK, 90), (1.5, KICK, 60), (2.0, KICK, 85), (3.5, KICK, 60)]
        bar_a = kicks + [(p, RIM, 80) for p in (0.0, 1.5, 3.0)]
        bar_b = kicks + [(p, RIM, 80) for p in (1.0, 2.5)]
        hats = _hats(rng, beats, pitch=_pick(rng, [HAT, SHAKER]), loud=55)
        return Groove(name, [bar_a + hats, bar_b + hats])
    if name == "lounge":
        hits = [(0.0, KICK, 85), (2.0, KICK, 80)] + [(b, RIM, 75) for b in backbeats]
        hits += _hats(rng, beats, loud=55)
        if rng.random() < 0.5:
            hits += [(float(p), SHAKER, 50) for p in np.arange(0, beats, 0.25)]
        return Groove(name, [hits])
    if name == "ballad":
        back = _pick(rng, [SNARE, RIM, RIM])
        hits = [(0.0, KICK, 85)] + ([(2.5, KICK, 65)] if beats == 4 and rng.random() < 0.5 else [])
        hits += [(b, back, 80) for b in backbeats] + _hats(rng, beats, loud=55)
        return Groove(name, [hits])
    if name == "orchestral":
        hits = [(0.0, 35, 75)]
        if rng.random() < 0.5:
            hits.append((float(beats // 2), 35, 60))
        return Groove(name, [hits], orchestral=True)
    if name == "pulse":
        toms = [(float(p), _pick(rng, [FLOOR_TOM, LOW_TOM]), 70 if p % 1 == 0 else 50)
                for p in np.arange(0, beats, 0.5)]
        return Groove(name, [toms + [(0.0, 35, 95), (2.0 if beats == 4 else 1.5, 35, 75)]], orchestral=True)
    if name == "random":
        # Kicks on a drawn set of eighths, a snare, rim or clap on the backbeats or on 2-3
        # drawn eighths after the downbeat, and hats, a shaker or a ride: one bar, or two
        # that differ in their kicks.
        back = _pick(rng, [SNARE, SNARE, RIM, CLAP])
        if rng.random() < 0.7:
            backs = backbeats
        else:
            backs = sorted(float(p) / 2
                           for p in rng.choice(np.arange(1, beats * 2), size=int(rng.integers(2, 4)), replace=False))
        top = _hats(rng, beats, pitch=_pick(rng, [HAT, HAT, SHAKER, RIDE]), loud=int(rng.integers(50, 85)))
        bars = []
        for _ in range(int(rng.integers(1, 3))):
            extra = rng.choice(np.arange(1, beats * 2), size=int(rng.integers(1, 4)), replace=False)
            kicks = [0.0] + sorted(float(k) / 2 for k in extra if float(k) / 2 not in backs)
            bars.append([(k, KICK, int(rng.integers(75, 101))) for k in kicks] + [(b, back, 95) for b in backs] + top)
        return Groove(name, bars)
    raise KeyError(name)


def groove_bar(rng: np.random.Generator, groove: Groove, *, bar: int, beats_per_bar: int) -> list[Hit]:
    """The hits of one bar of ``groove``, with small random variations."""
    hits = list(groove.bars[bar % len(groove.bars)])
    if groove.name in ("swing", "brush_ballad") and rng.random() < 0.7:
        # Comping on the snare / kick, different every bar.
        for _ in range(int(rng.integers(1, 3))):
            position = float(rng.integers(0, beats_per_bar * 2)) / 2
            hits.append((position, _pick(rng, [SNARE, SNARE, KICK]), int(rng.integers(40, 75))))
    elif groove.ghosts and rng.random() < 0.3:
        hits.append((float(_pick(rng, groove.ghosts)), SNARE, int(rng.integers(25, 45))))
    if not groove.orchestral and rng.random() < 0.12:
        extra = float(rng.integers(1, beats_per_bar * 4)) / 4
        hits.append((extra, KICK, 80))
    return [h for h in hits if 0 <= h[0] < beats_per_bar]


def fill(rng: np.random.Generator, *, start: float, end: float, orchestral: bool = False) -> list[Hit]:
    """A fill from ``start`` to ``end`` (beats within a bar): snare or tom sixteenths, crescendo."""
    positions = np.arange(start, end - 1e-9, 0.25 if rng.random() < 0.7 else 0.5)
    toms = [SNARE] if orchestral else _pick(
        rng, [[SNARE], [HIGH_TOM, MID_TOM, LOW_TOM, FLOOR_TOM], [SNARE, SNARE, LOW_TOM, FLOOR_TOM]])
    hits = []
    for index, position in enumerate(positions):
        pitch = toms[min(len(toms) - 1, index * len(toms) // max(1, len(positions)))]
        velocity = int(60 + 50 * index / max(1, len(positions) - 1))
        hits.append((float(position), pitch, velocity))
    return hits


def crash(rng: np.random.Generator) -> list[Hit]:
    """A crash cymbal with a kick on the downbeat."""
    return [(0.0, _pick(rng, [CRASH, CRASH, 57]), 100), (0.0, KICK, 100)]

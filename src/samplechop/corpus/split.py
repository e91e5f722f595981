"""The train / valid split of the rendered corpus.

What validation holds out, so that it measures generalisation to sounds,
instruments and music the model never trained on:

* **Soundfont**: ``train`` renders with FluidR3_GM and TimGM6mb; ``valid`` renders
  only with MuseScore_General_Lite, so every sample in a valid piece is unheard.
* **Programs** (GM, 0-based): :data:`HELD_OUT_PROGRAMS` (electric grand, EP 2,
  marimba, rock organ, picked / fretless / slap-2 bass, viola, synth strings 2,
  muted trumpet, synth brass 2, soprano sax, english horn, recorder, voice lead)
  and the room drum kit (:data:`HELD_OUT_KITS`) never sound in ``train``. In
  ``valid`` each voice takes a held-out program with probability
  :data:`VALID_HELD_OUT_PROGRAM_SHARE` when its pool has one, else a shared one
  (a pool such as orchestral bass has no held-out program).
* **Styles**: ``bossa`` (lounge and bossa) is never rendered for ``train``; in
  ``valid`` it makes :data:`VALID_HELD_OUT_STYLE_SHARE` of the composed pieces, the
  rest are shared styles (played on held-out sounds).
* **Chorales**: a chorale file goes to ``valid`` when the CRC-32 of its name is
  divisible by 5 (about a fifth of them), else to ``train``.

``all`` mixes everything: any soundfont, program, kit, style and chorale.
"""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np

from ..exceptions import ParameterError
from .styles import STYLES

__all__ = [
    "SPLITS",
    "SPLIT_SOUNDFONTS",
    "HELD_OUT_STYLES",
    "HELD_OUT_PROGRAMS",
    "HELD_OUT_KITS",
    "VALID_HELD_OUT_STYLE_SHARE",
    "VALID_HELD_OUT_PROGRAM_SHARE",
    "check_split",
    "choose_style",
    "choose_program",
    "choose_kit",
    "chorale_in_split",
]

SPLITS = ("train", "valid", "all")

#: Soundfont names (keys of :func:`.soundfonts.available_soundfonts`) per split.
SPLIT_SOUNDFONTS: dict[str, tuple[str, ...]] = {
    "train": ("FluidR3_GM", "TimGM6mb"),
    "valid": ("MuseScore_General_Lite",),
    "all": ("FluidR3_GM", "TimGM6mb", "MuseScore_General_Lite"),
}

HELD_OUT_STYLES = frozenset({"bossa"})
HELD_OUT_PROGRAMS = frozenset({2, 5, 12, 18, 34, 35, 37, 41, 51, 59, 63, 64, 69, 74, 85})
HELD_OUT_KITS = frozenset({8})
VALID_HELD_OUT_STYLE_SHARE = 0.4
VALID_HELD_OUT_PROGRAM_SHARE = 0.6


def check_split(split: str) -> str:
    """Return ``split`` if it is one of :data:`SPLITS`, else raise ParameterError."""
    if split not in SPLITS:
        raise ParameterError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    return split


def choose_style(rng: np.random.Generator, split: str) -> str:
    """Draw the style of a composed piece for a split."""
    check_split(split)
    shared = sorted(name for name in STYLES if name not in HELD_OUT_STYLES)
    held = sorted(HELD_OUT_STYLES)
    if split == "train":
        return shared[int(rng.integers(len(shared)))]
    if split == "valid" and rng.random() < VALID_HELD_OUT_STYLE_SHARE:
        return held[int(rng.integers(len(held)))]
    names = shared if split == "valid" else sorted(STYLES)
    return names[int(rng.integers(len(names)))]


def _choose(rng: np.random.Generator, pool: Sequence[int], held_out: frozenset[int], split: str) -> int:
    check_split(split)
    train = [p for p in pool if p not in held_out]
    held = [p for p in pool if p in held_out]
    if split == "train":
        options = train
    elif split == "valid":
        options = held if held and (not train or rng.random() < VALID_HELD_OUT_PROGRAM_SHARE) else train
    else:
        options = list(pool)
    if not options:
        raise ParameterError(f"no program of pool {tuple(pool)} is allowed in split {split!r}")
    return int(options[int(rng.integers(len(options)))])


def choose_program(rng: np.random.Generator, pool: Sequence[int], split: str) -> int:
    """Draw a GM program from ``pool`` as the split allows."""
    return _choose(rng, pool, HELD_OUT_PROGRAMS, split)


def choose_kit(rng: np.random.Generator, pool: Sequence[int], split: str) -> int:
    """Draw a GM drum kit from ``pool`` as the split allows."""
    return _choose(rng, pool, HELD_OUT_KITS, split)


def chorale_in_split(name: str, split: str) -> bool:
    """Whether the chorale file called ``name`` belongs to ``split``."""
    check_split(split)
    if split == "all":
        return True
    valid = zlib.crc32(name.encode("utf-8")) % 5 == 0
    return valid == (split == "valid")

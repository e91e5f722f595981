"""The output formats of a kit, and the ``--format`` list that chooses them.

Every kit holds the WAV chops, ``<stem>.chops.json`` and ``<stem>.txt``; the formats
below are added on request. The default is the cheap set that a producer loads
straight into a sampler: ``wav,xpm,sfz,midi``.

=========  ==========================  ==============================================
name       file                        what opens it
=========  ==========================  ==============================================
wav        ``<stem>_chop01.wav`` ...   any sampler, DAW or editor (always written)
xpm        ``<stem>.xpm``              Akai MPC software, MPC One/Live/X/Key
sfz        ``<stem>.sfz``              sfizz, Sforzando, TAL-Sampler, Bitwig, ...
markers    ``<stem>_markers.wav``      editors and samplers that read cue markers
midi       ``<stem>.mid``              any DAW or hardware sequencer
plot       ``<stem>.png``              any image viewer (needs the ``plot`` extra)
report     ``<stem>.html``             any web browser (needs the ``plot`` extra)
zip        ``<stem>.zip``              everything above in one archive
=========  ==========================  ==============================================
"""

from __future__ import annotations

import importlib.util
from typing import Iterable

from ..exceptions import ParameterError

__all__ = [
    "FORMATS",
    "DEFAULT_FORMATS",
    "ALIASES",
    "PLOT_FORMATS",
    "KEYED_FORMATS",
    "parse_formats",
    "check_dependencies",
]

#: Every format, in the order they are written (the zip last: it holds the others).
FORMATS = ("wav", "xpm", "sfz", "markers", "midi", "plot", "report", "zip")

#: Written when ``--format`` is not given.
DEFAULT_FORMATS = ("wav", "xpm", "sfz", "midi")

#: Other names accepted on the command line.
ALIASES = {"cue": "markers", "mid": "midi", "png": "plot", "html": "report", "mpc": "xpm"}

#: Formats that draw with matplotlib (the ``plot`` extra).
PLOT_FORMATS = frozenset({"plot", "report"})

#: Formats that put chops on keys or pads (and share one mapping).
KEYED_FORMATS = frozenset({"xpm", "sfz", "midi"})


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """The formats named in a comma-separated list, in writing order.

    ``all`` names every format; ``wav`` is always included. Case and spaces are
    ignored.

    Raises
    ------
    ParameterError
        Naming the unknown format and the known ones.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    chosen = {"wav"}
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name == "all":
            chosen.update(FORMATS)
            continue
        name = ALIASES.get(name, name)
        if name not in FORMATS:
            raise ParameterError(
                f"--format: unknown format {raw.strip()!r} (choose from {', '.join(FORMATS)}, or all)"
            )
        chosen.add(name)
    return tuple(name for name in FORMATS if name in chosen)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (found without importing it)."""
    return importlib.util.find_spec(module) is not None


def check_dependencies(formats: Iterable[str]) -> None:
    """Refuse before any work when a chosen format needs a package that is missing.

    Raises
    ------
    ParameterError
        When ``plot`` or ``report`` is chosen and matplotlib is not installed.
    """
    wanted = sorted(PLOT_FORMATS.intersection(formats))
    if wanted and not _installed("matplotlib"):
        raise ParameterError(
            f"--format {','.join(wanted)} needs matplotlib: pip install 'samplechop[plot]'"
        )

"""Find FluidSynth and the General MIDI soundfonts that Debian installs.

Known soundfonts (name -> file, Debian package):

* ``FluidR3_GM`` -> ``FluidR3_GM.sf2`` (fluid-soundfont-gm)
* ``TimGM6mb`` -> ``TimGM6mb.sf2`` (timgm6mb-soundfont)
* ``MuseScore_General_Lite`` -> ``MuseScore_General_Lite.sf3`` (musescore-general-soundfont-small)

``FluidR3_GS.sf2`` (fluid-soundfont-gs) is an add-on bank without GM presets and
is never used. Folders searched, in order: those listed in the environment
variable ``SAMPLECHOP_SOUNDFONT_PATH`` (separated by ``os.pathsep``), then
``/usr/share/sounds/sf2``, ``/usr/share/sounds/sf3``, ``/usr/share/soundfonts``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable

from ..exceptions import ParameterError

__all__ = ["SOUNDFONTS", "soundfont_dirs", "available_soundfonts", "require_soundfonts", "require_fluidsynth"]

#: Known GM soundfonts: name -> (file name, Debian package).
SOUNDFONTS: dict[str, tuple[str, str]] = {
    "FluidR3_GM": ("FluidR3_GM.sf2", "fluid-soundfont-gm"),
    "TimGM6mb": ("TimGM6mb.sf2", "timgm6mb-soundfont"),
    "MuseScore_General_Lite": ("MuseScore_General_Lite.sf3", "musescore-general-soundfont-small"),
}

_SYSTEM_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/share/soundfonts")


def soundfont_dirs() -> list[Path]:
    """Folders searched for soundfonts, in order."""
    extra = os.environ.get("SAMPLECHOP_SOUNDFONT_PATH", "")
    return [Path(p) for p in extra.split(os.pathsep) if p] + [Path(p) for p in _SYSTEM_DIRS]


def available_soundfonts() -> dict[str, Path]:
    """The known GM soundfonts found on this machine.

    Returns
    -------
    soundfonts : dict
        Name (e.g. ``"FluidR3_GM"``) -> path of the file, for those found.
    """
    found: dict[str, Path] = {}
    for name, (file_name, _) in SOUNDFONTS.items():
        for folder in soundfont_dirs():
            candidate = folder / file_name
            if candidate.is_file():
                found[name] = candidate
                break
    return found


def require_soundfonts(names: Iterable[str]) -> dict[str, Path]:
    """Paths of the named soundfonts; a :class:`ParameterError` names the first one missing."""
    found = available_soundfonts()
    result = {}
    for name in names:
        if name not in found:
            file_name, package = SOUNDFONTS[name]
            raise ParameterError(
                f"soundfont {file_name} not found in {', '.join(str(d) for d in soundfont_dirs())} "
                f"(install the Debian package {package})"
            )
        result[name] = found[name]
    return result


def require_fluidsynth() -> str:
    """Path of the ``fluidsynth`` program; a :class:`ParameterError` when it is not on PATH."""
    path = shutil.which("fluidsynth")
    if path is None:
        raise ParameterError("fluidsynth not found on PATH (install the Debian package fluidsynth)")
    return path

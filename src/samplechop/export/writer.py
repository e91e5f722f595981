"""Write everything for one chopped file into its own folder, atomically.

The folder ``<out>/<stem>/`` is built under a hidden temporary name and renamed into
place once complete: a failed or interrupted run leaves no half-written kit, and an
existing kit is replaced only with ``overwrite`` and only once the new one is whole.
``<stem>`` is the source's stem made safe for every file system
(:func:`samplechop.export.names.safe_stem`); it names the folder and every file in it.

Always written: the WAV chops, ``<stem>.chops.json`` and ``<stem>.txt``. The formats
chosen (see :mod:`samplechop.export.formats`) add ``<stem>.xpm``, ``<stem>.sfz``,
``<stem>_markers.wav``, ``<stem>.mid``, ``<stem>.png``, ``<stem>.html`` and
``<stem>.zip``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np

from ..chop import ChopResult
from ..chop.analysis import DESCRIBE_BESIDE_SECONDS
from ..cores import available_cores
from ..exceptions import OutputError
from ..io.annotations import write_labels
from ..io.fileio import atomic_write_bytes, atomic_write_text, discard_staging, publish_dir, staging_dir
from .cue import MARKERS_SUFFIX, write_marker_wav
from .describe import Description, describe_result
from .formats import DEFAULT_FORMATS, KEYED_FORMATS, PLOT_FORMATS, check_dependencies, parse_formats
from .keys import DEFAULT_START_NOTE, chop_notes
from .manifest import MANIFEST_SUFFIX, dumps, manifest
from .midi import MIDI_SUFFIX, build_midi
from .names import safe_stem
from .sfz import SFZ_SUFFIX, build_sfz
from .slices import chop_names, write_slices
from .xpm import XPM_SUFFIX, build_xpm

__all__ = ["Kit", "kit_stem", "output_dir_for", "check_output", "output_names", "write_kit", "write_outputs"]

#: Threads that write a kit's chops (:func:`write_slices`), beside the one that
#: describes the source.
SLICE_THREADS = min(2, available_cores())

#: Longest source (seconds) whose kit is written on several threads, beside its
#: description: the analysis's limit, for the same reason (peak memory on long
#: sources, where the threads save a few percent of the run).
CONCURRENT_KIT_SECONDS = DESCRIBE_BESIDE_SECONDS

#: File of each optional format, as a suffix of the stem.
_SUFFIXES = {
    "xpm": XPM_SUFFIX,
    "sfz": SFZ_SUFFIX,
    "markers": MARKERS_SUFFIX,
    "midi": MIDI_SUFFIX,
    "plot": ".png",
    "report": ".html",
    "zip": ".zip",
}


@dataclass
class Kit:
    """What :func:`write_kit` wrote.

    Attributes
    ----------
    folder : Path
        The kit folder.
    files : list of str
        Names of the files in it, sorted.
    document : dict
        The manifest.
    notes : list of str
        Remarks for the user (chops left off the pads, ...).
    """

    folder: Path
    files: list[str]
    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def kit_stem(source: os.PathLike | str) -> str:
    """The safe stem that names a source's kit folder and files."""
    return safe_stem(Path(source).stem)


def output_dir_for(source: os.PathLike | str, out_dir: os.PathLike | str) -> Path:
    """The kit folder of a source: ``<out_dir>/<safe source stem>``."""
    return Path(out_dir) / kit_stem(source)


def check_output(final_dir: Path, *, overwrite: bool) -> None:
    """Refuse early, before any work, when the kit folder exists and may not be replaced."""
    if final_dir.exists() and not overwrite:
        raise OutputError(f"{final_dir}: exists already (use --overwrite to replace it)")
    if final_dir.exists() and not final_dir.is_dir():
        raise OutputError(f"{final_dir}: exists and is not a folder")


def output_names(stem: str, formats: Iterable[str]) -> dict[str, str]:
    """File name of each chosen format besides the WAV chops, plus the manifest and labels."""
    names = {"manifest": f"{stem}{MANIFEST_SUFFIX}", "labels": f"{stem}.txt"}
    names.update({name: f"{stem}{_SUFFIXES[name]}" for name in formats if name in _SUFFIXES})
    return names


def _plot_png(result: ChopResult, title: str) -> bytes:
    from .. import constants
    from ..io import audio
    from .plot import render_plot

    analysis = result.analysis
    if analysis is not None:
        y, sr, activations, frame_rate = analysis.y, analysis.sr, analysis.activations, analysis.frame_rate
    else:
        y, _ = audio.load_analysis(result.info.path)
        sr, activations, frame_rate = constants.SAMPLE_RATE, np.zeros(0), 1.0
    return render_plot(
        y, sr=sr, activations=activations, frame_rate=frame_rate,
        starts=[chop.start for chop in result.chops], labels=[str(chop.index) for chop in result.chops],
        threshold=result.threshold, title=title,
    )


def _title(stem: str, tempo: Optional[float], key: Optional[str]) -> str:
    facts = [f"{tempo:.1f} BPM" if tempo else "", key or ""]
    facts = [fact for fact in facts if fact]
    return f"{stem}: {', '.join(facts)} (estimated)" if facts else stem


def _chops_and_description(result: ChopResult, staged: Path, names: list[str], *,
                            threads: Optional[int] = None) -> Description:
    """Write the chops into ``staged`` and describe them and their source.

    For a source up to :data:`CONCURRENT_KIT_SECONDS` long, the chops are written on
    ``threads`` threads (default :data:`SLICE_THREADS`) while the source's tempo, key
    and chroma are computed on another, unless :func:`~samplechop.chop.analysis.analyse`
    started them already; for a longer one, or with ``threads`` of 1, in turn.
    """
    options = {"fade_in": result.settings.fade_in, "fade_out": result.settings.fade_out}
    if result.info.duration > CONCURRENT_KIT_SECONDS or threads == 1:
        _, chop_levels = write_slices(result.info, result.chops, staged, names, **options)
    else:
        if result.analysis is not None:
            result.analysis.describe_source_beside()
        _, chop_levels = write_slices(result.info, result.chops, staged, names,
                                      threads=threads or SLICE_THREADS, **options)
    return describe_result(result, chop_levels=chop_levels)


def write_kit(
    result: ChopResult,
    out_dir: os.PathLike | str,
    *,
    overwrite: bool = False,
    formats: Iterable[str] | str = DEFAULT_FORMATS,
    start_note: int = DEFAULT_START_NOTE,
    threads: Optional[int] = None,
) -> Kit:
    """Write the kit of ``result``: chops, manifest, label file and the chosen formats.

    Parameters
    ----------
    result : ChopResult
    out_dir : path-like
        The kit goes into ``out_dir/<stem>/``.
    overwrite : bool
        Replace an existing kit folder.
    formats : iterable of str, or str
        Format names or a comma-separated list (see :mod:`samplechop.export.formats`).
    start_note : int in [0, 127]
        MIDI note of the first chop in the MPC program, the SFZ and the MIDI file.
    threads : int, optional
        Threads that write the chops and describe the source (default: two chops at a
        time and the description beside them); 1 writes and describes in turn, for a
        file chopped beside others.

    Returns
    -------
    Kit

    Raises
    ------
    OutputError
        When the folder exists (without ``overwrite``) or cannot be written.
    ParameterError
        When a format is unknown or needs a package that is missing.
    """
    formats = parse_formats(formats)
    check_dependencies(formats)
    final_dir = output_dir_for(result.info.path, out_dir)
    check_output(final_dir, overwrite=overwrite)
    stem = kit_stem(result.info.path)
    info, chops = result.info, result.chops
    outputs = output_names(stem, formats)
    remarks: list[str] = []
    staged = staging_dir(final_dir)
    try:
        names = chop_names(stem, len(chops))
        description = _chops_and_description(result, staged, names, threads=threads)
        notes = chop_notes(len(chops), start_note=start_note)
        keyed = sorted(KEYED_FORMATS.intersection(formats))
        if keyed and len(notes) < len(chops):
            remarks.append(
                f"{', '.join(keyed)}: only chops 1-{len(notes)} of {len(chops)} fit on the pads and keys "
                f"from note {start_note} to 127; use fewer chops or a lower --start-note"
            )
        mapped = chops[: len(notes)]
        if "xpm" in formats:
            atomic_write_text(staged / outputs["xpm"], build_xpm(
                [Path(name).stem for name in names[: len(notes)]],
                [chop.end_sample - chop.start_sample for chop in mapped],
                program_name=stem, start_note=start_note,
            ))
        if "sfz" in formats:
            atomic_write_text(staged / outputs["sfz"], build_sfz(
                names[: len(notes)], [chop.start for chop in mapped], title=stem, start_note=start_note,
            ))
        if "markers" in formats:
            digits = max(2, len(str(len(chops))))
            write_marker_wav(info, [chop.start_sample for chop in chops],
                             [f"chop{chop.index:0{digits}d}" for chop in chops], staged / outputs["markers"])
        if "midi" in formats:
            atomic_write_bytes(staged / outputs["midi"], build_midi(
                notes, [chop.start for chop in mapped], [chop.end for chop in mapped],
                bpm=description.tempo, name=stem,
            ))
        png = None
        if PLOT_FORMATS.intersection(formats):
            png = _plot_png(result, _title(stem, description.tempo, description.key))
        if "plot" in formats:
            atomic_write_bytes(staged / outputs["plot"], png)
        document = manifest(result, names, description=description, start_note=start_note, outputs=outputs)
        atomic_write_text(staged / outputs["manifest"], dumps(document))
        if result.times.size:
            write_labels(staged / outputs["labels"], result.times)
        else:
            outputs.pop("labels")
        if "report" in formats:
            from .report import build_report

            atomic_write_text(staged / outputs["report"], build_report(document, folder=staged, png=png,
                                                                       title=stem))
        if "zip" in formats:
            from .archive import write_zip

            members = sorted(path for path in staged.iterdir() if path.name != outputs["zip"])
            write_zip(staged / outputs["zip"], members, root=stem)
        files = sorted(path.name for path in staged.iterdir())
        publish_dir(staged, final_dir, overwrite=overwrite)
    except OutputError as error:  # name the kit's folder, not the hidden one it is built in
        discard_staging(staged)
        raise OutputError(str(error).replace(str(staged), str(final_dir))) from None
    except BaseException:
        discard_staging(staged)
        raise
    return Kit(folder=final_dir, files=files, document=document, notes=remarks)


def write_outputs(
    result: ChopResult,
    out_dir: os.PathLike | str,
    *,
    overwrite: bool = False,
    formats: Iterable[str] | str = DEFAULT_FORMATS,
    start_note: int = DEFAULT_START_NOTE,
) -> Path:
    """Write the kit of ``result`` (see :func:`write_kit`) and return its folder."""
    return write_kit(result, out_dir, overwrite=overwrite, formats=formats, start_note=start_note).folder

"""Write a piece as MIDI and render it with FluidSynth.

The MIDI file is written at a nominal 120 BPM with 960 ticks per quarter, so a
tick is exactly 1/1920 s and the notes' times (already on that grid) are written
exactly. FluidSynth renders with its own reverb and chorus off (the record
effects add room later) into 32-bit float WAV in a temporary folder, so nothing
clips.

FluidSynth starts a note at the first 64-sample block boundary that lies at least
one block after its note-on time. Measured with FluidSynth 2.3.1, attacks began
68-148 samples after their note-on at 16-48 kHz (3-5 ms at 22.05 kHz). The
rendering is therefore advanced by one block (:data:`FLUIDSYNTH_LATENCY`): what
is left is 0-1 block plus FluidSynth's millisecond rounding, so attacks start
0-3 ms after the labelled note-on at 44.1 kHz.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from ..exceptions import AudioError, ParameterError
from .piece import TICKS_PER_SECOND, Piece
from .soundfonts import require_fluidsynth

__all__ = ["piece_to_midi", "write_midi", "render_midi", "render_piece"]

_RESOLUTION = TICKS_PER_SECOND // 2

#: Samples by which FluidSynth's output lags the MIDI timeline at least (one block).
FLUIDSYNTH_LATENCY = 64


def piece_to_midi(piece: Piece):
    """The piece as a :class:`pretty_midi.PrettyMIDI` object (one instrument per voice)."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(resolution=_RESOLUTION, initial_tempo=120.0)
    melodic = [v for v in piece.voices if not v.is_drum]
    if len(melodic) > 15:
        raise ParameterError(f"a piece has at most 15 melodic voices, not {len(melodic)}")
    by_voice: dict[str, list] = {}
    for note in piece.notes:
        by_voice.setdefault(note.voice, []).append(note)
    for voice in piece.voices:
        instrument = pretty_midi.Instrument(program=voice.program, is_drum=voice.is_drum, name=voice.name)
        for number, value in ((7, voice.volume), (10, voice.pan), (91, 0), (93, 0)):
            instrument.control_changes.append(pretty_midi.ControlChange(number=number, value=int(value), time=0.0))
        for note in by_voice.get(voice.name, []):
            instrument.notes.append(
                pretty_midi.Note(velocity=int(note.velocity), pitch=int(note.pitch), start=note.onset, end=note.offset)
            )
        midi.instruments.append(instrument)
    unknown = set(by_voice) - {v.name for v in piece.voices}
    if unknown:
        raise ParameterError(f"notes refer to voices not in the piece: {', '.join(sorted(unknown))}")
    return midi


def write_midi(piece: Piece, path: os.PathLike | str) -> None:
    """Write the piece as a standard MIDI file (type 1) at ``path``."""
    piece_to_midi(piece).write(str(path))


def render_midi(
    midi_path: os.PathLike | str, *, soundfont: os.PathLike | str, sr: int, gain: float = 0.5,
) -> np.ndarray:
    """Render a MIDI file with FluidSynth.

    Parameters
    ----------
    midi_path : path-like
        The MIDI file.
    soundfont : path-like
        A GM soundfont (``.sf2`` / ``.sf3``).
    sr : int
        Sample rate in Hz.
    gain : float
        FluidSynth's master gain.

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
        Stereo audio from time 0 of the MIDI file until the last voice has died away,
        advanced by :data:`FLUIDSYNTH_LATENCY` samples.

    Raises
    ------
    ParameterError
        When fluidsynth is not installed.
    AudioError
        When fluidsynth fails or writes no audio.
    """
    program = require_fluidsynth()
    with tempfile.TemporaryDirectory(prefix="samplechop-render-") as folder:
        wav = Path(folder) / "render.wav"
        command = [
            program, "-n", "-i", "-q", "-F", str(wav), "-T", "wav", "-O", "float",
            "-r", str(int(sr)), "-g", f"{gain:g}", "-R", "0", "-C", "0",
            "-o", "synth.dynamic-sample-loading=1", "-o", "synth.cpu-cores=1", "-o", "synth.polyphony=512",
            str(soundfont), str(midi_path),
        ]
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0 or not wav.is_file():
            message = " ".join((result.stderr or result.stdout or "no output").split())[:300]
            raise AudioError(f"{midi_path}: fluidsynth failed with {Path(soundfont).name}: {message}")
        y, file_sr = soundfile.read(str(wav), dtype="float32", always_2d=True)
    if file_sr != sr or y.shape[0] == 0:
        raise AudioError(
            f"{midi_path}: fluidsynth wrote {y.shape[0]} samples at {file_sr} Hz, expected audio at {sr} Hz"
        )
    return np.ascontiguousarray(y[FLUIDSYNTH_LATENCY:].T)


def render_piece(
    piece: Piece, *, soundfont: os.PathLike | str, sr: int, midi_path: os.PathLike | str | None = None,
) -> np.ndarray:
    """Write ``piece`` as MIDI (at ``midi_path``, or a temporary file) and render it.

    Returns
    -------
    y : np.ndarray [shape=(2, n), dtype=float32]
    """
    if midi_path is not None:
        write_midi(piece, midi_path)
        return render_midi(midi_path, soundfont=soundfont, sr=sr)
    with tempfile.TemporaryDirectory(prefix="samplechop-midi-") as folder:
        path = Path(folder) / "piece.mid"
        write_midi(piece, path)
        return render_midi(path, soundfont=soundfont, sr=sr)

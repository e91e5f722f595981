"""The MPC drum program (``.xpm``): one chop per pad, ready to load on an MPC.

An ``.xpm`` is the XML program file of Akai's MPC software 2.x (and of standalone
MPCs: One, Live, X, Key; MPC 3.x opens it too). Its structure, as written by MPC
software 2.x and read here from public example files (``File_Version`` 2.1):

.. code-block:: text

    MPCVObject
      Version: File_Version, Application (MPC-V), Application_Version, Platform
      Program type="Drum"
        ProgramName, ProgramPads-v2.10 (pad colours: JSON, XML-escaped),
        program mix settings (Volume, Pan, Program_Polyphony, ...)
        Instruments
          Instrument number="1".."128"       one per pad, A01 = 1 ... H16 = 128
            mix, filter and envelope settings, Mono, Polyphony,
            TriggerMode (0 = one shot), LowNote/HighNote, MuteGroup, ...
            Layers
              Layer number="1".."4"
                VelStart/VelEnd, RootNote, KeyTrack,
                SampleName (the WAV's file name without ".wav", found beside the
                program), SampleFile (left empty, as MPC writes it), SliceIndex,
                SliceStart/SliceEnd (frames: the whole sample)
        PadNoteMap: PadNote number="1".."128" > Note       MIDI note of each pad
        PadGroupMap: PadGroup number="1".."128" > Group    mute groups (0 = none)
        QLinkAssignments

Every pad plays one-shot (``TriggerMode`` 0, and ``OneShot`` True, the element of
older program files), monophonic, so a new hit cuts the last one. Pad ``i`` holds chop
``i`` on layer 1 and is mapped to note ``start_note + i - 1`` (see
:mod:`samplechop.export.keys`); the remaining pads keep MPC's chromatic mapping,
wrapping from 127 to 0, and stay empty.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Iterable, Sequence

from .keys import DEFAULT_START_NOTE, MPC_PADS

__all__ = ["build_xpm", "XPM_SUFFIX", "LAYERS_PER_PAD"]

XPM_SUFFIX = ".xpm"

#: Sample layers of every drum pad.
LAYERS_PER_PAD = 4

#: Colour (0xRRGGBB) of pads that hold a chop; empty pads are left uncoloured (0).
_PAD_COLOUR = 0xFF7F00

#: Program settings, in MPC's order, with the values of a new drum program.
_PROGRAM_SETTINGS = (
    ("Send1", "0.000000"), ("Send2", "0.000000"), ("Send3", "0.000000"), ("Send4", "0.000000"),
    ("Volume", "0.707946"), ("Mute", "False"), ("Solo", "False"), ("Pan", "0.500000"),
    ("AutomationFilter", "1"), ("Pitch", "0.000000"), ("TuneCoarse", "0"), ("TuneFine", "0"),
    ("Mono", "False"), ("Program_Polyphony", "16"), ("PortamentoTime", "0.000000"),
    ("PortamentoLegato", "False"), ("PortamentoQuantized", "False"), ("Program.Xfader.Route", "0"),
)

#: Pad (instrument) settings before the LFO, with a new drum program's values.
_PAD_MIX = (
    ("Send1", "0.000000"), ("Send2", "0.000000"), ("Send3", "0.000000"), ("Send4", "0.000000"),
    ("Volume", "0.707946"), ("Mute", "False"), ("Solo", "False"), ("Pan", "0.500000"),
    ("AutomationFilter", "1"), ("FilterKeytrack", "0.000000"), ("FilterType", "2"),
    ("Cutoff", "1.000000"), ("Resonance", "0.000000"), ("FilterEnvAmt", "0.000000"),
    ("AfterTouchToFilter", "0.000000"), ("VelocityToFilter", "0.000000"),
    ("VelocityToFilterEnvelope", "0.000000"), ("VelocityToStart", "0.000000"),
    ("VelocityToFilterAttack", "0.000000"), ("FilterAttack", "0.000000"),
    ("FilterDecay", "0.047244"), ("FilterSustain", "1.000000"), ("FilterRelease", "0.000000"),
    ("FilterAttackCurve", "0.375000"), ("FilterDecayCurve", "0.375000"),
    ("FilterReleaseCurve", "0.375000"), ("FilterHold", "0.000000"), ("FilterDecayType", "True"),
    ("FilterADEnvelope", "True"), ("VolumeHold", "0.000000"), ("VolumeDecayType", "True"),
    ("VolumeADEnvelope", "True"), ("VolumeAttack", "0.000000"), ("VolumeDecay", "0.047244"),
    ("VolumeSustain", "1.000000"), ("VolumeRelease", "0.000000"),
    ("VolumeAttackCurve", "0.375000"), ("VolumeDecayCurve", "0.375000"),
    ("VolumeReleaseCurve", "0.375000"), ("PitchHold", "0.000000"), ("PitchDecayType", "True"),
    ("PitchADEnvelope", "True"), ("PitchAttack", "0.000000"), ("PitchDecay", "0.047244"),
    ("PitchSustain", "1.000000"), ("PitchRelease", "0.000000"), ("PitchAttackCurve", "0.375000"),
    ("PitchDecayCurve", "0.375000"), ("PitchReleaseCurve", "0.375000"),
    ("PitchEnvAmount", "0.500000"), ("VelocityToPitch", "0.000000"),
    ("VelocityToVolumeAttack", "0.000000"), ("VelocitySensitivity", "1.000000"),
    ("VelocityToPan", "0.000000"), ("RandomizationScale", "1.000000"),
    ("AttackRandom", "0.000000"), ("DecayRandom", "0.000000"), ("CutoffRandom", "0.000000"),
    ("ResonanceRandom", "0.000000"),
)

#: The pad's LFO, with a new drum program's values.
_PAD_LFO = (
    ("Type", "Sine"), ("Rate", "0.500000"), ("Sync", "0"), ("Reset", "True"),
    ("LfoPitch", "0.000000"), ("LfoCutoff", "0.000000"), ("LfoVolume", "0.000000"),
    ("LfoPan", "0.000000"),
)

#: Pad effect slots (Num, Type) of a new drum program.
_PAD_EFFECTS = ((0, 0), (1, 9), (2, 1), (3, 2), (4, 3), (5, 7), (6, 4), (7, 13))

#: Pad settings after the effects: one-shot, monophonic, the whole key range.
_PAD_PLAY = (
    ("TuneCoarse", "0"), ("TuneFine", "0"), ("Mono", "True"), ("Polyphony", "1"),
    ("LowNote", "0"), ("HighNote", "127"), ("IgnoreBaseNote", "False"), ("ZonePlay", "1"),
    ("MuteGroup", "0"), ("MuteTarget1", "0"), ("MuteTarget2", "0"), ("MuteTarget3", "0"),
    ("MuteTarget4", "0"), ("SimultTarget1", "0"), ("SimultTarget2", "0"),
    ("SimultTarget3", "0"), ("SimultTarget4", "0"), ("OneShot", "True"), ("TriggerMode", "0"),
    ("WarpTempo", "120.000000"), ("BpmLock", "False"), ("WarpEnable", "False"),
    ("StretchPercentage", "100"), ("EditAllLayers", "False"),
)


def _xml_escape(text: str) -> str:
    """``text`` as XML character data (``&``, ``<``, ``>`` and ``"`` as entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _element(indent: int, name: str, value: str) -> str:
    return f"{'  ' * indent}<{name}>{value}</{name}>"


def _elements(indent: int, pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [_element(indent, name, value) for name, value in pairs]


def _layer(number: int, sample_name: str, frames: int) -> list[str]:
    body = _layer_body(sample_name, frames) if sample_name else _unused_layer_body()
    return [f'          <Layer number="{number}">', *body, "          </Layer>"]


@lru_cache(maxsize=1)
def _unused_layer_body() -> tuple[str, ...]:
    """The elements of a layer without a sample (most of a program's 512): built once."""
    return _layer_body("", 0)


def _layer_body(sample_name: str, frames: int) -> tuple[str, ...]:
    """The elements of a layer."""
    used = bool(sample_name)
    pairs = (
        ("Active", "True"), ("Volume", "1.000000"), ("Pan", "0.500000"), ("Pitch", "0.000000"),
        ("TuneCoarse", "0"), ("TuneFine", "0"), ("VelStart", "0"), ("VelEnd", "127"),
        ("SampleStart", "0"), ("SampleEnd", "0"), ("LoopStart", "0"), ("LoopEnd", "0"),
        ("LoopCrossfadeLength", "0"), ("LoopTune", "0"), ("RootNote", "0"), ("KeyTrack", "False"),
        ("SampleName", _xml_escape(sample_name)), ("PitchRandom", "0.000000"),
        ("VolumeRandom", "0.000000"), ("PanRandom", "0.000000"), ("OffsetRandom", "0.000000"),
        ("SampleFile", ""), ("SliceIndex", "129"), ("Direction", "0"), ("Offset", "0"),
        ("SliceStart", "0"), ("SliceEnd", str(frames if used else 0)), ("SliceLoopStart", "0"),
        ("SliceLoop", "0"), ("SliceLoopCrossFadeLength", "0"), ("SliceTailPosition", "0.500000"),
        ("SliceTailLength", "0.000000"),
    )
    return tuple(_elements(6, pairs))


def _audio_route(indent: int, route: int) -> list[str]:
    pad = "  " * indent
    return [
        f"{pad}<AudioRoute>",
        _element(indent + 1, "AudioRoute", str(route)),
        _element(indent + 1, "AudioRouteSubIndex", "0"),
        _element(indent + 1, "AudioRouteChannelBitmap", "3"),
        _element(indent + 1, "InsertsEnabled", "True"),
        f"{pad}</AudioRoute>",
    ]


@lru_cache(maxsize=1)
def _instrument_settings() -> tuple[str, ...]:
    """The lines of a pad's settings, the same on every pad (built once)."""
    lines = [_element(4, "CueBusEnable", "False")]
    lines += _audio_route(4, 0)
    lines += _elements(4, _PAD_MIX)
    lines += ['        <LFO LfoNum="0">', *_elements(5, _PAD_LFO), "        </LFO>"]
    lines.append("        <DrumPadEffects>")
    lines += [f'          <DrumPadEffect Num="{num}" Parameter="0.0" Type="{kind}"/>' for num, kind in _PAD_EFFECTS]
    lines.append("        </DrumPadEffects>")
    lines += _elements(4, _PAD_PLAY)
    return tuple(lines)


def _instrument(number: int, sample_name: str, frames: int) -> list[str]:
    lines = [f'      <Instrument number="{number}">', *_instrument_settings(), "        <Layers>"]
    lines += _layer(1, sample_name, frames)
    for layer in range(2, LAYERS_PER_PAD + 1):
        lines += _layer(layer, "", 0)
    lines += ["        </Layers>", "      </Instrument>"]
    return lines


def _pad_colours(used: int) -> str:
    document = {
        "ProgramPads-v2.10": {
            "Universal": {"value0": False},
            "Type": {"value0": 4},
            "universalPad": _PAD_COLOUR,
            "pads": {f"value{pad}": (_PAD_COLOUR if pad < used else 0) for pad in range(MPC_PADS)},
            "UnusedPads": {"value0": 1},
        }
    }
    return _xml_escape(json.dumps(document, indent=4))


def build_xpm(
    sample_names: Sequence[str],
    frames: Sequence[int],
    *,
    program_name: str,
    start_note: int = DEFAULT_START_NOTE,
    application_version: str = "2.15.1.1",
) -> str:
    """The text of an MPC drum program holding one sample per pad.

    Parameters
    ----------
    sample_names : sequence of str
        The WAV file of pad 1, 2, ... without its ``.wav`` suffix; the files sit in
        the program's folder. At most 128 (pads A01-H16); ``start_note + len - 1``
        must not exceed 127.
    frames : sequence of int
        Length of each sample in frames (the pad plays all of it).
    program_name : str
        Shown on the MPC.
    start_note : int in [0, 127]
        MIDI note of pad A01; pad ``i`` gets ``start_note + i - 1``.
    application_version : str
        MPC software version recorded in the header.

    Returns
    -------
    xml : str
        The program, UTF-8 encodable, with an XML declaration.
    """
    if len(sample_names) != len(frames):
        raise ValueError("one frame count per sample is needed")
    if not 0 <= start_note <= 127:
        raise ValueError(f"start note {start_note} is outside 0-127")
    if len(sample_names) > min(MPC_PADS, 128 - start_note):
        raise ValueError(f"{len(sample_names)} samples do not fit on pads from note {start_note}")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "",
        "<MPCVObject>",
        "  <Version>",
        _element(2, "File_Version", "2.1"),
        _element(2, "Application", "MPC-V"),
        _element(2, "Application_Version", _xml_escape(application_version)),
        _element(2, "Platform", "Linux"),
        "  </Version>",
        '  <Program type="Drum">',
        _element(2, "ProgramName", _xml_escape(program_name)),
        f"    <ProgramPads-v2.10>{_pad_colours(len(sample_names))}</ProgramPads-v2.10>",
        _element(2, "CueBusEnable", "False"),
        *_audio_route(2, 2),
        *_elements(2, _PROGRAM_SETTINGS),
        "    <Instruments>",
    ]
    for pad in range(1, MPC_PADS + 1):
        used = pad <= len(sample_names)
        lines += _instrument(pad, sample_names[pad - 1] if used else "", int(frames[pad - 1]) if used else 0)
    lines += ["    </Instruments>", "    <PadNoteMap>"]
    for pad in range(1, MPC_PADS + 1):
        note = (start_note + pad - 1) % 128
        lines += [f'      <PadNote number="{pad}">', _element(4, "Note", str(note)), "      </PadNote>"]
    lines += ["    </PadNoteMap>", "    <PadGroupMap>"]
    for pad in range(1, MPC_PADS + 1):
        lines += [f'      <PadGroup number="{pad}">', _element(4, "Group", "0"), "      </PadGroup>"]
    lines += ["    </PadGroupMap>", "    <QLinkAssignments/>", "  </Program>", "</MPCVObject>", ""]
    return "\n".join(lines)

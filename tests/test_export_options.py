"""--format and --start-note, the note/pad mapping, and kits written from ChopResults built
by hand (no model): key limits, odd-sized WAVs, MIDI precision, atomic failure."""

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import soundfile as sf

from conftest import click_track
from file_readers import riff_chunks, sfz_sections
from samplechop.chop import Candidates, Chop, ChopResult, ChopSettings
from samplechop.cli import main
from samplechop.exceptions import ParameterError
from samplechop.export import formats as formats_module
from samplechop.export import writer as writer_module
from samplechop.export.cue import write_marker_wav
from samplechop.export.formats import DEFAULT_FORMATS, FORMATS, parse_formats
from samplechop.export.keys import chop_notes, note_name, pad_label, parse_note
from samplechop.export.midi import build_midi
from samplechop.export.writer import write_kit
from samplechop.io import audio


def test_parse_formats():
    assert parse_formats("xpm") == ("wav", "xpm")
    assert parse_formats(" MIDI , cue,png ") == ("wav", "markers", "midi", "plot")
    assert parse_formats("all") == FORMATS
    assert DEFAULT_FORMATS == ("wav", "xpm", "sfz", "midi")
    with pytest.raises(ParameterError, match="unknown format 'aiff'"):
        parse_formats("wav,aiff")


def test_notes_and_pads():
    assert [parse_note(text) for text in ("36", "C1", "c#1", "Db1", "C3", "C-2", "G8")] == [36, 36, 37, 37, 60, 0, 127]
    assert [note_name(n) for n in (36, 37, 60, 127)] == ["C1", "C#1", "C3", "G8"]
    for bad in ("H2", "128", "G#8", "C"):
        with pytest.raises(ValueError):
            parse_note(bad)
    assert [pad_label(p) for p in (1, 16, 17, 33, 128)] == ["A01", "A16", "B01", "C01", "H16"]
    assert chop_notes(16) == list(range(36, 52))
    assert chop_notes(200, start_note=0) == list(range(128))
    assert chop_notes(10, start_note=120) == list(range(120, 128))


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def short_wav(tmp_path):
    path = tmp_path / "loop.wav"
    sf.write(path, click_track([0.5, 1.5, 2.5], duration=3.5), 22050, subtype="PCM_16")
    return path


def test_bad_options_are_refused_before_any_work(tmp_path, short_wav, capsys, monkeypatch):
    out = tmp_path / "out"
    code, _, err = _run(["chop", short_wav, "-o", out, "--format", "wav,mp4"], capsys)
    assert code == 2 and "unknown format 'mp4'" in err and not out.exists()
    code, _, err = _run(["chop", short_wav, "-o", out, "--start-note", "X9"], capsys)
    assert code == 2 and "--start-note" in err and not out.exists()
    monkeypatch.setattr(formats_module, "_installed", lambda module: False)
    code, _, err = _run(["chop", short_wav, "-o", out, "--format", "report"], capsys)
    assert code == 2 and "pip install 'samplechop[plot]'" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def _result(path, starts, *, settings=None):
    """A ChopResult cut by hand: chops from each start to the next (no model, no analysis)."""
    info = audio.probe(path)
    bounds = list(starts) + [info.frames]
    chops = [Chop(index=i, start=a / info.sr, end=b / info.sr, start_sample=a, end_sample=b, score=0.9, rank=i)
             for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]), start=1)]
    return ChopResult(info=info, settings=settings or ChopSettings(n=len(chops)), chops=chops,
                      candidates=Candidates.unpinned([c.start for c in chops], np.full(len(chops), 0.9)),
                      threshold=0.5)


def test_chops_beyond_the_keyboard_are_left_off_the_keyed_formats(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, click_track(np.arange(0.1, 5.0, 0.45), duration=5.0), 22050, subtype="PCM_16")
    starts = [int(s) for s in np.arange(0.1, 5.0, 0.45) * 22050]
    kit = write_kit(_result(path, starts), tmp_path / "out", formats="xpm,sfz,midi", start_note=120)
    assert len(starts) == 11 and "only chops 1-8 of 11" in kit.notes[0]
    regions = [o for header, o in sfz_sections((kit.folder / "long.sfz").read_text()) if header == "region"]
    assert [int(r["key"]) for r in regions] == list(range(120, 128))
    program = ET.parse(kit.folder / "long.xpm").getroot().find("Program")
    named = [i.findtext("Layers/Layer/SampleName") for i in program.findall("Instruments/Instrument")]
    assert named[:8] == [f"long_chop{i:02d}" for i in range(1, 9)] and not any(named[8:])
    assert [c["note"] for c in kit.document["chops"]] == list(range(120, 128)) + [None] * 3
    assert len(list(kit.folder.glob("long_chop*.wav"))) == 11


def test_plot_and_report_without_an_analysis(tmp_path, short_wav):
    pytest.importorskip("matplotlib")
    kit = write_kit(_result(short_wav, [11025, 33075]), tmp_path / "out", formats="plot,report")
    png = (kit.folder / "loop.png").read_bytes()
    assert struct.unpack(">II", png[16:24]) == (1600, 600)
    assert kit.document["source"]["tempo"] is None and kit.document["chops"][0]["pitch_class"] is None
    assert "data:audio/wav;base64," in (kit.folder / "loop.html").read_text()


@pytest.mark.parametrize("subtype, dtype", [("PCM_U8", "int16"), ("PCM_24", "int32"), ("FLOAT", "float32")])
def test_markers_wav_keeps_the_samples_and_pads_odd_chunks(tmp_path, subtype, dtype):
    source = tmp_path / f"odd_{subtype}.wav"
    y = click_track([0.1, 0.3], duration=0.5)[:10001]  # odd number of 8-bit mono bytes
    sf.write(source, y, 22050, subtype=subtype)
    target = write_marker_wav(audio.probe(source), [0, 2205, 10000], ["a", "bc", "def"], tmp_path / "m.wav")
    chunks = dict(riff_chunks(target.read_bytes()))
    assert struct.unpack("<I", chunks[b"cue "][:4])[0] == 3
    np.testing.assert_array_equal(sf.read(target, dtype=dtype)[0], sf.read(source, dtype=dtype)[0])
    assert sf.info(target).subtype == subtype


def test_midi_timing_within_a_millisecond_at_slow_tempo():
    mido = pytest.importorskip("mido")
    import io

    rng = np.random.default_rng(3)
    starts = np.sort(rng.uniform(0, 600, 100))
    ends = np.append(starts[1:], 601.0)
    data = build_midi(list(range(20, 120)), list(starts), list(ends), bpm=60.0)
    now, ons = 0.0, []
    for message in mido.MidiFile(file=io.BytesIO(data)):
        now += message.time
        if message.type == "note_on":
            ons.append(now)
    assert np.max(np.abs(np.array(ons) - starts)) < 0.001


def test_a_failing_format_leaves_nothing_behind(tmp_path, short_wav, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer_module, "build_midi", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_kit(_result(short_wav, [11025, 33075]), tmp_path / "out", formats="all")
    assert list((tmp_path / "out").iterdir()) == []


def test_start_note_on_the_command_line(tmp_path, short_wav, model_path, capsys):  # noqa: F811
    mido = pytest.importorskip("mido")
    out = tmp_path / "out"
    code, stdout, err = _run(["chop", short_wav, "-o", out, "-n", 2, "--threshold", 0, "--start-note", "C3",
                              "--format", "midi,sfz", "--model", model_path], capsys)
    assert code == 0, err
    notes = [m.note for m in mido.MidiFile(out / "loop" / "loop.mid") if m.type == "note_on"]
    assert notes == [60, 61] and "loop.mid" in stdout and not (out / "loop" / "loop.xpm").exists()

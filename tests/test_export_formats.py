"""Every sampler-ready format, written by `samplechop chop --format all` and read back by
an independent reader: xml.etree for the MPC program, a small SFZ parser, a RIFF chunk
walker for the markers WAV, mido for the MIDI file, the PNG header, html.parser and
zipfile."""

import base64
import json
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import chord_track, click_track
from file_readers import riff_chunks, sfz_sections
from samplechop.cli import main

SOURCE_NAME = "Ünïcödé – 東京 sample"
CHOPS = 6
PITCH_CLASSES = {"C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"}


@pytest.fixture(scope="module")
def kit(tmp_path_factory, model_path):
    """A kit of every format from an 8 s stereo 16-bit source with a non-ASCII name."""
    folder = tmp_path_factory.mktemp("formats")
    clicks = click_track([0.4, 1.5, 2.6, 3.3, 4.5, 5.6, 6.4, 7.2], sr=44100, duration=8.0)
    chords = chord_track([0, 2, 4, 6], [(57, 60, 64), (62, 65, 69), (64, 68, 71), (57, 60, 64)],
                         sr=44100, duration=8.0)
    source = folder / f"{SOURCE_NAME}.wav"
    sf.write(source, 0.6 * np.stack([clicks + chords, chords - 0.5 * clicks], axis=1), 44100,
             subtype="PCM_16")
    out = folder / "out"
    code = main(["chop", str(source), "-n", str(CHOPS), "--threshold", "0", "-o", str(out),
                 "--model", str(model_path), "--format", "all"])
    assert code == 0
    kit_dir = out / SOURCE_NAME
    document = json.loads((kit_dir / f"{SOURCE_NAME}.chops.json").read_text(encoding="utf-8"))
    return {"dir": kit_dir, "doc": document, "source": source}


def _file(kit, suffix: str) -> Path:
    return kit["dir"] / f"{SOURCE_NAME}{suffix}"


def test_every_format_is_in_the_kit(kit):
    names = sorted(p.name for p in kit["dir"].iterdir())
    expected = [f"{SOURCE_NAME}{suffix}" for suffix in
                (".chops.json", ".html", ".mid", ".png", ".sfz", ".txt", ".xpm", ".zip", "_markers.wav")]
    expected += [f"{SOURCE_NAME}_chop{i:02d}.wav" for i in range(1, CHOPS + 1)]
    assert names == sorted(expected)
    assert not [p for p in kit["dir"].parent.iterdir() if p.name.startswith(".")]


def test_xpm_is_a_drum_program_whose_pads_play_the_wavs(kit):
    root = ET.parse(_file(kit, ".xpm")).getroot()
    assert root.tag == "MPCVObject"
    assert root.findtext("Version/Application") == "MPC-V"
    program = root.find("Program")
    assert program.get("type") == "Drum" and program.findtext("ProgramName") == SOURCE_NAME
    json.loads(program.findtext("ProgramPads-v2.10"))  # the pad colours are valid JSON
    instruments = program.findall("Instruments/Instrument")
    assert [int(i.get("number")) for i in instruments] == list(range(1, 129))
    notes = {int(p.get("number")): int(p.findtext("Note")) for p in program.findall("PadNoteMap/PadNote")}
    assert len(notes) == 128 and len(set(notes.values())) == 128
    chops = kit["doc"]["chops"]
    for pad, instrument in enumerate(instruments, start=1):
        assert instrument.findtext("TriggerMode") == "0" and instrument.findtext("OneShot") == "True"
        layers = instrument.findall("Layers/Layer")
        assert [layer.get("number") for layer in layers] == ["1", "2", "3", "4"]
        name = layers[0].findtext("SampleName") or ""
        if pad <= len(chops):
            wav = kit["dir"] / f"{name}.wav"
            assert wav.is_file() and wav.name == chops[pad - 1]["file"]
            assert int(layers[0].findtext("SliceEnd")) == sf.info(wav).frames
            assert notes[pad] == 36 + pad - 1 == chops[pad - 1]["note"]
            assert chops[pad - 1]["pad"] == f"A{pad:02d}"
        else:
            assert name == ""
        assert all(not (layer.findtext("SampleName") or "") for layer in layers[1:])


def test_sfz_has_one_region_per_chop_on_consecutive_keys(kit):
    sections = sfz_sections(_file(kit, ".sfz").read_text(encoding="utf-8"))
    assert ("global", {"loop_mode": "one_shot"}) in sections
    regions = [opcodes for header, opcodes in sections if header == "region"]
    assert [r["sample"] for r in regions] == [c["file"] for c in kit["doc"]["chops"]]
    assert [int(r["key"]) for r in regions] == list(range(36, 36 + CHOPS))
    assert all((kit["dir"] / r["sample"]).is_file() for r in regions)


def test_markers_wav_has_a_cue_point_and_label_at_each_chop(kit):
    path = _file(kit, "_markers.wav")
    chunks = dict(riff_chunks(path.read_bytes()))
    cue = chunks[b"cue "]
    (count,) = struct.unpack("<I", cue[:4])
    assert count == CHOPS and len(cue) == 4 + 24 * count
    points = [struct.unpack("<II4sIII", cue[4 + 24 * i: 28 + 24 * i]) for i in range(count)]
    starts = [chop["start_sample"] for chop in kit["doc"]["chops"]]
    assert [p[5] for p in points] == starts  # dwSampleOffset
    assert [p[1] for p in points] == starts  # dwPosition
    assert all(p[2] == b"data" and p[3] == 0 and p[4] == 0 for p in points)
    adtl = chunks[b"LIST"]
    assert adtl[:4] == b"adtl"
    labels, position = {}, 4
    while position < len(adtl):
        chunk_id, size = struct.unpack("<4sI", adtl[position:position + 8])
        assert chunk_id == b"labl"
        (cue_id,) = struct.unpack("<I", adtl[position + 8:position + 12])
        labels[cue_id] = adtl[position + 12:position + 8 + size].rstrip(b"\x00").decode("ascii")
        position += 8 + size + (size & 1)
    assert labels == {p[0]: f"chop{i:02d}" for i, p in enumerate(points, start=1)}
    written, sr = sf.read(path, dtype="int16")
    original, _ = sf.read(kit["source"], dtype="int16")
    assert sr == 44100 and sf.info(path).subtype == "PCM_16"
    np.testing.assert_array_equal(written, original)


def test_midi_plays_each_chop_at_its_time_on_its_key(kit):
    mido = pytest.importorskip("mido")
    midi = mido.MidiFile(_file(kit, ".mid"))
    assert midi.type == 0 and midi.ticks_per_beat == 960
    now, ons, offs, tempo = 0.0, [], [], None
    for message in midi:  # iterating converts ticks to seconds with the file's tempo map
        now += message.time
        if message.type == "set_tempo":
            tempo = mido.tempo2bpm(message.tempo)
        elif message.type == "note_on" and message.velocity > 0:
            ons.append((now, message.note))
        elif message.type == "note_off" or message.type == "note_on":
            offs.append((now, message.note))
    chops = kit["doc"]["chops"]
    assert [note for _, note in ons] == [chop["note"] for chop in chops] == list(range(36, 36 + CHOPS))
    np.testing.assert_allclose([t for t, _ in ons], [c["start"] for c in chops], atol=0.001, rtol=0)
    ends = {note: t for t, note in offs}
    np.testing.assert_allclose([ends[c["note"]] for c in chops], [c["end"] for c in chops], atol=0.001, rtol=0)
    assert tempo == pytest.approx(kit["doc"]["source"]["tempo"] or 120.0, abs=0.01)


def test_png_is_1600_by_600(kit):
    data = _file(kit, ".png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1600, 600)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.audio, self.rows = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "audio":
            self.audio.append(attrs["src"])
        elif tag == "tr":
            self.rows += 1


def test_report_is_one_self_contained_page(kit):
    text = _file(kit, ".html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert len(page.images) == 1 and page.images[0].startswith("data:image/png;base64,")
    assert base64.b64decode(page.images[0].split(",", 1)[1]) == _file(kit, ".png").read_bytes()
    assert page.rows == CHOPS + 1 and len(page.audio) == CHOPS
    for src, chop in zip(page.audio, kit["doc"]["chops"]):
        assert src.startswith("data:audio/wav;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == (kit["dir"] / chop["file"]).read_bytes()
    assert not re.search(r'(src|href)="(?!data:)', text)  # nothing outside the page


def test_zip_holds_every_other_file(kit):
    with zipfile.ZipFile(_file(kit, ".zip")) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        expected = sorted(p.name for p in kit["dir"].iterdir() if p.suffix != ".zip")
        assert sorted(names) == [f"{SOURCE_NAME}/{name}" for name in expected]
        for name in expected:
            assert archive.read(f"{SOURCE_NAME}/{name}") == (kit["dir"] / name).read_bytes()


def test_manifest_describes_source_and_chops(kit):
    document = kit["doc"]
    source = document["source"]
    assert source["tempo"] is None or 60 <= source["tempo"] <= 200
    assert re.fullmatch(r"(C|Db|D|Eb|E|F|F#|G|Ab|A|Bb|B) (major|minor)", source["key"])
    for chop in document["chops"]:
        assert chop["duration"] == pytest.approx(chop["end"] - chop["start"], abs=1e-5)
        assert -120 <= chop["rms_db"] <= chop["peak_db"] <= 0
        assert chop["pitch_class"] in PITCH_CLASSES
        data = sf.read(kit["dir"] / chop["file"])[0]
        assert chop["rms_db"] == pytest.approx(20 * np.log10(np.sqrt(np.mean(data ** 2))), abs=0.5)
    assert set(document["outputs"]) == {"manifest", "labels", "xpm", "sfz", "markers", "midi", "plot",
                                        "report", "zip"}

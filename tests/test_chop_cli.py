"""The chop command through main(argv), on generated audio with known chop times."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import CHORDS, STABS, analysis_scoring, chord_track, stab_track
from samplechop.chop import ChopSettings, select_chops
from samplechop.cli import main
from samplechop.scoring import f_measure


@pytest.fixture
def stabs_wav(tmp_path) -> Path:
    """Stereo 44.1 kHz 16-bit stabs (short chords after silence) at STABS."""
    mono = stab_track(STABS, CHORDS, sr=44100, duration=8.0)
    path = tmp_path / "stabs.wav"
    sf.write(path, np.stack([mono, 0.5 * mono], axis=1), 44100, subtype="PCM_16")
    return path


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _scored_at(times, scores, duration: float) -> np.ndarray:
    """Chosen scores of the analysis frames of ``duration`` seconds (frames of 512
    samples at 22050 Hz): ``scores`` at the frame nearest each of ``times``, 0 elsewhere."""
    rate = 22050 / 512
    activations = np.zeros(1 + int(duration * 22050) // 512)
    activations[np.round(np.asarray(times) * rate).astype(int)] = scores
    return activations


def test_chop_writes_one_wav_per_chop_in_the_source_format(tmp_path, stabs_wav, capsys):
    out = tmp_path / "out"
    # threshold 0: every peak of the score is a candidate, so the stabs give the 6 chops
    # asked for however the model scores them (where they fall: test_chops_stabs_at_their_times)
    code, stdout, stderr = _run(["chop", stabs_wav, "-n", len(STABS), "--threshold", 0, "-o", out], capsys)
    assert code == 0, stderr
    kit = out / "stabs"
    wavs = sorted(kit.glob("stabs_chop*.wav"))
    assert [p.name for p in wavs] == [f"stabs_chop{i:02d}.wav" for i in range(1, len(STABS) + 1)]
    document = json.loads((kit / "stabs.chops.json").read_text())
    starts = np.array([chop["start"] for chop in document["chops"]])
    assert len(starts) == len(STABS) and np.all(np.diff(starts) > 0)
    for chop, path in zip(document["chops"], wavs):
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (44100, 2, "PCM_16")
        assert info.frames == chop["end_sample"] - chop["start_sample"]
    labels = np.loadtxt(kit / "stabs.txt")
    np.testing.assert_allclose(labels, starts, atol=1e-5)
    assert "stabs_chop" not in stdout and "start" in stdout and "score" in stdout


def test_chops_stabs_at_their_times(tmp_path):
    # a network that scores each stab at its frame (23 ms long), its scores chosen here:
    # the chops start on the stabs' attacks, never after them
    y = stab_track(STABS, CHORDS, sr=44100, duration=8.0)
    activations = _scored_at(STABS, np.linspace(0.9, 0.65, len(STABS)), 8.0)
    analysis = analysis_scoring(y, activations, tmp_path, sr=44100)
    result = select_chops(analysis, ChopSettings(n=len(STABS), threshold=0.5))
    starts = np.array([chop.start for chop in result.chops])
    assert len(starts) == len(STABS) and not result.notes
    assert np.all(starts <= np.array(STABS) + 0.001), starts - STABS
    assert np.all(starts >= np.array(STABS) - 0.006), starts - STABS
    assert sorted(chop.rank for chop in result.chops) == list(range(1, len(STABS) + 1))


def test_chord_changes_are_found(tmp_path):
    # sustained chords, each change scored at its frame by a network whose scores are
    # chosen here: every change is a chop (the release rule, the first attack of a file
    # that opens on a chord, merging and placement lose none)
    changes = [0.0, 2.0, 4.0, 6.0, 8.0]
    chords = [(60, 64, 67), (65, 69, 72), (62, 65, 69), (67, 71, 74), (60, 64, 67)]
    y = chord_track(changes, chords, duration=10.0)
    analysis = analysis_scoring(y, _scored_at(changes, [0.9, 0.8, 0.85, 0.7, 0.75], 10.0), tmp_path)
    result = select_chops(analysis, ChopSettings(n=5, threshold=0.5))
    starts = [chop.start for chop in result.chops]
    assert len(starts) == 5 and f_measure(np.array(changes), np.array(starts))[0] == 1.0


def test_contiguous_round_trip_is_exact(tmp_path, stabs_wav, capsys):
    for subtype in ("PCM_16", "PCM_24", "FLOAT"):
        source = tmp_path / f"src_{subtype}.wav"
        data, sr = sf.read(stabs_wav, dtype="float64")
        sf.write(source, data, sr, subtype=subtype)
        out = tmp_path / f"out_{subtype}"
        code, _, stderr = _run(["chop", source, "-n", 5, "-o", out, "--mode", "contiguous",
                                "--fade-in", 0, "--fade-out", 0], capsys)
        assert code == 0, stderr
        dtype = {"PCM_16": "int16", "PCM_24": "int32", "FLOAT": "float32"}[subtype]
        pieces = [sf.read(p, dtype=dtype)[0] for p in sorted((out / source.stem).glob("*.wav"))]
        original = sf.read(source, dtype=dtype)[0]
        np.testing.assert_array_equal(np.concatenate(pieces), original)
        assert sf.info(sorted((out / source.stem).glob("*.wav"))[0]).subtype == subtype


def test_fades_leave_no_step_at_the_cuts(tmp_path, capsys):
    t = np.arange(6 * 22050) / 22050
    tone = 0.5 * np.sin(2 * np.pi * 110 * t) * (1 + 0.9 * np.sign(np.sin(2 * np.pi * 0.5 * t)))
    path = tmp_path / "tone.wav"
    sf.write(path, tone, 22050, subtype="PCM_16")
    code, _, stderr = _run(["chop", path, "-n", 4, "-o", tmp_path / "out", "--threshold", 0], capsys)
    assert code == 0, stderr
    for wav in (tmp_path / "out" / "tone").glob("*.wav"):
        data = sf.read(wav)[0]
        assert abs(data[0]) < 0.02 and abs(data[-1]) < 0.02


def test_fades_in_place_equal_fades_of_a_copy():
    from samplechop.export import apply_fades

    data = (np.random.default_rng(2).standard_normal((4410, 2)) * 8000).astype(np.int16)
    kept = data.copy()
    faded = apply_fades(data, sr=44100, fade_in=0.01, fade_out=0.02, subtype="PCM_16")
    np.testing.assert_array_equal(data, kept)  # a copy was faded
    in_place = apply_fades(data, sr=44100, fade_in=0.01, fade_out=0.02, subtype="PCM_16", copy=False)
    assert in_place is data
    np.testing.assert_array_equal(in_place, faded)
    assert not np.array_equal(data, kept)


def test_dry_run_writes_nothing_and_json_is_complete(tmp_path, stabs_wav, capsys):
    out = tmp_path / "out"
    code, stdout, _ = _run(["chop", stabs_wav, "-n", 4, "--threshold", 0, "-o", out, "--dry-run", "--json"],
                           capsys)
    assert code == 0 and not out.exists()
    document = json.loads(stdout)
    assert document["failed"] == [] and len(document["files"][0]["chops"]) == 4
    assert {"start", "end", "start_sample", "end_sample", "score", "rank"} <= set(document["files"][0]["chops"][0])


def test_fewer_candidates_than_asked_is_said_plainly(tmp_path, stabs_wav, capsys):
    # 8 s hold at most 16 candidates 0.5 s apart, whatever the model scores
    code, stdout, _ = _run(["chop", stabs_wav, "-n", 40, "--min-length", 0.5, "--dry-run", "--threshold", 0.5],
                           capsys)
    assert code == 0
    assert "of the 40 asked for" in stdout and "scoring >= 0.50" in stdout


def test_existing_output_is_refused_then_overwritten(tmp_path, stabs_wav, capsys):
    out = tmp_path / "out"
    assert _run(["chop", stabs_wav, "-n", 3, "-o", out], capsys)[0] == 0
    before = (out / "stabs" / "stabs.chops.json").read_text()
    code, _, stderr = _run(["chop", stabs_wav, "-n", 5, "-o", out], capsys)
    assert code != 0 and "exists already" in stderr and "--overwrite" in stderr
    assert (out / "stabs" / "stabs.chops.json").read_text() == before
    code, _, _ = _run(["chop", stabs_wav, "-n", 5, "--threshold", 0, "-o", out, "--overwrite"], capsys)
    assert code == 0 and len(list((out / "stabs").glob("*.wav"))) == 5
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    files = {}
    files["missing"] = tmp_path / "missing.wav"
    (tmp_path / "noaudio").mkdir()
    (tmp_path / "noaudio" / "readme.txt").write_text("hi")
    files["folder without audio"] = tmp_path / "noaudio"
    files["not audio"] = tmp_path / "notes.wav"
    files["not audio"].write_text("just some text, not a RIFF file " * 10)
    files["empty"] = tmp_path / "empty.wav"
    files["empty"].write_bytes(b"")
    truncated = tmp_path / "truncated.wav"
    sf.write(truncated, stab_track(STABS, CHORDS, sr=22050, duration=8.0), 22050, subtype="PCM_16")
    truncated.write_bytes(truncated.read_bytes()[:20000])
    files["truncated to 0.4 s"] = truncated
    files["silence"] = tmp_path / "silence.wav"
    sf.write(files["silence"], np.zeros(22050 * 3), 22050)
    files["too short"] = tmp_path / "short.wav"
    sf.write(files["too short"], stab_track([0.1], CHORDS[:1], sr=22050, duration=0.5), 22050)
    nan = stab_track(STABS, CHORDS, sr=22050, duration=8.0)
    nan[1000] = np.nan
    files["nan"] = tmp_path / "nan.wav"
    sf.write(files["nan"], nan, 22050, subtype="FLOAT")
    return files


@pytest.mark.parametrize("case, message", [
    ("missing", "file not found"), ("folder without audio", "holds no audio files"),
    ("not audio", "not a readable audio file"), ("empty", "file is empty"),
    ("truncated to 0.4 s", "shorter than the shortest sample chopped"),
    ("silence", "silent"), ("too short", "shorter than the shortest sample chopped"), ("nan", "NaN, infinite"),
])
def test_bad_input_files(tmp_path, capsys, case, message):
    path = _bad_inputs(tmp_path)[case]
    code, stdout, stderr = _run(["chop", path, "-o", tmp_path / "out"], capsys)
    assert code != 0
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1, stderr
    assert message in lines[0] and path.name in lines[0] and "Traceback" not in stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("options, message", [
    (["-n", "0"], "-n must be"), (["-n", "-3"], "-n must be"), (["-n", "100000"], "too many"),
    (["--lambda", "1.5"], "--lambda must be between 0 and 1"), (["--lambda", "-0.1"], "--lambda"),
    (["--threshold", "2"], "--threshold"), (["--min-length", "0"], "--min-length"),
])
def test_bad_options(tmp_path, stabs_wav, capsys, options, message):
    code, _, stderr = _run(["chop", stabs_wav, "-o", tmp_path / "out", *options], capsys)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_unwritable_output(tmp_path, stabs_wav, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = _run(["chop", stabs_wav, "-o", blocker], capsys)
    assert code != 0 and "not a folder" in stderr
    code, _, stderr = _run(["chop", stabs_wav, "-o", blocker / "sub"], capsys)
    assert code != 0 and "not writable" in stderr and len(stderr.strip().splitlines()) == 1


def test_batch_goes_on_past_a_bad_file(tmp_path, stabs_wav, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    good = folder / "a_good.wav"
    good.write_bytes(stabs_wav.read_bytes())
    (folder / "b_bad.wav").write_text("not audio " * 50)
    (folder / "c_good.flac").write_bytes(b"")
    sf.write(folder / "c_good.flac", sf.read(stabs_wav)[0], 44100)
    code, stdout, stderr = _run(["chop", folder, "-n", 4, "-o", tmp_path / "out"], capsys)
    assert code != 0
    assert (tmp_path / "out" / "a_good").is_dir() and (tmp_path / "out" / "c_good").is_dir()
    assert "2 of 3 inputs chopped" in stderr and "b_bad.wav" in stderr


def test_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys; from samplechop.cli import build_parser; build_parser().format_help(); "
            "print(sorted(m for m in ('numpy', 'scipy', 'soundfile', 'torch', 'librosa') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_demo(tmp_path, capsys):
    code, stdout, stderr = _run(["chop", "--demo", "-n", 8, "--threshold", 0, "-o", tmp_path / "out"], capsys)
    assert code == 0, stderr
    assert len(list((tmp_path / "out" / "demo").glob("demo_chop*.wav"))) == 8


def test_same_input_same_chops(tmp_path, stabs_wav, capsys):
    first = _run(["chop", stabs_wav, "-n", 6, "--dry-run", "--json"], capsys)[1]
    second = _run(["chop", stabs_wav, "-n", 6, "--dry-run", "--json"], capsys)[1]
    assert json.loads(first)["files"] == json.loads(second)["files"]


def test_place_chops_at_given_times(stabs_wav):
    from samplechop.chop import ChopSettings, analyse, place_chops

    analysis = analyse(stabs_wav)
    result = place_chops(analysis, ChopSettings(), np.array([2.92, 0.52, 4.09]))
    starts = [chop.start for chop in result.chops]
    assert len(starts) == 3 and starts == sorted(starts)
    np.testing.assert_allclose(starts, [0.5, 2.9, 4.1], atol=0.006)
    assert sorted(chop.rank for chop in result.chops) == [1, 2, 3]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(stabs_wav, capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["chop", str(stabs_wav), f"--max-length={value}", "--dry-run"])
    assert exit_info.value.code == 2 and "not a finite number" in capsys.readouterr().err


def test_a_failing_write_names_the_output(tmp_path, monkeypatch):
    from samplechop.exceptions import OutputError
    from samplechop.io import fileio

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", full_disk)
    with pytest.raises(OutputError, match="labels.txt: cannot be written .No space left"):
        fileio.atomic_write_text(tmp_path / "labels.txt", "1.0\n")
    assert list(tmp_path.iterdir()) == []


def test_absurd_float_levels_chop_silently_into_strict_json(tmp_path, capsys):
    import warnings

    y = stab_track([0.5, 1.5, 2.5], CHORDS[:3], sr=22050, duration=4.0).astype(np.float32) * np.float32(1e30)
    path = tmp_path / "huge.wav"
    sf.write(path, y, 22050, subtype="FLOAT")

    def strict(text: str):
        def refuse(constant):
            raise AssertionError(f"non-finite number {constant} in JSON")
        return json.loads(text, parse_constant=refuse)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may reach the user
        code, stdout, stderr = _run(["chop", path, "-n", 3, "-o", tmp_path / "out", "--json"], capsys)
    assert code == 0 and stderr.strip() == "", stderr
    chops = strict(stdout)["files"][0]["chops"]
    assert all(chop["peak_db"] > 590 and chop["rms_db"] > 570 for chop in chops)  # 1e30 is +600 dBFS
    strict((tmp_path / "out" / "huge" / "huge.chops.json").read_text())

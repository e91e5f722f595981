"""Damaged, odd and hostile input files: chopped with one warning, or refused in one line."""

import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import CHORDS, STABS, stab_track
from samplechop import constants
from samplechop.cli import main
from samplechop.exceptions import AudioError
from samplechop.io import audio


def _music(seconds: float = 8.0, sr: int = 22050) -> np.ndarray:
    mono = stab_track(STABS, CHORDS, sr=sr, duration=seconds)
    return np.stack([mono, 0.5 * mono], axis=1)


def _wav_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "sound.wav"
    sf.write(path, _music(), 22050, subtype="PCM_16")
    return path.read_bytes()


def _patched(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value):]


def _chop(argv, capfd):
    code = main([str(a) for a in argv])
    captured = capfd.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fault, mutate, phrase", [
    ("RIFF size", lambda d: _patched(d, 4, struct.pack("<I", 12345)), "RIFF size says 12353 bytes"),
    ("data size unset", lambda d: _patched(d, 40, struct.pack("<I", 0xFFFFFFFF)), "data size is unset"),
    ("block align", lambda d: _patched(d, 32, struct.pack("<H", 7)), "block align is 7, not 4"),
    ("byte rate", lambda d: _patched(d, 28, struct.pack("<I", 1)), "byte rate is 1, not 88200"),
    ("truncated", lambda d: d[: len(d) * 2 // 3], "truncated:"),
])
def test_wav_with_a_damaged_header_is_chopped_with_one_warning(tmp_path, capfd, fault, mutate, phrase):
    path = tmp_path / "damaged.wav"
    path.write_bytes(mutate(_wav_bytes(tmp_path)))
    code, _, stderr = _chop(["chop", path, "-o", tmp_path / "out", "-n", "4"], capfd)
    assert code == 0
    assert stderr.splitlines() == [stderr.strip()], stderr  # one line
    assert stderr.startswith("samplechop: warning: ") and str(path) in stderr and phrase in stderr
    document = json.loads((tmp_path / "out" / "damaged" / "damaged.chops.json").read_text())
    assert any(phrase in damage for damage in document["source"]["damage"])


@pytest.mark.parametrize("container, phrase", [
    ("AIFF", "truncated:"), ("OGG", "truncated: the Ogg stream ends without its last page"),
    ("FLAC", "corrupt data after"), ("MP3", "the stream ends early"),
])
def test_compressed_and_aiff_streams_cut_short_are_chopped_with_one_warning(tmp_path, capfd, container, phrase):
    path = tmp_path / f"cut.{container.lower()}"
    sf.write(path, _music(8.0), 22050, format=container)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    code, _, stderr = _chop(["chop", path, "-o", tmp_path / "out", "-n", "4"], capfd)
    assert code == 0, stderr
    assert stderr.splitlines() == [stderr.strip()], stderr  # the decoder's own notes are not shown
    assert stderr.startswith("samplechop: warning: ") and phrase in stderr


def test_mp3_of_random_bytes_is_refused_in_one_true_line(tmp_path, capfd):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(20000))
    code, _, stderr = _chop(["chop", path, "-o", tmp_path / "out"], capfd)
    assert code == 3
    assert stderr == f"samplechop: error: {path}: not a readable audio file (no valid MPEG audio frames)\n"


def test_mp3_with_garbage_inside_is_chopped_up_to_the_damage(tmp_path, capfd):
    path = tmp_path / "garbled.mp3"
    sf.write(path, _music(8.0), 22050, format="MP3")
    data = path.read_bytes()
    middle = len(data) // 2
    path.write_bytes(data[:middle] + np.random.default_rng(1).bytes(4000) + data[middle + 4000:])
    code, _, stderr = _chop(["chop", path, "-o", tmp_path / "out", "-n", "4"], capfd)
    assert code == 0 and stderr.count("\n") == 1, stderr
    assert "damaged MPEG frames" in stderr or "corrupt data after" in stderr


def test_name_that_is_not_utf8_is_chopped_under_a_safe_name(tmp_path, capfd):
    folder = os.fsencode(tmp_path)
    raw = os.path.join(folder, b"take\xff2.wav")
    sf.write(raw, _music(), 22050)
    code, stdout, stderr = _chop(["chop", os.fsdecode(raw), "-o", tmp_path / "out", "-n", "4"], capfd)
    assert code == 0, stderr
    assert (tmp_path / "out" / "take_2" / "take_2_chop01.wav").exists()
    assert "take\\xff2.wav" in stdout
    code, stdout, _ = _chop(["chop", os.fsdecode(raw), "-o", tmp_path / "out2", "--json"], capfd)
    document = json.loads(stdout)["files"][0]
    assert document["source"]["path"].endswith("take\\xff2.wav") and document["output"].endswith("take_2")


def test_escape_sequences_in_names_do_not_reach_the_terminal(tmp_path, capfd):
    path = tmp_path / "red\x1b[31m\x07take.wav"
    sf.write(path, _music(), 22050)
    code, stdout, stderr = _chop(["chop", path, "-o", tmp_path / "out", "-n", "4"], capfd)
    assert code == 0 and "\x1b" not in stdout + stderr and "\x07" not in stdout + stderr
    assert "red\\x1b[31m\\x07take.wav" in stdout
    code, _, stderr = _chop(["chop", tmp_path / "gone\x1b[2J.wav", "-o", tmp_path / "out"], capfd)
    assert code == 3 and "\x1b" not in stderr and "gone\\x1b[2J.wav: file not found" in stderr


def test_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    pipe = tmp_path / "x.wav"
    os.mkfifo(pipe)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "samplechop", "chop", str(pipe), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert result.stderr == f"samplechop: error: {pipe}: is a named pipe (FIFO), not an audio file\n"
    assert time.perf_counter() - started < 60


def _silent_flac(path: Path, seconds: float, sr: int = 8000) -> None:
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, format="FLAC", subtype="PCM_16") as out:
        block = np.zeros(sr * 600, dtype=np.int16)
        for start in range(0, int(seconds * sr), block.size):
            out.write(block[: min(block.size, int(seconds * sr) - start)])


def _without_length(path: Path) -> None:
    """Clear the total-samples field of a FLAC's STREAMINFO (as a streamed FLAC has it)."""
    data = bytearray(path.read_bytes())
    field = int.from_bytes(data[18:26], "big") & ~((1 << 36) - 1)
    data[18:26] = field.to_bytes(8, "big")
    path.write_bytes(bytes(data))


def test_decompression_bomb_is_refused_before_its_samples_fill_memory(tmp_path):
    bomb = tmp_path / "bomb.flac"
    _silent_flac(bomb, constants.MAX_INPUT_SECONDS + 600)
    assert bomb.stat().st_size < 2_000_000  # a small file that decodes to 3 h 10 min
    tracemalloc.start()
    try:
        with pytest.raises(AudioError, match=r"decodes to 3\.2 hours of audio, more than the 3 hours read here"):
            audio.load_analysis(bomb)
        _without_length(bomb)
        assert sf.info(bomb).frames > 2**62  # the header no longer says how long it is
        with pytest.raises(AudioError, match="more than the 3 hours read here"):
            audio.load_analysis(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # the 3 hours are never held (they would take 345 MB as float32)


def test_flac_without_its_length_is_read_and_called_damaged(tmp_path):
    path = tmp_path / "streamed.flac"
    sf.write(path, _music(), 22050, format="FLAC")
    _without_length(path)
    y, info = audio.load_analysis(path)
    assert 8 * 22050 - 4096 < info.frames <= 8 * 22050 and y.size == info.frames
    assert info.damage == ("its header does not give the length",)


def test_output_folder_inside_the_input_folder_is_not_chopped_again(tmp_path, capfd):
    samples = tmp_path / "samples"
    samples.mkdir()
    for name in ("a", "b"):
        sf.write(samples / f"{name}.wav", _music(), 22050)
    for extra in ([], ["--overwrite"]):
        code, stdout, stderr = _chop(["chop", samples, "-o", samples / "kits", "-n", "4", *extra], capfd)
        assert code == 0, stderr
        assert sorted(p.name for p in (samples / "kits").iterdir()) == ["a", "b"]
        assert stdout.count(": ") >= 2 and "kits/a/a_chop01.wav:" not in stdout
    for extra in ([], ["--overwrite"]):  # kits written into the input folder itself
        code, stdout, stderr = _chop(["chop", samples, "-o", samples, "-n", "4", *extra], capfd)
        assert code == 0, stderr
        assert sorted(p.name for p in samples.iterdir()) == ["a", "a.wav", "b", "b.wav", "kits"]
        assert "_chop01.wav:" not in stdout


def test_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    import resource

    source = tmp_path / "sound.wav"
    sf.write(source, _music(20.0, sr=44100), 44100)

    def small_file_limit():  # a file may not grow past 100 kB: writes fail as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    result = subprocess.run([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(tmp_path / "out"),
                             "-n", "2"], preexec_fn=small_file_limit, capture_output=True, text=True, timeout=120)
    assert result.returncode == 6
    assert result.stderr == (f"samplechop: error: {tmp_path / 'out' / 'sound' / 'sound_chop01.wav'}: "
                             "cannot write (File too large)\n") or (
        result.stderr.count("\n") == 1 and "cannot" in result.stderr and ".part" not in result.stderr)
    assert list((tmp_path / "out").iterdir()) == []


def test_only_the_decoders_own_lines_are_taken_from_standard_error(capfd):
    from samplechop.io.decoder_log import decoder_output

    with decoder_output() as lines:
        os.write(2, b"Note: Illegal Audio-MPEG-Header 0x00000000 at offset 19996.\n"
                    b"analysis of session SECRET failed\n")  # another thread's log line, meanwhile
    assert lines == ["Note: Illegal Audio-MPEG-Header 0x00000000 at offset 19996."]
    assert capfd.readouterr().err == "analysis of session SECRET failed\n"


def test_files_are_read_without_a_standard_error(tmp_path):
    path = tmp_path / "take.mp3"
    sf.write(path, _music(), 22050, format="MP3")
    script = ("import sys; from samplechop.io import audio; "
              f"y, info = audio.load_analysis({str(path)!r}); print(info.frames > 0)")
    result = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, timeout=120, pass_fds=(), close_fds=True,
                            preexec_fn=lambda: os.close(2))
    assert result.returncode == 0 and result.stdout.strip() == "True"

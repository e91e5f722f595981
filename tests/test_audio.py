import numpy as np
import pytest
import soundfile as sf

from samplechop.exceptions import AudioError
from samplechop.io import audio


def _tone(sr, seconds=1.0, channels=2):
    t = np.arange(int(sr * seconds)) / sr
    y = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([y * (0.5 + 0.5 * c / max(channels - 1, 1)) for c in range(channels)], axis=1)


@pytest.mark.parametrize(
    "name, fmt, subtype",
    [("a.wav", "WAV", "PCM_U8"), ("b.wav", "WAV", "PCM_16"), ("c.wav", "WAV", "PCM_24"),
     ("d.wav", "WAV", "PCM_32"), ("e.wav", "WAV", "FLOAT"), ("f.wav", "WAV", "DOUBLE"),
     ("g.aiff", "AIFF", "PCM_16"), ("h.flac", "FLAC", "PCM_24"), ("i.ogg", "OGG", "VORBIS"),
     ("j.mp3", "MP3", "MPEG_LAYER_III")],
)
def test_reads_every_format_and_cuts_losslessly(tmp_path, name, fmt, subtype):
    path = tmp_path / name
    sf.write(path, _tone(44100), 44100, format=fmt, subtype=subtype)
    y, info = audio.load_analysis(path, sr=22050)
    assert info.channels == 2 and info.sr == 44100
    assert y.dtype == np.float32 and abs(y.size - info.frames / 2) <= 2
    assert 0.3 < np.abs(y).max() < 0.6
    # A segment written back keeps the stored samples exactly (lossless sources).
    segment = audio.read_segment(info, 1000, 5000)
    out = tmp_path / "out.wav"
    audio.write_wav(out, segment, sr=info.sr, subtype=audio.output_subtype(info))
    written = sf.info(out)
    assert written.samplerate == 44100 and written.channels == 2
    if subtype not in ("VORBIS", "MPEG_LAYER_III"):
        assert written.subtype == (subtype if subtype != "PCM_S8" else "PCM_U8")
        again = audio.read_segment(audio.probe(out), 0, 4000)
        np.testing.assert_array_equal(again, segment)
    else:
        assert written.subtype == "PCM_24"


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_U8", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_analysis_signal_equals_the_mix_of_libsndfiles_float_samples(tmp_path, subtype, channels):
    # 16- and 8-bit files are read as integers and scaled by load_analysis itself
    path = tmp_path / "x.wav"
    rng = np.random.default_rng(channels)
    sf.write(path, np.clip(rng.normal(0, 0.3, (5000, channels)), -1, 1), 22050, subtype=subtype)
    y, _ = audio.load_analysis(path, sr=22050)
    data = sf.read(path, dtype="float32", always_2d=True)[0]
    expected = data @ np.full(channels, 1.0 / channels, dtype=np.float32)
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("subtype, dtype", [("PCM_16", np.int16), ("PCM_24", np.int32), ("FLOAT", np.float32)])
def test_wav_written_through_python_equals_the_one_libsndfile_writes(tmp_path, subtype, dtype):
    data = audio.from_float(_tone(44100, seconds=0.3) * 0.9, np.dtype(dtype), subtype=subtype)
    audio.write_wav(tmp_path / "ours.wav", data, sr=44100, subtype=subtype)
    sf.write(tmp_path / "direct.wav", data, 44100, subtype=subtype, format="WAV")
    assert (tmp_path / "ours.wav").read_bytes() == (tmp_path / "direct.wav").read_bytes()
    back, sr = sf.read(tmp_path / "ours.wav", dtype=np.dtype(dtype).name)
    assert sr == 44100 and sf.info(tmp_path / "ours.wav").subtype == subtype
    np.testing.assert_array_equal(back, data)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["direct.wav", "ours.wav"]


@pytest.mark.parametrize("subtype, dtype", [
    ("PCM_16", "int16"),  # written by samplechop.io.pcm_wav
    ("FLOAT", "float32"),  # written by libsndfile, calling back into Python
    ("PCM_24", "float32"),  # a lossy source's chops: libsndfile converts
])
def test_wav_that_cannot_be_written_leaves_nothing_behind_and_prints_nothing(tmp_path, subtype, dtype):
    import resource
    import subprocess
    import sys

    (tmp_path / "chop.wav").write_text("an earlier chop")  # an existing output stays as it was
    script = (
        "import numpy as np; from samplechop.io import audio; from samplechop.exceptions import OutputError\n"
        f"data = np.zeros((200_000, 2), dtype={dtype!r})\n"
        "try:\n"
        f"    audio.write_wav({str(tmp_path / 'chop.wav')!r}, data, sr=44100, subtype={subtype!r})\n"
        "except OutputError as error:\n"
        "    print(error)\n"
    )

    def full_disk_at_100_kb():  # writes past 100 kB fail, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    result = subprocess.run([sys.executable, "-c", script], preexec_fn=full_disk_at_100_kb,
                            capture_output=True, text=True, timeout=60)
    assert result.stderr == ""  # no traceback from libsndfile's write callback
    assert result.stdout.strip() == f"{tmp_path / 'chop.wav'}: cannot write (File too large)"
    assert [path.name for path in tmp_path.iterdir()] == ["chop.wav"]
    assert (tmp_path / "chop.wav").read_text() == "an earlier chop"


@pytest.mark.parametrize("sr", [8000, 11025, 48000, 96000, 192000])
def test_any_rate_and_many_channels(tmp_path, sr):
    path = tmp_path / "x.wav"
    sf.write(path, _tone(sr, channels=6), sr, subtype="PCM_16")
    y, info = audio.load_analysis(path, sr=22050)
    assert info.channels == 6
    assert abs(y.size - 22050) <= 2


def test_rate_out_of_range(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, _tone(4000), 4000)
    with pytest.raises(AudioError, match="sample rate 4000"):
        audio.probe(path)


def test_missing_empty_and_not_audio(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        audio.probe(tmp_path / "none.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        audio.probe(tmp_path / "empty.wav")
    (tmp_path / "text.wav").write_text("this is not audio at all, just text " * 20)
    with pytest.raises(AudioError, match="not a readable audio file"):
        audio.probe(tmp_path / "text.wav")


def test_truncated_wav_is_read_up_to_its_end_and_called_damaged(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, _tone(22050, seconds=2.0), 22050, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    y, info = audio.load_analysis(path)
    assert abs(info.duration - 1.0) < 0.01 and y.size == info.frames
    assert len(info.damage) == 1 and info.damage[0].startswith("truncated:")
    assert audio.probe(tmp_path / "x.wav").damage == info.damage


def test_sound_files_have_no_damage(tmp_path):
    for suffix, fmt in ((".wav", "WAV"), (".aiff", "AIFF"), (".flac", "FLAC"), (".ogg", "OGG"), (".mp3", "MP3")):
        path = tmp_path / f"x{suffix}"
        sf.write(path, _tone(22050, seconds=2.0), 22050, format=fmt)
        _, info = audio.load_analysis(path)
        assert info.damage == (), (suffix, info.damage)


def test_nan_in_float_wav(tmp_path):
    y = _tone(22050)
    y[5000, 0] = np.nan
    path = tmp_path / "x.wav"
    sf.write(path, y, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN, infinite"):
        audio.load_analysis(path)
    y[5000, 0] = np.inf
    sf.write(path, y, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN, infinite"):
        audio.load_analysis(path)


def test_from_float_rounds_to_24_bit_grid():
    values = np.array([[0.5], [-1.0], [0.99999999], [1e-9]])
    out = audio.from_float(values, np.int32, subtype="PCM_24")
    assert np.all(out % 256 == 0)
    assert out[1, 0] == -(2**31)

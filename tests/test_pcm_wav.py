import numpy as np
import pytest
import soundfile as sf

from samplechop.io import audio
from samplechop.io.pcm_wav import pcm_wav_bytes, write_pcm_wav

_DTYPES = {"PCM_16": np.int16, "PCM_24": np.int32, "PCM_32": np.int32}


def _samples(subtype, frames, channels, seed=0):
    limits = np.iinfo(_DTYPES[subtype])
    data = np.random.default_rng(seed).integers(limits.min, limits.max, (frames, channels), endpoint=True)
    data = data.astype(_DTYPES[subtype])
    if frames:
        data[0] = limits.min  # the extremes, and 24-bit samples with a nonzero lowest byte
        data[-1] = limits.max
    return data


@pytest.mark.parametrize("subtype", sorted(_DTYPES))
@pytest.mark.parametrize("channels", [1, 2, 3, 6])
@pytest.mark.parametrize("frames", [0, 1, 7, 1000])
@pytest.mark.parametrize("sr", [8000, 44100, 192000])
def test_the_same_bytes_as_libsndfile_writes(tmp_path, subtype, channels, frames, sr):
    data = _samples(subtype, frames, channels)
    sf.write(tmp_path / "libsndfile.wav", data, sr, subtype=subtype, format="WAV")
    (tmp_path / "ours.wav").touch()
    assert write_pcm_wav(tmp_path / "ours.wav", data, sr=sr, subtype=subtype)
    assert (tmp_path / "ours.wav").read_bytes() == (tmp_path / "libsndfile.wav").read_bytes()


@pytest.mark.parametrize("subtype, data", [
    ("FLOAT", np.zeros((10, 2), np.float32)),       # libsndfile adds fact and PEAK chunks
    ("PCM_U8", np.zeros((10, 2), np.int16)),        # converted on the way
    ("PCM_16", np.zeros((10, 2), np.int32)),        # not the subtype's dtype
    ("PCM_16", np.zeros((10, 2), ">i2")),           # not little-endian
    ("PCM_16", np.zeros(10, np.int16)),             # not frames x channels
])
def test_declines_what_only_libsndfile_writes(tmp_path, subtype, data):
    path = tmp_path / "x.wav"
    path.write_bytes(b"untouched")
    assert pcm_wav_bytes(data, subtype) is None
    assert not write_pcm_wav(path, data, sr=44100, subtype=subtype)
    assert path.read_bytes() == b"untouched"


def test_a_chop_of_strided_samples_is_written_in_order(tmp_path):
    data = _samples("PCM_16", 500, 4)[:, ::2]  # not contiguous
    audio.write_wav(tmp_path / "ours.wav", data, sr=22050, subtype="PCM_16")
    sf.write(tmp_path / "libsndfile.wav", data, 22050, subtype="PCM_16", format="WAV")
    assert (tmp_path / "ours.wav").read_bytes() == (tmp_path / "libsndfile.wav").read_bytes()


def test_a_kit_chop_reads_back_as_the_source_samples(tmp_path):
    source = tmp_path / "source.wav"
    sf.write(source, _samples("PCM_24", 3001, 3) & ~0xFF, 48000, subtype="PCM_24")
    info = audio.probe(source)
    segment = audio.read_segment(info, 11, 2990)
    audio.write_wav(tmp_path / "chop.wav", segment, sr=info.sr, subtype=audio.output_subtype(info))
    back = audio.read_segment(audio.probe(tmp_path / "chop.wav"), 0, 10_000)
    np.testing.assert_array_equal(back, segment)


@pytest.mark.parametrize("subtype, dtype", [("PCM_16", np.int16), ("FLOAT", np.float32)])
def test_written_in_place_the_same_file_as_written_atomically(tmp_path, monkeypatch, subtype, dtype):
    """``atomic=False`` (a kit's chops, inside its staging folder) writes the path
    itself, with the same bytes and the usual permissions, and leaves nothing beside."""
    data = (_samples("PCM_16", 300, 2) / 32768.0).astype(dtype) if dtype == np.float32 else _samples("PCM_16", 300, 2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    audio.write_wav(tmp_path / "a" / "chop.wav", data, sr=44100, subtype=subtype)
    monkeypatch.setattr(audio, "atomic_path", None)  # not called: no temporary file, no rename
    audio.write_wav(tmp_path / "b" / "chop.wav", data, sr=44100, subtype=subtype, atomic=False)
    assert [path.name for path in (tmp_path / "b").iterdir()] == ["chop.wav"]
    assert (tmp_path / "b" / "chop.wav").read_bytes() == (tmp_path / "a" / "chop.wav").read_bytes()
    assert (tmp_path / "b" / "chop.wav").stat().st_mode == (tmp_path / "a" / "chop.wav").stat().st_mode

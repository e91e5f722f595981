import threading

import numpy as np
import pytest
import soundfile as sf
import soxr

from samplechop.exceptions import AudioError
from samplechop.io import audio
from samplechop.io.resampling import PipelinedResampler


def _blocks(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(size).astype(np.float32) for size in sizes]


def _resample_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("samplechop-resample")]


@pytest.mark.parametrize("sizes", [[5000], [4096, 4096, 1000], [1, 0, 17, 30_000, 2]])
@pytest.mark.parametrize("rates", [(44100, 22050), (48000, 22050), (8000, 22050)])
def test_the_same_samples_as_one_stream_in_the_callers_thread(sizes, rates):
    blocks = _blocks(sizes)
    stream = soxr.ResampleStream(*rates, 1, dtype="float32")
    expected = np.concatenate([stream.resample_chunk(block) for block in blocks]
                              + [stream.resample_chunk(np.zeros(0, np.float32), last=True)])
    with PipelinedResampler(*rates) as resampler:
        for block in blocks:
            resampler.push(block)
        y = resampler.finish()
    assert y.dtype == np.float32 and y.flags.c_contiguous
    np.testing.assert_array_equal(y, expected)
    assert not _resample_threads()


def test_nothing_pushed_gives_an_empty_signal():
    with PipelinedResampler(44100, 22050) as resampler:
        assert resampler.finish().size == 0


def test_an_error_in_the_resampler_is_raised_in_the_caller():
    with pytest.raises(ValueError):
        with PipelinedResampler(44100, 22050) as resampler:
            resampler.push(np.zeros((10, 3), np.float32))  # two channels too many
            resampler.push(np.zeros(10, np.float32))
    assert not _resample_threads()


def test_an_interruption_waits_for_the_block_in_flight_and_leaves_no_thread():
    with pytest.raises(KeyboardInterrupt):
        with PipelinedResampler(44100, 22050) as resampler:
            for block in _blocks([1 << 18] * 3):
                resampler.push(block)
            raise KeyboardInterrupt
    assert not _resample_threads()


@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
@pytest.mark.parametrize("sr", [44100, 22050])
def test_a_file_read_in_many_blocks_equals_the_resampled_mix(tmp_path, monkeypatch, subtype, sr):
    monkeypatch.setattr(audio, "_BLOCK_FRAMES", 4096)
    path = tmp_path / "x.wav"
    data = np.clip(np.random.default_rng(1).normal(0, 0.3, (50_000, 2)), -1, 1)
    sf.write(path, data, sr, subtype=subtype)
    y, _ = audio.load_analysis(path, sr=22050)
    mono = sf.read(path, dtype="float32", always_2d=True)[0] @ np.full(2, 0.5, dtype=np.float32)
    if sr != 22050:
        stream = soxr.ResampleStream(sr, 22050, 1, dtype="float32")
        mono = np.concatenate([stream.resample_chunk(mono[start : start + 4096])
                               for start in range(0, mono.size, 4096)]
                              + [stream.resample_chunk(np.zeros(0, np.float32), last=True)])
    np.testing.assert_array_equal(y, mono)


def test_bad_samples_midway_stop_the_read_with_no_thread_left(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "_BLOCK_FRAMES", 4096)
    path = tmp_path / "x.wav"
    data = np.zeros((40_000, 2), np.float32)
    data[30_000, 1] = np.nan
    sf.write(path, data, 44100, subtype="FLOAT")
    with pytest.raises(AudioError, match="NaN"):
        audio.load_analysis(path, sr=22050)
    assert not _resample_threads()


@pytest.mark.parametrize("promised", [0, 10, 50_000, 52_000, 1_000_000])
def test_more_or_fewer_samples_than_promised_give_the_same_signal(promised):
    blocks = _blocks([20_000, 30_000, 1])
    with PipelinedResampler(44100, 22050) as resampler:
        for block in blocks:
            resampler.push(block)
        expected = resampler.finish()
    with PipelinedResampler(44100, 22050, frames=promised) as resampler:
        for block in blocks:
            resampler.push(block)
        y = resampler.finish()
    np.testing.assert_array_equal(y, expected)
    assert y.base is None or y.base.size < 2 * y.size + 64  # no large array kept behind it

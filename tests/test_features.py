from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from samplechop import constants
from samplechop.exceptions import ParameterError
from samplechop.spectral import features


def test_filterbank_rows_sum_to_one():
    weights = features.semitone_filterbank()
    assert weights.shape == (constants.N_FFT // 2 + 1, constants.N_BINS)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=1e-5)


def test_filterbank_rejects_bins_past_nyquist():
    with pytest.raises(ParameterError, match="Nyquist"):
        features.semitone_filterbank(sr=8000, n_bins=84)


@pytest.mark.parametrize("midi", [48, 57, 69, 81, 96])
def test_tone_lands_in_its_semitone_bin(midi):
    sr = constants.SAMPLE_RATE
    t = np.arange(sr) / sr
    y = np.sin(2 * np.pi * 440 * 2 ** ((midi - 69) / 12) * t).astype(np.float32)
    spec = features.log_spectrogram(y)
    expected_bin = midi - 36  # C2 is MIDI 36
    assert int(np.argmax(spec[20:-20].mean(axis=0))) == expected_bin


def test_frames_and_chunking_agree():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(constants.HOP_LENGTH * 9000 + 17).astype(np.float32)
    spec = features.log_spectrogram(y)
    assert spec.shape == (features.n_frames(y.size, hop_length=constants.HOP_LENGTH), constants.N_BINS)
    whole = features.stft_magnitude(y, start_frame=4090, stop_frame=4100)
    expected = np.log1p(whole @ features.semitone_filterbank())
    np.testing.assert_allclose(spec[4090:4100], expected, rtol=1e-5, atol=1e-6)
    # the spectrogram computes only the bins its filters weigh: the lowest ones, unchanged
    lowest = features.stft_magnitude(y, start_frame=4090, stop_frame=4100, n_freqs=300)
    np.testing.assert_array_equal(lowest, whole[:, :300])


LOW = {"n_fft_low": 8192, "low_bins": 24}


def test_low_bands_resolve_every_bass_semitone():
    sr = constants.SAMPLE_RATE
    t = np.arange(2 * sr) / sr
    found_long, found_short = [], []
    for midi in range(37, 60):  # C#2 .. B3: the bands the longer FFT serves
        y = np.sin(2 * np.pi * 440 * 2 ** ((midi - 69) / 12) * t).astype(np.float32)
        found_long.append(int(np.argmax(features.log_spectrogram(y, **LOW)[30:-30, :24].mean(axis=0))))
        found_short.append(int(np.argmax(features.log_spectrogram(y)[30:-30, :24].mean(axis=0))))
    expected = [midi - 36 for midi in range(37, 60)]
    assert found_long == expected
    assert found_short != expected  # a 2048-point FFT cannot tell these semitones apart


def test_low_bands_leave_the_upper_bands_and_chunking_alone():
    rng = np.random.default_rng(3)
    y = rng.standard_normal(constants.HOP_LENGTH * 4200 + 5).astype(np.float32)
    plain, low = features.log_spectrogram(y), features.log_spectrogram(y, **LOW)
    assert low.shape == plain.shape
    np.testing.assert_array_equal(low[:, 24:], plain[:, 24:])
    # the resampled short STFT stands for an 8192-point FFT at the full rate (chunk edge at 4096)
    whole = features.stft_magnitude(y, n_fft=8192, start_frame=4090, stop_frame=4100)
    weights = features.semitone_filterbank(n_fft=8192)[:, :24] * (constants.N_FFT / 8192)
    np.testing.assert_allclose(low[4090:4100, :24], np.log1p(whole @ weights), atol=2e-3)


def test_low_bands_settings_are_checked():
    with pytest.raises(ParameterError, match="low_bins"):
        features.log_spectrogram(np.zeros(4096, np.float32), n_fft_low=8192, low_bins=85)
    with pytest.raises(ParameterError, match="even"):
        features.log_spectrogram(np.zeros(4096, np.float32), n_fft_low=5001, low_bins=24)
    # frame sizes that resample by less still give one row per frame
    for n_fft_low in (5000, 4096, 2050):
        spec = features.log_spectrogram(np.ones(4096, np.float32), n_fft_low=n_fft_low, low_bins=24)
        assert spec.shape == (9, constants.N_BINS)


def test_features_and_one_fft_share_the_short_stft_and_agree_with_each_path():
    y = np.random.default_rng(4).standard_normal(constants.HOP_LENGTH * 900).astype(np.float32)
    config = dict(features.DEFAULT_FEATURES)
    found, one_fft = features.features_and_one_fft(y, config)
    np.testing.assert_array_equal(found, features.compute_features(y, config))
    np.testing.assert_array_equal(one_fft, features.log_spectrogram(y))
    assert not np.array_equal(found[:, :constants.LOW_BINS], one_fft[:, :constants.LOW_BINS])
    plain = {key: value for key, value in config.items() if key not in ("n_fft_low", "low_bins")}
    found, one_fft = features.features_and_one_fft(y, plain)
    assert found is one_fft


def test_features_on_threads_equal_those_on_one():
    config = features.DEFAULT_FEATURES
    y = np.random.default_rng(8).standard_normal(constants.HOP_LENGTH * 3100 + 11).astype(np.float32)
    alone = features.features_and_one_fft(y, config)
    for threads in (2, 3):
        on_threads = features.features_and_one_fft(y, config, threads=threads)
        for expected, found in zip(alone, on_threads):
            np.testing.assert_array_equal(found, expected)
    assert not np.array_equal(alone[0], alone[1])  # the low bands differ: both were computed


def test_an_error_in_one_chunk_stops_the_others(monkeypatch):
    real = features.stft_magnitude
    computed = []

    def failing_first(y, **kwargs):
        if kwargs.get("start_frame") == 0 and kwargs.get("n_fft") == constants.N_FFT:
            raise MemoryError("no memory for this chunk")
        computed.append(kwargs.get("start_frame"))
        return real(y, **kwargs)

    monkeypatch.setattr(features, "stft_magnitude", failing_first)
    y = np.zeros(constants.HOP_LENGTH * features._CHUNK_FRAMES * 40, dtype=np.float32)
    pool = ThreadPoolExecutor(2)
    with pytest.raises(MemoryError):
        features.log_spectrogram(y, pool=pool)
    pool.shutdown(wait=True)  # as features_and_one_fft's pool does on the way out
    assert len(computed) < 20  # the 39 other chunks were cancelled, not computed

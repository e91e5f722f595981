import numpy as np
import pytest

from samplechop import constants
from samplechop.exceptions import ParameterError
from samplechop.spectral import features, harmonic

RATE = constants.SAMPLE_RATE / constants.HOP_LENGTH


def test_harmonic_spectra_separate_chords_and_ignore_clicks():
    sr = constants.SAMPLE_RATE
    t = np.arange(2 * sr) / sr
    c_major = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0))
    f_sharp = sum(np.sin(2 * np.pi * f * t) for f in (370.0, 466.2, 554.4))
    y = np.concatenate([c_major, f_sharp, c_major]).astype(np.float32) * 0.2
    # a loud click on top of the third section must not make it differ from the first
    y[int(4.3 * sr): int(4.3 * sr) + 20] += 0.9
    spectrogram = features.log_spectrogram(y)
    spectra = harmonic.harmonic_spectra(spectrogram, np.array([0.5, 2.5, 4.2]), frame_rate=RATE)
    distance = lambda a, b: np.linalg.norm(spectra[a] - spectra[b])  # noqa: E731
    assert distance(0, 2) < 0.5 * distance(0, 1)
    np.testing.assert_allclose(np.linalg.norm(spectra, axis=1), 1.0, rtol=1e-5)


def test_mirrored_index_repeats_the_edges():
    np.testing.assert_array_equal(harmonic.mirrored_index(np.arange(-4, 8), 4),
                                  [3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0])


@pytest.mark.parametrize("shape", [(40, 84), (61, 9), (7, 5)])
@pytest.mark.parametrize("size", [1, 3, 9, 17])
def test_median_filter_equals_scipy_reflect(shape, size):
    ndimage = pytest.importorskip("scipy.ndimage")
    values = np.random.default_rng(size).standard_normal(shape).astype(np.float32)
    for axis in (0, 1):
        if size // 2 > shape[axis]:
            continue  # scipy extends arrays shorter than half the window differently
        sizes = [1, 1]
        sizes[axis] = size
        expected = ndimage.median_filter(values, size=tuple(sizes), mode="reflect")
        np.testing.assert_array_equal(harmonic.median_filter(values, size, axis=axis), expected)


def _spectrum_of_one_window(log_spectrogram, time, *, span=22, reach=8, kernel_bins=9):
    """One time's spectrum from the frames around it alone, with scipy's median filter:
    what the filters over the frames a spectrum reads must equal."""
    ndimage = pytest.importorskip("scipy.ndimage")
    total = log_spectrogram.shape[0]
    first = min(max(0, int(round(time * RATE))), total - 1)
    last = min(total, first + span)
    lo, hi = max(0, first - reach), min(total, last + reach)
    magnitude = np.expm1(log_spectrogram[lo:hi].astype(np.float32))
    h = ndimage.median_filter(magnitude, size=(2 * reach + 1, 1), mode="reflect").astype(np.float64) ** 2
    p = ndimage.median_filter(magnitude, size=(1, kernel_bins), mode="reflect").astype(np.float64) ** 2
    mask = np.divide(h, h + p, out=np.full_like(h, 0.5), where=h + p > 0).astype(np.float32)
    spectrum = np.log1p((magnitude * mask)[first - lo: last - lo]).mean(axis=0)
    return spectrum / np.linalg.norm(spectrum)


def test_spectra_equal_those_of_each_window_alone_up_to_the_file_edges():
    y = np.random.default_rng(5).standard_normal(constants.HOP_LENGTH * 300).astype(np.float32)
    spectrogram = features.log_spectrogram(y)
    end = spectrogram.shape[0] / RATE
    times = np.array([0.0, 0.05, 1.0, 1.1, 3.3, end - 0.3, end - 0.01, end + 2.0])
    spectra = harmonic.harmonic_spectra(spectrogram, times, frame_rate=RATE)
    for row, time in enumerate(times):
        np.testing.assert_array_equal(spectra[row], _spectrum_of_one_window(spectrogram, time))


def test_many_times_equal_each_time_alone():
    y = np.random.default_rng(6).standard_normal(constants.HOP_LENGTH * 900).astype(np.float32)
    spectrogram = features.log_spectrogram(y)
    times = np.random.default_rng(7).uniform(0, spectrogram.shape[0] / RATE, 3 * harmonic._TIMES_PER_BLOCK + 5)
    together = harmonic.harmonic_spectra(spectrogram, times, frame_rate=RATE)
    alone = np.vstack([harmonic.harmonic_spectra(spectrogram, times[i: i + 1], frame_rate=RATE)
                       for i in range(times.size)])
    np.testing.assert_array_equal(together, alone)


def test_silence_gives_zero_rows_and_even_kernels_are_refused():
    silent = np.zeros((100, 84), dtype=np.float32)
    assert not harmonic.harmonic_spectra(silent, np.array([0.5, 1.0]), frame_rate=RATE).any()
    assert harmonic.harmonic_spectra(silent, np.array([]), frame_rate=RATE).shape == (0, 84)
    with pytest.raises(ParameterError, match="odd"):
        harmonic.harmonic_spectra(silent, np.array([0.5]), frame_rate=RATE, kernel_frames=16)

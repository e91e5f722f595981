"""Network layers in plain numpy, for inference without PyTorch.

Shapes follow the time-major layout of the chopping path: a sequence is
``(frames, channels)`` and a spectrogram-like map ``(frames, bins, channels)``.
Weights keep PyTorch's layout (``(out, in, kernel...)``) so that a state dict loads
unchanged. Every convolution is zero-padded to keep the length ("same").
"""

from __future__ import annotations

import numpy as np

__all__ = ["relu", "sigmoid", "conv1d", "conv2d", "max_pool_bins"]


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit, in place."""
    return np.maximum(x, 0.0, out=x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large ``|x|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, *, dilation: int = 1) -> np.ndarray:
    """1-D convolution over time with "same" zero padding.

    Parameters
    ----------
    x : np.ndarray [shape=(frames, in_channels)]
    weight : np.ndarray [shape=(out_channels, in_channels, kernel_size)], odd kernel size
    bias : np.ndarray [shape=(out_channels,)]
    dilation : int >= 1

    Returns
    -------
    y : np.ndarray [shape=(frames, out_channels)]
    """
    out_channels, in_channels, kernel_size = weight.shape
    frames = x.shape[0]
    if kernel_size == 1:
        return x @ weight[:, :, 0].T + bias
    pad = dilation * (kernel_size - 1) // 2
    padded = np.zeros((frames + 2 * pad, in_channels), dtype=x.dtype)
    padded[pad : pad + frames] = x
    if in_channels * kernel_size <= 256 and dilation == 1:
        # Few inputs, long kernel (the seed network): one product over all taps.
        windows = np.lib.stride_tricks.sliding_window_view(padded, kernel_size, axis=0)
        flat = windows.reshape(frames, in_channels * kernel_size)
        return flat @ weight.reshape(out_channels, -1).T + bias
    y = np.empty((frames, out_channels), dtype=x.dtype)
    y[:] = bias
    for tap in range(kernel_size):
        offset = tap * dilation
        y += padded[offset : offset + frames] @ weight[:, :, tap].T
    return y


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """2-D convolution over (time, bins) with "same" zero padding.

    Parameters
    ----------
    x : np.ndarray [shape=(frames, bins, in_channels)]
    weight : np.ndarray [shape=(out_channels, in_channels, k_time, k_bins)], odd kernels
    bias : np.ndarray [shape=(out_channels,)]

    Returns
    -------
    y : np.ndarray [shape=(frames, bins, out_channels)]
    """
    out_channels, in_channels, k_time, k_bins = weight.shape
    frames, bins, _ = x.shape
    pad_t, pad_b = k_time // 2, k_bins // 2
    padded = np.zeros((frames + 2 * pad_t, bins + 2 * pad_b, in_channels), dtype=x.dtype)
    padded[pad_t : pad_t + frames, pad_b : pad_b + bins] = x
    # im2col: every (time, bin) position's receptive patch as one row, then one product.
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k_time, k_bins), axis=(0, 1))
    # windows: (frames, bins, in_channels, k_time, k_bins), the layout of weight's last axes.
    columns = windows.reshape(frames * bins, in_channels * k_time * k_bins)
    y = columns @ weight.reshape(out_channels, -1).T + bias
    return y.reshape(frames, bins, out_channels)


def max_pool_bins(x: np.ndarray, size: int) -> np.ndarray:
    """Max-pool over bins by ``size`` (a trailing remainder is dropped).

    Parameters
    ----------
    x : np.ndarray [shape=(frames, bins, channels)]

    Returns
    -------
    y : np.ndarray [shape=(frames, bins // size, channels)]
    """
    frames, bins, channels = x.shape
    kept = (bins // size) * size
    return x[:, :kept].reshape(frames, bins // size, size, channels).max(axis=2)

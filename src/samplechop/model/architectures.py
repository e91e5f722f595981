"""The network architectures, as forward passes in numpy.

``chopnet`` (the default)
    A 2-D convolutional front end over the semitone spectrogram (it sees which notes
    sound, and is nearly invariant to transposition), pooled over bins, projected to
    a sequence of ``channels`` values per frame (with ``pitch_skip``, together with
    the input frame itself at semitone resolution, which is not transposition
    invariant), then a stack of residual dilated
    temporal convolutions (dilations 1, 2, 4, ..., 64, then 1, 2, ..., 32 again) that
    gives each frame about +-4.5 s of context in both directions, and a per-frame
    logistic output.
``seed``
    The original design: a window of 2 * context + 1 frames of the summed-CQT curve
    into a deep feed-forward network (written as a convolution over time, which is
    the same network applied at every frame).

The PyTorch definitions in :mod:`samplechop.training.networks` use the same
parameter names and layouts; a test checks that both give the same output.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from ..exceptions import ModelError
from .layers import conv1d, conv2d, max_pool_bins, relu

__all__ = ["ARCHITECTURES", "receptive_field", "forward", "default_architecture", "seed_architecture"]

Params = Mapping[str, np.ndarray]


def default_architecture() -> dict[str, Any]:
    """Hyper-parameters of the default ``chopnet`` network."""
    return {
        "name": "chopnet",
        "front_channels": [8, 16],
        "pool": 3,
        "channels": 96,
        "kernel_size": 3,
        "dilations": [1, 2, 4, 8, 16, 32, 64, 1, 2, 4, 8, 16, 32],
        "pitch_skip": True,
    }


def seed_architecture(context: int = 30) -> dict[str, Any]:
    """Hyper-parameters of the original design's feed-forward network."""
    return {"name": "seed", "context": context, "hidden": [256, 128, 64]}


def _chopnet_forward(x: np.ndarray, params: Params, arch: Mapping[str, Any]) -> np.ndarray:
    h = x[:, :, None]
    for index in range(len(arch["front_channels"])):
        h = relu(conv2d(h, params[f"front.{index}.weight"], params[f"front.{index}.bias"]))
        h = max_pool_bins(h, int(arch["pool"]))
    frames = h.shape[0]
    h = np.ascontiguousarray(h.transpose(0, 2, 1)).reshape(frames, -1)
    if arch.get("pitch_skip", False):
        h = np.concatenate([h, x], axis=1)
    h = relu(conv1d(h, params["project.weight"], params["project.bias"]))
    for index, dilation in enumerate(arch["dilations"]):
        r = relu(conv1d(h, params[f"blocks.{index}.dilated.weight"],
                        params[f"blocks.{index}.dilated.bias"], dilation=int(dilation)))
        h = h + conv1d(r, params[f"blocks.{index}.mix.weight"], params[f"blocks.{index}.mix.bias"])
    return conv1d(h, params["head.weight"], params["head.bias"])[:, 0]


def _chopnet_receptive(arch: Mapping[str, Any]) -> int:
    half_kernel = (int(arch["kernel_size"]) - 1) // 2
    return len(arch["front_channels"]) + half_kernel * sum(int(d) for d in arch["dilations"])


def _seed_forward(x: np.ndarray, params: Params, arch: Mapping[str, Any]) -> np.ndarray:
    h = x
    for index in range(len(arch["hidden"])):
        h = relu(conv1d(h, params[f"layers.{index}.weight"], params[f"layers.{index}.bias"]))
    return conv1d(h, params["head.weight"], params["head.bias"])[:, 0]


def _seed_receptive(arch: Mapping[str, Any]) -> int:
    return int(arch["context"])


#: name -> (forward pass returning logits, receptive half-width in frames)
ARCHITECTURES: dict[str, tuple[Callable[..., np.ndarray], Callable[[Mapping[str, Any]], int]]] = {
    "chopnet": (_chopnet_forward, _chopnet_receptive),
    "seed": (_seed_forward, _seed_receptive),
}


def _lookup(arch: Mapping[str, Any]):
    try:
        return ARCHITECTURES[arch["name"]]
    except KeyError:
        raise ModelError(f"unknown architecture {arch.get('name')!r}") from None


def receptive_field(arch: Mapping[str, Any]) -> int:
    """Frames of context either side that one output frame depends on."""
    return _lookup(arch)[1](arch)


def forward(x: np.ndarray, params: Params, arch: Mapping[str, Any]) -> np.ndarray:
    """Logits of one sequence.

    Parameters
    ----------
    x : np.ndarray [shape=(frames, features), dtype=float32]
        Normalised input features.
    params : mapping of str to np.ndarray
        Weights, named as in the PyTorch state dict.
    arch : mapping
        Architecture hyper-parameters (``name`` and its settings).

    Returns
    -------
    logits : np.ndarray [shape=(frames,)]
    """
    try:
        return _lookup(arch)[0](x, params, arch)
    except KeyError as error:
        raise ModelError(f"model weights lack {error}") from None
    except ValueError as error:
        raise ModelError(f"model weights do not fit the architecture ({error})") from None

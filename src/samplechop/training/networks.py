"""PyTorch definitions of the architectures in :mod:`samplechop.model.architectures`.

Parameter names and layouts match the numpy forward passes, so a state dict
exported with :func:`export_params` runs unchanged without PyTorch.
Inputs are batches of normalised feature sequences ``(batch, frames, features)``;
outputs are logits ``(batch, frames)``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..exceptions import ModelError

__all__ = ["ChopNet", "SeedNet", "build_network", "export_params"]


class ResidualBlock(nn.Module):
    """A dilated temporal convolution, ReLU, a 1x1 mix, added back to its input."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.dilated = nn.Conv1d(channels, channels, kernel_size, dilation=dilation,
                                 padding=dilation * (kernel_size - 1) // 2)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(self.dropout(F.relu(self.dilated(x))))


class ChopNet(nn.Module):
    """2-D convolutional front end on the semitone spectrogram, then a dilated TCN.

    With ``pitch_skip`` the input frame itself, at semitone resolution, joins the
    pooled front end's output before the projection to the temporal stack.
    """

    def __init__(self, n_features: int, *, front_channels: list[int], pool: int, channels: int,
                 kernel_size: int, dilations: list[int], dropout: float = 0.1,
                 pitch_skip: bool = False, **_: Any) -> None:
        super().__init__()
        self.pool = pool
        self.pitch_skip = bool(pitch_skip)
        layers = []
        bins, previous = n_features, 1
        for width in front_channels:
            layers.append(nn.Conv2d(previous, width, 3, padding=1))
            previous, bins = width, bins // pool
        self.front = nn.ModuleList(layers)
        skip = n_features if self.pitch_skip else 0
        self.project = nn.Conv1d(previous * bins + skip, channels, 1)
        self.blocks = nn.ModuleList(
            ResidualBlock(channels, kernel_size, int(d), dropout) for d in dilations
        )
        self.head = nn.Conv1d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.unsqueeze(1)  # (batch, 1, frames, bins)
        for conv in self.front:
            h = F.relu(conv(h))
            h = F.max_pool2d(h, kernel_size=(1, self.pool))
        batch, width, frames, bins = h.shape
        h = h.permute(0, 1, 3, 2).reshape(batch, width * bins, frames)
        if self.pitch_skip:
            h = torch.cat([h, x.transpose(1, 2)], dim=1)
        h = F.relu(self.project(h))
        for block in self.blocks:
            h = block(h)
        return self.head(h)[:, 0, :]


class SeedNet(nn.Module):
    """The original design: a feed-forward network on 2 * context + 1 frames of one value."""

    def __init__(self, n_features: int, *, context: int, hidden: list[int], dropout: float = 0.1,
                 **_: Any) -> None:
        super().__init__()
        layers = []
        previous, kernel = n_features, 2 * context + 1
        for width in hidden:
            layers.append(nn.Conv1d(previous, width, kernel, padding=kernel // 2))
            previous, kernel = width, 1
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Conv1d(previous, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for layer in self.layers:
            h = self.dropout(F.relu(layer(h)))
        return self.head(h)[:, 0, :]


def build_network(architecture: Mapping[str, Any], n_features: int) -> nn.Module:
    """Build the PyTorch network that an architecture configuration names."""
    settings = {key: value for key, value in architecture.items() if key != "name"}
    if architecture["name"] == "chopnet":
        return ChopNet(n_features, **settings)
    if architecture["name"] == "seed":
        return SeedNet(n_features, **settings)
    raise ModelError(f"unknown architecture {architecture['name']!r}")


def export_params(network: nn.Module) -> dict[str, np.ndarray]:
    """The network's weights as float32 numpy arrays, named as in its state dict."""
    return {name: tensor.detach().cpu().numpy().astype(np.float32)
            for name, tensor in network.state_dict().items()}

"""The trained network as an ONNX graph, for onnxruntime on the chopping path."""

from __future__ import annotations

import io
import warnings

import torch

from ..exceptions import ModelError

__all__ = ["onnx_graph", "params_graph"]


def onnx_graph(network: torch.nn.Module, n_features: int) -> bytes:
    """Export a network (inputs ``(1, frames, n_features)``, any number of frames).

    Raises
    ------
    ModelError
        When the exporter is not available (it needs the ``onnx`` package).
    """
    network = network.eval()
    example = torch.zeros(1, 64, n_features)
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(network, (example,), buffer, input_names=["x"], output_names=["logits"],
                              dynamic_axes={"x": {1: "frames"}, "logits": {1: "frames"}}, dynamo=False)
    except Exception as error:  # the exporter raises many kinds
        raise ModelError(f"cannot export the network to ONNX ({error}); pip install onnx") from None
    return buffer.getvalue()


def params_graph(architecture, params, n_features: int) -> bytes:
    """The ONNX graph of a network given by its architecture and weights (as a model
    file stores them)."""
    from .networks import build_network

    network = build_network(architecture, n_features)
    network.load_state_dict({name: torch.from_numpy(value) for name, value in params.items()})
    return onnx_graph(network, n_features)


def add_onnx_graph(path) -> None:
    """Rewrite a model file with its ONNX graph (for model files written without one).

    ``python -m samplechop.training.export MODEL.npz``
    """
    import numpy as np

    from ..model import load_model, save_model

    model = load_model(path)
    save_model(path, features=model.features, architecture=model.architecture, params=model.params,
               input_mean=model.input_mean, input_std=np.asarray(model.input_std), threshold=model.threshold,
               training=model.training, onnx=params_graph(model.architecture, model.params, model.input_mean.size))


if __name__ == "__main__":  # pragma: no cover
    import sys

    for argument in sys.argv[1:]:
        add_onnx_graph(argument)
        print(f"{argument}: ONNX graph added")

"""A model between two models: the weights of a fine-tuned model and of the model it
was tuned from, mixed.

Fine-tuning on new data can gain where that data resembles the target and lose
elsewhere; the model whose weights lie part way between the two often keeps most of
both (weight-space ensembling). Both models must share the architecture, the
features and the input normalisation (as a model and its ``train --init`` fine-tune
do). The candidate threshold is chosen on a data set's validation files by the rule
``samplechop train`` uses.

``python -m samplechop.training.interpolate BASE TUNED --alpha 0.5 --data DATA -o OUT.npz``
"""

from __future__ import annotations

import argparse
import os
from typing import Optional

import numpy as np

from ..exceptions import ModelError
from ..model import ChopModel, load_model, save_model
from .export import params_graph
from .train import _candidate_threshold, peak_hits

__all__ = ["interpolate_models", "validation_threshold"]


def validation_threshold(model: ChopModel, data: os.PathLike | str) -> float:
    """The candidate threshold of ``model`` on the validation files of a data set: the
    highest that keeps 95% of the labelled points some peak finds (as ``train`` sets it)."""
    from ..dataset.store import open_dataset

    dataset = open_dataset(data)
    values, hits, label_total = [], [], 0
    for entry, features, _ in dataset.iter_arrays("valid"):
        labels = np.asarray(entry.labels)
        peak_values, peak_near = peak_hits(model.predict(np.asarray(features, dtype=np.float32)), labels,
                                           frame_rate=dataset.frame_rate)
        values.append(peak_values)
        hits.append(peak_near)
        label_total += labels.size
    if not values:
        raise ModelError(f"{data}: no validation files to choose a threshold on")
    return _candidate_threshold(np.concatenate(values), np.concatenate(hits), label_total)


def interpolate_models(base: os.PathLike | str, tuned: os.PathLike | str, *, alpha: float,
                       output: os.PathLike | str, data: Optional[os.PathLike | str] = None) -> ChopModel:
    """Write the model whose weights are ``(1 - alpha) * base + alpha * tuned``.

    Parameters
    ----------
    base, tuned : path-like
        Model files of one architecture, features and input normalisation.
    alpha : float in [0, 1]
        The share of ``tuned``.
    output : path-like
        The model file to write (with its ONNX graph).
    data : path-like, optional
        A data set whose validation files set the threshold (default: the mixed
        thresholds of the two models).

    Returns
    -------
    ChopModel
        The model written.

    Raises
    ------
    ModelError
        When the two models differ in architecture, features or normalisation, or
        ``alpha`` lies outside [0, 1].
    """
    if not 0.0 <= alpha <= 1.0:
        raise ModelError(f"alpha must be in [0, 1], got {alpha}")
    a, b = load_model(base), load_model(tuned)
    if (a.architecture != b.architecture or a.features != b.features or a.params.keys() != b.params.keys()
            or not np.array_equal(a.input_mean, b.input_mean) or not np.array_equal(a.input_std, b.input_std)):
        raise ModelError(f"{tuned}: not a fine-tune of {base} (architecture, features or normalisation differ)")
    params = {name: ((1.0 - alpha) * a.params[name] + alpha * b.params[name]).astype(np.float32) for name in a.params}
    training = {"interpolated": {"base": str(base), "tuned": str(tuned), "alpha": alpha,
                                 "base_training": a.training, "tuned_training": b.training}}
    graph = params_graph(a.architecture, params, a.input_mean.size)
    model = ChopModel(features=a.features, architecture=a.architecture, params=params, input_mean=a.input_mean,
                      input_std=a.input_std, threshold=(1.0 - alpha) * a.threshold + alpha * b.threshold,
                      training=training, onnx=graph)
    if data is not None:
        model.threshold = validation_threshold(model, data)
        training["threshold_from"] = str(data)
    save_model(output, features=model.features, architecture=model.architecture, params=params,
               input_mean=model.input_mean, input_std=model.input_std, threshold=model.threshold,
               training=training, onnx=graph)
    return load_model(output)


def main() -> None:  # pragma: no cover - a thin command line over interpolate_models
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("base", help="model file the other was tuned from (alpha 0)")
    parser.add_argument("tuned", help="model file tuned from BASE (alpha 1)")
    parser.add_argument("--alpha", type=float, required=True, help="share of the tuned model's weights")
    parser.add_argument("--data", default=None, help="data set whose validation files set the threshold")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    model = interpolate_models(args.base, args.tuned, alpha=args.alpha, output=args.output, data=args.data)
    print(f"{args.output}: alpha {args.alpha:g}, threshold {model.threshold:.2f}")


if __name__ == "__main__":  # pragma: no cover
    main()

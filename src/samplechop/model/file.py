"""The model file: weights plus a small JSON of what the model was built with.

A model file is a numpy ``.npz`` archive, stored without compression (read with
``allow_pickle=False``): one array per weight, named as in the PyTorch state dict, the
input normalisation (``input.mean``, ``input.std``), and ``meta.json``: a UTF-8 JSON
document as a uint8 array, holding

* ``format``: ``"samplechop-model"`` and ``version``;
* ``features``: the feature settings (see :mod:`samplechop.spectral.features`);
* ``architecture``: the network's name and hyper-parameters;
* ``threshold``: the default candidate threshold for this model;
* ``training``: how it was trained (data, steps, validation score), for the record.

and, optionally, ``network.onnx``: the same network as an ONNX graph (uint8 bytes),
written by ``samplechop train``. When onnxruntime is installed (it is a dependency
of the package) the network runs there, about four times faster than in numpy on a
3-minute file (see docs/benchmarks.md); otherwise, and for models without the
graph, the numpy forward pass of :mod:`samplechop.model.architectures` runs, which
is also the reference the ONNX graph is tested against.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np

from ..cores import available_cores
from ..exceptions import ModelError
from ..io.fileio import atomic_write_bytes
from .architectures import forward, receptive_field
from .layers import sigmoid

__all__ = ["DEFAULT_MODEL_PATH", "ChopModel", "load_model", "save_model", "MODEL_FORMAT"]

MODEL_FORMAT = "samplechop-model"
MODEL_VERSION = 1

#: The model shipped inside the package.
DEFAULT_MODEL_PATH = Path(__file__).with_name("default.npz")

#: Most output frames computed per chunk; chunks overlap by the receptive field, and
#: give the same scores as one pass over the whole sequence (tests/test_model.py).
_CHUNK_FRAMES = 4096

#: Chunks of the network run side by side on this many threads, one onnxruntime
#: thread each: faster on two cores than onnxruntime's two threads per run with the
#: chunks in turn (docs/experiments.md, "the library call to 1000x").
NETWORK_THREADS = min(2, available_cores())


@dataclass
class ChopModel:
    """A loaded chop model.

    Attributes
    ----------
    features : dict
        Feature settings the model reads.
    architecture : dict
        Network name and hyper-parameters.
    params : dict of str to np.ndarray
        Weights (float32).
    input_mean, input_std : np.ndarray [shape=(feature_size,)]
        Input normalisation.
    threshold : float
        Default candidate threshold.
    training : dict
        Training record.
    path : Path or None
        Where it was loaded from.
    """

    features: dict[str, Any]
    architecture: dict[str, Any]
    params: dict[str, np.ndarray]
    input_mean: np.ndarray
    input_std: np.ndarray
    threshold: float = 0.5
    training: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    onnx: Optional[bytes] = field(default=None, repr=False)
    _session: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.onnx is not None:
            try:
                import onnxruntime
            except ImportError:
                return
            options = onnxruntime.SessionOptions()
            # Without this, onnxruntime's worker threads keep spinning after each run and
            # slow the numpy work that follows: 30 ms of a 3-minute file's analysis and
            # selection (docs/benchmarks.md).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # Without its memory arena, onnxruntime takes the network's activations from
            # malloc, which hands back the memory the features freed: the command's peak
            # memory on a 3-minute file falls from 200 MB to 174 MB, for 0.01 s more per
            # file (docs/benchmarks.md).
            options.enable_cpu_mem_arena = False
            # One thread per run: predict() runs chunks side by side instead (NETWORK_THREADS).
            options.intra_op_num_threads = 1
            try:
                self._session = onnxruntime.InferenceSession(
                    self.onnx, sess_options=options, providers=["CPUExecutionProvider"])
            except Exception as error:  # onnxruntime raises its own exception types
                raise ModelError(f"{self.path}: its ONNX graph does not load ({error})") from None

    @property
    def runtime(self) -> str:
        """``"onnxruntime"`` or ``"numpy"``: what runs the network."""
        return "onnxruntime" if self._session is not None else "numpy"

    def _logits(self, x: np.ndarray) -> np.ndarray:
        if self._session is not None:
            return self._session.run(None, {"x": x[None]})[0][0]
        return forward(x, self.params, self.architecture)

    @property
    def context_frames(self) -> int:
        """Frames of context either side of an output frame."""
        return receptive_field(self.architecture)

    @property
    def n_parameters(self) -> int:
        """Number of trained weights."""
        return int(sum(value.size for value in self.params.values()))

    def predict(self, features: np.ndarray, *, progress: Optional[Callable[[int], None]] = None,
                threads: Optional[int] = None) -> np.ndarray:
        """Chop probability of every frame.

        Long inputs are processed in overlapping chunks; the result equals one pass
        over the whole sequence, with bounded memory. With onnxruntime, the chunks
        run side by side on ``threads`` threads (default :data:`NETWORK_THREADS`); the
        result is the same for any number.

        Parameters
        ----------
        features : np.ndarray [shape=(frames, feature_size)]
        progress : callable, optional
            Called with the number of frames done after each chunk.
        threads : int, optional
            Chunks run at once (1 where several files are chopped side by side).

        Returns
        -------
        activations : np.ndarray [shape=(frames,), dtype=float32], in [0, 1]
        """
        if features.ndim != 2 or features.shape[1] != self.input_mean.size:
            raise ModelError(
                f"model expects {self.input_mean.size} features per frame, got shape {features.shape}"
            )
        x = ((features - self.input_mean) / self.input_std).astype(np.float32)
        frames = x.shape[0]
        margin = self.context_frames
        out = np.empty(frames, dtype=np.float32)
        threads = (threads or NETWORK_THREADS) if self._session is not None and frames > margin else 1

        def chunk(start: int, stop: int) -> int:
            lo, hi = max(0, start - margin), min(frames, stop + margin)
            logits = self._logits(np.ascontiguousarray(x[lo:hi]))
            out[start:stop] = sigmoid(logits[start - lo : stop - lo])
            return stop - start

        bounds = _chunk_bounds(frames, threads)
        if threads <= 1:
            for start, stop in bounds:
                done = chunk(start, stop)
                if progress is not None:
                    progress(done)
            return out
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="samplechop-network") as pool:
            futures = []
            try:  # a stop signal while the chunks are queued drops the queued ones too
                futures.extend(pool.submit(chunk, start, stop) for start, stop in bounds)
                for future in futures:
                    done = future.result()
                    if progress is not None:
                        progress(done)
            except BaseException:  # an error or Ctrl-C: the chunks not started are dropped
                for future in futures:
                    future.cancel()
                raise
        return out


def _chunk_bounds(frames: int, threads: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each chunk of output frames: at most
    ``_CHUNK_FRAMES // threads`` each, so that the chunks in flight hold no more
    memory than one chunk in turn did (two chunks of up to 4096 frames side by side
    raised the command's peak memory on a 3-minute file from about 182 MB to 193-204
    MB); of about equal size; and a multiple of ``threads`` in number, so that the
    threads finish together."""
    count = max(1, -(-frames // (_CHUNK_FRAMES // max(threads, 1))))
    if threads > 1:
        count = -(-max(count, threads) // threads) * threads
    size = max(1, -(-frames // count))
    return [(start, min(start + size, frames)) for start in range(0, frames, size)]


def save_model(
    path: os.PathLike | str,
    *,
    features: Mapping[str, Any],
    architecture: Mapping[str, Any],
    params: Mapping[str, np.ndarray],
    input_mean: np.ndarray,
    input_std: np.ndarray,
    threshold: float = 0.5,
    training: Mapping[str, Any] | None = None,
    onnx: Optional[bytes] = None,
) -> None:
    """Write a model file atomically (see the module docstring for its layout)."""
    meta = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "features": dict(features),
        "architecture": dict(architecture),
        "threshold": float(threshold),
        "training": dict(training or {}),
    }
    arrays = {name: np.asarray(value, dtype=np.float32) for name, value in params.items()}
    arrays["input.mean"] = np.asarray(input_mean, dtype=np.float32).reshape(-1)
    arrays["input.std"] = np.asarray(input_std, dtype=np.float32).reshape(-1)
    arrays["meta.json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    if onnx is not None:
        arrays["network.onnx"] = np.frombuffer(onnx, dtype=np.uint8)
    buffer = io.BytesIO()
    # Not compressed: weights pack by 8% only, and unpacking the shipped model took
    # 0.025 s of a 0.03 s load, against 0.005 s stored.
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


#: Most bytes a model file may unpack to (the shipped one unpacks to about 5 MB): an
#: archive of zeros packs about 1000:1, so a small file could otherwise fill memory.
MAX_MODEL_BYTES = 256 << 20


def load_model(path: os.PathLike | str | None = None, *, use_graph: bool = True) -> ChopModel:
    """Read a model file (default: the model shipped in the package).

    Parameters
    ----------
    path : path-like, optional
    use_graph : bool
        Run the file's ONNX graph (when it has one). A model file from someone else
        should be read without it: the graph is code for onnxruntime that nothing
        checks against the weights; the numpy forward pass of the weights is used
        instead.

    Raises
    ------
    ModelError
        When the file is missing, not a samplechop model, inconsistent, or holds
        weights that are NaN or infinite (as a training run on corrupt data can write).
    """
    path = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    try:
        with zipfile.ZipFile(path) as packed:
            unpacked = sum(member.file_size for member in packed.infolist())
        if unpacked > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: unpacks to {unpacked / 2**20:.0f} MB, more than a model file can "
                             f"({MAX_MODEL_BYTES >> 20} MB)")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(arrays.pop("meta.json").tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise ModelError(f"{path}: not a samplechop model file ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ModelError(f"{path}: not a samplechop model file")
    try:
        version = int(meta.get("version", 0))
    except (TypeError, ValueError):
        raise ModelError(f"{path}: not a samplechop model file (version {meta.get('version')!r})") from None
    if version > MODEL_VERSION:
        raise ModelError(f"{path}: model format version {meta['version']} is newer than this samplechop")
    try:
        input_mean = arrays.pop("input.mean")
        input_std = arrays.pop("input.std")
        graph = arrays.pop("network.onnx", None) if use_graph else None
        arrays.pop("network.onnx", None)
        model = ChopModel(
            features=dict(meta["features"]),
            architecture=dict(meta["architecture"]),
            params={name: value.astype(np.float32) for name, value in arrays.items()},
            input_mean=input_mean.astype(np.float32),
            input_std=np.maximum(input_std.astype(np.float32), 1e-6),
            threshold=float(meta.get("threshold", 0.5)),
            training=dict(meta.get("training", {})),
            path=path,
            onnx=None if graph is None else graph.tobytes(),
        )
    except KeyError as error:
        raise ModelError(f"{path}: model file lacks {error}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise ModelError(f"{path}: not a samplechop model file ({error})") from None
    broken = [name for name, value in [*model.params.items(), ("input.mean", model.input_mean),
                                       ("input.std", model.input_std)] if not np.all(np.isfinite(value))]
    if broken or not 0.0 <= model.threshold <= 1.0:
        what = f"{len(broken)} weight array(s) with NaN or infinity ({broken[0]}...)" if broken else \
            f"threshold {model.threshold} outside [0, 1]"
        raise ModelError(f"{path}: unusable model: {what}")
    try:
        model.predict(np.zeros((8, input_mean.size), dtype=np.float32))  # weights fit the architecture
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ModelError(f"{path}: its weights do not fit its architecture ({error})") from None
    return model

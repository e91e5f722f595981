"""The data set on disk: shards of frame features and targets, and their manifest.

Layout of a data set folder::

    manifest.json              what was built (see below)
    shard-00000.features.npy   float16 [frames, feature_size], memory-mapped on read
    shard-00000.targets.npy    uint8 [frames]: 1 where a frame is a chop point (or its neighbour)
    ...

``manifest.json`` holds the format and version, the feature settings, the label
width, and per source file: its path and SHA-256, its shard, offset and frame count,
its chop times, its count of positive frames and its split (``train`` or ``valid``,
by file). A shard is listed in the manifest only once it is completely written, so
an interrupted build leaves a consistent data set.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import numpy as np

from ..exceptions import DatasetError
from ..io.fileio import atomic_write_text
from ..spectral.features import feature_size

__all__ = ["DATASET_FORMAT", "FileEntry", "Dataset", "open_dataset", "frame_targets", "write_manifest"]

DATASET_FORMAT = "samplechop-dataset"
DATASET_VERSION = 1
MANIFEST_NAME = "manifest.json"


def frame_targets(times: np.ndarray, *, n_frames: int, frame_rate: float, width: int = 1) -> np.ndarray:
    """Frame targets: 1 at the frame of each chop time and ``width`` frames either side.

    Parameters
    ----------
    times : np.ndarray [shape=(n,)]
        Chop times in seconds.
    n_frames : int
        Frames in the file.
    frame_rate : float
        Frames per second.
    width : int >= 0
        Neighbours either side that are positive too (the original used 1).

    Returns
    -------
    targets : np.ndarray [shape=(n_frames,), dtype=uint8]
    """
    targets = np.zeros(n_frames, dtype=np.uint8)
    centres = np.round(np.asarray(times, dtype=np.float64) * frame_rate).astype(int)
    for offset in range(-width, width + 1):
        frames = centres + offset
        frames = frames[(frames >= 0) & (frames < n_frames)]
        targets[frames] = 1
    return targets


@dataclass
class FileEntry:
    """One source file in a data set."""

    source: str
    sha256: str
    shard: str
    offset: int
    frames: int
    labels: list[float]
    positives: int
    split: str
    duration: float
    augmentation: Optional[dict[str, Any]] = None
    labels_sha256: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        """What identifies a built entry: audio content, label content, re-pitching."""
        return self.sha256, self.labels_sha256, int((self.augmentation or {}).get("pitch_shift", 0))


@dataclass
class Dataset:
    """A data set opened for reading (shards memory-mapped, loaded on demand)."""

    path: Path
    features: dict[str, Any]
    label_width: int
    frame_rate: float
    files: list[FileEntry]
    shards: dict[str, int]
    _cache: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def feature_size(self) -> int:
        """Values per frame."""
        return feature_size(self.features)

    def split(self, name: str) -> list[FileEntry]:
        """Files of one split (``train``, ``valid``) or all (``all``)."""
        if name == "all":
            return list(self.files)
        return [entry for entry in self.files if entry.split == name]

    def shard(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Memory-mapped (features, targets) of a shard, checked against the manifest."""
        if name not in self._cache:
            base = self.path / name
            arrays = []
            for part in ("features", "targets"):
                try:
                    arrays.append(np.load(f"{base}.{part}.npy", mmap_mode="r"))
                except (OSError, ValueError, EOFError) as error:
                    reason = str(error) or type(error).__name__
                    raise DatasetError(f"{base}.{part}.npy: corrupt, empty or missing shard ({reason})") from None
            features, targets = arrays
            expected = self.shards.get(name)
            if (features.ndim != 2 or features.shape[1] != self.feature_size
                    or features.shape[0] != expected or targets.shape != (expected,)):
                raise DatasetError(
                    f"{base}.features.npy: shard does not match the manifest "
                    f"(shape {features.shape}, expected ({expected}, {self.feature_size}))"
                )
            self._cache[name] = (features, targets)
        return self._cache[name]

    def arrays(self, entry: FileEntry) -> tuple[np.ndarray, np.ndarray]:
        """(features [frames, feature_size], targets [frames]) of one file (views)."""
        features, targets = self.shard(entry.shard)
        stop = entry.offset + entry.frames
        return features[entry.offset : stop], targets[entry.offset : stop]

    def iter_arrays(self, split: str) -> Iterator[tuple[FileEntry, np.ndarray, np.ndarray]]:
        """Every file of a split with its arrays."""
        for entry in self.split(split):
            features, targets = self.arrays(entry)
            yield entry, features, targets

    def counts(self) -> dict[str, Any]:
        """Frames, positives and files per split."""
        result: dict[str, Any] = {}
        for name in ("train", "valid"):
            entries = self.split(name)
            frames = sum(entry.frames for entry in entries)
            positives = sum(entry.positives for entry in entries)
            result[name] = {
                "files": len(entries),
                "frames": frames,
                "positives": positives,
                "positive_share": round(positives / frames, 6) if frames else 0.0,
            }
        return result


def manifest_document(
    *, features: Mapping[str, Any], label_width: int, frame_rate: float,
    shards: Mapping[str, int], files: list[FileEntry], extra: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    dataset = Dataset(Path("."), dict(features), label_width, frame_rate, files, dict(shards))
    return {
        "format": DATASET_FORMAT,
        "version": DATASET_VERSION,
        "features": dict(features),
        "label_width": label_width,
        "frame_rate": frame_rate,
        "shards": [{"name": name, "frames": frames} for name, frames in shards.items()],
        "counts": dataset.counts(),
        **dict(extra or {}),
        "files": [asdict(entry) for entry in files],
    }


def write_manifest(folder: Path, document: Mapping[str, Any]) -> None:
    """Write ``manifest.json`` atomically."""
    atomic_write_text(folder / MANIFEST_NAME, json.dumps(document, indent=1) + "\n")


def open_dataset(path: os.PathLike | str) -> Dataset:
    """Open a data set folder.

    Raises
    ------
    DatasetError
        When the folder or its manifest is missing or not a samplechop data set.
    """
    folder = Path(path)
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        raise DatasetError(f"{folder}: not a data set (no {MANIFEST_NAME}; build one with 'samplechop dataset build')")
    try:
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
        if document.get("format") != DATASET_FORMAT:
            raise ValueError("wrong format tag")
        files = [FileEntry(**entry) for entry in document["files"]]
        shards = {shard["name"]: int(shard["frames"]) for shard in document["shards"]}
        for entry in files:
            if entry.shard not in shards:
                raise ValueError(f"{entry.source} is in shard {entry.shard!r}, which the manifest does not list")
            if not (0 <= int(entry.offset) and 0 <= int(entry.frames)
                    and int(entry.offset) + int(entry.frames) <= shards[entry.shard]):
                raise ValueError(f"{entry.source}: frames {entry.offset} to {entry.offset + entry.frames} lie "
                                 f"outside its shard of {shards[entry.shard]} frames")
        return Dataset(
            path=folder,
            features=dict(document["features"]),
            label_width=int(document["label_width"]),
            frame_rate=float(document["frame_rate"]),
            files=files,
            shards=shards,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{manifest_path}: corrupt data set manifest ({error})") from None

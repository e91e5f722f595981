"""Labelled audio -> feature shards (``dataset build``), and reading them back."""

from .build import build_dataset
from .store import Dataset, FileEntry, frame_targets, open_dataset

__all__ = ["build_dataset", "Dataset", "FileEntry", "frame_targets", "open_dataset"]

"""Chop models: architectures in numpy, the model file format, the shipped weights."""

from .file import DEFAULT_MODEL_PATH, ChopModel, load_model, save_model

__all__ = ["DEFAULT_MODEL_PATH", "ChopModel", "load_model", "save_model"]

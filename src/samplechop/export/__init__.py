"""Writing chops: WAV slices, the manifest and the label file."""

from .slices import apply_fades, chop_names, write_slices
from .writer import output_dir_for, write_outputs

__all__ = ["apply_fades", "chop_names", "write_slices", "output_dir_for", "write_outputs"]

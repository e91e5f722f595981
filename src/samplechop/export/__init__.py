"""Writing chops: WAV slices, the manifest, the label file and sampler-ready formats.

See :mod:`samplechop.export.formats` for the formats and what opens them.
"""

from .formats import DEFAULT_FORMATS, FORMATS, parse_formats
from .names import safe_stem
from .slices import apply_fades, chop_names, write_slices
from .writer import Kit, output_dir_for, write_kit, write_outputs

__all__ = [
    "apply_fades",
    "chop_names",
    "write_slices",
    "output_dir_for",
    "write_outputs",
    "write_kit",
    "Kit",
    "FORMATS",
    "DEFAULT_FORMATS",
    "parse_formats",
    "safe_stem",
]

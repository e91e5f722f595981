"""samplechop: find the best points to chop a sample, the way a producer slices it onto pads.

The chopping path (audio -> features -> network -> selection -> WAV chops) needs only
numpy, scipy (its FFT), onnxruntime, soundfile, soxr and threadpoolctl; training needs
the ``train`` extra (PyTorch).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

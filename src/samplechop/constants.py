"""Analysis constants: one place for the sample rate, hop and frequency bins.

Every model file records the values it was built with; these are the defaults for
new models and the values the shipped model uses.
"""

#: Internal analysis sample rate (Hz). Chops are always cut from the original audio.
SAMPLE_RATE = 22050

#: Hop between analysis frames (samples at :data:`SAMPLE_RATE`): 23.2 ms, 43 frames a second.
HOP_LENGTH = 512

#: FFT size of the short-time Fourier transform behind the log-frequency spectrogram.
N_FFT = 2048

#: Frame size (samples at :data:`SAMPLE_RATE`) of the longer window of the lowest bands,
#: whose semitones a :data:`N_FFT`-point FFT cannot tell apart (2.7 Hz bins, 371 ms).
N_FFT_LOW = 8192

#: Number of semitone bins, from :data:`FMIN` up (C2 .. B3), taken from the longer window.
LOW_BINS = 24

#: Lowest centre frequency of the semitone filterbank (C2, Hz).
FMIN = 65.40639132514966

#: Number of semitone bins (7 octaves, C2 .. B8).
N_BINS = 84

#: Bins per octave of the semitone filterbank and of the CQT.
BINS_PER_OCTAVE = 12

#: Shortest audio chopped, in analysis frames (1.42 s at the default rate and hop):
#: shorter sounds are a single hit, not a sample to chop.
MIN_FRAMES = 61

#: Two chop points closer than this are one (seconds), as in chop-points.md.
MERGE_WINDOW = 0.1

#: A fall of the level by more than this (dB) from the 100 ms before a frame to the
#: 100 ms after it marks a release or decay: no candidate there (``chop --release-db``,
#: :mod:`samplechop.spectral.levels`).
RELEASE_DROP_DB = 6.0

#: Hit window of the F-measure (seconds), as in chop-points.md.
EVAL_WINDOW = 0.05

#: Audio file suffixes that the tool reads (libsndfile through soundfile).
AUDIO_SUFFIXES = (".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3")

#: Longest audio read (seconds, 3 hours), checked against the header before decoding
#: and again while decoding: a small compressed file that claims or decodes to more is
#: refused before its samples fill memory (a decompression bomb).
MAX_INPUT_SECONDS = 3 * 3600
#: Sample rates accepted on input (Hz).
MIN_INPUT_SAMPLE_RATE = 8000
MAX_INPUT_SAMPLE_RATE = 192000


#: Arithmetic of the network in training (``samplechop train --precision``):
#: ``float32``, or ``bfloat16`` under PyTorch's CPU autocast (weights, gradients and
#: the optimiser stay float32; validation runs in float32). On a CPU with native
#: bfloat16 (AMX or AVX-512 BF16) the network's passes take 0.62 of the time
#: (docs/benchmarks.md, "Training in bfloat16").
TRAINING_PRECISIONS = ("float32", "bfloat16")

"""Spectral analysis of a signal, pure functions of numpy arrays: the network's
features (:mod:`.features`), harmonic-only (HPSS) spectra (:mod:`.harmonic`), onsets
and the first attack (:mod:`.onsets`), level tests of the waveform (:mod:`.levels`), a
source's tempo, key and chroma (:mod:`.description`)."""

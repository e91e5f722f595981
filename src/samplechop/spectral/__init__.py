"""Spectral analysis of a signal, pure functions of numpy arrays: the network's
features and HPSS spectra (:mod:`.features`), onsets and the first attack
(:mod:`.onsets`), level tests of the waveform (:mod:`.levels`)."""

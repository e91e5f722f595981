"""The rendered training corpus: music with exactly known chop points.

No hand-labelled corpus exists, so samplechop renders its own: pieces in the
styles producers sample (soul, funk, jazz, gospel and ballads, orchestral and
cinematic, lounge and bossa) composed from MIDI, plus Bach chorales from
music21's corpus, rendered with FluidSynth through Debian's General MIDI
soundfonts, made to sound like records, and labelled from the MIDI by the rules
of ``docs/chop-points.md``.

Modules (one job each): :mod:`.piece` (data model), :mod:`.labels` (the label
rules), :mod:`.harmony`, :mod:`.styles`, :mod:`.drums`, :mod:`.parts`,
:mod:`.compose` (composition), :mod:`.chorales`, :mod:`.split` (what validation
holds out), :mod:`.soundfonts`, :mod:`.render` (MIDI and FluidSynth),
:mod:`.effects` (record sound), :mod:`.corpus` (the driver).

Needs the ``corpus`` extra (pretty_midi, music21) and the Debian packages
fluidsynth, fluid-soundfont-gm, timgm6mb-soundfont, musescore-general-soundfont-small.
"""

from .corpus import render_corpus
from .soundfonts import available_soundfonts

__all__ = ["render_corpus", "available_soundfonts"]

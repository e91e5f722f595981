"""Files in and out: audio (:mod:`.audio`, :mod:`.riff`), label files
(:mod:`.annotations`), the inputs of a command (:mod:`.inputs`), atomic writes
(:mod:`.fileio`) and the files shipped in the package (:mod:`.resources`)."""

"""Build a development set of real performances whose chop points are known.

Run by hand:

    python benchmarks/real_labelled_set.py OUT_DIR --bach10 BACH10_GIT_DIR
    python benchmarks/real_labelled_set.py OUT_DIR --jamendo JAMENDOLYRICS_GIT_DIR

``BACH10_GIT_DIR`` is a snapshot of the Bach10 data set (Duan & Pardo: ten
four-part Bach chorales played by violin, clarinet, saxophone and bassoon, each
part recorded while the players heard the others; 5.6 minutes in all), such as the
git directory of the public GitHub repository ``flippy-fyp/Bach10_v1.1``. Its audio
states no licence, so the set is written outside the repository and never
committed; this script rebuilds it from the snapshot.

For each piece the mix is copied to ``OUT_DIR/bach10-<piece>.wav``, with two label
files beside it:

- ``<stem>.txt``: every chop point by the label convention (docs/chop-points.md),
  from the score's notes (``<piece>.mid``) placed at the times the players played
  them (``<piece>.txt``: audio onset and score onset of every note). Rule 1 takes
  the chorale's beat sonorities as chords (root and pitch-class set, as the rendered
  chorales of the corpus do, :func:`samplechop.corpus.chorales.beat_chords`); rules
  2 and 3 find no rest in these legato scores; rule 4 adds the first note.
- ``<stem>.changes.txt``: the harmonic changes alone (rule 1), which
  ``real_labelled.py`` measures recall of.

``JAMENDOLYRICS_GIT_DIR`` is a snapshot of JamendoLyrics (Stoller, Durand & Ewert,
ICASSP 2019; the git directory of ``f90/jamendolyrics``): songs of Jamendo under
Creative Commons licences (each song's own, in its ``JamendoLyrics.csv``: some are
NonCommercial or NoDerivatives), with the start and end of every sung word annotated
by hand. The snapshot holds the audio of 10 of its songs (28 minutes of pop, folk,
rock and hip hop in French, Spanish and German; the others are larger than the
snapshot keeps). Words say nothing of chords, so these recordings get no ``.txt``:

- ``jamendo-<song>.wav``, decoded from the MP3;
- ``<stem>.phrases.txt``: the vocal phrase starts of rule 2, the first word of the song
  and every word that follows at least one beat of the voice's silence (the end of
  the previous word; the beat from librosa's tempo estimate of the song), merged
  within 100 ms as the convention says. ``real_labelled.py`` measures their recall.

Offsets: Bach10's note times come from beats tapped by hand and interpolated
between them, so they may lead or lag the sound. The script measures, over all
notes of the source, the median of (annotated onset - nearest onset that librosa
detects within 80 ms, backtracked to the start of its attack), and moves every
label by minus that median; it prints the figure per file and for the source.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: The most an annotated onset may lie from a detected one to count for the offset.
OFFSET_REACH = 0.08


def git_show(git_dir: Path, path: str) -> bytes:
    """The bytes of ``path`` at HEAD of a bare git directory."""
    return subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout


def git_files(git_dir: Path) -> list[str]:
    """Every path at HEAD of a bare git directory (NUL-separated, so that names outside
    ASCII come unquoted)."""
    out = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "-z", "--name-only", "HEAD"],
                         check=True, capture_output=True).stdout
    return [name.decode() for name in out.split(b"\0") if name]


def bach10_labels(midi_bytes: bytes, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chop points, harmonic changes and every note onset of one Bach10 piece, in
    seconds of its audio.

    Parameters
    ----------
    midi_bytes : bytes
        The piece's score as a MIDI file (four tracks, soprano first).
    table : np.ndarray [shape=(notes, 4)]
        Bach10's alignment: audio onset (ms), score onset (ms), MIDI pitch, voice (1-4).
    """
    import pretty_midi

    from samplechop.corpus.chorales import Chorale, ScoreNote, beat_chords
    from samplechop.corpus.labels import chop_points, harmonic_changes, merge_close, snap_to_attacks
    from samplechop.corpus.piece import Note

    midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))
    _, tempi = midi.get_tempo_changes()
    if len(tempi) != 1:
        raise SystemExit("a Bach10 score with tempo changes: not handled")
    quarter = 60.0 / float(tempi[0])
    signature = midi.time_signature_changes[0] if midi.time_signature_changes else None
    beat_quarters = 4.0 / signature.denominator if signature else 1.0
    score_notes = [ScoreNote(part, note.start / quarter, note.end / quarter, note.pitch)
                   for part, instrument in enumerate(midi.instruments) for note in instrument.notes]
    chorale = Chorale("bach10", sorted(score_notes, key=lambda n: (n.onset, n.part)), [], beat_quarters, 0.0)
    identities, segment_of = beat_chords(chorale)

    # score time -> audio time, through the onsets the players played
    score_s, first = np.unique(table[:, 1] / 1000.0, return_index=True)
    audio_s = table[first, 0] / 1000.0
    if not np.all(np.diff(audio_s) > 0):
        raise SystemExit("Bach10's alignment is not monotonic")

    def audio_time(score_time: float) -> float:
        return float(np.interp(score_time, score_s, audio_s))

    roles = ("melody", "chord", "chord", "bass")
    notes = [
        Note(audio_time(n.onset * quarter), max(audio_time(n.end * quarter), audio_time(n.onset * quarter) + 0.03),
             n.pitch, 80, f"part{n.part}", roles[n.part], segment_of[n.onset])
        for n in chorale.notes
    ]
    beat_seconds = float(np.median(np.diff(audio_s) / np.diff(score_s))) * quarter * beat_quarters
    labels = chop_points(notes, chords=identities, beat=beat_seconds)
    onsets = np.asarray([n.onset for n in notes])
    changes = merge_close(snap_to_attacks(harmonic_changes(notes, chords=identities, beat=beat_seconds), onsets))
    return labels, changes, np.unique(onsets)


def offsets_to_attacks(onsets: np.ndarray, attacks: np.ndarray) -> np.ndarray:
    """Annotated onset minus the nearest detected attack, for the onsets with one
    within :data:`OFFSET_REACH` seconds."""
    if attacks.size == 0:
        return np.zeros(0)
    index = np.clip(np.searchsorted(attacks, onsets), 1, attacks.size - 1)
    nearest = np.where(np.abs(attacks[index - 1] - onsets) <= np.abs(attacks[index] - onsets),
                       attacks[index - 1], attacks[index])
    difference = onsets - nearest
    return difference[np.abs(difference) <= OFFSET_REACH]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the set to (outside the repository)")
    parser.add_argument("--bach10", type=Path, default=None, help="git directory of a Bach10 snapshot")
    parser.add_argument("--jamendo", type=Path, default=None, help="git directory of a JamendoLyrics snapshot")
    args = parser.parse_args()
    if not (args.bach10 or args.jamendo):
        parser.error("name a source: --bach10 and/or --jamendo")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.bach10:
        build_bach10(args.bach10, args.out)
    if args.jamendo:
        build_jamendo(args.jamendo, args.out)


def report_offset(source: str, offsets: list[np.ndarray]) -> float:
    """Print a source's median offset of annotations from detected attacks; return it."""
    pooled = np.concatenate(offsets)
    shift = float(np.median(pooled))
    low, high = np.percentile(pooled, [25, 75])
    print(f"source {source}: annotated onsets lie {1000 * shift:+.0f} ms from the detected attacks (median of "
          f"{pooled.size}; quartiles {1000 * low:+.0f}, {1000 * high:+.0f} ms): every label moved by "
          f"{-1000 * shift:+.0f} ms")
    return shift


def phrase_starts(starts: np.ndarray, ends: np.ndarray, beat: float) -> np.ndarray:
    """The first word, and every word after at least ``beat`` seconds of the voice's
    silence, merged within 100 ms (the convention's rule 2)."""
    from samplechop.corpus.labels import merge_close

    order = np.argsort(starts)
    starts, ends = starts[order], ends[order]
    sung_until = np.maximum.accumulate(ends)
    after_rest = np.concatenate([[True], starts[1:] - sung_until[:-1] >= beat])
    return merge_close(starts[after_rest])


def build_jamendo(git_dir: Path, out: Path) -> None:
    """Write the JamendoLyrics songs present in a snapshot, with their phrase starts."""
    import csv

    import librosa
    import soundfile as sf

    from criteria import detected_onsets
    from samplechop.io.annotations import write_labels

    built, all_offsets = [], []
    for path in git_files(git_dir):
        if not path.startswith("mp3/") or not path.endswith(".mp3"):
            continue
        name = path[len("mp3/"):-len(".mp3")]
        try:
            audio = git_show(git_dir, path)
        except subprocess.CalledProcessError:
            continue  # not kept by the snapshot
        rows = list(csv.DictReader(io.StringIO(git_show(git_dir, f"annotations/words/{name}.csv").decode())))
        starts = np.array([float(row["word_start"]) for row in rows])
        ends = np.array([float(row["word_end"]) for row in rows])
        y, sr = sf.read(io.BytesIO(audio), dtype="float32", always_2d=True)
        mono = y.mean(axis=1)
        tempo = float(np.atleast_1d(librosa.feature.tempo(y=mono, sr=sr))[0])
        phrases = phrase_starts(starts, ends, 60.0 / tempo)
        stem = "jamendo-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        sf.write(out / f"{stem}.wav", y, sr, subtype="PCM_16")
        offsets = offsets_to_attacks(phrases, detected_onsets(mono, sr))
        all_offsets.append(offsets)
        built.append((stem, phrases, y.shape[0] / sr))
        print(f"{stem}: {y.shape[0] / sr:.1f} s, {starts.size} words, {phrases.size} phrase starts "
              f"(beat {60 / tempo:.2f} s); phrase starts minus detected attacks: median "
              f"{1000 * np.median(offsets):+.0f} ms ({offsets.size} within {1000 * OFFSET_REACH:.0f} ms)")
    if not built:
        raise SystemExit(f"{git_dir}: no JamendoLyrics audio in this snapshot")
    shift = report_offset("jamendo", all_offsets)
    for stem, phrases, duration in built:
        write_labels(out / f"{stem}.phrases.txt", np.clip(phrases - shift, 0.0, duration))
    print(f"{len(built)} recordings in {out}")


def build_bach10(git_dir: Path, out: Path) -> None:
    """Write the Bach10 pieces of a snapshot, with their chop points and harmonic changes."""
    import soundfile as sf

    from criteria import detected_onsets
    from samplechop.io.annotations import write_labels

    files = git_files(git_dir)
    pieces = sorted({path.split("/")[0] for path in files if path.endswith(".mid")})
    built, all_offsets = [], []
    for piece in pieces:
        table = np.loadtxt(io.StringIO(git_show(git_dir, f"{piece}/{piece}.txt").decode()), ndmin=2)
        labels, changes, onsets = bach10_labels(git_show(git_dir, f"{piece}/{piece}.mid"), table)
        stem = f"bach10-{piece}"
        wav = out / f"{stem}.wav"
        wav.write_bytes(git_show(git_dir, f"{piece}/{piece}.wav"))
        y, sr = sf.read(wav, dtype="float32", always_2d=True)
        offsets = offsets_to_attacks(onsets, detected_onsets(y.mean(axis=1), sr))
        all_offsets.append(offsets)
        built.append((stem, labels, changes, y.shape[0] / sr))
        print(f"{stem}: {y.shape[0] / sr:.1f} s, {labels.size} chop points, {changes.size} harmonic changes; "
              f"onsets minus detected attacks: median {1000 * np.median(offsets):+.0f} ms "
              f"({offsets.size} of {onsets.size} onsets within {1000 * OFFSET_REACH:.0f} ms)")
    shift = report_offset("bach10", all_offsets)
    for stem, labels, changes, duration in built:
        for suffix, times in ((".txt", labels), (".changes.txt", changes)):
            moved = np.clip(times - shift, 0.0, duration)
            write_labels(out / f"{stem}{suffix}", moved)
    print(f"{len(built)} recordings in {out}")


if __name__ == "__main__":
    main()

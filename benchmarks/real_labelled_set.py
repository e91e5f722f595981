"""Build a development set of real performances whose chop points are known.

Run by hand:

    python benchmarks/real_labelled_set.py OUT_DIR --bach10 BACH10_GIT_DIR

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
    """Every path at HEAD of a bare git directory."""
    out = subprocess.run(["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", "HEAD"], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


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
    parser.add_argument("--bach10", type=Path, required=True, help="git directory of a Bach10 snapshot")
    args = parser.parse_args()
    import soundfile as sf

    from criteria import detected_onsets
    from samplechop.io.annotations import write_labels

    files = git_files(args.bach10)
    pieces = sorted({path.split("/")[0] for path in files if path.endswith(".mid")})
    args.out.mkdir(parents=True, exist_ok=True)
    built, all_offsets = [], []
    for piece in pieces:
        table = np.loadtxt(io.StringIO(git_show(args.bach10, f"{piece}/{piece}.txt").decode()), ndmin=2)
        labels, changes, onsets = bach10_labels(git_show(args.bach10, f"{piece}/{piece}.mid"), table)
        stem = f"bach10-{piece}"
        wav = args.out / f"{stem}.wav"
        wav.write_bytes(git_show(args.bach10, f"{piece}/{piece}.wav"))
        y, sr = sf.read(wav, dtype="float32", always_2d=True)
        offsets = offsets_to_attacks(onsets, detected_onsets(y.mean(axis=1), sr))
        all_offsets.append(offsets)
        built.append((stem, labels, changes, y.shape[0] / sr))
        print(f"{stem}: {y.shape[0] / sr:.1f} s, {labels.size} chop points, {changes.size} harmonic changes; "
              f"onsets minus detected attacks: median {1000 * np.median(offsets):+.0f} ms "
              f"({offsets.size} of {onsets.size} onsets within {1000 * OFFSET_REACH:.0f} ms)")
    pooled = np.concatenate(all_offsets)
    shift = float(np.median(pooled))
    low, high = np.percentile(pooled, [25, 75])
    print(f"source bach10: annotated onsets lie {1000 * shift:+.0f} ms from the detected attacks (median of "
          f"{pooled.size}; quartiles {1000 * low:+.0f}, {1000 * high:+.0f} ms): every label moved by "
          f"{-1000 * shift:+.0f} ms")
    for stem, labels, changes, duration in built:
        for suffix, times in ((".txt", labels), (".changes.txt", changes)):
            moved = np.clip(times - shift, 0.0, duration)
            write_labels(args.out / f"{stem}{suffix}", moved)
    print(f"{len(built)} recordings in {args.out}")


if __name__ == "__main__":
    main()

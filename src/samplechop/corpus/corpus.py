"""Render a corpus: compose or pick pieces, render, process, label, write.

Piece ``i`` of ``(seed, split)`` draws everything from its own generator,
``np.random.default_rng([seed, i, split number])``, so a piece does not depend
on ``count``, on ``jobs`` or on the other pieces, and a larger ``count`` extends
a corpus. Files per piece, named ``{split}-{seed}-{i:05d}-{source}``:

* ``.flac``: the excerpt, 16-bit FLAC, mono or stereo;
* ``.txt``: its chop points, one time in seconds per line;
* ``.mid``: the whole MIDI rendered (the excerpt starts ``crop_start`` seconds into it);
* ``.meta.json``: how it was made (source, tempo, soundfont, programs, crop_start, effects).

A piece whose ``.flac`` and ``.txt`` exist is skipped, so an interrupted run can
be run again. Each file is written atomically; the audio is written last.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile

from ..batch.engine import DEFAULT_RETRIES, TaskFailure, run_units
from ..batch.summary import SummaryRow
from ..exceptions import AudioError, OutputError, ParameterError, SampleChopError
from ..io.annotations import write_labels
from ..io.fileio import atomic_path, atomic_write_bytes, atomic_write_text
from .effects import apply_chain, random_chain
from .labels import chop_points, excerpt_chop_points
from .piece import Piece
from .render import render_midi, write_midi
from .soundfonts import require_fluidsynth, require_soundfonts
from .split import SPLIT_SOUNDFONTS, SPLITS, check_split, choose_style, chorale_in_split
from .styles import STYLES

__all__ = ["render_corpus", "piece_name", "MIN_SAMPLE_RATE", "MAX_SAMPLE_RATE"]

MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 96000
#: Share of composed pieces whose excerpt starts a few bars into the music.
CROP_SHARE = 0.35
#: Seconds of music before an excerpt that the record effects see (longer than any reverb tail).
EFFECT_CONTEXT = 3.0
#: The quietest clean rendering accepted (RMS, full scale 1).
SILENCE_RMS = 1e-4


@dataclass(frozen=True)
class _Job:
    out_dir: str
    index: int
    seed: int
    split: str
    duration: float
    sample_rate: int
    chorale_share: float


def _rng(seed: int, index: int, split: str) -> np.random.Generator:
    return np.random.default_rng([seed, index, SPLITS.index(split)])


def _source(rng: np.random.Generator, split: str, chorale_share: float) -> str:
    return "chorale" if rng.random() < chorale_share else choose_style(rng, split)


def piece_name(*, seed: int, index: int, split: str, chorale_share: float) -> str:
    """The file stem of piece ``index`` (its source is the generator's first draw)."""
    rng = _rng(seed, index, check_split(split))
    return f"{split}-{seed}-{index:05d}-{_source(rng, split, chorale_share)}"


def _compose(rng: np.random.Generator, source: str, *, split: str, duration: float) -> tuple[Piece, float]:
    """Compose (or perform a chorale) and choose where the excerpt starts."""
    if source == "chorale":
        from .chorales import chorale_paths, compose_chorale, load_chorale

        paths = [p for p in chorale_paths() if chorale_in_split(p.name, split)]
        if not paths:
            raise ParameterError(f"no Bach chorale of music21's corpus belongs to split {split!r}")
        for _ in range(30):
            chorale = load_chorale(paths[int(rng.integers(len(paths)))])
            if chorale is not None:
                break
        else:
            raise ParameterError("no four-part chorale with fermatas found in music21's Bach corpus")
        piece = compose_chorale(rng, chorale, split=split)
        options = [c for c in piece.crop_candidates if piece.end - c >= 0.6 * duration]
        if piece.end > duration + 2 and options and rng.random() < 0.5:
            return piece, max(0.0, options[int(rng.integers(len(options)))] - float(rng.uniform(0.03, 0.3)))
        return piece, 0.0
    from .compose import compose

    crop = rng.random() < CROP_SHARE
    piece = compose(rng, STYLES[source], split=split, min_length=duration + (10.0 if crop else 0.5))
    options = [c for c in piece.crop_candidates if c <= 10.0]
    if crop and options:
        return piece, max(0.0, options[int(rng.integers(len(options)))] - float(rng.uniform(0.03, 0.3)))
    return piece, 0.0


def _excerpt(y: np.ndarray, *, sr: int, start: float, duration: float) -> np.ndarray:
    first, length = int(round(start * sr)), int(round(duration * sr))
    out = np.zeros((y.shape[0], length), dtype=np.float32)
    part = y[:, first: first + length]
    out[:, : part.shape[1]] = part
    fade = min(length, int(0.003 * sr))
    if start > 0 and fade:
        out[:, :fade] *= np.linspace(0.0, 1.0, fade, dtype=np.float32)
    fade = min(length, int(0.005 * sr))
    if fade:
        out[:, -fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out


def _render_one(job: _Job) -> tuple[int, Path]:
    """Render piece ``job.index`` (or find it done). Returns ``(index, audio path)``."""
    out_dir = Path(job.out_dir)
    rng = _rng(job.seed, job.index, job.split)
    source = _source(rng, job.split, job.chorale_share)
    name = f"{job.split}-{job.seed}-{job.index:05d}-{source}"
    audio_path, label_path = out_dir / f"{name}.flac", out_dir / f"{name}.txt"
    if audio_path.is_file() and label_path.is_file():
        return job.index, audio_path
    soundfonts = require_soundfonts(SPLIT_SOUNDFONTS[job.split])
    sr = job.sample_rate
    with tempfile.TemporaryDirectory(prefix="samplechop-corpus-") as folder:
        midi_tmp = Path(folder) / "piece.mid"
        for _ in range(3):
            piece, crop_start = _compose(rng, source, split=job.split, duration=job.duration)
            names = sorted(soundfonts)
            soundfont = names[int(rng.integers(len(names)))]
            write_midi(piece, midi_tmp)
            clean = render_midi(midi_tmp, soundfont=soundfonts[soundfont], sr=sr)
            clean_excerpt = _excerpt(clean, sr=sr, start=crop_start, duration=job.duration)
            attacked = any(crop_start <= n.onset < crop_start + job.duration for n in piece.notes)
            if attacked and np.sqrt(np.mean(clean_excerpt.astype(np.float64) ** 2)) > SILENCE_RMS:
                break
        else:
            raise AudioError(f"{audio_path}: every rendering came out silent or without a note (soundfont {soundfont})")
        # Process only the excerpt and the seconds before it whose reverb and compression reach into it.
        first = int(round(max(0.0, crop_start - EFFECT_CONTEXT) * sr))
        last = int(round((crop_start + job.duration + 0.5) * sr))
        offset = first / sr
        chain = random_chain(rng, sr=sr)
        processed = apply_chain(clean[:, first:last], sr=sr, chain=chain, rng=rng)
        excerpt = _excerpt(processed, sr=sr, start=crop_start - offset, duration=job.duration)
        times = chain.map_times(chop_points(piece.notes, chords=piece.chords, beat=piece.beat) - offset) + offset
        onsets = chain.map_times(np.asarray([n.onset for n in piece.notes]) - offset) + offset
        labels = excerpt_chop_points(times, onsets, start=crop_start, duration=job.duration)
        meta = {
            "name": name, "source": source, "split": job.split, "title": piece.title,
            "tempo": round(piece.tempo, 3), "beat": round(piece.beat, 6), "soundfont": soundfont,
            "voices": [asdict(v) for v in piece.voices], "crop_start": round(crop_start, 6),
            "duration": job.duration, "sample_rate": sr, "effects": asdict(chain), "chop_count": int(labels.size),
        }
        atomic_write_bytes(out_dir / f"{name}.mid", midi_tmp.read_bytes())
    atomic_write_text(out_dir / f"{name}.meta.json", json.dumps(meta, indent=1, default=_json_default) + "\n")
    write_labels(label_path, labels)
    with atomic_path(audio_path) as temporary:
        soundfile.write(str(temporary), np.clip(excerpt, -1.0, 1.0).T, sr, format="FLAC", subtype="PCM_16")
    return job.index, audio_path


@dataclass(frozen=True)
class _Rendered:
    """What became of one piece: its audio path and label count, or its error."""

    index: int
    path: Path
    labels: int = 0
    error: Optional[SampleChopError] = None


def _count_labels(label_path: Path) -> int:
    return sum(1 for line in label_path.read_text(encoding="utf-8").splitlines() if line.strip())


def render_piece(job: _Job) -> _Rendered:
    """The unit of work of ``corpus render``: one piece rendered (or found done).

    An error of the piece itself (a silent rendering, a missing soundfont) comes back
    in the record, not raised: rendering it again would not help.
    """
    try:
        index, path = _render_one(job)
    except SampleChopError as error:
        name = piece_name(seed=job.seed, index=job.index, split=job.split, chorale_share=job.chorale_share)
        return _Rendered(job.index, Path(job.out_dir) / f"{name}.flac", error=error)
    return _Rendered(index, path, _count_labels(path.with_suffix(".txt")))


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _check_int(name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return int(value)


def render_corpus(
    out_dir: os.PathLike | str,
    *,
    count: int,
    seed: int,
    split: str = "train",
    duration: float = 30.0,
    sample_rate: int = 44100,
    chorale_share: float = 0.15,
    jobs: int = 2,
    progress: bool = True,
    scheduler: Optional[str] = None,
    retries: int = DEFAULT_RETRIES,
    summary: Optional[list[SummaryRow]] = None,
) -> list[Path]:
    """Render ``count`` pieces with audio, labels and MIDI into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Output folder (created if missing).
    count : int >= 0
        Number of pieces.
    seed : int >= 0
        Corpus seed; piece ``i`` uses its own generator seeded from ``(seed, i, split)``.
    split : {"train", "valid", "all"}
        Which soundfonts, programs, styles and chorales may be used (see :mod:`.split`).
    duration : float > 0
        Length of every excerpt in seconds.
    sample_rate : int
        Sample rate of the audio in Hz (8000-96000).
    chorale_share : float in [0, 1]
        Share of pieces that are Bach chorales rather than composed pieces.
    jobs : int >= 1
        Worker processes.
    progress : bool
        Show a tqdm progress bar on stderr.
    scheduler : str, optional
        ``local:N`` or a Dask scheduler's address: render on Dask (the workers need
        FluidSynth and the soundfonts, and ``out_dir`` on storage they share). A
        piece is the same whoever renders it.
    retries : int >= 0
        With ``scheduler``: runs of a failing task after its first.
    summary : list, optional
        Receives a :class:`~samplechop.batch.summary.SummaryRow` per piece.

    Returns
    -------
    paths : list of pathlib.Path
        The ``.flac`` files, in piece order (existing pieces included).

    Raises
    ------
    ParameterError
        For a bad option, or when fluidsynth or a needed soundfont is missing.
    AudioError
        When FluidSynth fails or a piece renders silent.
    OutputError
        When ``out_dir`` cannot be written.
    """
    count = _check_int("count", count, minimum=0)
    seed = _check_int("seed", seed, minimum=0)
    jobs = _check_int("jobs", jobs, minimum=1)
    sample_rate = _check_int("sample_rate", sample_rate, minimum=1)
    check_split(split)
    if not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ParameterError(
            f"sample_rate must be {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz for FluidSynth, not {sample_rate}"
        )
    if not (isinstance(duration, (int, float)) and np.isfinite(duration) and 0 < duration <= 3600):
        raise ParameterError(f"duration must be a number of seconds in (0, 3600], not {duration!r}")
    if not (isinstance(chorale_share, (int, float)) and 0 <= chorale_share <= 1):
        raise ParameterError(f"chorale_share must be between 0 and 1, not {chorale_share!r}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{out_dir}: cannot create the output folder ({error.strerror or error})") from None
    work = [
        _Job(str(out_dir), index, seed, split, float(duration), sample_rate, float(chorale_share))
        for index in range(count)
    ]
    missing = [
        job for job in work
        if not all(
            (out_dir / (piece_name(seed=seed, index=job.index, split=split, chorale_share=chorale_share) + s)).is_file()
            for s in (".flac", ".txt")
        )
    ]
    if missing:
        require_fluidsynth()
        require_soundfonts(SPLIT_SOUNDFONTS[split])
    todo = {job.index for job in missing}
    paths: dict[int, Path] = {}
    rows: dict[int, SummaryRow] = {}
    for job in work:
        if job.index not in todo:
            path = paths[job.index] = _render_one(job)[1]
            rows[job.index] = SummaryRow(path.stem, "done", _count_labels(path.with_suffix(".txt")), str(path))
    failures: list[SampleChopError] = []
    with run_units(render_piece, missing, jobs=jobs, scheduler=scheduler, retries=retries, progress=progress,
                   desc=f"render {split}") as finished:
        for number, record in finished:
            job = missing[number]
            if isinstance(record, TaskFailure):
                name = piece_name(seed=seed, index=job.index, split=split, chorale_share=chorale_share)
                record = _Rendered(job.index, out_dir / f"{name}.flac",
                                   error=AudioError(f"{name}: {record.message}"))
            paths[job.index] = record.path
            if record.error is not None:
                failures.append(record.error)
                rows[job.index] = SummaryRow(record.path.stem, "failed", error=str(record.error))
            else:
                rows[job.index] = SummaryRow(record.path.stem, "rendered", record.labels, str(record.path))
    if summary is not None:
        summary.extend(rows[index] for index in range(count))
    if failures:
        first = failures[0]
        if len(failures) > 1:
            raise type(first)(f"{first} (and {len(failures) - 1} other piece(s) failed; running again renders "
                              "only what is missing)")
        raise first
    return [paths[index] for index in range(count)]

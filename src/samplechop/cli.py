"""The ``samplechop`` command line.

Argument parsing imports nothing heavy, so ``samplechop --help`` answers at once;
each command imports what it needs after its arguments are parsed. Every error a
user can cause is one line on stderr and an exit code (see
:mod:`samplechop.exceptions`), never a traceback.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from typing import Callable, Optional, Sequence

from . import __version__, blas, interrupts
from .chop.settings import MODES, ChopSettings
from .console import printable
from .constants import TRAINING_PRECISIONS
from .exceptions import SampleChopError
from .training.learn_settings import MIN_FILES_TO_CHECK, LearnSettings

__all__ = ["main", "build_parser"]

EXIT_INTERRUPTED = 130


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _add_batch_options(parser: argparse.ArgumentParser, *, jobs_default: Optional[int], what: str,
                       summary: bool = True) -> None:
    """``--jobs``, ``--scheduler``, ``--retries`` and ``--summary`` of a bulk command."""
    jobs_help = "the number of cores" if jobs_default is None else str(jobs_default)
    parser.add_argument("--jobs", type=int, default=jobs_default,
                        help=f"{what} processed in parallel by the local process pool, 1 = in this process "
                             f"(default {jobs_help})")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on Dask instead of the local pool: a scheduler's address "
                             "(tcp://HOST:8786) or local:N to start N worker processes here "
                             "(needs the cluster extra; see docs/cluster.md)")
    parser.add_argument("--retries", type=int, default=2,
                        help="with --scheduler: runs of a failing task after its first (default 2)")
    if summary:
        parser.add_argument("--summary", default=None, metavar="FILE",
                            help=f"write the status of every one of the {what} to FILE (.csv or .json)")


def _add_chop_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "chop",
        help="find the best chop points of samples and write the chops as WAV files",
        description=(
            "Find the best N chop points of each sample and write the chops as WAV files "
            "(<out>/<stem>/<stem>_chop01.wav ...), with <stem>.chops.json and a label file "
            "<stem>.txt, plus what a sampler opens (--format): an MPC drum program, an SFZ "
            "instrument, a MIDI file, ... INPUT may be audio files (WAV, AIFF, FLAC, OGG, MP3) "
            "or folders."
        ),
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="audio files or folders of audio files")
    parser.add_argument("--demo", action="store_true", help="chop the demo sample shipped with samplechop")
    parser.add_argument("-n", "--chops", dest="n", type=int, default=ChopSettings.n,
                        help=f"chops per file (default {ChopSettings.n})")
    parser.add_argument("-o", "--output", default="chops", help="output folder (default ./chops)")
    parser.add_argument("--lambda", dest="lam", type=_number, default=ChopSettings.lam,
                        help="diversity weight in [0, 1]: 0 takes the most probable chops, "
                             f"higher values prefer chops that sound unalike (default {ChopSettings.lam:g})")
    parser.add_argument("--threshold", type=_number, default=None,
                        help="lowest score in [0, 1] of a chop candidate (default: the model's); "
                             "the file's first attack is kept whatever its score")
    parser.add_argument("--min-length", type=_number, default=ChopSettings.min_length,
                        help=f"shortest chop in seconds; closer candidates merge (default {ChopSettings.min_length:g})")
    parser.add_argument("--max-length", type=_number, default=None,
                        help="longest chop in seconds (default: each chop runs to the next)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="candidates kept for selection, best first (default 2 x N, at least N + 8)")
    parser.add_argument("--mode", choices=MODES, default=ChopSettings.mode,
                        help="'chops': only the chops; 'contiguous': the original split, "
                             "the audio before the first chop included (default chops)")
    parser.add_argument("--fade-in", type=_number, default=ChopSettings.fade_in * 1000,
                        help=f"fade-in in milliseconds, 0 for none (default {ChopSettings.fade_in * 1000:g})")
    parser.add_argument("--fade-out", type=_number, default=ChopSettings.fade_out * 1000,
                        help=f"fade-out in milliseconds, 0 for none (default {ChopSettings.fade_out * 1000:g})")
    parser.add_argument("--no-refine", action="store_true",
                        help="cut at the model's frames, not moved to the attack and a zero crossing")
    parser.add_argument("--release-db", type=_number, default=ChopSettings.release_db,
                        help="no chop where the level of the next 100 ms falls by more than this many dB "
                             f"(a release or decay); 0 turns the rule off (default {ChopSettings.release_db:g})")
    parser.add_argument("--no-first-attack", action="store_true",
                        help="do not always keep the file's first attack as a chop (by default it is "
                             "kept, whatever the model scores there, as the label convention's rule 4)")
    parser.add_argument("--format", dest="formats", default=None, metavar="LIST",
                        help="comma-separated outputs besides the WAV chops: xpm (MPC drum program), "
                             "sfz (SFZ instrument), markers (the source as one WAV with a cue marker "
                             "per chop), midi (the chops in their original timing), plot (PNG), "
                             "report (self-contained HTML page), zip (the whole kit), or all "
                             "(default wav,xpm,sfz,midi; plot and report need the plot extra)")
    parser.add_argument("--start-note", default=None, metavar="NOTE",
                        help="MIDI note of the first chop on the MPC pads, SFZ keys and MIDI file: "
                             "a number or a name with middle C = C3 (default 36 = C1, pad A01)")
    parser.add_argument("--model", default=None, help="model file (default: the model shipped in the package)")
    parser.add_argument("--dry-run", action="store_true", help="print the chops, write nothing")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    parser.add_argument("--resume", action="store_true",
                        help="skip inputs whose kit is complete in the output folder, so that a batch "
                             "run again does only what is missing or failed")
    _add_batch_options(parser, jobs_default=None, what="files")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                        help="progress bar on stderr (default: when stderr is a terminal)")
    parser.set_defaults(handler=_run_chop)


def _add_dataset_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("dataset", help="build training data from labelled audio")
    sub = parser.add_subparsers(dest="dataset_command", metavar="COMMAND", required=True)
    build = sub.add_parser(
        "build",
        help="turn audio files with label files into feature shards",
        description=(
            "Turn audio files, each with a label file of the same stem (.txt: comma-separated "
            "or one time per line, or an Audacity label track; or the .chops.json that chop "
            "writes), into memory-mapped feature shards and a manifest. Re-running skips "
            "sources already built."
        ),
    )
    build.add_argument("sources", nargs="+", metavar="SRC", help="audio files or folders")
    build.add_argument("-o", "--output", required=True, help="data set folder")
    build.add_argument("--features", choices=("logspec", "cqt_sum"), default="logspec",
                       help="feature kind: logspec (default model) or cqt_sum (the original design)")
    build.add_argument("--label-width", type=int, default=1,
                       help="frames either side of a labelled frame that are positive too (default 1)")
    build.add_argument("--valid-share", type=_number, default=0.15,
                       help="share of files held out for validation, by file (default 0.15)")
    build.add_argument("--seed", type=int, default=0, help="seed of the train/validation split")
    _add_batch_options(build, jobs_default=2, what="files")
    build.add_argument("--shard-frames", type=int, default=2_000_000,
                       help="frames per shard file (default 2,000,000)")
    build.add_argument("--repitch", type=int, default=0,
                       help="also store copies re-pitched in the audio by -N..N semitones "
                            "(default 0: training re-pitches in the feature domain instead)")
    build.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    build.set_defaults(handler=_run_dataset_build)


def _add_train_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train",
        help="train a chop model on a data set (needs the train extra: PyTorch)",
        description="Train a chop model on a data set built with 'samplechop dataset build'.",
    )
    parser.add_argument("data", metavar="DATA", help="data set folder")
    parser.add_argument("-o", "--output", required=True, help="model file to write (.npz)")
    parser.add_argument("--arch", choices=("chopnet", "seed"), default=None,
                        help="architecture (default: chopnet for logspec data, seed for cqt_sum)")
    parser.add_argument("--init", default=None, help="fine-tune this model file instead of starting afresh")
    parser.add_argument("--steps", type=int, default=3000, help="most training steps (default 3000)")
    parser.add_argument("--batch-size", type=int, default=16, help="excerpts per batch (default 16)")
    parser.add_argument("--excerpt", type=_number, default=12.0,
                        help="seconds per training excerpt (default 12)")
    parser.add_argument("--lr", type=_number, default=2e-3, help="learning rate (default 0.002)")
    parser.add_argument("--pitch-shift", type=int, default=3,
                        help="random re-pitching up to +-this many semitones, 0 for none (default 3)")
    parser.add_argument("--eq-db", type=_number, default=6.0,
                        help="random level, tilt and bell EQ of the spectrogram, each up to +-this many "
                             "dB, 0 for none (default 6)")
    parser.add_argument("--start-share", type=_number, default=0.0,
                        help="share of training excerpts that start at their file's first frame, where chop "
                             "sees every file start (default 0: every excerpt at a random frame)")
    parser.add_argument("--mix", action="append", default=[], metavar="DATA:SHARE",
                        help="also draw this share (0-1) of the training excerpts from another data set built "
                             "with the same options, such as a few real recordings; may be repeated "
                             "(validation stays on DATA's validation files)")
    parser.add_argument("--keep", choices=("best", "last"), default="best",
                        help="which model to write: the one of the best validation F (default), or the last "
                             "step's, with no early stopping")
    parser.add_argument("--eval-every", type=int, default=250, help="steps between validations (default 250)")
    parser.add_argument("--patience", type=int, default=6,
                        help="validations without improvement before stopping (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint file to resume from and save to (default: OUTPUT + .ckpt)")
    parser.add_argument("--max-minutes", type=_number, default=None, help="stop after this long")
    parser.add_argument("--precision", choices=TRAINING_PRECISIONS, default="float32",
                        help="arithmetic of the network in training: bfloat16 (PyTorch's CPU autocast) runs its "
                             "passes about 1.6x as fast on CPUs with native bfloat16 (default float32)")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.set_defaults(handler=_run_train)


def _add_evaluate_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "evaluate",
        help="score a model against labelled audio, beside baselines",
        description=(
            "F-measure at 50 ms (mir_eval) per file and on average, with N = the number of "
            "labelled chops, for the model and, in the same run, the baselines: librosa onsets "
            "and beat-tracked frames top-N by strength, and a seed model when given. DATA is a "
            "data set folder (its validation files are scored) or audio files/folders with labels."
        ),
    )
    parser.add_argument("data", nargs="+", metavar="DATA", help="data set folder, or labelled audio files/folders")
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--seed-model", default=None, help="a seed-architecture model to score beside it")
    parser.add_argument("--split", choices=("valid", "train", "all"), default="valid",
                        help="which files of a data set to score (default valid)")
    parser.add_argument("--lambda", dest="lam", type=_number, default=ChopSettings.lam,
                        help=f"diversity weight used for the model (default {ChopSettings.lam:g})")
    parser.add_argument("--no-first-attack", action="store_true",
                        help="do not always keep each file's first attack as a chop (as chop --no-first-attack)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the librosa baselines")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the table as JSON here")
    _add_batch_options(parser, jobs_default=1, what="files", summary=False)
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.set_defaults(handler=_run_evaluate)


def _add_corpus_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("corpus", help="render the training corpus from MIDI")
    sub = parser.add_subparsers(dest="corpus_command", metavar="COMMAND", required=True)
    render = sub.add_parser(
        "render",
        help="render pieces with exactly known chop points (needs fluidsynth and GM soundfonts)",
        description="Render generated pieces and Bach chorales into audio plus label files.",
    )
    render.add_argument("-o", "--output", required=True, help="corpus folder")
    render.add_argument("--count", type=int, required=True, help="pieces to render")
    render.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    render.add_argument("--split", choices=("train", "valid", "all"), default="train",
                        help="train: training soundfonts/instruments/styles; valid: the held-out ones")
    render.add_argument("--duration", type=_number, default=30.0, help="seconds per piece (default 30)")
    render.add_argument("--sample-rate", type=int, default=44100, help="Hz (default 44100)")
    render.add_argument("--chorale-share", type=_number, default=0.15,
                        help="share of Bach chorales (default 0.15)")
    _add_batch_options(render, jobs_default=2, what="pieces")
    render.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    render.set_defaults(handler=_run_corpus_render)


def _add_serve_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="start the web app: upload a sample, hear and adjust the chops, download the kit",
        description="Start the samplechop web app (needs the web extra: pip install 'samplechop[web]').",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--max-upload-mb", type=_number, default=200.0,
                        help="largest upload in MB (default 200)")
    parser.add_argument("--keep-minutes", type=_number, default=60.0,
                        help="uploads and results are removed after this many minutes (default 60)")
    parser.add_argument("--library", default=None,
                        help="library folder the page saves samples to, learns from and keeps your models in "
                             "(default: $SAMPLECHOP_LIBRARY or the user data folder)")
    parser.set_defaults(handler=_run_serve)


def _add_library_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "library",
        help="your own chops, kept to learn from: list, add, remove",
        description="The library of samples you chopped or corrected, that `samplechop learn` learns from. "
                    "It lives in your user data folder (or $SAMPLECHOP_LIBRARY, or --library).",
    )
    parser.add_argument("--library", default=None, help="library folder (default: $SAMPLECHOP_LIBRARY or the "
                                                        "user data folder)")
    sub = parser.add_subparsers(dest="library_command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="list the samples in the library")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON on stdout")
    add = sub.add_parser("add", help="save chopped samples: kit folders from chop, or audio with a label file")
    add.add_argument("paths", nargs="+", metavar="PATH",
                     help="a kit folder (its <stem>.txt, as you corrected it), or an audio file with a label file")
    add.add_argument("--labels", default=None, help="the label file of an audio file (default: the one beside it)")
    add.add_argument("--name", default=None, help="what to call the sample (default: its file name)")
    remove = sub.add_parser("remove", help="delete a sample from the library")
    remove.add_argument("id", help="its id (or the first 4 or more characters)")
    parser.set_defaults(handler=_run_library)


def _add_learn_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "learn",
        help="fine-tune your own model on your chops; keep it only if it chops held-out ones better",
        description="Build a data set from your chopped samples and fine-tune the model on them. With 5 or more "
                    "samples, some are held out and the new model is written only if it chops them better. "
                    "Needs the train extra (pip install 'samplechop[train]').",
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help="kit folders, audio files with label files, or folders of them (default: the library)")
    parser.add_argument("-o", "--output", required=True, help="model file to write")
    parser.add_argument("--library", default=None, help="library folder to learn from when no SOURCE is given")
    parser.add_argument("--base", default=None, help="model to start from (default: the shipped model)")
    defaults = LearnSettings()
    parser.add_argument("--steps", type=int, default=defaults.steps,
                        help=f"training steps (default {defaults.steps})")
    parser.add_argument("--lr", type=_number, default=defaults.lr, help=f"learning rate (default {defaults.lr:g})")
    parser.add_argument("--held-out-share", type=_number, default=defaults.held_out_share,
                        help="share of samples held out to check the result, with "
                             f"{MIN_FILES_TO_CHECK} or more (default {defaults.held_out_share:g}, at least 2)")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help=f"seed of the split and the training (default {defaults.seed})")
    parser.add_argument("--threads", type=int, default=defaults.threads,
                        help=f"PyTorch threads (default {defaults.threads})")
    parser.add_argument("--work", default=None, help="folder in which a MODEL.learn folder keeps the data set and "
                                                     "checkpoint until the run ends (default: beside the output)")
    parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto")
    parser.set_defaults(handler=_run_learn)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="samplechop",
        description="Find the best points to chop a sample, the way a producer slices it onto pads.",
    )
    parser.add_argument("--version", action="version", version=f"samplechop {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_chop_parser(commands)
    _add_dataset_parser(commands)
    _add_train_parser(commands)
    _add_evaluate_parser(commands)
    _add_corpus_parser(commands)
    _add_serve_parser(commands)
    _add_library_parser(commands)
    _add_learn_parser(commands)
    return parser


def _show_progress(choice: str) -> bool:
    if choice == "on":
        return True
    if choice == "off":
        return False
    return sys.stderr.isatty()


def _run_chop(args: argparse.Namespace) -> int:
    from .commands.chop import run_chop

    return run_chop(args, progress=_show_progress(args.progress))


def _run_dataset_build(args: argparse.Namespace) -> int:
    from .commands.dataset import run_dataset_build

    return run_dataset_build(args, progress=_show_progress(args.progress))


def _run_train(args: argparse.Namespace) -> int:
    from .commands.train import run_train

    return run_train(args, progress=_show_progress(args.progress))


def _run_evaluate(args: argparse.Namespace) -> int:
    from .commands.evaluate import run_evaluate

    return run_evaluate(args, progress=_show_progress(args.progress))


def _run_corpus_render(args: argparse.Namespace) -> int:
    from .commands.corpus import run_corpus_render

    return run_corpus_render(args, progress=_show_progress(args.progress))


def _run_library(args: argparse.Namespace) -> int:
    from .commands.library import run_library

    return run_library(args)


def _run_learn(args: argparse.Namespace) -> int:
    from .commands.learn import run_learn

    return run_learn(args, progress=_show_progress(args.progress))


def _run_serve(args: argparse.Namespace) -> int:
    from .commands.serve import run_serve

    return run_serve(args)


def _abandon_staging() -> None:
    """Remove what a stopped run was still building (see :func:`io.fileio.abandon_staging`)."""
    with interrupts.ignored():
        from .io.fileio import abandon_staging

        abandon_staging()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    # numpy's BLAS on one thread (see samplechop.blas), asked for before numpy is
    # imported: OpenBLAS then starts no threads at all, which saves 0.04 s of CPU.
    blas.before_numpy()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with interrupts.stops_as_interrupts():
            return int(handler(args))
    except interrupts.StopSignal as stop:
        _abandon_staging()
        print(f"samplechop: stopped by {signal.Signals(stop.signum).name}; "
              "nothing half-written was left behind", file=sys.stderr)
        return 128 + stop.signum
    except SampleChopError as error:
        print(f"samplechop: error: {printable(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        _abandon_staging()
        print("samplechop: interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # an unexpected failure: one line, unless --debug
        if args.debug:
            raise
        print(f"samplechop: unexpected error: {type(error).__name__}: {printable(str(error))} "
              "(run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

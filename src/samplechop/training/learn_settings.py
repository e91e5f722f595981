"""The settings of ``learn`` and how many samples it needs, without importing PyTorch.

The command line reads the defaults from here for its options, and the web app checks
a learning request against these before it starts the (PyTorch) learning process, so
that too few samples or an unknown setting are refused at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import LibraryError, ParameterError

__all__ = ["LearnSettings", "MIN_FILES", "MIN_FILES_TO_CHECK", "MAX_HELD_OUT", "check_source_count",
           "held_out_count"]

#: Fewest labelled samples learnt from.
MIN_FILES = 3
#: Fewest samples with which some are held out to check the new model.
MIN_FILES_TO_CHECK = 5
#: Most samples held out (the rest are learnt from).
MAX_HELD_OUT = 10


def check_source_count(count: int) -> None:
    """Refuse fewer than :data:`MIN_FILES` labelled samples.

    Raises
    ------
    LibraryError
        Naming how many there are and how many learning needs.
    """
    if count < MIN_FILES:
        raise LibraryError(
            f"{count} labelled sample{'s' if count != 1 else ''}: learning needs at least "
            f"{MIN_FILES} (and {MIN_FILES_TO_CHECK} or more to check the new model on some held out)"
        )


@dataclass
class LearnSettings:
    """How ``learn`` fine-tunes (the defaults are the measured choice, docs/learn.md).

    Attributes
    ----------
    steps : int
        Training steps (batches of 16 excerpts of 12 s).
    lr : float
        Peak learning rate (cosine schedule after a short warm-up).
    held_out_share : float
        Share of the samples held out to check the result (see :func:`held_out_count`).
    seed : int
        Seed of the split and of the training.
    threads : int
        PyTorch threads.
    batch_size, excerpt : int, float
        Excerpts per step and their length in seconds (as ``samplechop train``).
    pitch_shift, eq_db : int, float
        The training's augmentation: random shifts of up to this many semitones and
        random equaliser gains of up to this many dB (as ``samplechop train``).
    """

    steps: int = 500
    lr: float = 5e-4
    held_out_share: float = 0.3
    seed: int = 0
    threads: int = 2
    batch_size: int = 16
    excerpt: float = 12.0
    pitch_shift: int = 3
    eq_db: float = 6.0

    def validate(self) -> "LearnSettings":
        if not 1 <= self.steps <= 100_000:
            raise ParameterError(f"--steps must be between 1 and 100000, got {self.steps}")
        if not 0 < self.lr < 0.1:
            raise ParameterError(f"--lr must be in (0, 0.1), got {self.lr}")
        if not 0 < self.held_out_share < 1:
            raise ParameterError(f"--held-out-share must be in (0, 1), got {self.held_out_share}")
        return self


def held_out_count(files: int, share: float = LearnSettings.held_out_share) -> int:
    """Samples held out of ``files``: none below :data:`MIN_FILES_TO_CHECK`, else
    ``round(share * files)``, at least 2 and at most :data:`MAX_HELD_OUT`.

    One held-out sample is too few to judge by: a single chop more or less decides.
    """
    if files < MIN_FILES_TO_CHECK:
        return 0
    return int(min(MAX_HELD_OUT, max(2, round(share * files))))

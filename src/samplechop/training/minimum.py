"""How many labelled samples ``learn`` needs, without importing PyTorch.

The web app checks a learning request against these before it starts the (PyTorch)
learning process, so that too few samples are refused at once, in ``learn``'s words.
"""

from __future__ import annotations

from ..exceptions import LibraryError

__all__ = ["MIN_FILES", "MIN_FILES_TO_CHECK", "check_source_count"]

#: Fewest labelled samples learnt from.
MIN_FILES = 3
#: Fewest samples with which some are held out to check the new model.
MIN_FILES_TO_CHECK = 5


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

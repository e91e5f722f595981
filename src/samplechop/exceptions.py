"""The one exception family of samplechop.

Every error that a user can cause derives from :class:`SampleChopError`; the
command line prints its message as one line and exits with its ``exit_code``.
"""


class SampleChopError(Exception):
    """Base class of every samplechop error."""

    exit_code = 1


class ParameterError(SampleChopError):
    """An option or argument is out of range or inconsistent."""

    exit_code = 2


class AudioError(SampleChopError):
    """An audio file is missing, unreadable, corrupt, silent or too short."""

    exit_code = 3


class AnnotationError(SampleChopError):
    """A label file is missing, empty or holds invalid times."""

    exit_code = 3


class ModelError(SampleChopError):
    """A model file is missing, corrupt or does not fit the features."""

    exit_code = 4


class DatasetError(SampleChopError):
    """A data set (shards and manifest) is missing, corrupt or inconsistent."""

    exit_code = 5


class OutputError(SampleChopError):
    """An output cannot be written: it exists already, or its folder is not writable."""

    exit_code = 6


class LibraryError(SampleChopError):
    """The library of the user's own chops is missing, corrupt or cannot take an entry."""

    exit_code = 5


class ClusterError(SampleChopError):
    """A Dask scheduler cannot be reached, has no workers, or the ``--scheduler`` address is malformed."""

    exit_code = 7

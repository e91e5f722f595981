"""HTTP statuses of samplechop's errors, and the web app's own refusals.

Every error answer of the API is JSON ``{"error": "<one line for the page>"}``.
"""

from __future__ import annotations

from typing import Optional

from ..exceptions import (
    AnnotationError,
    AudioError,
    ModelError,
    OutputError,
    ParameterError,
    SampleChopError,
)

__all__ = ["WebError", "http_status"]


class WebError(SampleChopError):
    """A request the web app refuses: too large, unknown session, server busy...

    Parameters
    ----------
    status : int
        The HTTP status of the answer (4xx or 503).
    message : str
        One line, shown on the page.
    retry_after : int, optional
        Seconds after which the request may succeed; sent as ``Retry-After`` (for 503).
    """

    def __init__(self, status: int, message: str, *, retry_after: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """The answer's extra headers."""
        return {} if self.retry_after is None else {"Retry-After": str(int(self.retry_after))}


def http_status(error: SampleChopError) -> int:
    """The HTTP status that answers ``error``.

    Bad options, labels and audio are the client's (422); a broken model or an
    unwritable kit is the server's (500).
    """
    if isinstance(error, WebError):
        return error.status
    if isinstance(error, (ParameterError, AnnotationError, AudioError)):
        return 422
    if isinstance(error, (ModelError, OutputError)):
        return 500
    return 400

"""The web app's limits and defaults, in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Optional

from ..exceptions import ParameterError
from ..training.learn_settings import LearnSettings

__all__ = ["WebSettings", "LEARN_OPTIONS"]

_MB = 1024 * 1024

#: The settings that :attr:`WebSettings.learn_options` may set: the fields of
#: :class:`samplechop.training.learn_settings.LearnSettings`.
LEARN_OPTIONS = tuple(setting.name for setting in fields(LearnSettings))


@dataclass(frozen=True)
class WebSettings:
    """Limits of the web app.

    Attributes
    ----------
    max_upload_mb : float > 0
        Largest upload in MiB; a larger one is refused while it streams in (HTTP 413).
    keep_minutes : float > 0
        A session (its upload, analysis and kits) is removed this long after it was
        last used.
    max_audio_minutes : float > 0
        Longest audio accepted (its analysis is kept in memory while the session lives).
    max_sessions : int >= 1
        Sessions kept at once. When the server is full, a new upload replaces the
        session unused for longest, if it has been unused for ``evict_after_seconds``;
        otherwise it is refused (HTTP 503). A session's analysis takes about 100 kB
        per second of audio (the mono signal at 22.05 kHz and the features), so the
        defaults bound it to 16 x 20 minutes, about 2 GB.
    max_client_sessions : int >= 1
        Sessions kept for one client address: its next upload replaces its session
        unused for longest (a client that never deletes cannot fill the server).
    evict_after_seconds : float >= 0
        How long another client's session must have been unused before a new upload
        may replace it on a full server.
    max_pending : int >= 1
        Analyses waiting or running at once; more uploads are refused (HTTP 503).
    max_uploading : int >= 1
        Uploads being received at once; more are refused (HTTP 503).
    max_client_uploading : int >= 1
        Uploads one client address may send at once.
    upload_idle_seconds, upload_seconds : float > 0
        An upload fails (HTTP 408) when nothing arrives for ``upload_idle_seconds``
        or when it takes longer than ``upload_seconds``.
    max_preview_mb : float > 0
        Largest preview (the WAV the page plays): a longer or higher-rate sample is
        previewed at a lower rate, or in mono, to fit.
    max_kit_mb : float > 0
        Largest kit (its WAV chops and their zip, on disk while it is sent).
    max_disk_mb : float > 0
        All the server's files at once (uploads, previews, kits); an upload or a kit
        beyond it is refused (HTTP 503).
    workers : int >= 1
        Analyses run in parallel, off the request path.
    max_json_kb : float > 0
        Largest JSON request body in KiB.
    host : str
        The address the server listens on. On a loopback address (the default) only
        requests whose ``Host`` is that address or ``localhost`` are answered, so
        that another site cannot reach the server by DNS rebinding.
    library : path-like, optional
        The library folder the page saves samples to and learns from, and whose
        ``models`` folder keeps the producer's models (default:
        :func:`samplechop.library.default_library_dir`).
    max_library_mb : float > 0
        Saving to the library is refused (HTTP 409) once its samples take this much.
    max_models : int >= 1
        Personal models kept (learnt or imported); more are refused (HTTP 409).
    max_model_mb : float > 0
        Largest model file imported (HTTP 413 beyond).
    learn_options : mapping
        Settings of the learning runs that differ from ``samplechop learn``'s
        defaults (keys of :data:`LEARN_OPTIONS`); PyTorch uses one thread unless
        ``threads`` says otherwise. Tests ask for a few steps of small batches.
    """

    max_upload_mb: float = 200.0
    keep_minutes: float = 60.0
    max_audio_minutes: float = 20.0
    max_sessions: int = 16
    max_client_sessions: int = 8
    evict_after_seconds: float = 60.0
    max_pending: int = 8
    max_uploading: int = 8
    max_client_uploading: int = 4
    upload_idle_seconds: float = 15.0
    upload_seconds: float = 600.0
    max_preview_mb: float = 48.0
    max_kit_mb: float = 1024.0
    max_disk_mb: float = 6144.0
    workers: int = 2
    max_json_kb: float = 256.0
    host: str = "127.0.0.1"
    library: Optional[Path] = None
    max_library_mb: float = 4096.0
    max_models: int = 32
    max_model_mb: float = 64.0
    learn_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes."""
        return int(self.max_upload_mb * _MB)

    @property
    def max_preview_bytes(self) -> int:
        """The preview limit in bytes."""
        return int(self.max_preview_mb * _MB)

    @property
    def max_kit_bytes(self) -> int:
        """The kit limit in bytes."""
        return int(self.max_kit_mb * _MB)

    @property
    def max_disk_bytes(self) -> int:
        """The limit of all the server's files, in bytes."""
        return int(self.max_disk_mb * _MB)

    @property
    def max_library_bytes(self) -> int:
        """The library limit in bytes."""
        return int(self.max_library_mb * _MB)

    @property
    def max_model_bytes(self) -> int:
        """The model import limit in bytes."""
        return int(self.max_model_mb * _MB)

    def library_dir(self) -> Path:
        """The library folder."""
        if self.library is not None:
            return Path(self.library)
        from ..library import default_library_dir

        return default_library_dir()

    @property
    def keep_seconds(self) -> float:
        """The session lifetime in seconds."""
        return self.keep_minutes * 60.0

    @property
    def max_json_bytes(self) -> int:
        """The JSON body limit in bytes."""
        return int(self.max_json_kb * 1024)

    def validate(self) -> "WebSettings":
        """Check every limit; raise :class:`ParameterError` naming the first bad one."""
        for name, value in (("--max-upload-mb", self.max_upload_mb), ("--keep-minutes", self.keep_minutes),
                            ("max_audio_minutes", self.max_audio_minutes), ("max_json_kb", self.max_json_kb),
                            ("upload_idle_seconds", self.upload_idle_seconds),
                            ("upload_seconds", self.upload_seconds), ("max_preview_mb", self.max_preview_mb),
                            ("max_kit_mb", self.max_kit_mb), ("max_disk_mb", self.max_disk_mb),
                            ("max_library_mb", self.max_library_mb), ("max_model_mb", self.max_model_mb)):
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a positive number, got {value}")
        if not (math.isfinite(self.evict_after_seconds) and self.evict_after_seconds >= 0):
            raise ParameterError(f"evict_after_seconds must be >= 0, got {self.evict_after_seconds}")
        for name, count in (("max_sessions", self.max_sessions), ("max_pending", self.max_pending),
                            ("max_client_sessions", self.max_client_sessions),
                            ("max_uploading", self.max_uploading),
                            ("max_client_uploading", self.max_client_uploading), ("workers", self.workers),
                            ("max_models", self.max_models)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ParameterError(f"{name} must be a whole number >= 1, got {count}")
        unknown = sorted(set(self.learn_options) - set(LEARN_OPTIONS))
        if unknown:
            raise ParameterError(f"learn_options: unknown setting {unknown[0]!r} (known: {', '.join(LEARN_OPTIONS)})")
        return self

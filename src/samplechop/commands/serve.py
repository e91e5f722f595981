"""``samplechop serve``: start the web app on this machine."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from ..exceptions import ParameterError, SampleChopError

__all__ = ["run_serve", "WEB_PACKAGES"]

#: Import names of the packages the web app needs (the ``web`` extra).
WEB_PACKAGES = ("fastapi", "uvicorn", "python_multipart")


def _check_packages() -> None:
    missing = [name for name in WEB_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise SampleChopError(
            f"the web app needs {', '.join(missing)}: pip install 'samplechop[web]'"
        )


def run_serve(args: argparse.Namespace) -> int:
    """Serve the web app until interrupted; returns the exit code.

    Uses ``args.host``, ``args.port``, ``args.model``, ``args.max_upload_mb``,
    ``args.keep_minutes`` and ``args.library``. Options and the model are checked before the server starts.
    """
    from ..web.settings import WebSettings

    if not 0 <= args.port <= 65535:
        raise ParameterError(f"--port must be between 0 and 65535, got {args.port}")
    settings = WebSettings(max_upload_mb=args.max_upload_mb, keep_minutes=args.keep_minutes,
                           host=args.host, library=getattr(args, "library", None)).validate()
    _check_packages()
    from ..model import load_model

    model = load_model(args.model)

    import uvicorn

    from ..web.app import create_app

    app = create_app(model, settings)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"samplechop web app on http://{shown}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("samplechop: note: listening beyond this machine; anyone who can reach it can upload",
              file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0

"""The web app: upload a sample, see and hear the chops, adjust them, download the kit.

``samplechop serve`` runs it (see :mod:`samplechop.commands.serve`); the application
itself is built by :func:`samplechop.web.app.create_app`, which needs the ``web``
extra (FastAPI, uvicorn, python-multipart). See ``docs/web.md``.
"""

from .settings import WebSettings

__all__ = ["WebSettings"]

"""The learning process's side: ``python -m samplechop.web.learn_child``.

:class:`samplechop.web.learning.Learner` starts it with the job as one JSON document
on its standard input (``sources``: audio, labels, sha256 and name of each sample;
``output``, ``work``, ``base`` paths; ``options`` of
:class:`~samplechop.training.learn.LearnSettings`) and reads one JSON document per
line of its standard output: ``{"progress": [phase, done, total]}``, ``{"log": line}``,
then ``{"done": report}``, ``{"failed": message}`` (a samplechop error, for the page)
or ``{"crashed": traceback}`` (a bug, for the server's log).

A fresh interpreter (rather than a fork of the server) inherits none of the server's
threads, locks or onnxruntime sessions (see :mod:`samplechop.workers`), and needs no
main-module guard in whatever script started the server.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from ..exceptions import SampleChopError
from ..library.store import LabelledSource

__all__ = ["main"]


def _sender(stream: TextIO):
    def send(**message: Any) -> None:
        stream.write(json.dumps(message) + "\n")
        stream.flush()

    return send


def run(job: dict[str, Any], send) -> None:
    """Run the learning job described by ``job``, reporting through ``send(**message)``."""
    try:
        from dataclasses import asdict

        from ..training.learn import LearnSettings, learn

        sources = [LabelledSource(audio=Path(item["audio"]), labels=Path(item["labels"]), sha256=item["sha256"],
                                  name=item["name"]) for item in job["sources"]]
        report = learn(sources, job["output"], base=job["base"], settings=LearnSettings(**job["options"]),
                       work=job["work"], log=lambda line: send(log=str(line)),
                       on_progress=lambda phase, done, total: send(progress=[phase, done, total]))
        send(done=asdict(report))
    except SampleChopError as error:
        send(failed=str(error))
    except Exception:
        send(crashed=traceback.format_exc())


def main() -> int:
    """Read the job from standard input, run it, report on standard output."""
    send = _sender(sys.stdout)
    try:
        job = json.loads(sys.stdin.read())
    except ValueError as error:
        send(crashed=f"unreadable job: {error}")
        return 2
    run(job, send)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The report (``<stem>.html``): one self-contained page to audition and share a kit.

The page embeds everything as ``data:`` URIs (the plot as PNG, each chop as WAV), so
it opens in any browser from anywhere, by itself: e-mailed, uploaded or moved out of
the kit. It holds the source's tempo and key, the plot, and a table of the chops
(number, MPC pad, key, start, duration, score, rank, peak and RMS level, pitch class)
with a player for each. Its size is about 4/3 of the chops' WAV files.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

__all__ = ["build_report", "REPORT_SUFFIX"]

REPORT_SUFFIX = ".html"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #212529; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
p.meta { color: #495057; margin-top: 0; }
img { max-width: 100%; height: auto; border: 1px solid #dee2e6; }
table { border-collapse: collapse; margin-top: 1.5em; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #dee2e6; text-align: right; }
th { background: #f1f3f5; }
td.file { text-align: left; font-family: ui-monospace, monospace; font-size: 0.85em; }
audio { height: 2em; vertical-align: middle; }
"""


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def build_report(
    document: Mapping[str, Any],
    *,
    folder: Path,
    png: Optional[bytes],
    title: str,
) -> str:
    """The HTML text of a kit's report.

    Parameters
    ----------
    document : mapping
        The kit's manifest (see :func:`samplechop.export.manifest.manifest`).
    folder : Path
        Where the chops' WAV files are (read and embedded).
    png : bytes or None
        The plot.
    title : str
        The page's heading (the source's name).

    Returns
    -------
    html : str
    """
    source = document.get("source", {})
    facts = [f"{source.get('duration', 0):.1f} s", f"{source.get('sample_rate', '?')} Hz",
             f"{source.get('channels', '?')} ch"]
    if source.get("tempo"):
        facts.append(f"{source['tempo']:.1f} BPM (estimated)")
    if source.get("key"):
        facts.append(f"{source['key']} (estimated)")
    chops: Sequence[Mapping[str, Any]] = document.get("chops", [])
    facts.append(f"{len(chops)} chops")
    rows = []
    for chop in chops:
        wav = (folder / chop["file"]).read_bytes()
        rows.append(
            "<tr>"
            f"<td>{chop['index']}</td><td>{_cell(chop.get('pad'))}</td><td>{_cell(chop.get('note'))}</td>"
            f"<td>{chop['start']:.3f}</td><td>{chop['duration']:.3f}</td>"
            f"<td>{'-' if chop.get('rank') is None else _cell(chop['score'])}</td><td>{_cell(chop.get('rank'))}</td>"
            f"<td>{_cell(chop.get('peak_db'), 1)}</td><td>{_cell(chop.get('rms_db'), 1)}</td>"
            f"<td>{_cell(chop.get('pitch_class'))}</td>"
            f'<td><audio controls preload="none" src="{_data_uri("audio/wav", wav)}"></audio></td>'
            f'<td class="file">{escape(chop["file"])}</td>'
            "</tr>"
        )
    image = ""
    if png is not None:
        image = f'<img src="{_data_uri("image/png", png)}" alt="waveform, chops and score of {escape(title)}">'
    header = ("<tr><th>#</th><th>pad</th><th>key</th><th>start (s)</th><th>duration (s)</th><th>score</th>"
              "<th>rank</th><th>peak (dBFS)</th><th>RMS (dBFS)</th><th>pitch</th><th>listen</th>"
              "<th>file</th></tr>")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}: chops</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(", ".join(facts))}. '
        f'Chopped by samplechop {escape(str(document.get("samplechop", "")))}.</p>',
        image,
        "<table>",
        header,
        *rows,
        "</table>",
        "</body>",
        "</html>",
        "",
    ])

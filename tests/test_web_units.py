"""The web app's parts: selection with kept spectra, names, limits, and `samplechop serve`."""

from __future__ import annotations

import urllib.request

import numpy as np
import pytest

from samplechop.chop import ChopSettings, analyse, select_chops
from samplechop.cli import main
from samplechop.exceptions import AudioError, ModelError, OutputError, ParameterError
from samplechop.io.resources import demo_path
from samplechop.web.errors import WebError, http_status
from samplechop.web.selection import SpectraCache, select, snap  # noqa: E402
from samplechop.web.sessions import display_name, source_suffix  # noqa: E402
from samplechop.web.settings import WebSettings
from web_support import start_server, stop_server


@pytest.fixture(scope="module")
def demo_analysis(web_model):
    return analyse(demo_path(), model=web_model)


def test_select_with_kept_spectra_equals_select_chops(demo_analysis):
    cache = SpectraCache()
    for settings in (ChopSettings(n=6), ChopSettings(n=6, lam=0.0), ChopSettings(n=6, lam=0.9),
                     ChopSettings(n=8, lam=0.5, threshold=0.61), ChopSettings(n=3, lam=0.3, min_length=0.5),
                     ChopSettings(n=16, threshold=1.0)):
        ours, theirs = select(demo_analysis, settings, cache), select_chops(demo_analysis, settings)
        assert [(c.start_sample, c.end_sample, c.rank) for c in ours.chops] == \
               [(c.start_sample, c.end_sample, c.rank) for c in theirs.chops]
        np.testing.assert_array_equal(ours.candidates.times, theirs.candidates.times)
        assert ours.notes == theirs.notes and ours.threshold == theirs.threshold
    assert len(cache) > 0


def test_spectra_cache_computes_each_time_once(demo_analysis):
    cache = SpectraCache()
    times = np.array([1.0, 2.0, 3.0])
    first = cache.spectra(demo_analysis, times)
    assert len(cache) == 3
    again = cache.spectra(demo_analysis, np.array([3.0, 1.0]))
    np.testing.assert_array_equal(again, first[[2, 0]])
    assert len(cache) == 3


def test_snap_keeps_a_selected_chop_where_it_is(demo_analysis):
    chops = select_chops(demo_analysis, ChopSettings(n=6)).chops
    for chop in chops:
        assert abs(snap(demo_analysis, chop.start + 0.004) - chop.start) < 0.045
    assert 11.9 < snap(demo_analysis, demo_analysis.info.duration) <= demo_analysis.info.duration


@pytest.mark.parametrize("name, shown, suffix", [
    ("beat.WAV", "beat.WAV", ".wav"),
    ("../../etc/passwd", "passwd", ""),
    ("C:\\Users\\me\\loop.aiff", "loop.aiff", ".aiff"),
    ("bad\x00name\n.mp3", "badname.mp3", ".mp3"),
    ("", "sample", ""),
    ("x" * 300 + ".flac", "x" * 200, ""),
])
def test_display_names_and_suffixes(name, shown, suffix):
    assert display_name(name) == shown
    assert source_suffix(display_name(name)) == suffix


def test_settings_are_checked():
    assert WebSettings().max_upload_bytes == 200 * 1024 * 1024
    for bad in (dict(max_upload_mb=0), dict(keep_minutes=-1), dict(keep_minutes=float("nan")),
                dict(max_sessions=0), dict(workers=1.5)):
        with pytest.raises(ParameterError):
            WebSettings(**bad).validate()


def test_http_statuses():
    assert http_status(WebError(413, "big")) == 413
    assert http_status(ParameterError("n")) == http_status(AudioError("a")) == 422
    assert http_status(ModelError("m")) == http_status(OutputError("o")) == 500


@pytest.mark.parametrize("argv, code", [
    (["serve", "--port", "70000"], 2),
    (["serve", "--max-upload-mb", "0"], 2),
    (["serve", "--keep-minutes", "-5"], 2),
])
def test_serve_refuses_bad_options(argv, code, capsys):
    assert main(argv) == code
    assert "samplechop: error:" in capsys.readouterr().err


def test_serve_refuses_a_missing_model(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "none.npz"), "--port", "0"]) == 4
    assert "not found" in capsys.readouterr().err


def test_serve_starts_the_app_on_localhost(web_model_path, tmp_path):
    from samplechop.io.resources import demo_path
    from samplechop.library import Library

    Library(tmp_path / "mine").add(demo_path(), [0.5, 1.0], name="saved before")
    process, address = start_server(web_model_path, "--max-upload-mb", "3", "--library", str(tmp_path / "mine"))
    try:
        with urllib.request.urlopen(f"{address}/api/config", timeout=5) as answer:
            assert b'"max_upload_mb":3.0' in answer.read()
        with urllib.request.urlopen(f"{address}/api/library", timeout=5) as answer:
            assert b'"name":"saved before"' in answer.read()  # the library of --library
        with urllib.request.urlopen(f"{address}/", timeout=5) as answer:
            assert b"samplechop" in answer.read()
    finally:
        err = stop_server(process)
    assert f"web app on {address}/" in err


def test_score_curve_is_pooled_to_a_bounded_size():
    from samplechop.web.app import MAX_SCORE_POINTS, _score_curve

    activations = np.zeros(10001, np.float32)
    activations[[0, 5000, 10000]] = [0.2, 0.9, 0.7]
    scores, rate = _score_curve(activations, 43.0)
    assert len(scores) <= MAX_SCORE_POINTS and rate == pytest.approx(43.0 * len(scores) / 10002, rel=0.01)
    assert sorted(scores)[-3:] == [0.2, 0.7, 0.9]
    assert _score_curve(activations[:100], 43.0) == ([round(float(v), 3) for v in activations[:100]], 43.0)


def test_spectra_cache_overflow_keeps_answers_whole(web_model):
    from samplechop.chop import analyse, candidate_spectra
    from samplechop.io.resources import demo_path
    from samplechop.web.selection import SpectraCache

    analysis = analyse(demo_path(), model=web_model)
    cache = SpectraCache(max_rows=3)
    first = cache.spectra(analysis, np.array([0.5, 1.0]))
    both = cache.spectra(analysis, np.array([0.5, 1.0, 2.0, 3.0]))  # overflows: the cache starts afresh
    np.testing.assert_array_equal(both[:2], first)
    np.testing.assert_array_equal(both, candidate_spectra(analysis, np.array([0.5, 1.0, 2.0, 3.0])))

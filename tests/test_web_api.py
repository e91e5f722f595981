"""The web app's API: every endpoint, and every bad request the issue names."""

from __future__ import annotations

import io
import math
import threading
import time
import zipfile

import numpy as np
import pytest
import soundfile as sf

from samplechop.io.annotations import read_labels
from samplechop.io.resources import demo_path
from samplechop.web.app import create_app  # noqa: E402
from samplechop.web.settings import WebSettings  # noqa: E402
from web_support import TestClient, multipart_body, tone, wait_until_settled, wav_bytes

DEMO_NAME = "My Demo (take 1).flac"


def upload(client, name: str, data: bytes):
    return client.post("/api/sessions", files={"file": (name, data, "application/octet-stream")})


@pytest.fixture(scope="module")
def served(web_model):
    """A running app with the demo uploaded and analysed: (client, app, status)."""
    app = create_app(web_model)
    with TestClient(app) as client:
        answer = upload(client, DEMO_NAME, demo_path().read_bytes())
        assert answer.status_code == 202, answer.text
        status = wait_until_settled(client, answer.json()["id"])
        assert status["state"] == "ready", status
        yield client, app, status


def url(status, suffix=""):
    return f"/api/sessions/{status['id']}{suffix}"


def select(client, status, **body):
    answer = client.post(url(status, "/select"), json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- the page and its configuration ------------------------------------------------------

def test_page_and_static_files(served):
    client, _, _ = served
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'id="wave-canvas"' in page.text and "/static/app.js" in page.text
    assert client.head("/").status_code == 200
    for name in ("app.js", "api.js", "player.js", "pads.js", "waveform.js", "style.css", "icon.svg"):
        assert client.get(f"/static/{name}").status_code == 200, name
    missing = client.get("/static/../app.py")
    assert missing.status_code == 404
    assert client.get("/nowhere").json() == {"error": "Not Found"}


def test_config_reports_limits_and_defaults(web_model):
    app = create_app(web_model, WebSettings(max_upload_mb=12.5, keep_minutes=7))
    with TestClient(app) as client:
        config = client.get("/api/config").json()
    assert config["max_upload_mb"] == 12.5 and config["keep_minutes"] == 7
    assert config["defaults"] == {"n": 16, "lam": 0.3, "threshold": web_model.threshold}
    assert ".flac" in config["suffixes"] and config["max_chops"] == 512


# --- upload, status and audio ------------------------------------------------------------

def test_upload_status_reports_the_analysis(served):
    _, app, status = served
    assert status["name"] == DEMO_NAME and status["stem"] == "My Demo (take 1)"
    assert status["info"]["duration"] == pytest.approx(12.0)
    assert status["info"]["sample_rate"] == 44100 and status["info"]["channels"] == 2
    analysis = status["analysis"]
    assert len(analysis["scores"]) == math.ceil(12.0 * analysis["frame_rate"])
    assert all(0.0 <= score <= 1.0 for score in analysis["scores"])
    # stored under the safe stem, inside the session's own folder
    session = app.state.store.get(status["id"])
    assert session.source.name == "My Demo (take 1).flac"
    assert session.source.parent == session.folder / "source" and session.folder.parent == app.state.store.root


def test_audio_is_a_wav_of_the_whole_sample(served):
    client, _, status = served
    answer = client.get(url(status, "/audio"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    data, sr = sf.read(io.BytesIO(answer.content))
    assert sr == 44100 and data.shape == (12 * 44100, 2)


# --- selection ---------------------------------------------------------------------------

class _ChosenScores:
    """The web tests' model with the network's scores chosen by the test: ``scores`` at
    the frames of ``times`` (seconds), 0 elsewhere, and a threshold of its own."""

    def __init__(self, model, times, scores, threshold: float) -> None:
        self._model, self.threshold = model, threshold
        self._times, self._scores = np.asarray(times), np.asarray(scores, dtype=np.float32)

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict(self, features, **kwargs):
        frame_rate = self._model.features["sr"] / self._model.features["hop_length"]
        activations = np.zeros(len(features), dtype=np.float32)
        activations[np.round(self._times * frame_rate).astype(int)] = self._scores
        return activations


#: Peaks of the chosen scores on the demo: every 0.25 s, scored from 0.55 to 0.95 in a
#: shuffled order; the file's first attack (at 0.09 s) is scored 0.
CHOSEN_TIMES = np.arange(0.5, 11.51, 0.25)
CHOSEN_SCORES = 0.55 + 0.4 * (7 * np.arange(CHOSEN_TIMES.size) % CHOSEN_TIMES.size) / (CHOSEN_TIMES.size - 1)


@pytest.fixture(scope="module")
def scored(web_model):
    """A running app whose model scores the demo as :data:`CHOSEN_SCORES` say (threshold
    0.5), with the demo uploaded and analysed: (client, status)."""
    app = create_app(_ChosenScores(web_model, CHOSEN_TIMES, CHOSEN_SCORES, threshold=0.5))
    with TestClient(app) as client:
        answer = upload(client, DEMO_NAME, demo_path().read_bytes())
        assert answer.status_code == 202, answer.text
        status = wait_until_settled(client, answer.json()["id"])
        assert status["state"] == "ready", status
        yield client, status


def test_select_follows_n_lambda_and_threshold(scored):
    client, status = scored
    assert status["analysis"]["threshold"] == 0.5
    chops = select(client, status, n=16, lam=0.3)["chops"]
    starts = [chop["start"] for chop in chops]
    assert len(chops) == 16 and starts == sorted(starts)
    assert [chop["index"] for chop in chops] == list(range(1, 17))
    assert sorted(chop["rank"] for chop in chops) == list(range(1, 17))
    assert len(select(client, status, n=5)["chops"]) == 5
    # lambda 0 takes the first attack and the best-scored candidates; 1 looks for unlike ones
    plain = select(client, status, n=8, lam=0.0)["chops"]
    assert sorted(chop["score"] for chop in plain if chop["rank"] > 1) == pytest.approx(
        sorted(CHOSEN_SCORES)[-7:], abs=1e-4)
    assert plain != select(client, status, n=8, lam=1.0)["chops"]
    some = select(client, status, n=16, threshold=0.9)  # the first attack and the six scored >= 0.9
    assert len(some["chops"]) == 7 and all(chop["score"] >= 0.9 for chop in some["chops"] if chop["rank"] > 1)
    assert "found 7 chops of the 16" in some["notes"][0]
    strict = select(client, status, n=16, threshold=1.0)  # only the file's first attack is left
    assert len(strict["chops"]) == 1 and "found 1 chop of the 16" in strict["notes"][0]


def test_select_is_fast_once_analysed(served):
    client, _, status = served
    started = time.monotonic()
    for lam in (0.1, 0.5, 0.9):
        select(client, status, n=16, lam=lam)
    assert time.monotonic() - started < 3.0  # the candidates' spectra are kept per session


@pytest.mark.parametrize("body, message", [
    ({"n": 0}, "Chops (N) must be a whole number from 1 to 512, got 0"),
    ({"n": 513}, "Chops (N) must be a whole number from 1 to 512, got 513"),
    ({"n": "many"}, "Chops (N): "),
    ({"n": True}, "Chops (N): "),
    ({"n": 4.5}, "Chops (N): "),
    ({"lam": 1.5}, "Diversity must be between 0 and 1"),
    ({"threshold": -0.1}, "Threshold must be between 0 and 1"),
    ({"n": 4, "colour": "red"}, "colour"),
])
def test_select_refuses_bad_settings_in_the_pages_words(served, body, message):
    client, _, status = served
    answer = client.post(url(status, "/select"), json=body)
    error = answer.json()["error"]
    assert answer.status_code == 422 and message in error
    assert "-n" not in error and "--" not in error  # the page has no command-line options


def test_select_refuses_a_body_that_is_not_json(served):
    client, _, status = served
    answer = client.post(url(status, "/select"), content=b"n=4", headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "error" in answer.json()


def test_snap_moves_a_time_onto_its_attack(served):
    client, _, status = served
    for start in read_labels(demo_path().with_suffix(".txt")):  # the demo's chop points: note-ons
        snapped = client.post(url(status, "/snap"), json={"time": start + 0.01}).json()["time"]
        assert abs(snapped - (start + 0.01)) <= 0.045
    for time_ in (-1.0, 99.0):
        assert client.post(url(status, "/snap"), json={"time": time_}).status_code == 422


# --- downloads -------------------------------------------------------------------------

def test_kit_zip_holds_the_chops_program_sfz_midi_manifest_and_labels(served):
    client, _, status = served
    times = [0.5, 2.25, 3.0, 7.75, 9.5]
    answer = client.post(url(status, "/kit"), json={"times": [3.0, 0.5, 9.5, 2.25, 7.75], "lam": 0.4})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert "My%20Demo%20%28take%201%29.zip" in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    stem = "My Demo (take 1)"  # the kit inside carries the upload's name, as from the command line
    expected = {f"{stem}/{stem}_chop0{i}.wav" for i in range(1, 6)}
    expected |= {f"{stem}/{stem}{suffix}" for suffix in (".xpm", ".sfz", ".mid", ".chops.json", ".txt")}
    assert names == expected
    labels = [float(line) for line in archive.read(f"{stem}/{stem}.txt").decode().split()]
    assert labels == pytest.approx(times, abs=1e-4)  # cut exactly where the page said
    first = sf.read(io.BytesIO(archive.read(f"{stem}/{stem}_chop01.wav")))[0]
    assert first.shape[0] == round((2.25 - 0.5) * 44100)


def test_labels_file_is_read_by_dataset_build(served, tmp_path):
    client, _, status = served
    answer = client.post(url(status, "/labels"), json={"times": [4.0, 1.0, 2.5]})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert "My%20Demo%20%28take%201%29.txt" in answer.headers["content-disposition"]
    path = tmp_path / "labels.txt"
    path.write_bytes(answer.content)
    np.testing.assert_allclose(read_labels(path, duration=12.0), [1.0, 2.5, 4.0], atol=1e-4)


@pytest.mark.parametrize("endpoint", ["/kit", "/labels"])
@pytest.mark.parametrize("content, message", [
    (b'{"times": []}', "no chops"),
    (b'{"times": [1.0, NaN]}', "not a finite number"),
    (b'{"times": [-1.0]}', "negative"),
    (b'{"times": [13.0]}', "past the end"),
    (b'{"times": "1.0"}', "times"),
    (b'{"times": [' + b", ".join([b"1.0"] * 513) + b"]}", "times"),
])
def test_downloads_refuse_bad_times(served, endpoint, content, message):
    client, _, status = served
    answer = client.post(url(status, endpoint), content=content, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and message in answer.json()["error"]


def test_kit_leaves_no_files_behind(served):
    client, app, status = served
    session = app.state.store.get(status["id"])
    before = sorted(path.name for path in session.folder.iterdir())
    client.post(url(status, "/kit"), json={"times": [1.0, 2.0]})
    client.post(url(status, "/labels"), json={"times": [1.0, 2.0]})
    assert sorted(path.name for path in session.folder.iterdir()) == before


# --- unknown sessions and deletion -------------------------------------------------------

@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None), ("get", "/audio", None), ("post", "/select", {"n": 4}),
    ("post", "/snap", {"time": 1.0}), ("post", "/kit", {"times": [1.0]}),
    ("post", "/labels", {"times": [1.0]}), ("delete", "", None),
])
@pytest.mark.parametrize("token", ["nosuchsession", "..%2F..%2Fetc", "sample.flac"])
def test_unknown_sessions_are_404(served, method, suffix, body, token):
    client, _, _ = served
    kwargs = {"json": body} if body is not None else {}
    answer = getattr(client, method)(f"/api/sessions/{token}{suffix}", **kwargs)
    assert answer.status_code == 404 and "error" in answer.json()


def test_delete_removes_the_session_and_its_files(web_model):
    app = create_app(web_model)
    with TestClient(app) as client:
        token = upload(client, "x.flac", demo_path().read_bytes()).json()["id"]
        wait_until_settled(client, token)
        folder = app.state.store.get(token).folder
        assert client.delete(f"/api/sessions/{token}").status_code == 204
        assert not folder.exists()
        assert client.get(f"/api/sessions/{token}").status_code == 404
        assert client.delete(f"/api/sessions/{token}").status_code == 404
        root = app.state.store.root
    assert not root.exists()  # everything goes when the server stops


# --- bad uploads -----------------------------------------------------------------------

@pytest.fixture
def small_app(web_model):
    """An app with a 64 KiB upload limit, 30 s of audio at most, two sessions at most."""
    settings = WebSettings(max_upload_mb=1 / 16, max_audio_minutes=0.5, max_sessions=2, max_json_kb=4)
    app = create_app(web_model, settings)
    with TestClient(app) as client:
        yield client, app


def test_upload_over_the_limit_is_413(small_app):
    client, app = small_app
    answer = upload(client, "big.wav", b"\0" * (80 * 1024))
    assert answer.status_code == 413 and "limit of 0.0625 MB" in answer.json()["error"]
    assert len(app.state.store) == 0 and list(app.state.store.root.iterdir()) == []


def test_upload_over_the_limit_without_a_length_is_413_while_streaming(small_app):
    client, app = small_app
    body, content_type = multipart_body("big.wav", b"\1" * (200 * 1024))

    def chunks():  # no Content-Length: sent chunked, counted as it streams
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    answer = client.post("/api/sessions", content=chunks(), headers={"content-type": content_type})
    assert answer.status_code == 413 and "limit" in answer.json()["error"]
    assert list(app.state.store.root.iterdir()) == []


def test_upload_of_a_file_that_is_not_audio_is_422_without_server_paths(small_app):
    client, app = small_app
    answer = upload(client, "notes.wav", b"this is not audio at all" * 10)
    error = answer.json()["error"]
    assert answer.status_code == 422 and error.startswith("notes.wav: not a readable audio file")
    assert str(app.state.store.root) not in error and len(app.state.store) == 0


def test_upload_that_is_too_long_is_422(small_app):
    client, _ = small_app
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(8000 * 31, np.float32), 8000, format="FLAC")  # 31 s in a few KB
    answer = upload(client, "long.flac", buffer.getvalue())
    assert answer.status_code == 422
    assert answer.json()["error"] == "long.flac: decodes to 31 s of audio, more than the 30 s read here"


@pytest.mark.parametrize("body, content_type, status, message", [
    (b"raw bytes", "application/octet-stream", 415, "multipart/form-data"),
    (b"garbage", "multipart/form-data; boundary=b", 400, "not well-formed"),
    (b"--b\r\nno end of headers", "multipart/form-data; boundary=b", 400, "not well-formed"),
    (b"--b--\r\n", "multipart/form-data; boundary=b", 400, "no field named 'file'"),
    (*multipart_body("a.wav", b"RIFF", field="other"), 400, "no field named 'file'"),
    (*multipart_body("a.wav", b""), 422, "the file is empty"),
    (b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc', "multipart/form-data; boundary=b",
     422, "sample: not a readable audio file"),
])
def test_malformed_uploads_are_4xx(small_app, body, content_type, status, message):
    client, app = small_app
    answer = client.post("/api/sessions", content=body, headers={"content-type": content_type})
    assert answer.status_code == status and message in answer.json()["error"]
    assert len(app.state.store) == 0 and list(app.state.store.root.iterdir()) == []


def test_upload_names_never_make_paths(small_app):
    client, app = small_app
    answer = upload(client, "C:\\..\\../../tmp/evil:name?.wav", tone(3))
    assert answer.status_code == 202, answer.text
    status = wait_until_settled(client, answer.json()["id"])
    assert status["name"] == "evil:name?.wav" and status["stem"] == "evil_name_"
    root = app.state.store.root
    files = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert files == [f"{status['id']}/preview.wav", f"{status['id']}/source/evil_name_.wav"]


def test_a_file_that_does_not_decode_fails_on_the_page_not_the_server(small_app):
    client, _ = small_app
    answer = upload(client, "silence.wav", wav_bytes(np.zeros(8000 * 3, np.float32), sr=8000))
    assert answer.status_code == 202
    status = wait_until_settled(client, answer.json()["id"])
    assert status["state"] == "failed" and status["error"].startswith("silence.wav: is silent")
    refused = client.post(f"/api/sessions/{status['id']}/select", json={"n": 4})
    assert refused.status_code == 409 and "silent" in refused.json()["error"]


def test_store_full_is_503(small_app):
    client, _ = small_app
    for _ in range(2):
        assert upload(client, "a.wav", tone(2)).status_code == 202
    answer = upload(client, "a.wav", tone(2))
    assert answer.status_code == 503 and "try again" in answer.json()["error"]


def test_json_bodies_are_bounded(small_app):
    client, _ = small_app
    answer = client.post("/api/sessions/x/kit", content=b'{"times": [' + b"1.0," * 4000 + b"1.0]}",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "larger than 4096 bytes" in answer.json()["error"]


# --- time limit, concurrency -------------------------------------------------------------

def test_sessions_expire_after_keep_minutes(web_model):
    now = [1000.0]
    app = create_app(web_model, WebSettings(keep_minutes=1), clock=lambda: now[0])
    with TestClient(app) as client:
        kept = upload(client, "kept.wav", tone(2)).json()["id"]
        now[0] += 45
        fresh = upload(client, "fresh.wav", tone(2)).json()["id"]
        now[0] += 30  # kept: 75 s unused; fresh: 30 s
        folder = app.state.store.get(fresh).folder
        assert app.state.store.expire() == [kept]
        assert client.get(f"/api/sessions/{kept}").status_code == 404
        assert folder.exists() and client.get(f"/api/sessions/{fresh}").status_code == 200


def test_the_sweeper_removes_old_sessions_by_itself(web_model):
    app = create_app(web_model, WebSettings(keep_minutes=0.005))  # 0.3 s; swept every 0.5 s
    with TestClient(app) as client:
        token = upload(client, "a.wav", tone(2)).json()["id"]
        root, deadline = app.state.store.root, time.monotonic() + 10
        while (len(app.state.store) or any(root.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(app.state.store) == 0 and list(root.iterdir()) == []
        assert client.get(f"/api/sessions/{token}").status_code == 404


class _GatedModel:
    """A model whose network waits for a gate: an analysis that takes as long as a test likes."""

    def __init__(self, model, gate: threading.Event) -> None:
        self._model, self._gate = model, gate

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict(self, features, **kwargs):
        assert self._gate.wait(30)
        return self._model.predict(features, **kwargs)


def test_analysis_runs_off_the_request_path_and_sessions_stay_apart(web_model):
    gate = threading.Event()
    app = create_app(_GatedModel(web_model, gate))
    with TestClient(app) as client:
        first = upload(client, "one.wav", tone(3)).json()
        second = upload(client, "two.wav", tone(3, reverse=True)).json()
        assert first["id"] != second["id"]
        started = time.monotonic()
        assert client.get("/api/config").status_code == 200  # answered while both analyses wait
        statuses = [client.get(f"/api/sessions/{token}").json() for token in (first["id"], second["id"])]
        assert time.monotonic() - started < 2.0
        assert [status["state"] for status in statuses] == ["analysing", "analysing"]
        assert client.post(f"/api/sessions/{first['id']}/select", json={"n": 2}).status_code == 409
        gate.set()
        done = [wait_until_settled(client, token) for token in (first["id"], second["id"])]
        assert [status["name"] for status in done] == ["one.wav", "two.wav"]
        assert all(status["state"] == "ready" for status in done)


@pytest.mark.parametrize("endpoint", ["/kit", "/labels"])
def test_two_chops_at_one_time_are_refused_not_merged(served, endpoint):
    client, _, status = served
    answer = client.post(url(status, endpoint), json={"times": [2.0, 1.0, 2.0]})
    assert answer.status_code == 422 and answer.json()["error"] == "two chops are at 2.000 s: move or delete one"

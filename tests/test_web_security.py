"""The web app against hostile or careless clients: foreign sites, malformed and
stalled uploads, clients that never delete, files that expand on disk, and sessions
that must stay apart."""

from __future__ import annotations

import collections
import io
import json
import logging
import math
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import soundfile as sf

from samplechop.web.app import create_app
from samplechop.web.settings import WebSettings
from web_support import TestClient, ThreadServer, multipart_body, tone, wait_until_settled


def upload(client, name: str, data: bytes, **kwargs):
    return client.post("/api/sessions", files={"file": (name, data, "application/octet-stream")}, **kwargs)


@pytest.fixture
def app_client(web_model):
    app = create_app(web_model)
    with TestClient(app) as client:
        yield app, client


# --- every error a JSON 4xx ------------------------------------------------------------

@pytest.mark.parametrize("body, content_type", [
    (b"", "multipart/form-data; boundary=" + "b" * 300),
    (b"--" + b"b" * 300 + b"--\r\n", "multipart/form-data; boundary=" + "b" * 300),
    (b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n" + b"X" * 20000 + b"\r\n\r\n",
     "multipart/form-data; boundary=b"),
    (b"--b\r\n\r\n\r\n--b--", "multipart/form-data; boundary=b"),
    (b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--b--\r\n",
     "multipart/form-data; boundary=\"\""),
])
def test_malformed_multipart_is_a_json_4xx_never_a_500(app_client, body, content_type):
    app, client = app_client
    answer = client.post("/api/sessions", content=body, headers={"content-type": content_type})
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"error"}
    assert len(app.state.store) == 0 and list(app.state.store.root.iterdir()) == []


# --- foreign origins and hosts -------------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://127.0.0.1:9999", "http://localhost:8000", "http://evil.example",
                                    "null"])
def test_uploads_from_another_origin_are_refused(app_client, origin):
    app, client = app_client
    answer = upload(client, "a.wav", tone(2), headers={"origin": origin})
    assert answer.status_code == 403 and "other sites" in answer.json()["error"]
    assert len(app.state.store) == 0


def test_a_cross_site_form_post_without_origin_is_refused(app_client):
    app, client = app_client
    answer = upload(client, "a.wav", tone(2), headers={"sec-fetch-site": "same-site"})
    assert answer.status_code == 403 and len(app.state.store) == 0


def test_uploads_from_the_pages_own_origin_are_taken(app_client):
    _, client = app_client
    answer = upload(client, "a.wav", tone(2), headers={"origin": "http://127.0.0.1:8000",
                                                        "sec-fetch-site": "same-origin"})
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1:9999", "127.0.0.2:8000",
                                  "localhost.evil.example:8000", "[::2]:8000", ""])
def test_a_loopback_server_refuses_foreign_host_names(app_client, host):
    _, client = app_client
    answer = client.get("/api/config", headers={"host": host})
    assert answer.status_code == 400 and "localhost only" in answer.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000", "[::1]:8000"])
def test_a_loopback_server_answers_its_own_names(app_client, host):
    _, client = app_client
    assert client.get("/api/config", headers={"host": host}).status_code == 200


def test_a_server_opened_by_host_answers_any_name(web_model):
    with TestClient(create_app(web_model, WebSettings(host="0.0.0.0"))) as client:
        assert client.get("/api/config", headers={"host": "studio.lan:8000"}).status_code == 200
        refused = upload(client, "a.wav", tone(2), headers={"origin": "http://elsewhere.lan"})
        assert refused.status_code == 403


# --- security headers on every answer --------------------------------------------------------

def _assert_secured(answer):
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff", answer.request.url
    assert headers["x-frame-options"] == "DENY"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert headers.get_list("content-security-policy") == [policy]  # one policy, not two


def test_every_answer_carries_the_security_headers(web_model):
    app = create_app(web_model, WebSettings(max_json_kb=1))
    with TestClient(app) as client:
        answers = [client.get("/"), client.get("/static/app.js"), client.get("/api/config"),
                   client.get("/nowhere"), client.get("/api/sessions/nosuch"),
                   client.post("/api/sessions", content=b"x"),
                   client.post("/api/sessions/x/kit", content=b"{" + b" " * 4000 + b"}",
                               headers={"content-type": "application/json"}),
                   client.get("/api/config", headers={"host": "evil.example"}),
                   upload(client, "a.wav", tone(2), headers={"origin": "http://evil.example"})]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 404, 404, 415, 413, 400, 403]
        for answer in answers:
            _assert_secured(answer)


def test_an_unexpected_failure_is_json_with_the_headers(web_model):
    app = create_app(web_model)

    @app.get("/api/broken")
    async def broken():
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/broken")
    assert answer.status_code == 500 and "unexpectedly" in answer.json()["error"]
    _assert_secured(answer)


# --- sessions: unguessable, apart, bounded per client ------------------------------------

def test_session_ids_are_unguessable(web_model):
    settings = WebSettings(max_sessions=4000, max_client_sessions=4000, max_uploading=4000,
                           max_client_uploading=4000)
    app = create_app(web_model, settings)
    store = app.state.store
    try:
        ids = [store.create(client=f"10.0.{i // 250}.{i % 250}").id for i in range(2000)]
    finally:
        store.close()
    assert len(set(ids)) == len(ids)
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert all(len(token) == 24 and set(token) <= alphabet for token in ids)  # 24 x 6 = 144 bits
    # every character is uniform over the 64 symbols: a chi-square test (df 63; 99.99% quantile ~ 117)
    counts = collections.Counter("".join(ids))
    expected = 2000 * 24 / 64
    chi2 = sum((counts.get(symbol, 0) - expected) ** 2 / expected for symbol in alphabet)
    assert chi2 < 117, chi2
    # and each position carries its full 6 bits (entropy estimated from 2000 draws)
    for position in range(24):
        column = collections.Counter(token[position] for token in ids)
        entropy = -sum(n / 2000 * math.log2(n / 2000) for n in column.values())
        assert entropy > 5.8, (position, entropy)


def test_one_session_cannot_reach_another(app_client):
    app, client = app_client
    first = wait_until_settled(client, upload(client, "one.wav", tone(3)).json()["id"])
    second = wait_until_settled(client, upload(client, "two.wav", tone(3, reverse=True)).json()["id"])
    assert first["state"] == second["state"] == "ready"
    other = second["id"]
    for token in (other.upper(), other.lower(), other[:-1], other + "A", other[1:],
                  f"{first['id']}%2F..%2F{other}"):
        if token == other:
            continue
        for method, suffix, body in (("get", "", None), ("get", "/audio", None), ("post", "/kit", {"times": [1.0]}),
                                     ("post", "/labels", {"times": [1.0]}), ("delete", "", None)):
            kwargs = {"json": body} if body is not None else {}
            assert getattr(client, method)(f"/api/sessions/{token}{suffix}", **kwargs).status_code == 404
    assert client.delete(f"/api/sessions/{first['id']}").status_code == 204
    assert client.get(f"/api/sessions/{other}").json()["name"] == "two.wav"
    kit = client.post(f"/api/sessions/{other}/labels", json={"times": [1.0]})
    assert kit.status_code == 200 and "two.txt" in kit.headers["content-disposition"]


def test_a_client_that_never_deletes_keeps_only_its_newest_sessions(web_model):
    app = create_app(web_model, WebSettings(max_client_sessions=2, max_sessions=16))
    with TestClient(app) as client:
        ids = []
        for index in range(5):
            ids.append(upload(client, f"take{index}.wav", tone(2)).json()["id"])
            assert wait_until_settled(client, ids[-1])["state"] == "ready"
        assert len(app.state.store) == 2
        assert [client.get(f"/api/sessions/{token}").status_code for token in ids] == [404, 404, 404, 200, 200]
        assert len(list(app.state.store.root.iterdir())) == 2


def test_a_full_server_replaces_the_session_unused_for_longest(web_model):
    now = [1000.0]
    app = create_app(web_model, WebSettings(max_sessions=2, evict_after_seconds=60), clock=lambda: now[0])
    with TestClient(app, client=("10.0.0.1", 5000)) as first, TestClient(app, client=("10.0.0.2", 5000)) as second:
        old = upload(first, "old.wav", tone(2)).json()["id"]
        recent = upload(second, "recent.wav", tone(2)).json()["id"]
        for token in (old, recent):
            wait_until_settled(first, token)
        now[0] += 30
        first.get(f"/api/sessions/{recent}")  # used 30 s later
        refused = upload(second, "new.wav", tone(2))  # nobody unused for 60 s yet
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) > 0
        now[0] += 45  # old: 75 s unused, recent: 45 s
        assert upload(second, "new.wav", tone(2)).status_code == 202
        assert first.get(f"/api/sessions/{old}").status_code == 404
        assert first.get(f"/api/sessions/{recent}").status_code == 200


# --- stalled and interrupted uploads ------------------------------------------------------

def _stall(port: int, size: int = 100_000) -> socket.socket:
    """A connection that sends an upload's headers and 1 KB of its body, then nothing."""
    connection = socket.create_connection(("127.0.0.1", port))
    head = (f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {size}\r\n\r\n").encode()
    connection.sendall(head + b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n"
                       + b"\0" * 1024)
    return connection


def _post_file(address: str, data: bytes):
    body, content_type = multipart_body("a.wav", data)
    request = urllib.request.Request(f"{address}/api/sessions", data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def test_stalled_uploads_time_out_and_are_not_called_analyses(web_model, caplog):
    settings = WebSettings(upload_idle_seconds=0.6, max_uploading=8, max_client_uploading=8)
    caplog.set_level(logging.INFO)
    with ThreadServer(create_app(web_model, settings)) as server:
        stalled = [_stall(server.port) for _ in range(8)]
        time.sleep(0.2)
        status, body, headers = _post_file(server.address, tone(2))
        assert status == 503 and "analysing" not in body["error"] and "uploads" in body["error"]
        assert int(headers["Retry-After"]) > 0
        time.sleep(0.8)  # the stalled uploads are dropped
        for connection in stalled:
            connection.settimeout(5)
            answer = connection.recv(65536).decode("latin-1")
            assert answer.startswith("HTTP/1.1 408") and "stalled" in answer
            connection.close()
        status, body, _ = _post_file(server.address, tone(2))
        assert status == 202, body
        # a client that goes away mid-upload leaves no session and no traceback
        _stall(server.port).close()
        time.sleep(0.3)
        assert len(server.server.config.app.state.store) == 1
    assert not [record for record in caplog.records if record.exc_info or "Traceback" in record.getMessage()]
    assert "ClientDisconnect" not in caplog.text


def test_analyses_at_their_limit_are_503_with_retry_after(web_model):
    gate = threading.Event()

    class Gated:
        def __getattr__(self, name):
            return getattr(web_model, name)

        def predict(self, features, **kwargs):
            assert gate.wait(30)
            return web_model.predict(features, **kwargs)

    app = create_app(Gated(), WebSettings(max_pending=2))
    with TestClient(app) as client:
        try:
            assert [upload(client, "a.wav", tone(2)).status_code for _ in range(2)] == [202, 202]
            refused = upload(client, "a.wav", tone(2))
            assert refused.status_code == 503 and "analysing 2 samples" in refused.json()["error"]
            assert int(refused.headers["retry-after"]) > 0
        finally:
            gate.set()


# --- disk: small previews, a bounded total -----------------------------------------------

def _long_quiet_flac(seconds: float, sr: int) -> bytes:
    """Mostly silence at a high rate, with a few clicks: a few hundred KB of FLAC."""
    y = np.zeros((int(seconds * sr), 2), np.float32)
    for start in np.arange(1.0, seconds - 1, 4.0):
        index = int(start * sr)
        y[index:index + sr // 50] = 0.5 * np.sin(np.arange(sr // 50) * 0.3)[:, None]
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def test_a_long_high_rate_sample_gets_a_small_preview(web_model):
    app = create_app(web_model, WebSettings(max_preview_mb=2))
    data = _long_quiet_flac(60, 96000)  # its 16-bit WAV at 96 kHz stereo would be 23 MB
    with TestClient(app) as client:
        status = wait_until_settled(client, upload(client, "quiet.flac", data).json()["id"])
        assert status["state"] == "ready", status
        assert status["info"]["sample_rate"] == 96000 and status["info"]["preview_rate"] < 96000
        session = app.state.store.get(status["id"])
        assert session.preview.stat().st_size <= 2 * 2**20
        audio = client.get(f"/api/sessions/{status['id']}/audio")
        preview, rate = sf.read(io.BytesIO(audio.content))
        assert rate == status["info"]["preview_rate"] and abs(preview.shape[0] / rate - 60) < 0.01
        # the kit is still cut from the upload, at its own rate
        kit = client.post(f"/api/sessions/{status['id']}/kit", json={"times": [1.0, 5.0]})
        assert kit.status_code == 200
        files = sum(path.stat().st_size for path in session.folder.rglob("*") if path.is_file())
        assert app.state.store.disk.used == session.reserved >= files  # the kit's share given back


def test_the_servers_files_stay_within_their_total(web_model):
    settings = WebSettings(max_disk_mb=0.5, max_preview_mb=0.2)
    app = create_app(web_model, settings)
    with TestClient(app) as client:
        first = upload(client, "a.wav", tone(6))  # 96 KB upload, a 96 KB preview
        assert first.status_code == 202
        assert wait_until_settled(client, first.json()["id"])["state"] == "ready"
        refused = upload(client, "b.wav", tone(24))  # 384 KB more: over the 512 KB in all
        assert refused.status_code == 503 and "disk space" in refused.json()["error"]
        assert int(refused.headers["retry-after"]) > 0
        used = sum(path.stat().st_size for path in app.state.store.root.rglob("*") if path.is_file())
        assert used <= settings.max_disk_bytes and app.state.store.disk.used <= settings.max_disk_bytes
        client.delete(f"/api/sessions/{first.json()['id']}")
        assert app.state.store.disk.used == 0
        assert upload(client, "b.wav", tone(24)).status_code == 202


def test_config_tells_the_page_the_disk_limits(app_client):
    _, client = app_client
    config = client.get("/api/config").json()
    assert config["max_preview_mb"] == 48 and config["max_disk_mb"] == 6144 and config["max_kit_mb"] == 1024


def test_a_preview_stops_where_the_header_says_the_audio_ends(tmp_path):
    from dataclasses import replace

    from samplechop.exceptions import AudioError
    from samplechop.io.audio import probe
    from samplechop.web.preview import preview_format, write_preview

    path = tmp_path / "long.flac"
    path.write_bytes(_long_quiet_flac(30, 48000))
    info = probe(path)
    lying = replace(info, frames=info.frames // 10)  # a header that claims 3 s of 30
    with pytest.raises(AudioError, match="decodes to more audio than its header states"):
        write_preview(lying, tmp_path / "preview.wav", preview_format(lying, 2**30))
    assert not (tmp_path / "preview.wav").exists()
    form = preview_format(info, 2**20)  # 1 MiB: 30 s fit at 16 kHz mono
    assert (form.sr, form.channels) == (16000, 1) and form.bytes <= 2**20
    write_preview(info, tmp_path / "preview.wav", form)
    assert (tmp_path / "preview.wav").stat().st_size <= 2**20


def _flac_without_length(seconds: float, sr: int = 8000) -> bytes:
    """A FLAC of silence whose header does not give its length (as a streamed FLAC)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(seconds * sr), np.int16), sr, format="FLAC", subtype="PCM_16")
    data = bytearray(buffer.getvalue())
    field = int.from_bytes(data[18:26], "big") & ~((1 << 36) - 1)  # STREAMINFO's total samples
    data[18:26] = field.to_bytes(8, "big")
    return bytes(data)


@pytest.mark.parametrize("length_in_header", [True, False])
def test_a_small_upload_that_decodes_to_hours_is_refused_unread(web_model, length_in_header):
    app = create_app(web_model, WebSettings(max_audio_minutes=20))
    seconds = 3 * 3600
    if length_in_header:
        buffer = io.BytesIO()
        with sf.SoundFile(buffer, "w", samplerate=8000, channels=1, format="FLAC", subtype="PCM_16") as out:
            for _ in range(18):
                out.write(np.zeros(8000 * 600, np.int16))
        data = buffer.getvalue()
    else:
        data = _flac_without_length(seconds)
    assert len(data) < 3_000_000  # a few MB that decode to 3 hours
    with TestClient(app) as client:
        answer = upload(client, "bomb.flac", data)
        assert answer.status_code == 422
        assert answer.json()["error"].startswith("bomb.flac: decodes to ")
        assert answer.json()["error"].endswith("of audio, more than the 20 minutes read here")
        assert len(app.state.store) == 0 and app.state.store.disk.used == 0

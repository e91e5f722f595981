"""The web app against hostile or careless clients: foreign sites and malformed uploads."""

from __future__ import annotations

import pytest

from samplechop.web.app import create_app
from samplechop.web.settings import WebSettings
from web_support import TestClient, tone


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

"""The web app against hostile or careless clients: foreign sites."""

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

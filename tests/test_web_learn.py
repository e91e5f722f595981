"""The web app's library, learning and personal models: every endpoint, every bad request.

The learning runs are real (``samplechop learn`` in its own process), a few steps of
small batches each (``WebSettings.learn_options``).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest

from conftest import click_track, random_click_times
from samplechop.cli import main
from samplechop.io.annotations import read_labels
from samplechop.io.fileio import file_sha256
from samplechop.library import Library
from samplechop.model import load_model, save_model
from samplechop.web.app import create_app
from samplechop.web.settings import WebSettings
from web_support import LOCAL_URL, TestClient, multipart_body, wait_until_settled, wav_bytes

#: A few steps of short excerpts: seconds, not minutes, a run.
QUICK = {"steps": 3, "batch_size": 2, "excerpt": 2.0}


def _settings(tmp_path, **fields) -> WebSettings:
    return WebSettings(library=tmp_path / "library", learn_options=QUICK, **fields)


@pytest.fixture
def client(web_model, tmp_path):
    with TestClient(create_app(web_model, _settings(tmp_path))) as client:
        yield client


def sample(index: int) -> tuple[bytes, np.ndarray]:
    """A generated 6 s sample of clicks and its chop times."""
    times = random_click_times(np.random.default_rng(100 + index), 6.0, 5)
    return wav_bytes(click_track(times, seed=index)), times


def analysed(client, name: str, data: bytes) -> dict:
    answer = client.post("/api/sessions", files={"file": (name, data, "application/octet-stream")})
    assert answer.status_code == 202, answer.text
    status = wait_until_settled(client, answer.json()["id"])
    assert status["state"] == "ready", status
    return status


def fill_library(client, count: int) -> list[dict]:
    """Upload ``count`` samples and save each with its chops; the entries."""
    entries = []
    for index in range(count):
        data, times = sample(index)
        status = analysed(client, f"clicks {index}.wav", data)
        answer = client.post(f"/api/sessions/{status['id']}/library", json={"times": times.tolist()})
        assert answer.status_code == 201, answer.text
        entries.append(answer.json()["entry"])
    return entries


def wait_for_job(client, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get("/api/learn").json()["job"]
        if job["state"] not in ("running", "cancelling"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def refused(answer, status: int, *words: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    message = answer.json()["error"]
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message, message
    return message


# --- the library ----------------------------------------------------------------------------

def test_saved_chops_are_a_library_entry_listed_by_the_app_and_the_command(client, tmp_path, capsys):
    data, times = sample(0)
    status = analysed(client, "My Break.wav", data)
    moved = sorted([*times[:-1], 5.5])  # the producer moved the last chop
    answer = client.post(f"/api/sessions/{status['id']}/library", json={"times": moved})
    assert answer.status_code == 201, answer.text
    entry = answer.json()["entry"]
    assert answer.json()["count"] == 1
    assert entry["name"] == "My Break" and entry["chops"] == 5 and entry["origin"] == "app"
    assert entry["duration"] == pytest.approx(6.0)
    (saved,) = Library(tmp_path / "library").entries()[0]
    assert saved.id == entry["id"] and saved.audio.read_bytes() == data
    assert read_labels(saved.labels) == pytest.approx(moved, abs=1e-6)
    listing = client.get("/api/library").json()
    assert listing["count"] == 1 and listing["entries"] == [entry] and listing["problems"] == []
    assert "folder" not in listing["entries"][0]  # no server paths on the page

    # saved again with other chops: the same entry, its chops replaced
    again = client.post(f"/api/sessions/{status['id']}/library", json={"times": moved[:3], "name": "Break"})
    assert again.status_code == 201 and again.json()["count"] == 1
    assert again.json()["entry"]["chops"] == 3 and again.json()["entry"]["name"] == "Break"

    assert main(["library", "--library", str(tmp_path / "library"), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in listed["entries"]] == [entry["id"]]

    assert client.delete(f"/api/library/{entry['id']}").status_code == 204
    assert client.get("/api/library").json() == {"count": 0, "entries": [], "problems": []}
    refused(client.delete(f"/api/library/{entry['id']}"), 404, "no such sample in the library")


def test_bad_saves_and_deletes_are_refused(client):
    data, times = sample(1)
    status = analysed(client, "clicks.wav", data)
    save = f"/api/sessions/{status['id']}/library"
    refused(client.post(save, content=b"{not json", headers={"content-type": "application/json"}), 422)
    refused(client.post(save, json={"times": "0.5"}), 422, "chop times")
    refused(client.post(save, json={"times": [0.5, "x"]}), 422, "chop times")
    refused(client.post(save, json={"times": [0.5], "name": 5}), 422, "name")
    refused(client.post(save, json={"times": [0.5], "colour": "red"}), 422)
    refused(client.post(save, json={}), 422, "chop times")
    refused(client.post(save, json={"times": []}), 422, "no chops")
    refused(client.post(save, json={"times": [0.5, 7.0]}), 422, "past the end")
    refused(client.post(save, json={"times": [0.5, 0.5]}), 422, "two chops are at 0.500 s")
    refused(client.post(save, json={"times": [-1.0]}), 422)
    refused(client.post("/api/sessions/nosuchsession/library", json={"times": [0.5]}), 404, "upload it again")
    refused(client.post(save, json={"times": [0.5]}, headers={"Origin": "http://evil.example"}), 403)
    refused(client.delete("/api/library/0123456789abcdef", headers={"Origin": "http://evil.example"}), 403)
    for bad in ("0123456789abcdef", "0123", "..", "%2e%2e%2fentry.json", "ZZZZZZZZZZZZZZZZ"):
        refused(client.delete(f"/api/library/{bad}"), 404)
    assert client.get("/api/library").json()["count"] == 0


def test_a_sample_still_being_analysed_or_gone_is_not_saved(client):
    data, _ = sample(2)
    answer = client.post("/api/sessions", files={"file": ("clicks.wav", data, "application/octet-stream")})
    token = answer.json()["id"]
    early = client.post(f"/api/sessions/{token}/library", json={"times": [0.5]})
    assert early.status_code in (201, 409)  # 409 while the analysis runs
    wait_until_settled(client, token)
    client.delete(f"/api/sessions/{token}")
    refused(client.post(f"/api/sessions/{token}/library", json={"times": [0.5]}), 404)


def test_a_full_library_refuses_more(web_model, tmp_path):
    with TestClient(create_app(web_model, _settings(tmp_path, max_library_mb=0.3))) as client:
        fill_library(client, 1)  # 265 kB
        data, times = sample(5)
        status = analysed(client, "more.wav", data)
        refused(client.post(f"/api/sessions/{status['id']}/library", json={"times": times.tolist()}), 409,
                "delete samples from it first")
        assert client.get("/api/library").json()["count"] == 1


# --- learning ---------------------------------------------------------------------------------

def test_learning_from_the_library_makes_a_model_that_new_uploads_use(client, tmp_path):
    entries = fill_library(client, 3)
    assert client.get("/api/learn").json() == {"available": True, "min_samples": 3, "job": None}
    started = client.post("/api/learn", json={"name": "My taste"})
    assert started.status_code == 202, started.text
    assert started.json()["job"]["state"] == "running" and started.json()["job"]["samples"] == 3
    refused(client.post("/api/learn", json={"name": "again"}), 409, "under way already")

    # the server keeps answering while it learns: an upload is analysed meanwhile
    data, _ = sample(9)
    poll_seconds = []
    status = analysed(client, "meanwhile.wav", data)
    fractions = []
    while True:
        tick = time.perf_counter()
        job = client.get("/api/learn").json()["job"]
        poll_seconds.append(time.perf_counter() - tick)
        fractions.append(job["fraction"])
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert status["model"]["personal"] is False
    assert max(poll_seconds) < 1.0, max(poll_seconds)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert job["state"] == "done", job
    report = job["report"]
    assert report["steps"] == 3 and report["written"] and report["held_out"] == []
    assert "too few samples (3) to hold some out" in report["verdict"]
    model = job["model"]
    assert model["name"] == "My taste" and model["origin"] == "learnt" and model["personal"]

    # its provenance is in the model file: base, samples (names and hashes), settings, figures
    download = client.get(f"/api/models/{model['id']}/file")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''My%20taste.npz"
    shared = tmp_path / "shared.npz"
    shared.write_bytes(download.content)
    record = load_model(shared).training["learn"]
    assert record["base"]["sha256"] == file_sha256(client.app.state.models.shipped.path)
    library = Library(tmp_path / "library")
    assert sorted((item["name"], item["sha256"]) for item in record["files"]) == \
        sorted((entry.name, entry.sha256) for entry in library.entries()[0])
    assert {entry["name"] for entry in entries} == {item["name"] for item in record["files"]}
    assert record["settings"]["steps"] == 3 and record["settings"]["threads"] == 1
    assert record["held_out"] == {"files": 0, "f_base": None, "f_learnt": None}
    assert library.entries()[1] == []  # the models folder is no damaged entry

    # chosen for new uploads: the server says so, and so do the uploads
    listing = client.get("/api/models").json()
    assert listing["active"] == "shipped" and [item["id"] for item in listing["models"]] == ["shipped", model["id"]]
    chosen = client.post("/api/models/active", json={"id": model["id"]})
    assert chosen.status_code == 200 and chosen.json()["active"] == model["id"]
    status = analysed(client, "after.wav", data)
    assert status["model"]["id"] == model["id"] and status["model"]["name"] == "My taste"
    assert status["model"]["personal"] is True
    assert client.post("/api/models/active", json={"id": "shipped"}).json()["active"] == "shipped"
    assert analysed(client, "shipped.wav", data)["model"]["personal"] is False
    assert not list((tmp_path / "library" / "models").glob(".incoming-*"))  # the work folder went


def test_learning_from_five_samples_reports_the_held_out_figures(client, tmp_path):
    fill_library(client, 5)
    assert client.post("/api/learn", json={}).status_code == 202
    job = wait_for_job(client)
    assert job["state"] == "done", job
    report = job["report"]
    assert len(report["held_out"]) == 2 and len(report["learnt_from"]) == 3
    assert 0 <= report["f_base"] <= 1 and 0 <= report["f_learnt"] <= 1
    assert ("model" in job) == report["written"]
    if report["written"]:
        assert "better on the 2 held-out samples" in report["verdict"]
        assert job["model"]["f_base"] == report["f_base"] and job["model"]["name"].startswith("my model ")
        record = load_model(tmp_path / "library" / "models" / f"{job['model']['id']}.npz").training["learn"]
        assert record["held_out"]["files"] == 2
    else:
        assert "no model written" in report["verdict"]
        assert client.get("/api/models").json()["models"][1:] == []


def test_learning_can_be_cancelled(client, tmp_path):
    fill_library(client, 3)
    assert client.post("/api/learn").status_code == 202  # no body: a default name
    cancelled = client.post("/api/learn/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["job"]["state"] in ("cancelling", "cancelled")
    job = wait_for_job(client, timeout=30)
    assert job["state"] == "cancelled" and "model" not in job
    assert client.get("/api/models").json()["models"][1:] == []
    assert not list((tmp_path / "library" / "models").glob(".incoming-*"))
    refused(client.post("/api/learn/cancel"), 409, "no learning is under way")


def test_bad_learning_requests_are_refused(client):
    refused(client.post("/api/learn/cancel"), 409, "no learning is under way")
    refused(client.post("/api/learn", json={}), 422,
            "0 labelled samples: learning needs at least 3", "save more corrected samples")
    fill_library(client, 2)
    refused(client.post("/api/learn", json={"name": "x"}), 422, "2 labelled samples: learning needs at least 3")
    refused(client.post("/api/learn", content=b"{", headers={"content-type": "application/json"}), 422)
    refused(client.post("/api/learn", json={"name": 12}), 422, "name")
    refused(client.post("/api/learn", json={"name": "x" * 81}), 422, "name")
    refused(client.post("/api/learn", json={"steps": 100000}), 422)
    refused(client.post("/api/learn", json={}, headers={"Origin": "http://evil.example"}), 403)
    refused(client.post("/api/learn", json={}, headers={"Origin": "null"}), 403)
    refused(client.post("/api/learn/cancel", headers={"Sec-Fetch-Site": "cross-site"}), 403)
    assert client.get("/api/learn").json()["job"] is None


def test_without_the_train_extra_the_page_is_told_how_to_install_it(client, monkeypatch):
    fill_library(client, 3)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    status = client.get("/api/learn").json()
    assert status["available"] is False and status["install"] == "pip install 'samplechop[train]'"
    assert client.get("/api/config").json()["learn_available"] is False
    refused(client.post("/api/learn", json={}), 409, "torch is missing", "pip install 'samplechop[train]'")
    assert client.get("/api/learn").json()["job"] is None


# --- personal models ---------------------------------------------------------------------------

def _import(client, name: str, data: bytes):
    return client.post("/api/models", files={"file": (name, data, "application/octet-stream")})


def test_a_shared_model_file_is_imported_chosen_renamed_downloaded_and_deleted(client, web_model_path):
    data = web_model_path.read_bytes()
    answer = _import(client, "Friend's taste.npz", data)
    assert answer.status_code == 201, answer.text
    model = answer.json()
    assert model["name"] == "Friend's taste" and model["origin"] == "imported" and len(model["id"]) == 16
    assert client.post("/api/models/active", json={"id": model["id"]}).json()["active"] == model["id"]
    renamed = client.post(f"/api/models/{model['id']}/name", json={"name": "  Dusty  "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Dusty"
    sample_data, _ = sample(3)
    assert analysed(client, "s.wav", sample_data)["model"]["name"] == "Dusty"
    download = client.get(f"/api/models/{model['id']}/file")
    assert download.content == data and "Dusty.npz" in download.headers["content-disposition"]
    assert client.delete(f"/api/models/{model['id']}").status_code == 204
    listing = client.get("/api/models").json()
    assert listing["active"] == "shipped" and len(listing["models"]) == 1  # back to the shipped model
    refused(client.delete(f"/api/models/{model['id']}"), 404, "no such model")


def test_bad_model_requests_are_refused(web_model, web_model_path, tmp_path):
    with TestClient(create_app(web_model, _settings(tmp_path, max_models=1, max_model_mb=5))) as client:
        refused(_import(client, "junk.npz", b"not a model at all" * 10), 422, "junk: this file: not a samplechop model")
        archive = tmp_path / "other.npz"
        np.savez(archive, weights=np.zeros(3))
        refused(_import(client, "other.npz", archive.read_bytes()), 422, "not a samplechop model")
        shipped = load_model(web_model_path)
        foreign = tmp_path / "foreign.npz"
        save_model(foreign, features={**shipped.features, "hop": 999}, architecture=shipped.architecture,
                   params=shipped.params, input_mean=shipped.input_mean, input_std=shipped.input_std,
                   threshold=0.5, onnx=shipped.onnx)
        refused(_import(client, "foreign.npz", foreign.read_bytes()), 422, "other features")
        refused(_import(client, "empty.npz", b""), 422, "empty")
        refused(_import(client, "big.npz", b"x" * (6 * 2**20)), 413, "5 MB")
        body, content_type = multipart_body("m.npz", b"x", field="other")
        refused(client.post("/api/models", content=body, headers={"content-type": content_type}), 400, "'file'")
        refused(client.post("/api/models", json={"file": "x"}), 415, "multipart/form-data")
        refused(client.post("/api/models", files={"file": ("m.npz", b"x")}, headers={"Origin": "http://evil"}), 403)
        assert _import(client, "mine.npz", web_model_path.read_bytes()).status_code == 201
        refused(_import(client, "second.npz", web_model_path.read_bytes()), 409, "1 models are kept already")
        (kept,) = client.get("/api/models").json()["models"][1:]

        for bad in ({"id": "0123456789abcdef"}, {"id": "../../etc"}, {"id": ""}):
            refused(client.post("/api/models/active", json=bad), 404, "no such model")
        refused(client.post("/api/models/active", json={"id": 5}), 422, "model")
        refused(client.post("/api/models/active", json={}), 422, "model")
        refused(client.post("/api/models/active", content=b"[", headers={"content-type": "application/json"}), 422)
        refused(client.post("/api/models/active", json={"id": kept["id"]}, headers={"Origin": "http://x"}), 403)
        refused(client.post(f"/api/models/{kept['id']}/name", json={"name": ""}), 422, "name")
        refused(client.post(f"/api/models/{kept['id']}/name", json={"name": "\n\t"}), 422, "name")
        refused(client.post(f"/api/models/{kept['id']}/name", json={"name": 3}), 422, "name")
        refused(client.post("/api/models/0123456789abcdef/name", json={"name": "x"}), 404)
        for bad in ("0123456789abcdef", "shipped", "..", "%2e%2e"):
            refused(client.get(f"/api/models/{bad}/file"), 404)
            refused(client.delete(f"/api/models/{bad}"), 404)
        refused(client.delete(f"/api/models/{kept['id']}", headers={"Origin": "http://evil"}), 403)
        assert client.get("/api/models").json()["models"][1:] == [kept]
        assert not list((tmp_path / "library" / "models").glob(".incoming-*"))


def test_every_new_answer_carries_the_security_headers(client):
    for path in ("/api/library", "/api/learn", "/api/models"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert client.get("/api/models", headers={"Host": "evil.example"}).status_code == 400
    assert LOCAL_URL.startswith("http://127.0.0.1")


def _crafted(tmp_path, name: str, **arrays) -> bytes:
    path = tmp_path / name
    np.savez(path, **arrays)
    return path.read_bytes()


def test_crafted_model_files_are_refused_and_foreign_graphs_never_run(web_model, web_model_path, tmp_path):
    shipped = load_model(web_model_path)
    meta = lambda document: np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)  # noqa: E731
    good = {"format": "samplechop-model", "version": 1, "features": shipped.features,
            "architecture": shipped.architecture, "threshold": 0.3}
    weights = {name: value for name, value in shipped.params.items()}
    normalisation = {"input.mean": shipped.input_mean, "input.std": shipped.input_std}
    with TestClient(create_app(web_model, _settings(tmp_path))) as client:
        for name, arrays in [
            ("list.npz", {"meta.json": meta([1, 2])}),
            ("version.npz", {"meta.json": meta({**good, "version": "x"}), **weights, **normalisation}),
            ("features.npz", {"meta.json": meta({**good, "features": 3}), **weights, **normalisation}),
            ("threshold.npz", {"meta.json": meta({**good, "threshold": "abc"}), **weights, **normalisation}),
            ("text.npz", {"meta.json": meta(good), **normalisation, **{name: np.array(["x"]) for name in weights}}),
        ]:
            refused(_import(client, name, _crafted(tmp_path, name, **arrays)), 422, "not a samplechop model")
        # A graph that is not the weights' (here: not even ONNX) is never loaded: the weights are kept.
        foreign = _crafted(tmp_path, "graph.npz", **{"meta.json": meta(good)}, **weights, **normalisation,
                           **{"network.onnx": np.frombuffer(b"not an onnx graph" * 100, dtype=np.uint8)})
        answer = _import(client, "graph.npz", foreign)
        assert answer.status_code == 201, answer.text
        kept = load_model(tmp_path / "library" / "models" / f"{answer.json()['id']}.npz")
        assert kept.onnx != b"not an onnx graph" * 100
        np.testing.assert_array_equal(kept.predict(np.ones((20, shipped.input_mean.size), np.float32)),
                                      shipped.predict(np.ones((20, shipped.input_mean.size), np.float32)))


def test_a_model_file_that_unpacks_to_too_much_is_refused_unread(tmp_path, monkeypatch):
    from samplechop.exceptions import ModelError
    from samplechop.model import file as model_file

    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, zeros=np.zeros(2**20, np.float32))  # 4 MB of zeros in a few kB
    monkeypatch.setattr(model_file, "MAX_MODEL_BYTES", 2**20)
    assert path.stat().st_size < 50_000
    with pytest.raises(ModelError, match="unpacks to 4 MB, more than a model file can"):
        load_model(path)


def test_learning_messages_name_no_server_path_and_old_work_is_cleared(web_model, tmp_path):
    leftover = tmp_path / "library" / "models" / ".incoming-0123456789abcdef" / "work"
    leftover.mkdir(parents=True)
    app = create_app(web_model, _settings(tmp_path))
    assert not leftover.parent.exists()  # a server killed mid-learning left it
    library = tmp_path / "library"
    message = app.state.learner._public(
        f"skipped: {library}/0123456789abcdef/take 3.wav: file not found; "
        f"{library}/models/.incoming-00ff00ff00ff00ff/work/model.npz.learn/data: no usable labelled audio")
    assert str(tmp_path) not in message and "take 3.wav" in message and "no usable labelled audio" in message

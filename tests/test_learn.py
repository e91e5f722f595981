"""``samplechop learn`` on a toy taste: chop the clicks, not the chords between them."""

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from conftest import click_track, random_click_times, stab_track, write_labelled  # noqa: E402
from samplechop.cli import main  # noqa: E402
from samplechop.evaluate import LabelledFile, evaluate  # noqa: E402
from samplechop.io.fileio import file_sha256  # noqa: E402
from samplechop.library import Library, labelled_sources  # noqa: E402
from samplechop.model import DEFAULT_MODEL_PATH, load_model  # noqa: E402
from samplechop.training.learn import LearnSettings, held_out_count, learn  # noqa: E402

pytestmark = pytest.mark.slow

#: Small batches of short excerpts: seconds, not minutes, a run.
QUICK = dict(steps=30, lr=2e-3, batch_size=4, excerpt=4.0)


def _taste_pieces(folder, count, *, seed=3):
    """Pieces of chords and clicks, labelled on the clicks only (a taste the shipped
    model does not have: it chops both)."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        times = random_click_times(rng, 8.0, 8)
        chords, clicks = times[::2], times[1::2]
        y = stab_track(list(chords), [(60, 64, 67)] * len(chords), sr=22050, duration=8.0, seed=index)
        write_labelled(folder, f"piece{index}", y + click_track(clicks, duration=8.0, seed=index), clicks)
    return folder


def _mean_f(model, folder):
    items = [LabelledFile(path, np.loadtxt(path.with_suffix(".txt"), ndmin=1)) for path in sorted(folder.glob("*.wav"))]
    return evaluate(items, model=model, baselines=False, log=lambda message: None).mean()["model"]


def test_held_out_count():
    assert [held_out_count(n) for n in (3, 4, 5, 8, 12, 40, 100)] == [0, 0, 2, 2, 4, 10, 10]


def test_learn_picks_up_the_taste_and_records_where_it_came_from(tmp_path):
    sources, problems = labelled_sources([_taste_pieces(tmp_path / "mine", 6)])
    unseen = _taste_pieces(tmp_path / "unseen", 3, seed=11)
    assert problems == [] and len(sources) == 6
    report = learn(sources, tmp_path / "mine.npz", settings=LearnSettings(**QUICK), log=lambda message: None)
    assert len(report.held_out) == 2 and len(report.learnt_from) == 4  # round(0.3 * 6) held out
    assert report.written and report.f_learnt > report.f_base
    model = load_model(tmp_path / "mine.npz")
    before, after = _mean_f(load_model(DEFAULT_MODEL_PATH), unseen), _mean_f(model, unseen)
    assert after > before + 0.2, (before, after)  # on files it never saw, held out or not
    record = model.training["learn"]
    assert record["base"]["sha256"] == file_sha256(DEFAULT_MODEL_PATH)
    assert sorted(f["sha256"] for f in record["files"]) == sorted(s.sha256 for s in sources)
    assert sorted(f["role"] for f in record["files"]) == ["held out"] * 2 + ["learnt"] * 4
    assert record["held_out"] == {"files": 2, "f_base": round(report.f_base, 4), "f_learnt": round(report.f_learnt, 4)}
    assert record["settings"]["steps"] == QUICK["steps"]
    assert not (tmp_path / "mine.npz.learn").exists()  # the work folder goes when the run ends


def test_too_few_samples_are_said_plainly(tmp_path, capsys):
    folder = _taste_pieces(tmp_path / "mine", 2)
    assert main(["learn", str(folder), "-o", str(tmp_path / "m.npz")]) == 5
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == "samplechop: error: 2 labelled samples: learning needs at least 3 " \
                    "(and 5 or more to check the new model on some held out)"
    assert not (tmp_path / "m.npz").exists()


def test_three_samples_learn_unchecked_and_say_so(tmp_path):
    sources, _ = labelled_sources([_taste_pieces(tmp_path / "mine", 3)])
    report = learn(sources, tmp_path / "m.npz", settings=LearnSettings(**{**QUICK, "steps": 4}),
                   log=lambda message: None)
    assert report.written and report.held_out == [] and report.f_base is None
    assert "too few samples (3) to hold some out" in report.verdict
    assert load_model(tmp_path / "m.npz").training["learn"]["held_out"]["files"] == 0


def test_learn_from_the_library_skips_and_reports_a_damaged_entry(tmp_path, capsys):
    library = Library(tmp_path / "lib")
    for path in sorted(_taste_pieces(tmp_path / "mine", 4).glob("*.wav")):
        library.add(path, np.loadtxt(path.with_suffix(".txt"), ndmin=1), origin="app")
    entries, _ = library.entries()
    (entries[0].folder / "entry.json").write_text("{damaged")
    code = main(["learn", "-o", str(tmp_path / "m.npz"), "--library", str(library.folder), "--steps", "2",
                 "--progress", "off"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"warning: {entries[0].folder}: damaged library entry" in captured.err
    assert "learnt from 3 samples" in captured.out and "too few samples (3)" in captured.out
    files = load_model(tmp_path / "m.npz").training["learn"]["files"]
    assert sorted(f["sha256"] for f in files) == sorted(entry.sha256 for entry in entries[1:])


def test_an_interrupted_learn_resumes(tmp_path, monkeypatch):
    from samplechop.training import train as train_module

    sources, _ = labelled_sources([_taste_pieces(tmp_path / "mine", 3)])
    settings = LearnSettings(**{**QUICK, "steps": 10})
    real_save = train_module._atomic_torch_save
    saved = []

    def save_then_stop(state, path):  # Ctrl-C right after the first checkpoint
        real_save(state, path)
        saved.append(state["step"])
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "_atomic_torch_save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        learn(sources, tmp_path / "m.npz", settings=settings, log=lambda message: None)
    assert saved == [5] and (tmp_path / "m.npz.learn" / "learn.ckpt").is_file()
    monkeypatch.setattr(train_module, "_atomic_torch_save", real_save)
    messages = []
    report = learn(sources, tmp_path / "m.npz", settings=settings, log=messages.append)
    assert "resumed from" in " ".join(messages) and report.steps == 10
    assert json.dumps(load_model(tmp_path / "m.npz").training["learn"]["settings"])


def test_the_work_folder_given_is_never_removed_and_a_changed_run_starts_afresh(tmp_path, monkeypatch):
    from samplechop.training import train as train_module

    folder = _taste_pieces(tmp_path / "mine", 4)
    sources, _ = labelled_sources([folder])
    mine = tmp_path / "models"
    mine.mkdir()
    (mine / "thesis.txt").write_text("keep me")
    settings = LearnSettings(**{**QUICK, "steps": 10})
    real_save = train_module._atomic_torch_save

    def save_then_stop(state, path):
        real_save(state, path)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "_atomic_torch_save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        learn(sources[:3], mine / "m.npz", settings=settings, work=mine, log=lambda message: None)
    assert (mine / "m.npz.learn" / "learn.ckpt").is_file()
    monkeypatch.setattr(train_module, "_atomic_torch_save", real_save)
    messages = []
    learn(sources, mine / "m.npz", settings=settings, work=mine, log=messages.append)  # one sample more
    assert any("starting afresh" in message for message in messages)
    assert not any("resumed from" in message for message in messages)
    assert (mine / "thesis.txt").read_text() == "keep me" and (mine / "m.npz").is_file()
    assert not (mine / "m.npz.learn").exists()

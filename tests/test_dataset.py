import json

import numpy as np
import pytest

from conftest import click_track, write_labelled
from samplechop.cli import main
from samplechop.dataset import build as build_module
from samplechop.dataset import build_dataset, frame_targets, open_dataset
from samplechop.exceptions import DatasetError
from samplechop.io.fileio import file_sha256
from samplechop.spectral.features import DEFAULT_FEATURES, SEED_FEATURES


def test_frame_targets_mark_neighbours():
    targets = frame_targets(np.array([0.0, 1.0]), n_frames=100, frame_rate=10.0, width=1)
    np.testing.assert_array_equal(np.flatnonzero(targets), [0, 1, 9, 10, 11])
    assert frame_targets(np.array([1.0]), n_frames=100, frame_rate=10.0, width=0).sum() == 1


def test_build_manifest_shards_and_skip(tmp_path, click_corpus):
    out = tmp_path / "data"
    report = build_dataset([click_corpus], out, features=DEFAULT_FEATURES, valid_share=0.25, jobs=2,
                           shard_frames=1000, log=lambda m: None)
    assert report.built == 12 and not report.failed
    data = open_dataset(out)
    assert len(data.files) == 12 and len(data.shards) >= 2
    assert {entry.split for entry in data.files} == {"train", "valid"}
    assert len(data.split("valid")) == 3
    entry = data.files[0]
    features, targets = data.arrays(entry)
    assert features.dtype == np.float16 and features.shape == (entry.frames, 84)
    assert int(targets.sum()) == entry.positives == 3 * len(entry.labels)
    document = json.loads((out / "manifest.json").read_text())
    assert len(document["files"][0]["sha256"]) == 64
    assert document["counts"]["train"]["files"] == 9
    again = build_dataset([click_corpus], out, features=DEFAULT_FEATURES, log=lambda m: None)
    assert again.built == 0 and again.skipped == 12


def test_split_is_by_file_and_stable(tmp_path, click_corpus):
    a = build_dataset([click_corpus], tmp_path / "a", features=DEFAULT_FEATURES, jobs=1, log=lambda m: None)
    b = build_dataset([click_corpus], tmp_path / "b", features=DEFAULT_FEATURES, jobs=2, log=lambda m: None)
    assert a.built == b.built
    split_a = {e.source: e.split for e in open_dataset(tmp_path / "a").files}
    split_b = {e.source: e.split for e in open_dataset(tmp_path / "b").files}
    assert split_a == split_b


def test_interrupted_build_completes_on_rerun(tmp_path, click_corpus, monkeypatch):
    out = tmp_path / "data"
    real = build_module._process
    calls = {"n": 0}

    def interrupted(task):
        calls["n"] += 1
        if calls["n"] > 7:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(build_module, "_process", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_dataset([click_corpus], out, features=DEFAULT_FEATURES, jobs=1, shard_frames=1000,
                      log=lambda m: None)
    partial = open_dataset(out)
    assert 0 < len(partial.files) < 12
    monkeypatch.setattr(build_module, "_process", real)
    report = build_dataset([click_corpus], out, features=DEFAULT_FEATURES, jobs=1, shard_frames=1000,
                           log=lambda m: None)
    data = open_dataset(out)
    assert report.skipped == len(partial.files) and len(data.files) == 12
    for entry in data.files:
        features, targets = data.arrays(entry)
        assert features.shape[0] == entry.frames and int(targets.sum()) == entry.positives


def test_bad_sources_are_reported_and_skipped(tmp_path):
    folder = tmp_path / "src"
    y = click_track([0.5, 1.5], duration=3.0)
    write_labelled(folder, "good", y, [0.5, 1.5])
    write_labelled(folder, "past_end", y, [0.5, 9.0])
    write_labelled(folder, "negative", y, [0.5])
    (folder / "negative.txt").write_text("-1.0\n0.5\n")
    write_labelled(folder, "empty_labels", y, [0.5])
    (folder / "empty_labels.txt").write_text("")
    write_labelled(folder, "unsorted", 0.5 * y, [0.5])
    (folder / "unsorted.txt").write_text("1.5\n0.5\n0.5\n")
    import soundfile as sf
    sf.write(folder / "nolabels.wav", y, 22050)
    (folder / "broken.wav").write_text("not audio " * 30)
    (folder / "broken.txt").write_text("0.5\n")
    messages = []
    report = build_dataset([folder], tmp_path / "data", features=DEFAULT_FEATURES, jobs=1,
                           log=messages.append)
    text = "\n".join(messages)
    assert report.built == 2  # good and unsorted (fixed, with a warning)
    assert "past_end.txt" in text and "past the end" in text
    assert "negative.txt" in text and "negative" in text
    assert "empty_labels.txt" in text and "no chop times" in text
    assert "nolabels.wav" in text and "no label file" in text
    assert "broken.wav" in text
    assert "unsorted.txt" in text and "duplicated" in text


def test_corrected_labels_replace_the_entry(tmp_path):
    folder = tmp_path / "src"
    write_labelled(folder, "song", click_track([0.5, 1.5], duration=3.0), [0.5, 1.5])
    build_dataset([folder], tmp_path / "data", features=DEFAULT_FEATURES, jobs=1, log=lambda m: None)
    (folder / "song.txt").write_text("0.5\n1.5\n2.5\n")
    report = build_dataset([folder], tmp_path / "data", features=DEFAULT_FEATURES, jobs=1, log=lambda m: None)
    data = open_dataset(tmp_path / "data")
    assert report.built == 1 and len(data.files) == 1 and data.files[0].labels == [0.5, 1.5, 2.5]


def test_other_feature_setting_and_corrupt_shard(tmp_path, click_corpus):
    out = tmp_path / "data"
    build_dataset([click_corpus], out, features=DEFAULT_FEATURES, jobs=1, log=lambda m: None)
    with pytest.raises(DatasetError, match="other feature settings"):
        build_dataset([click_corpus], out, features=SEED_FEATURES, jobs=1, log=lambda m: None)
    shard = next(out.glob("shard-*.features.npy"))
    shard.write_bytes(shard.read_bytes()[:200])
    data = open_dataset(out)
    with pytest.raises(DatasetError, match=shard.name.split(".")[0]):
        data.arrays(data.files[0])
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="corrupt data set manifest"):
        open_dataset(out)


def test_dataset_build_command(tmp_path, click_corpus, capsys):
    code = main(["dataset", "build", str(click_corpus), "-o", str(tmp_path / "d"), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "built 12 file(s)" in out and "frames/s" in out


def test_the_split_holds_among_the_files_that_were_built(tmp_path):
    src = tmp_path / "src"
    rng = np.random.default_rng(5)
    paths = []
    for index in range(4):
        times = np.sort(rng.uniform(0.5, 5.5, 5))
        paths.append(write_labelled(src, f"clip{index}", click_track(times, seed=index), times))
    hashes = [file_sha256(path) for path in paths]
    drawn = build_module.split_of(hashes, valid_share=0.25, seed=0)
    held_out = paths[drawn.index("valid")]
    held_out.with_suffix(".txt").write_text("100.0\n")  # a label past the end: the file is unusable
    report = build_dataset([src], tmp_path / "data", features=DEFAULT_FEATURES, valid_share=0.25, jobs=1,
                           log=lambda m: None)
    assert len(report.failed) == 1 and held_out.stem in report.failed[0]
    dataset = open_dataset(tmp_path / "data")
    assert len(dataset.split("valid")) == 1 and len(dataset.split("train")) == 2  # round(0.25 * 3) held out


@pytest.mark.parametrize("label_text, code, message", [
    ("0.5\n9.0\n", 3, "past the end"),  # a bad label file: exit 3, as the README says
    (None, 3, "no label file beside it"),
])
def test_single_unusable_source_exits_with_its_own_code(tmp_path, capsys, label_text, code, message):
    folder = tmp_path / "src"
    write_labelled(folder, "only", click_track([0.5, 1.5], duration=3.0), [0.5, 1.5])
    if label_text is None:
        (folder / "only.txt").unlink()
    else:
        (folder / "only.txt").write_text(label_text)
    assert main(["dataset", "build", str(folder), "-o", str(tmp_path / "d"), "--jobs", "1"]) == code
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("samplechop: error: ") and "only" in error and message in error

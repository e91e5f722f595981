import json
from pathlib import Path

import numpy as np
import pytest

from samplechop.exceptions import AnnotationError
from samplechop.io.annotations import MAX_LABEL_BYTES, LabelWarning, find_label_file, read_labels, write_labels


@pytest.mark.parametrize(
    "text",
    ["0.5,1.25,3.0", "0.5, 1.25,\n3.0\n", "0.5\n1.25\n3.0\n", "# comment\n0.5\n\n1.25\n3.0",
     "0.5\t0.5\tA\n1.25\t1.25\tB\n3.0\t3.5\tC\n"],
)
def test_read_label_formats(tmp_path, text):
    path = tmp_path / "x.txt"
    path.write_text(text)
    np.testing.assert_allclose(read_labels(path), [0.5, 1.25, 3.0])


def test_read_chops_manifest(tmp_path):
    path = tmp_path / "x.chops.json"
    path.write_text(json.dumps({"chops": [{"start": 2.0}, {"start": 0.25}]}))
    with pytest.warns(LabelWarning):
        np.testing.assert_allclose(read_labels(path), [0.25, 2.0])


def test_write_then_read(tmp_path):
    write_labels(tmp_path / "y.txt", [3.0, 1.0, 2.5])
    np.testing.assert_allclose(read_labels(tmp_path / "y.txt"), [1.0, 2.5, 3.0])


def test_unsorted_and_duplicates_are_fixed_with_a_warning(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("2.0\n1.0\n1.0\n")
    with pytest.warns(LabelWarning) as record:
        times = read_labels(path)
    np.testing.assert_allclose(times, [1.0, 2.0])
    assert any("duplicated" in str(w.message) for w in record)
    assert any("not in order" in str(w.message) for w in record)


@pytest.mark.parametrize(
    "text, message",
    [("", "no chop times"), ("1.0\n-0.5\n", "negative"), ("1.0\nabc\n", "not a time"),
     ("1.0\n99.0\n", "past the end"), ("nan\n", "finite")],
)
def test_bad_label_files(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(AnnotationError, match=message) as info:
        read_labels(path, duration=10.0)
    assert "bad.txt" in str(info.value)


def test_missing_label_file(tmp_path):
    with pytest.raises(AnnotationError, match="not found"):
        read_labels(tmp_path / "none.txt")


def test_find_label_file(tmp_path):
    audio = tmp_path / "song.wav"
    audio.write_bytes(b"")
    assert find_label_file(audio) is None
    (tmp_path / "song.chops.json").write_text("{}")
    assert find_label_file(audio) == tmp_path / "song.chops.json"
    (tmp_path / "song.txt").write_text("1.0")
    assert find_label_file(audio) == tmp_path / "song.txt"


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from samplechop.io.fileio import publish_dir, staging_dir

    umask = os.umask(0o022)
    try:
        write_labels(tmp_path / "labels.txt", [1.0])
        staged = staging_dir(tmp_path / "kit")
        publish_dir(staged, tmp_path / "kit", overwrite=False)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "labels.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "kit").stat().st_mode) == 0o755


def test_oversized_label_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "w") as handle:
        handle.write("0.5\n" * (MAX_LABEL_BYTES // 4 + 1))
    with pytest.raises(AnnotationError, match=r"huge.txt: label file is 4.0 MiB, larger than a label file can be"):
        read_labels(path)


def test_a_device_or_folder_is_not_read_as_a_label_file(tmp_path):
    for path in (Path("/dev/zero"), tmp_path):
        if path.exists():
            with pytest.raises(AnnotationError, match="not a regular file"):
                read_labels(path)

"""The library of a producer's own chops, and the sources that learn reads."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import click_track, write_labelled
from samplechop.cli import main
from samplechop.exceptions import LibraryError
from samplechop.library import LIBRARY_ENV, Library, default_library_dir, labelled_sources


def _sample(folder, name="take", times=(0.5, 1.5, 3.0)):
    write_labelled(folder, name, click_track(list(times), duration=4.0), list(times))
    return folder / f"{name}.wav"


def test_default_folder_is_the_user_data_folder_unless_the_environment_says(monkeypatch, tmp_path):
    monkeypatch.delenv(LIBRARY_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_library_dir() == tmp_path / "data" / "samplechop" / "library"
    monkeypatch.setenv(LIBRARY_ENV, str(tmp_path / "mine"))
    assert default_library_dir() == tmp_path / "mine"


def test_add_copies_the_audio_and_replaces_the_chops_of_the_same_audio(tmp_path):
    audio = _sample(tmp_path / "src")
    library = Library(tmp_path / "lib")
    first = library.add(audio, [0.5, 1.5], origin="app")
    assert first.audio.read_bytes() == audio.read_bytes() and first.chops == 2
    np.testing.assert_allclose(np.loadtxt(first.labels), [0.5, 1.5])
    assert first.folder.parent == library.folder and (first.folder / "entry.json").is_file()
    second = library.add(audio, [0.5, 1.5, 3.0], origin="app")
    entries, problems = library.entries()
    assert [entry.id for entry in entries] == [first.id] and problems == []
    assert second.chops == 3 and second.added == first.added
    assert [p.name for p in library.folder.iterdir()] == [first.id]  # nothing staged left behind


def test_an_entry_folder_is_a_source_dataset_build_reads(tmp_path):
    entry = Library(tmp_path / "lib").add(_sample(tmp_path / "src"), [0.5, 1.5])
    sources, problems = labelled_sources([entry.folder])
    assert problems == [] and [s.audio for s in sources] == [entry.audio]


def test_kits_from_chop_are_added_with_their_corrected_labels(tmp_path, capsys):
    audio = _sample(tmp_path / "src")
    assert main(["chop", str(audio), "-o", str(tmp_path / "kits"), "-n", "3"]) == 0
    kit = tmp_path / "kits" / "take"
    (kit / "take.txt").write_text("0.5\n3.0\n")  # the producer's correction
    library = tmp_path / "lib"
    assert main(["library", "--library", str(library), "add", str(kit)]) == 0
    assert "saved take (2 chops)" in capsys.readouterr().out
    (entry,), _ = Library(library).entries()
    assert entry.origin == "kit" and entry.audio.read_bytes() == audio.read_bytes()
    np.testing.assert_allclose(np.loadtxt(entry.labels), [0.5, 3.0])
    # learn reads a folder of kits too: each kit once, its chops not taken for sources
    sources, problems = labelled_sources([tmp_path / "kits"])
    assert [s.name for s in sources] == ["take"] and problems == []


def test_list_and_remove_on_the_command_line(tmp_path, capsys):
    library = tmp_path / "lib"
    for name, times in (("one", (0.5, 1.5)), ("two", (0.7, 2.5))):
        assert main(["library", "--library", str(library), "add", str(_sample(tmp_path / name, name, times))]) == 0
    capsys.readouterr()
    assert main(["library", "--library", str(library), "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert sorted(entry["name"] for entry in listing["entries"]) == ["one", "two"]
    first = listing["entries"][0]["id"]
    assert main(["library", "--library", str(library), "remove", first[:6]]) == 0
    assert main(["library", "--library", str(library), "list"]) == 0
    out = capsys.readouterr().out
    removed, listing_after = out.split("\n", 1)
    assert removed.startswith(f"removed {first}") and "1 sample" in listing_after and first not in listing_after
    assert main(["library", "--library", str(library), "remove", "ffff"]) == 5


def test_bad_adds_are_refused_in_one_line(tmp_path, capsys):
    library = tmp_path / "lib"
    audio = _sample(tmp_path / "src")
    (tmp_path / "src" / "take.txt").write_text("0.5\n99\n")
    assert main(["library", "--library", str(library), "add", str(audio)]) == 3
    assert "past the end" in capsys.readouterr().err
    (tmp_path / "src" / "take.txt").unlink()
    assert main(["library", "--library", str(library), "add", str(audio)]) == 3
    assert "no label file" in capsys.readouterr().err
    assert main(["library", "--library", str(library), "add", str(tmp_path)]) == 5  # a folder that is no kit
    assert "not a kit folder" in capsys.readouterr().err
    assert not library.exists() or list(library.iterdir()) == []


@pytest.mark.parametrize("damage", ["no entry.json", "bad json", "audio gone", "audio changed"])
def test_damaged_entries_are_skipped_and_reported(tmp_path, damage):
    library = Library(tmp_path / "lib")
    good = library.add(_sample(tmp_path / "a", "good"), [0.5, 1.5])
    bad = library.add(_sample(tmp_path / "b", "bad", times=(0.7, 2.0)), [0.7, 2.0])
    if damage == "no entry.json":
        (bad.folder / "entry.json").unlink()
    elif damage == "bad json":
        (bad.folder / "entry.json").write_text("{not json")
    elif damage == "audio gone":
        bad.audio.unlink()
    else:
        bad.audio.write_bytes(bad.audio.read_bytes()[:-2] + b"\x01\x02")
    sources, problems = labelled_sources([], library=library)
    assert [source.sha256 for source in sources] == [good.sha256]
    assert len(problems) == 1 and "damaged library entry" in str(problems[0]) and bad.id in str(problems[0])


def test_remove_leaves_no_half_entry(tmp_path):
    library = Library(tmp_path / "lib")
    entry = library.add(_sample(tmp_path / "src"), [0.5])
    library.remove(entry.id)
    assert list(library.folder.iterdir()) == []
    with pytest.raises(LibraryError, match="no entry"):
        library.get(entry.id)


def test_a_kit_whose_audio_moved_is_reported(tmp_path, capsys):
    audio = _sample(tmp_path / "src")
    assert main(["chop", str(audio), "-o", str(tmp_path / "kits")]) == 0
    shutil.move(audio, tmp_path / "elsewhere.wav")
    sources, problems = labelled_sources([tmp_path / "kits" / "take"])
    assert sources == [] and "not there any more" in str(problems[0])
    assert os.path.exists(tmp_path / "elsewhere.wav")


def test_an_unwritable_library_is_a_library_error(tmp_path):
    blocked = tmp_path / "lib"
    blocked.write_text("a file where the library folder should be")
    with pytest.raises(LibraryError, match="cannot be written"):
        Library(blocked).add(_sample(tmp_path / "src"), [0.5])


def test_a_removal_cut_short_does_not_block_the_next(tmp_path):
    library = Library(tmp_path / "lib")
    entry = library.add(_sample(tmp_path / "src"), [0.5])
    (library.folder / f".{entry.id}.left.removed" / "x").mkdir(parents=True)
    library.remove(entry.id)
    assert list(library.folder.iterdir()) == []


def test_a_kit_is_found_from_another_folder_than_chop_ran_in(tmp_path, monkeypatch, capsys):
    _sample(tmp_path / "songs")
    monkeypatch.chdir(tmp_path)
    assert main(["chop", "songs/take.wav", "-o", "kits"]) == 0  # the source named relative to here
    monkeypatch.chdir(tmp_path / "kits")
    sources, problems = labelled_sources([Path("take")])
    assert problems == [] and sources[0].audio == tmp_path / "songs" / "take.wav"

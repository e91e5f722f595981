"""Kit names that every file system accepts: safe_stem, and chop runs on awkward names."""

import json
from pathlib import Path

import pytest
import soundfile as sf

from conftest import click_track
from samplechop.cli import main
from samplechop.export.names import MAX_STEM_BYTES, WINDOWS_RESERVED, safe_stem

FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}


def _portable(name: str) -> bool:
    base = name.split(".")[0].strip(" ").upper()
    return (
        bool(name)
        and not FORBIDDEN & set(name)
        and name == name.strip(" ")
        and not name.endswith(".")
        and not name.startswith(".")
        and base not in WINDOWS_RESERVED
    )


@pytest.mark.parametrize("stem, expected", [
    ("break", "break"),
    ("Ünïcödé – 東京 sample", "Ünïcödé – 東京 sample"),
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
    ("tab\there\x00", "tab_here_"),
    ("trailing dots...", "trailing dots"),
    ("  spaced  ", "spaced"),
    (".hidden", "hidden"),
    ("CON", "_CON"),
    ("nul", "_nul"),
    ("com1.take", "_com1.take"),
    ("Lpt9 ", "_Lpt9"),
    ("console", "console"),
    ("", "sample"),
    ("...", "sample"),
])
def test_safe_stem(stem, expected):
    assert safe_stem(stem) == expected
    assert _portable(safe_stem(stem))


def test_long_stems_are_cut_at_a_character_and_stay_distinct():
    for unit in ("a", "é", "東", "🥁"):
        long = unit * 250
        safe = safe_stem(long)
        assert len(safe.encode("utf-8")) <= MAX_STEM_BYTES
        assert safe.startswith(unit * 10) and _portable(safe)
        assert safe_stem(safe) == safe
        assert safe_stem(long + "x") != safe  # same beginning, different name
    decomposed = "Cafe\u0301"  # macOS hands out NFD names
    assert safe_stem(decomposed) == "Caf\u00e9"


def _source(folder: Path, name: str) -> Path:
    path = folder / f"{name}.wav"
    sf.write(path, click_track([0.5, 1.5, 2.5, 3.5], duration=4.5), 22050, subtype="PCM_16")
    return path


@pytest.mark.parametrize("name", [
    "Ü" + ("long take of the break " * 11)[:249],  # 250 characters, 251 bytes
    "東京サンプル" * 13 + "!",  # 79 characters, 235 bytes
], ids=["latin-250-characters", "japanese-235-bytes"])
def test_long_non_ascii_name_gives_a_portable_kit_of_the_default_formats(tmp_path, model_path, name,  # noqa: F811
                                                                         capsys):
    source = _source(tmp_path, name)
    out = tmp_path / "out"
    code = main(["chop", str(source), "-n", "3", "--threshold", "0", "-o", str(out), "--model", str(model_path)])
    assert code == 0, capsys.readouterr().err
    [kit] = list(out.iterdir())
    stem = safe_stem(name)
    assert kit.name == stem and _portable(kit.name)
    files = sorted(p.name for p in kit.iterdir())
    assert files == sorted([f"{stem}_chop0{i}.wav" for i in (1, 2, 3)]
                           + [f"{stem}{s}" for s in (".chops.json", ".txt", ".xpm", ".sfz", ".mid")])
    assert all(len(f.encode("utf-8")) <= 200 and _portable(f) for f in files)
    document = json.loads((kit / f"{stem}.chops.json").read_text(encoding="utf-8"))
    assert [c["file"] for c in document["chops"]] == [f"{stem}_chop0{i}.wav" for i in (1, 2, 3)]
    assert document["source"]["path"] == str(source)


def test_reserved_and_colliding_names(tmp_path, model_path, capsys):  # noqa: F811
    reserved = _source(tmp_path, "con")
    code = main(["chop", str(reserved), "-n", "2", "--threshold", "0", "-o", str(tmp_path / "out"),
                 "--model", str(model_path), "--format", "wav"])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out" / "_con").iterdir()) == [
        "_con.chops.json", "_con.txt", "_con_chop01.wav", "_con_chop02.wav"]
    first, second = _source(tmp_path, "take:1"), _source(tmp_path, "take_1")
    capsys.readouterr()
    code = main(["chop", str(first), str(second), "-n", "2", "--threshold", "0", "-o", str(tmp_path / "two"),
                 "--model", str(model_path)])
    assert code != 0 and "already used by" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "two").iterdir()] == ["take_1"]

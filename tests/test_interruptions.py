"""Runs stopped by signals, or killed outright: no partial kit, no lasting litter.

These start ``samplechop chop`` as a process and signal it, as a user's Ctrl-C, a
shutdown (SIGTERM), a closed terminal (SIGHUP) or the kernel (SIGKILL) would.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import CHORDS, STABS, stab_track
from samplechop.io import fileio

pytestmark = pytest.mark.slow


def _source(folder: Path, repeats: int) -> Path:
    """A file of ``repeats`` copies of an 8-second track of stabs (many chops)."""
    mono = stab_track(STABS, CHORDS, sr=44100, duration=8.0)
    path = folder / "take.wav"
    sf.write(path, np.tile(np.stack([mono, 0.7 * mono], axis=1), (repeats, 1)), 44100, subtype="PCM_16")
    return path


def _start(source: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(out), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) if folder.exists() else []


def _whole_kit(kit: Path) -> bool:
    """Whether ``kit`` holds its manifest and every chop the manifest names."""
    document = json.loads((kit / f"{kit.name}.chops.json").read_text())
    names = [chop["file"] for chop in document["chops"]]
    return bool(names) and all((kit / name).is_file() for name in names)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_stop_signal_while_writing_cleans_up_as_ctrl_c_does(tmp_path, stop):
    source = _source(tmp_path, repeats=24)
    out = tmp_path / "kits"
    process = _start(source, out, "-n", "512", "--min-length", "0.05")
    deadline = time.monotonic() + 120
    while not any(name.endswith(".part") for name in _hidden(out)):  # the kit is being written
        assert process.poll() is None and time.monotonic() < deadline, "the kit was never staged"
        time.sleep(0.002)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    expected = 130 if stop == signal.SIGINT else 128 + stop
    assert process.returncode == expected, stderr
    assert len(stderr.strip().splitlines()) == 1 and "nothing half-written" in stderr
    assert list(out.iterdir()) == []


def test_sigkill_at_any_moment_leaves_the_old_kit_or_the_new_one(tmp_path):
    source = _source(tmp_path, repeats=2)
    out = tmp_path / "kits"
    first = subprocess.run([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(out), "--overwrite"],
                   capture_output=True, timeout=120, check=True)
    run_time = time.monotonic() - started
    rng = random.Random(7)
    kills = 0
    for _ in range(12):
        process = _start(source, out, "--overwrite", "-n", str(rng.choice([4, 8, 16])))
        time.sleep(rng.uniform(0.1, 1.0) * run_time)  # up to the end, rename included
        process.kill()
        process.wait(timeout=60)
        kills += process.returncode == -signal.SIGKILL
        assert _whole_kit(out / "take")  # never a moment without a whole kit under its name
    assert kills >= 6  # most runs were killed, not finished
    rerun = subprocess.run([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(out), "--overwrite"],
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert _hidden(out) == []  # the next run reclaimed what the killed ones left
    assert _whole_kit(out / "take")


def _killed_child(code: str) -> None:
    """Run ``code`` in a child Python that ends by killing itself with SIGKILL."""
    script = f"import os, signal\n{code}\nos.kill(os.getpid(), signal.SIGKILL)\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -signal.SIGKILL, result.stderr


def test_stale_staging_is_reclaimed_but_a_live_one_is_kept(tmp_path):
    _killed_child(f"from samplechop.io.fileio import staging_dir\n"
                  f"(staging_dir({str(tmp_path / 'kit')!r}) / 'chop.wav').write_bytes(bytes(1000))")
    (stale,) = _hidden(tmp_path)
    assert stale.startswith(".kit.") and stale.endswith(".part")
    live = fileio.staging_dir(tmp_path / "other")  # making a staging folder reclaims stale ones first
    assert _hidden(tmp_path) == [live.name]
    # Another process's reclaim keeps the folder that this living one is building.
    subprocess.run([sys.executable, "-c", f"from samplechop.io.fileio import reclaim_stale; "
                    f"reclaim_stale({str(tmp_path)!r})"], check=True, timeout=60)
    assert _hidden(tmp_path) == [live.name]
    fileio.discard_staging(live)
    assert _hidden(tmp_path) == []


def test_kit_moved_aside_by_a_killed_overwrite_is_put_back(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "kit.chops.json").write_text("{}")
    # Where folders cannot be exchanged atomically, the old kit is moved aside first;
    # a run killed right after that leaves no kit under its name...
    _killed_child(
        "from pathlib import Path\n"
        "from samplechop.io import fileio\n"
        "fileio._exchange = lambda first, second: False\n"
        "real_replace = fileio.os.replace\n"
        "def replace_then_die(source, target):\n"
        "    real_replace(source, target)\n"
        "    if Path(target).name == 'kit' and Path(target).parent.name.endswith('.old'):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "fileio.os.replace = replace_then_die\n"
        f"staged = fileio.staging_dir({str(kit)!r})\n"
        f"fileio.publish_dir(staged, {str(kit)!r}, overwrite=True)\n"
    )
    assert not kit.exists()
    # ...and the next run into the folder puts it back before doing anything else.
    fileio.staging_dir(tmp_path / "another")
    assert (kit / "kit.chops.json").read_text() == "{}"
    assert [name for name in _hidden(tmp_path) if not name.startswith(".another.")] == []


def test_overwrite_exchanges_the_folders_in_one_step(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "old.txt").write_text("old")
    staged = fileio.staging_dir(kit)
    (staged / "new.txt").write_text("new")
    inode = staged.stat().st_ino
    exchanged = []
    real_exchange = fileio._exchange
    monkeypatch.setattr(fileio, "_exchange", lambda a, b: exchanged.append(real_exchange(a, b)) or exchanged[-1])
    fileio.publish_dir(staged, kit, overwrite=True)
    assert [p.name for p in kit.iterdir()] == ["new.txt"] and kit.stat().st_ino == inode
    assert _hidden(tmp_path) == []
    if sys.platform.startswith("linux"):
        assert exchanged == [True]  # the atomic exchange, not the two renames


def test_reclaim_leaves_other_hidden_folders_alone(tmp_path):
    for name in (".git", ".notes.part", ".photos.20240101.old", ".kit.samplechop-abcdefgh.new"):
        (tmp_path / name).mkdir()  # the last was just made by another run, not yet locked
    fileio.reclaim_stale(tmp_path)
    assert _hidden(tmp_path) == [".git", ".kit.samplechop-abcdefgh.new", ".notes.part", ".photos.20240101.old"]


def test_an_interrupt_between_the_two_renames_puts_the_old_kit_back(tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "old.txt").write_text("old")
    staged = fileio.staging_dir(kit)
    monkeypatch.setattr(fileio, "_exchange", lambda first, second: False)  # as on macOS and Windows
    real_replace = os.replace

    def interrupted_after_the_first(source, target):
        real_replace(source, target)
        if Path(target).name == "kit" and Path(target).parent.name.endswith(".old"):
            raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "replace", interrupted_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        fileio.publish_dir(staged, kit, overwrite=True)
    monkeypatch.setattr(fileio.os, "replace", real_replace)
    assert (kit / "old.txt").read_text() == "old"
    assert _hidden(tmp_path) == []


def test_a_signal_ignored_at_start_stays_ignored(tmp_path):
    source = _source(tmp_path, repeats=24)
    out = tmp_path / "kits"

    def as_nohup():  # nohup starts the program with SIGHUP ignored
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    process = subprocess.Popen([sys.executable, "-m", "samplechop", "chop", str(source), "-o", str(out),
                                "-n", "512", "--min-length", "0.05"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, preexec_fn=as_nohup)
    deadline = time.monotonic() + 120
    while not any(name.endswith(".part") for name in _hidden(out)):
        assert process.poll() is None and time.monotonic() < deadline, "the kit was never staged"
        time.sleep(0.002)
    process.send_signal(signal.SIGHUP)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert _whole_kit(out / "take")

"""Batches: chop over many files in the local pool, and the three bulk commands on a
real Dask LocalCluster (2 worker processes) with the same results as locally."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import CHORDS, STABS, stab_track, write_click_files
from samplechop.batch.engine import TaskFailure, parse_scheduler, run_units
from samplechop.batch.summary import SummaryRow, write_summary
from samplechop.cli import main
from samplechop.exceptions import OutputError, ParameterError

distributed = pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")


def _tree_hashes(folder: Path) -> dict[str, str]:
    """Content hash of every file under ``folder``, by relative path."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _hidden(folder: Path) -> list[str]:
    return [path.name for path in folder.rglob(".*")]


def _manifests(folder: Path) -> list[Path]:
    """The manifests of the complete kits in ``folder``, read while a batch may be
    renaming its hidden staging folders (a glob into them can fail half-way)."""
    if not folder.is_dir():
        return []
    manifests = [kit / f"{kit.name}.chops.json" for kit in folder.iterdir() if not kit.name.startswith(".")]
    return [path for path in manifests if path.is_file()]


@pytest.fixture(scope="module")
def crate(tmp_path_factory) -> Path:
    """Six short stereo records (8 s, 44.1 kHz), each a little different."""
    folder = tmp_path_factory.mktemp("crate")
    for index in range(6):
        mono = stab_track(STABS, CHORDS[index:] + CHORDS[:index], sr=44100, duration=8.0, seed=index)
        sf.write(folder / f"record{index}.wav", np.stack([mono, 0.7 * mono], axis=1), 44100, subtype="PCM_16")
    return folder


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 single-threaded worker processes (as ``--scheduler local:2``
    starts), reached by its TCP address; a task whose worker dies twice is given up
    (allowed-failures 1), to keep the fault tests short."""
    import dask

    from samplechop.batch.dask_engine import start_local_cluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = start_local_cluster(2)
    try:
        yield local
    finally:
        local.close()


def _chop(argv, capsys) -> tuple[int, str, str]:
    code = main(["chop", *[str(a) for a in argv]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {Path(row["input"]).name: row for row in csv.DictReader(handle)}


def test_chop_jobs_2_writes_and_prints_what_jobs_1_does(tmp_path, crate, capsys):
    one = _chop([crate, "-n", 5, "-o", tmp_path / "one", "--jobs", 1], capsys)
    two = _chop([crate, "-n", 5, "-o", tmp_path / "two", "--jobs", 2], capsys)
    assert one[0] == two[0] == 0
    assert one[1].replace(str(tmp_path / "one"), "OUT") == two[1].replace(str(tmp_path / "two"), "OUT")
    assert one[1].count(": 5 chops") == 6
    assert _tree_hashes(tmp_path / "one") == _tree_hashes(tmp_path / "two")


def test_chop_on_a_cluster_by_its_address_matches_local(tmp_path, crate, cluster, capsys):
    local = _chop([crate, "-n", 5, "-o", tmp_path / "local", "--jobs", 1], capsys)
    remote = _chop([crate, "-n", 5, "-o", tmp_path / "dask", "--scheduler", cluster.scheduler_address,
                    "--summary", tmp_path / "summary.csv"], capsys)
    assert local[0] == remote[0] == 0
    assert local[1].replace(str(tmp_path / "local"), "OUT") == remote[1].replace(str(tmp_path / "dask"), "OUT")
    assert _tree_hashes(tmp_path / "local") == _tree_hashes(tmp_path / "dask")
    rows = _rows(tmp_path / "summary.csv")
    assert sorted(rows) == [f"record{i}.wav" for i in range(6)]
    assert {row["status"] for row in rows.values()} == {"chopped"}
    assert {row["chops"] for row in rows.values()} == {"5"}


def test_a_bad_file_is_reported_and_the_batch_goes_on(tmp_path, crate, cluster, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("record0.wav", "record1.wav"):
        (folder / name).write_bytes((crate / name).read_bytes())
    (folder / "broken.wav").write_text("not audio " * 50)
    code, _, err = _chop([folder, "-n", 4, "-o", tmp_path / "out", "--scheduler", cluster.scheduler_address,
                          "--summary", tmp_path / "summary.json"], capsys)
    assert code == 3  # the bad file's own exit code (bad audio)
    assert "2 of 3 inputs chopped" in err and "broken.wav" in err
    document = json.loads((tmp_path / "summary.json").read_text())
    assert document["counts"] == {"chopped": 2, "failed": 1}
    broken = [row for row in document["inputs"] if row["input"].endswith("broken.wav")][0]
    assert broken["status"] == "failed" and "broken.wav" in broken["error"] and "\n" not in broken["error"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["record0", "record1"]


def test_resume_after_a_killed_batch_does_only_what_is_missing(tmp_path, big_crate):
    # 30 files: since chopping got faster, a batch of six could be all but done when the
    # kill landed (the six were chopped in about a second)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "samplechop.cli", "chop", str(big_crate), "-n", "4", "-o", str(out), "--jobs", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(_manifests(out))) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # no chance to clean up: as a power cut
    process.wait()
    finished = {path.parent.name: path.stat().st_mtime_ns for path in _manifests(out)}
    assert 1 <= len(finished) < 30
    code = main(["chop", str(big_crate), "-n", "4", "-o", str(out), "--resume", "--jobs", "2",
                 "--summary", str(tmp_path / "summary.csv")])
    assert code == 0
    rows = _rows(tmp_path / "summary.csv")
    assert {name for name, row in rows.items() if row["status"] == "done"} == {f"{n}.wav" for n in finished}
    assert sum(row["status"] == "chopped" for row in rows.values()) == 30 - len(finished)
    assert all(row["chops"] == "4" for row in rows.values())
    for name, stamp in finished.items():  # what was done was left as it was
        assert (out / name / f"{name}.chops.json").stat().st_mtime_ns == stamp
    assert len(_manifests(out)) == 30 and not _hidden(out)


def test_an_incomplete_kit_folder_is_not_taken_for_done(tmp_path, crate, capsys):
    out = tmp_path / "out"
    (out / "record0").mkdir(parents=True)
    (out / "record0" / "record0_chop01.wav").write_bytes(b"RIFF")  # a kit folder without its manifest
    code, _, err = _chop([crate / "record0.wav", "-n", 4, "-o", out, "--resume"], capsys)
    assert code == OutputError.exit_code and "exists already" in err
    assert not list((out / "record0").glob("*.chops.json"))


def test_a_worker_killed_mid_batch_loses_no_file(tmp_path, crate, cluster, capsys):
    from distributed import Client

    out = tmp_path / "out"
    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)

    def kill_one_worker():
        deadline = time.monotonic() + 60
        while not (out.is_dir() and any(_manifests(out))) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(next(iter(pids.values())), signal.SIGKILL)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    code, _, err = _chop([crate, "-n", 4, "-o", out, "--scheduler", cluster.scheduler_address,
                          "--summary", tmp_path / "summary.csv"], capsys)
    killer.join()
    with Client(cluster.scheduler_address) as client:  # a worker was killed and is replaced
        deadline = time.monotonic() + 30
        while set(client.run(os.getpid).values()) == set(pids.values()) and time.monotonic() < deadline:
            time.sleep(0.1)  # the nanny may not have seen its worker die yet
        assert set(client.run(os.getpid).values()) != set(pids.values())
    rows = _rows(tmp_path / "summary.csv")
    assert code == 0, err
    # "done": a kit the dead worker had published before it could say so, found by the retry
    assert {row["status"] for row in rows.values()} <= {"chopped", "done"} and len(rows) == 6
    assert {row["chops"] for row in rows.values()} == {"4"}
    assert len(_manifests(out)) == 6 and not _hidden(out)  # nothing half-written


def _dies_on(task: str) -> str:
    """A unit of work whose worker dies on the task ``die``."""
    if task == "die":
        os._exit(1)
    return task.upper()


def test_a_task_that_keeps_killing_its_workers_is_reported(cluster):
    with run_units(_dies_on, ["die"], scheduler=cluster.scheduler_address, retries=0) as finished:
        records = dict(finished)
    assert isinstance(records[0], TaskFailure) and "died" in records[0].message
    with run_units(_dies_on, ["a", "b"], scheduler=cluster.scheduler_address) as finished:
        assert dict(finished) == {0: "A", 1: "B"}  # the restarted workers go on with the next batch


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("address", [f"tcp://127.0.0.1:{_free_port()}", "nonsense://somewhere"])
def test_an_unreachable_scheduler_is_one_line_and_exit_code_7(tmp_path, crate, address):
    environment = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "samplechop.cli", "chop", str(crate / "record0.wav"),
                             "-o", str(tmp_path / "out"), "--scheduler", address],
                            capture_output=True, text=True, env=environment, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 7
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samplechop: error: --scheduler") and address in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_chopping_path_imports_no_dask(tmp_path, crate):
    code = ("import sys; from samplechop.cli import main; "
            f"code = main(['chop', {str(crate)!r}, '-n', '3', '-o', {str(tmp_path / 'out')!r}, '--jobs', '2']); "
            "print(code, sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "0 []"


def test_dataset_build_on_a_cluster_gives_the_local_shards_and_manifest(tmp_path, cluster):
    sources = write_click_files(tmp_path / "labelled", count=6, rng_seed=3, name="clicks{}")
    common = ["dataset", "build", str(sources), "--shard-frames", "1000", "--valid-share", "0.3", "--progress", "off"]
    assert main([*common, "-o", str(tmp_path / "local"), "--jobs", "2"]) == 0
    assert main([*common, "-o", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address,
                 "--summary", str(tmp_path / "summary.csv")]) == 0
    local, remote = _tree_hashes(tmp_path / "local"), _tree_hashes(tmp_path / "dask")
    assert len(local) >= 5 and local == remote  # the manifest and at least two shards of two arrays
    rows = _rows(tmp_path / "summary.csv")
    assert {row["status"] for row in rows.values()} == {"built"} and len(rows) == 6
    assert not _hidden(tmp_path / "dask")  # the workers' parts are gone once in the shards


def test_dataset_build_uses_the_parts_an_interrupted_build_left(tmp_path, cluster):
    from samplechop.dataset import build as build_module
    from samplechop.dataset import build_dataset, open_dataset
    from samplechop.io.fileio import file_sha256
    from samplechop.spectral.features import DEFAULT_FEATURES

    sources = write_click_files(tmp_path / "labelled", count=3, rng_seed=4, name="clicks{}")
    # What an interrupted cluster build leaves: the part of a file that was done (here
    # with its features zeroed, to tell it from one made again), one being written.
    first = sorted(sources.glob("*.wav"))[0]
    task = build_module._Task(first, first.with_suffix(".txt"), file_sha256(first),
                              file_sha256(first.with_suffix(".txt")), "train", dict(DEFAULT_FEATURES), 1, [0])
    parts = tmp_path / "data" / build_module.PARTS_FOLDER
    parts.mkdir(parents=True)
    _, (duration, labels, outputs, messages) = build_module._process(task)
    meta = json.dumps({"duration": duration, "labels": [float(t) for t in labels], "messages": messages,
                       "shifts": [0]})
    np.savez(parts / build_module.part_name(task), meta=np.asarray(meta),
             features0=np.zeros_like(outputs[0][1]), targets0=outputs[0][2])
    (parts / ".other.npz.samplechop-part").write_bytes(b"PK")
    report = build_dataset([sources], tmp_path / "data", features=DEFAULT_FEATURES,
                           scheduler=cluster.scheduler_address, log=lambda m: None)
    assert report.built == 3 and not report.failed
    data = open_dataset(tmp_path / "data")
    zeroed = [entry for entry in data.files if entry.source == str(first)]
    assert len(zeroed) == 1 and not np.any(data.arrays(zeroed[0])[0])
    assert all(np.any(data.arrays(entry)[0]) for entry in data.files if entry.source != str(first))
    assert not parts.exists()


def test_corpus_render_on_a_cluster_gives_the_local_pieces(tmp_path, cluster):
    import shutil

    if shutil.which("fluidsynth") is None:
        pytest.skip("fluidsynth is not installed")
    pytest.importorskip("pretty_midi")
    common = ["corpus", "render", "--count", "2", "--seed", "5", "--duration", "2", "--sample-rate", "16000",
              "--chorale-share", "0", "--progress", "off"]
    assert main([*common, "-o", str(tmp_path / "local"), "--jobs", "1"]) == 0
    assert main([*common, "-o", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address,
                 "--summary", str(tmp_path / "summary.csv")]) == 0
    local = _tree_hashes(tmp_path / "local")
    assert len(local) == 8 and local == _tree_hashes(tmp_path / "dask")
    assert {row["status"] for row in _rows(tmp_path / "summary.csv").values()} == {"rendered"}


def test_local_n_starts_its_own_cluster(tmp_path, crate, capsys):
    code, out, _ = _chop([crate / "record0.wav", crate / "record1.wav", "-n", 3, "-o", tmp_path / "out",
                          "--scheduler", "local:2"], capsys)
    assert code == 0 and out.count(": 3 chops") == 2


@pytest.mark.parametrize("text, expected", [("local:3", ("local", 3)), ("tcp://10.0.0.5:8786",
                                                                           ("address", "tcp://10.0.0.5:8786"))])
def test_scheduler_addresses(text, expected):
    assert parse_scheduler(text) == expected


@pytest.mark.parametrize("text", ["local:0", "local:two", "local", " "])
def test_bad_local_scheduler_is_a_parameter_error(text):
    with pytest.raises(ParameterError, match="--scheduler"):
        parse_scheduler(text)


def test_summary_is_csv_or_json_and_nothing_else(tmp_path):
    rows = [SummaryRow("a.wav", "chopped", 4, "out/a"), SummaryRow("b.wav", "failed", error="b.wav: is silent")]
    write_summary(tmp_path / "s.csv", rows)
    assert (tmp_path / "s.csv").read_text().splitlines() == [
        "input,status,chops,output,error", "a.wav,chopped,4,out/a,", "b.wav,failed,0,,b.wav: is silent"]
    write_summary(tmp_path / "s.json", rows)
    assert json.loads((tmp_path / "s.json").read_text())["counts"] == {"chopped": 1, "failed": 1}
    with pytest.raises(ParameterError, match=".csv or .json"):
        write_summary(tmp_path / "s.txt", rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.json"]  # no temporary left


def test_a_scheduler_without_workers_is_one_line_not_a_hang(tmp_path, crate, capsys, monkeypatch):
    from distributed import LocalCluster

    from samplechop.batch import dask_engine

    monkeypatch.setattr(dask_engine, "WORKER_WAIT_SECONDS", 1.0)  # instead of a minute
    with LocalCluster(n_workers=0, processes=True, dashboard_address=":0") as empty:
        code, _, err = _chop([crate / "record0.wav", crate / "record1.wav", "-o", tmp_path / "out",
                              "--scheduler", empty.scheduler_address], capsys)
    assert code == 7
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "has no worker" in lines[0]


def test_a_forked_worker_loads_its_own_model_and_keeps_the_parents():
    from samplechop.batch import models
    from samplechop.model import load_model
    from samplechop.workers import process_executor

    models.keep_model(None, load_model())
    executor = process_executor(1)  # the local pool of batches, forked with the model loaded here
    try:
        own, inherited = executor.submit(_models_of_a_worker).result(timeout=60)
    finally:
        executor.shutdown()
    assert own != id(models.process_model(None)) and inherited == 1


def _models_of_a_worker() -> tuple[int, int]:
    from samplechop.batch import models

    return id(models.process_model(None)), len(models._INHERITED)


@pytest.fixture
def big_crate(tmp_path, crate) -> Path:
    """30 files (the crate's six, five times over, as hard links): a batch long enough
    to be stopped half-way."""
    folder = tmp_path / "big"
    folder.mkdir()
    for copy in range(5):
        for source in sorted(crate.glob("*.wav")):
            os.link(source, folder / f"{copy}-{source.name}")
    return folder


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to find the pool's workers")
def test_a_local_pool_worker_killed_mid_batch_is_reported_not_waited_for(tmp_path, big_crate):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "samplechop.cli", "chop", str(big_crate), "-n", "4",
                                "-o", str(out),
                                "--jobs", "2", "--summary", str(tmp_path / "summary.csv")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(_manifests(out))) and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = _children(process.pid)
    assert workers, "the pool's workers were not found"
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)  # a pool that waited for the lost task would hang here
    rows = _rows(tmp_path / "summary.csv")
    assert len(rows) == 30
    statuses = {row["status"] for row in rows.values()}
    chopped = [name for name, row in rows.items() if row["status"] == "chopped"]
    failed = [row for row in rows.values() if row["status"] == "failed"]
    assert failed, "the worker was killed after the batch"  # 29 files were left when the first kit appeared
    assert process.returncode == 1 and "worker process of the local pool died" in stderr
    assert all("--resume" in row["error"] for row in failed)
    assert statuses == {"chopped", "failed"} and len(chopped) >= 1
    kits = [folder for folder in out.iterdir() if not folder.name.startswith(".")]
    assert all((kit / f"{kit.name}.chops.json").is_file() for kit in kits)  # the killed worker's kit is hidden
    code = main(["chop", str(big_crate), "-n", "4", "-o", str(out), "--resume", "--jobs", "2"])
    assert code == 0 and len(_manifests(out)) == 30 and not _hidden(out)


def test_sigterm_stops_a_pooled_batch_at_once(tmp_path, big_crate):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "samplechop.cli", "chop", str(big_crate), "-n", "4",
                                "-o", str(out),
                                "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(_manifests(out))) and time.monotonic() < deadline:
        time.sleep(0.005)
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in stderr
    assert len(_manifests(out)) < 15  # the files not started were not chopped
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # no worker left running
    assert not _hidden(out)


def test_evaluate_on_a_cluster_gives_the_local_table(tmp_path, click_corpus, cluster, capsys):
    common = ["evaluate", str(click_corpus), "--no-baselines", "--progress", "off"]
    assert main([*common, "--json", str(tmp_path / "local.json")]) == 0
    local_out = capsys.readouterr().out
    assert main([*common, "--json", str(tmp_path / "dask.json"), "--scheduler", cluster.scheduler_address]) == 0
    remote_out = capsys.readouterr().out
    assert local_out.replace("local.json", "X") == remote_out.replace("dask.json", "X")
    local = json.loads((tmp_path / "local.json").read_text())
    assert len(local["files"]) == 12 and local == json.loads((tmp_path / "dask.json").read_text())


def _square(value: int) -> int:
    return value * value


def test_a_finished_pool_batch_leaves_no_executor_thread_behind():
    """A manager thread left running at exit raced Python's exit hook for its wake-up
    pipe: about one exit in 40 printed an ignored OSError (Bad file descriptor)."""
    with run_units(_square, list(range(6)), jobs=2) as results:
        assert sorted(record for _, record in results) == [0, 1, 4, 9, 16, 25]
    assert not [thread for thread in threading.enumerate() if "ExecutorManager" in type(thread).__name__]


@pytest.mark.parametrize("threads", [None, 1])
def test_a_batch_unit_keeps_to_its_thread_count(tmp_path, crate, monkeypatch, threads):
    """A file chopped beside others (``--jobs 2``: ``threads=1``) runs its network and
    writes its kit on one thread; a file chopped alone takes the defaults."""
    from samplechop.batch import chop_unit as unit_module
    from samplechop.chop import ChopSettings
    from samplechop.model.file import ChopModel

    seen = {}
    predict, write_kit = ChopModel.predict, unit_module.write_kit

    def recording_predict(self, features, **options):
        seen["network"] = options.get("threads")
        return predict(self, features, **options)

    def recording_write_kit(*args, **options):
        seen["kit"] = options.get("threads")
        return write_kit(*args, **options)

    monkeypatch.setattr(ChopModel, "predict", recording_predict)
    monkeypatch.setattr(unit_module, "write_kit", recording_write_kit)
    job = unit_module.ChopJob(source=str(crate / "record0.wav"), out_dir=str(tmp_path),
                              settings=ChopSettings(n=4).validate(), formats=(), start_note=36, threads=threads)
    outcome = unit_module.chop_file(job)
    assert outcome.status == "chopped" and seen == {"network": threads, "kit": threads}

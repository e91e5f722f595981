"""Batches on the local pool and on Dask: files per minute, overhead per task, a killed worker.

Run by hand on an otherwise idle machine (a few minutes in all):

    python benchmarks/batch_throughput.py [--corpus /work/data/dev] [--files 200] [--dataset-files 100]

It cuts FILES files of 30 s (44.1 kHz stereo 16-bit WAV, each from a random offset
of a rendered piece of CORPUS running into the next, with their labels) into a
folder under /tmp, starts a Dask cluster of 2 single-threaded workers the way
docs/cluster.md says (``dask scheduler`` and ``dask worker`` as child processes, the
workers with its configuration), and then, side by side in one run:

1. ``samplechop chop`` on all the files with ``--jobs 1``, ``--jobs 2``,
   ``--scheduler local:2`` (the cluster's start included) and ``--scheduler
   tcp://...`` (the running cluster), each the whole command in a child process;
2. the overhead per task: a task that does nothing, through the running cluster
   (one after the other, and 2,000 at once) and through the local pool;
3. ``samplechop dataset build`` of the first DATASET_FILES files the same four
   ways, checking that the four data sets are the same bytes;
4. a worker killed (SIGKILL) when a third of the kits of a ``--scheduler tcp://``
   batch are written: every file must end chopped or reported, every kit complete,
   and no hidden staging folder left.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from samplechop.io.annotations import find_label_file, read_labels, write_labels

SR = 44100


def cut_files(corpus: Path, out: Path, *, count: int, seconds: float, seed: int = 0) -> list[Path]:
    """``count`` labelled files of ``seconds`` s, each from a random offset of a piece into the next."""
    pieces = sorted(p for p in corpus.glob("*.flac") if find_label_file(p))
    if len(pieces) < 2:
        raise SystemExit(f"{corpus}: needs two labelled pieces or more")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    target = int(seconds * SR)
    paths = []
    for index in range(count):
        path = out / f"cut{index:04d}.wav"
        paths.append(path)
        if path.is_file() and path.with_suffix(".txt").is_file():
            continue
        first, second = (pieces[int(i)] for i in rng.choice(len(pieces), size=2, replace=False))
        a, sr_a = sf.read(first, dtype="float32", always_2d=True)
        b, sr_b = sf.read(second, dtype="float32", always_2d=True)
        if sr_a != SR or sr_b != SR:
            raise SystemExit(f"{corpus}: pieces must be 44.1 kHz")
        stereo = [np.repeat(x[:, :1], 2, axis=1) if x.shape[1] == 1 else x[:, :2] for x in (a, b)]
        offset = int(rng.uniform(0.0, 0.5) * stereo[0].shape[0])
        audio = np.concatenate(stereo)[offset: offset + target]
        labels = np.concatenate([read_labels(find_label_file(first)),
                                 stereo[0].shape[0] / SR + read_labels(find_label_file(second))]) - offset / SR
        sf.write(path, audio, SR, subtype="PCM_16")
        write_labels(path.with_suffix(".txt"), [t for t in labels if 0.0 <= t < target / SR])
    return paths


def _samplechop(*arguments: str) -> tuple[float, float]:
    """Seconds of one whole ``samplechop`` command in a child process (it must succeed),
    on the clock and of CPU (the command and the processes it started)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "samplechop.cli", *arguments], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _cpu_seconds(pid: int) -> float:
    """CPU seconds a living process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        for child in (children.read_text().split() if children.exists() else []):
            found += [int(child)] + _descendants(int(child))
    return found


def cluster_cpu(address: str, processes: list[subprocess.Popen]) -> dict[str, float]:
    """CPU seconds used so far by the scheduler, the nannies and the workers of the cluster."""
    from distributed import Client

    worker_command, scheduler = processes
    with Client(address) as client:
        workers = set(client.run(os.getpid).values())
    tree = [worker_command.pid] + _descendants(worker_command.pid)
    return {"scheduler": _cpu_seconds(scheduler.pid),
            "nannies": sum(_cpu_seconds(pid) for pid in tree if pid not in workers),
            "workers": sum(_cpu_seconds(pid) for pid in tree if pid in workers)}


#: The worker configuration docs/cluster.md recommends: glibc's own memory trimming.
WORKER_CONFIG = """distributed:
  nanny:
    pre-spawn-environ:
      MALLOC_TRIM_THRESHOLD_: null
"""


def start_cluster(workers: int, config_dir: Path) -> tuple[str, list[subprocess.Popen]]:
    """``dask scheduler`` and ``dask worker`` as child processes, as docs/cluster.md
    starts them (with its worker configuration in ``config_dir``); returns the address."""
    dask = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "samplechop-workers.yaml").write_text(WORKER_CONFIG)
    port = 18786
    scheduler = subprocess.Popen([dask, "scheduler", "--port", str(port), "--dashboard-address", ":0"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"tcp://127.0.0.1:{port}"
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, DASK_CONFIG=str(config_dir)))
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(workers, timeout=60)
    return address, [worker, scheduler]


def _noop(value: int) -> int:
    return value


def overhead(address: str, *, tasks: int = 2000, one_by_one: int = 200) -> dict[str, float]:
    """Milliseconds per task that does nothing: Dask one at a time, Dask many at once, the local pool."""
    from distributed import Client

    from samplechop.batch.engine import run_units

    figures = {}
    with Client(address) as client:
        client.submit(_noop, -1, pure=False).result()
        started = time.perf_counter()
        for value in range(one_by_one):
            client.submit(_noop, value, pure=False).result()
        figures["dask, one task at a time (round trip)"] = 1000 * (time.perf_counter() - started) / one_by_one
    started = time.perf_counter()
    with run_units(_noop, list(range(tasks)), scheduler=address) as finished:
        list(finished)
    figures[f"dask, {tasks} tasks at once (run_units, connection included)"] = (
        1000 * (time.perf_counter() - started) / tasks)
    started = time.perf_counter()
    with run_units(_noop, list(range(tasks)), jobs=2) as finished:
        list(finished)
    figures[f"local pool of 2, {tasks} tasks at once (fork included)"] = 1000 * (time.perf_counter() - started) / tasks
    return figures


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def complete_kits(out: Path) -> int:
    """Kit folders under ``out`` that hold their manifest (hidden staging folders come and go)."""
    if not out.is_dir():
        return 0
    return sum(1 for entry in os.scandir(out)
               if not entry.name.startswith(".") and Path(entry.path, f"{entry.name}.chops.json").is_file())


def fault(address: str, inputs: Path, out: Path, *, files: int) -> dict[str, object]:
    """Chop on the cluster, SIGKILL one worker when a third of the kits are written."""
    from distributed import Client

    with Client(address) as client:
        pids = list(client.run(os.getpid).values())
    summary = out.with_suffix(".csv")
    command = [sys.executable, "-m", "samplechop.cli", "chop", str(inputs), "-o", str(out), "-n", "16",
               "--scheduler", address, "--summary", str(summary), "--progress", "off"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while complete_kits(out) < files // 3 and process.poll() is None:
        time.sleep(0.05)
    killed_at = complete_kits(out)
    os.kill(pids[0], signal.SIGKILL)
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    with open(summary, newline="") as handle:
        rows = list(csv.DictReader(handle))
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {
        "exit code": process.returncode, "seconds": round(seconds, 1), "kits written when killed": killed_at,
        "summary rows": len(rows), "statuses": statuses,
        "complete kits": complete_kits(out),
        "kit folders": sum(1 for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")),
        "hidden (half-written) folders": len([p for p in out.iterdir() if p.name.startswith(".")]),
        "errors": [line for line in stderr.splitlines() if "error" in line][:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/data/dev"))
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--dataset-files", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/samplechop-batch-bench"))
    args = parser.parse_args()

    inputs = args.work / "inputs"
    cut_files(args.corpus, inputs, count=args.files, seconds=args.seconds)
    chop_inputs = args.work / "chop-inputs"  # the audio alone: chop would take the .txt for nothing else
    chop_inputs.mkdir(exist_ok=True)
    for path in sorted(inputs.glob("*.wav")):
        link = chop_inputs / path.name
        if not link.exists():
            link.symlink_to(path)
    dataset_inputs = args.work / "dataset-inputs"
    dataset_inputs.mkdir(exist_ok=True)
    for path in sorted(inputs.glob("*.wav"))[: args.dataset_files]:
        for source in (path, path.with_suffix(".txt")):
            if not (dataset_inputs / source.name).exists():
                (dataset_inputs / source.name).symlink_to(source)
    print(f"{args.files} files of {args.seconds:g} s in {inputs}; cores: {os.cpu_count()}")

    address, processes = start_cluster(2, args.work / "dask-config")
    try:
        modes = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"]),
                 ("--scheduler local:2", ["--scheduler", "local:2"]),
                 (f"--scheduler {address} (running)", ["--scheduler", address])]
        print(f"\nchop -n 16, {args.files} files (CPU: the command and what it started; on tcp also the cluster):")
        base = None
        for name, options in modes:
            out = args.work / "kits"
            shutil.rmtree(out, ignore_errors=True)
            running = options[-1] == address
            before = cluster_cpu(address, processes) if running else {}
            seconds, cpu = _samplechop("chop", str(chop_inputs), "-o", str(out), "-n", "16", "--progress", "off",
                                       *options)
            after = cluster_cpu(address, processes) if running else {}
            used = {key: value - before[key] for key, value in after.items()}
            kits = complete_kits(out)
            rate = 60 * args.files / seconds
            base = base or rate
            shares = "".join(f", {key} {value:.1f}" for key, value in used.items())
            print(f"  {name:45s} {seconds:6.1f} s  {rate:6.0f} files/min  x{rate / base:.2f}  ({kits} kits)"
                  f"  CPU s: command {cpu:.1f}{shares}")

        print("\noverhead per task (ms):")
        for name, ms in overhead(address).items():
            print(f"  {name:62s} {ms:6.2f}")

        print(f"\ndataset build, {args.dataset_files} files:")
        base, hashes = None, set()
        for name, options in modes:
            out = args.work / "dataset"
            shutil.rmtree(out, ignore_errors=True)
            seconds, _ = _samplechop("dataset", "build", str(dataset_inputs), "-o", str(out), "--progress", "off",
                                  *options)
            rate = 60 * args.dataset_files / seconds
            base = base or rate
            hashes.add(_tree_hash(out))
            print(f"  {name:45s} {seconds:6.1f} s  {rate:6.0f} files/min  x{rate / base:.2f}")
        print(f"  the {len(modes)} data sets are {'the same bytes' if len(hashes) == 1 else 'DIFFERENT'}")

        print(f"\na worker killed mid-batch (chop, {args.files} files, --scheduler {address}):")
        out = args.work / "fault"
        shutil.rmtree(out, ignore_errors=True)
        for key, value in fault(address, chop_inputs, out, files=args.files).items():
            print(f"  {key}: {value}")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Speed and memory of `samplechop chop` (issue: "Faster than aubiocut as a whole command").

Run by hand on an otherwise idle machine:

    python benchmarks/chop_speed.py [--long] [--repeats 5]

It builds a 3-minute 44.1 kHz stereo 16-bit WAV from the real recordings in
../shared/data/real/, then measures in one run, side by side:

1. in-process throughput of the library call (imports done, model loaded): read,
   features, network, selection with HPSS on the candidates, 16 chops written;
2. the original design's pipeline on the same file: librosa CQT at 44.1 kHz, hop
   256, plus HPSS of the whole spectrogram (its fixed cost before any network);
3. the whole command, process start included, against `aubiocut -c` (aubio-tools)
   cutting the same file: the two alternate, and the median wall and CPU time
   (user + system, of the process and its children) of each is compared;
4. `samplechop --help` and `samplechop chop --help`, and the imports of the
   chopping path (numpy, scipy.fft, onnxruntime, soundfile, soxr, samplechop's
   modules) in a fresh process, beyond the interpreter's own start;
5. peak memory (max RSS) of the command; with --long also for a 60-minute file.

Commands run as after an install: Python writes and reads its bytecode caches
(PYTHONDONTWRITEBYTECODE is removed from their environment), and a first run of
each is not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def make_source(path: Path, minutes: float) -> None:
    """Concatenate the real recordings (repeated) into a 16-bit stereo WAV."""
    pieces, total = [], 0
    target = int(minutes * 60 * 44100)
    names = sorted(REAL.glob("*.ogg"))
    while total < target:
        for name in names:
            data, sr = sf.read(name, dtype="float32", always_2d=True)
            assert sr == 44100
            pieces.append(data[:, :2])
            total += data.shape[0]
    audio = np.concatenate(pieces)[:target]
    sf.write(path, audio, 44100, subtype="PCM_16")


def best_of(function, repeats: int) -> float:
    return min(times_of(function, repeats))


def times_of(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


#: The environment of the commands measured: bytecode caches as after an install.
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed_command(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=ENVIRONMENT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


#: What `samplechop chop` imports to chop a file.
CHOPPING_IMPORTS = ("import numpy, scipy.fft, onnxruntime, soundfile, soxr; "
                    "import samplechop.commands.chop, samplechop.chop.pipeline, samplechop.export.writer")


def command_peak_rss(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True,
                            env=ENVIRONMENT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {result.stderr.strip()[-500:]}")
    del before
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024.0


def network_runtimes(model, source: Path, repeats: int) -> None:
    """The network alone on the file's features: numpy (shipped) against onnxruntime and torch."""
    from samplechop.io.audio import load_analysis
    from samplechop.spectral.features import compute_features

    y, _ = load_analysis(source)
    features = compute_features(y / np.abs(y).max(), model.features)
    from samplechop.model.file import ChopModel

    reference = ChopModel(features=model.features, architecture=model.architecture, params=model.params,
                          input_mean=model.input_mean, input_std=model.input_std)
    numpy_time = best_of(lambda: reference.predict(features), repeats)
    print(f"network, numpy reference         {numpy_time:7.3f} s")
    shipped_time = best_of(lambda: model.predict(features), repeats)
    print(f"network, as shipped ({model.runtime}) {shipped_time:7.3f} s")
    try:
        import onnxruntime
        import torch

        from samplechop.training.networks import build_network
    except ImportError as error:
        print(f"network, onnxruntime/torch: not measured ({error.name} missing)")
        return
    network = build_network(model.architecture, features.shape[1]).eval()
    network.load_state_dict({k: torch.from_numpy(v) for k, v in model.params.items()})
    x = ((features - model.input_mean) / model.input_std).astype(np.float32)[None]
    with torch.no_grad():
        torch_time = best_of(lambda: network(torch.from_numpy(x)), repeats)
    print(f"network, torch                   {torch_time:7.3f} s")
    path = Path(tempfile.mkdtemp()) / "net.onnx"
    try:
        torch.onnx.export(network, (torch.from_numpy(x),), str(path), input_names=["x"],
                          dynamic_axes={"x": {1: "frames"}}, dynamo=False)
    except Exception as error:  # the exporter needs the onnx package
        print(f"network, onnxruntime: not measured ({error})")
        return
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    load = time.perf_counter() - start
    session.run(None, {"x": x})
    onnx_time = best_of(lambda: session.run(None, {"x": x}), repeats)
    print(f"network, onnxruntime             {onnx_time:7.3f} s  (+ {load:.3f} s to load the session)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="also measure a 60-minute file")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="samplechop-bench-"))
    try:
        source = work / "three_minutes.wav"
        make_source(source, 3.0)
        duration = sf.info(source).duration
        os.sync()  # the source's pages written back now, not while the runs are timed

        counter = iter(range(10**6))
        executable = str(Path(sys.executable).with_name("samplechop"))

        def our_command():
            out = work / f"cmd{next(counter)}"
            try:
                return timed_command([executable, "chop", str(source), "-n", "16", "-o", str(out)])
            finally:
                shutil.rmtree(out)  # not left for the page cache to write back during the next runs
                os.sync()

        def aubio_command():
            out = work / f"aubio{next(counter)}"
            out.mkdir()
            try:
                return timed_command(["aubiocut", "-c", "-i", str(source), "-o", str(out)])
            finally:
                shutil.rmtree(out)
                os.sync()

        # The library call first: after the commands have written and removed 30 kits,
        # writing into the page cache was up to 3x slower on this machine for a while.
        from samplechop.chop import ChopSettings, analyse, select_chops
        from samplechop.export import write_outputs
        from samplechop.model import load_model

        model = load_model()
        settings = ChopSettings(n=16)

        def library_call() -> float:
            out = work / f"lib{next(counter)}"
            start = time.perf_counter()
            write_outputs(select_chops(analyse(source, model=model), settings), out)
            seconds = time.perf_counter() - start
            shutil.rmtree(out)
            os.sync()
            return seconds

        library_call()  # warm-up: imports and caches
        library = [library_call() for _ in range(args.repeats)]

        # The commands next, before librosa's CQT runs in this process; their first runs
        # (bytecode caches, the page cache) are not counted. The two alternate, so that
        # both see the same machine state.
        our_command(), aubio_command()
        ours_runs, aubio_runs = [], []
        for _ in range(args.repeats):
            ours_runs.append(our_command())
            aubio_runs.append(aubio_command())
        ours_wall, ours_cpu = (statistics.median(column) for column in zip(*ours_runs))
        aubio_wall, aubio_cpu = (statistics.median(column) for column in zip(*aubio_runs))

        import librosa

        def original_pipeline():
            y, sr = sf.read(source, dtype="float32")
            y = librosa.to_mono(y.T)
            spectrum = np.abs(librosa.cqt(y, sr=44100, hop_length=256))
            librosa.decompose.hpss(spectrum)

        original_pipeline()
        original = best_of(original_pipeline, max(1, args.repeats // 2))

        timed_command([sys.executable, "-c", "pass"])
        start_only = statistics.median(timed_command([sys.executable, "-c", "pass"])[0] for _ in range(args.repeats))
        imports = statistics.median(timed_command([sys.executable, "-c", CHOPPING_IMPORTS])[0]
                                    for _ in range(args.repeats))
        helps = {argv: statistics.median(timed_command([executable, *argv])[0] for _ in range(args.repeats))
                 for argv in (("--help",), ("chop", "--help"))}
        _, peak = command_peak_rss([executable, "chop", str(source), "-n", "16", "-o", str(work / "mem")])

        duration_text = f"{duration:.0f} s, 44.1 kHz stereo 16-bit WAV, -n 16, chops written"
        print(f"machine: {os.cpu_count()} cores; file: {duration_text}; {args.repeats} repeats")
        print(f"library call (imports done)      median {statistics.median(library):6.3f} s "
              f"= {duration / statistics.median(library):5.0f}x real time; best {min(library):.3f} s "
              f"= {duration / min(library):.0f}x")
        print(f"original design (CQT+HPSS only)  {original:7.3f} s  -> ours is "
              f"{original / statistics.median(library):.1f}x faster")
        print(f"whole command                    wall {ours_wall:6.3f} s  CPU {ours_cpu:6.3f} s  (medians)")
        print(f"aubiocut -c                      wall {aubio_wall:6.3f} s  CPU {aubio_cpu:6.3f} s")
        print(f"command / aubiocut               wall {ours_wall / aubio_wall:.2f}x  CPU {ours_cpu / aubio_cpu:.2f}x")
        print(f"imports of the chopping path     {imports - start_only:7.3f} s  (beyond {start_only:.3f} s "
              "of interpreter start)")
        for argv, seconds in helps.items():
            print(f"samplechop {' '.join(argv):<21} {seconds:7.3f} s")
        print(f"peak memory, 3-minute file       {peak:7.0f} MB")
        network_runtimes(model, source, args.repeats)
        if args.long:
            long_source = work / "sixty_minutes.wav"
            make_source(long_source, 60.0)
            os.sync()  # its 635 MB written back now, not while the command is timed
            seconds, long_peak = command_peak_rss(
                [executable, "chop", str(long_source), "-n", "16", "-o", str(work / "long")])
            print(f"60-minute file: {seconds:.1f} s, peak memory {long_peak:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

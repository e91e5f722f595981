"""Speed and memory of `samplechop chop` (issue: "Chop a sample from the command line").

Run by hand on an otherwise idle machine:

    python benchmarks/chop_speed.py [--long] [--repeats 9]

It builds a 3-minute 44.1 kHz stereo 16-bit WAV from the real recordings in
../shared/data/real/, then measures in one run, side by side:

1. in-process throughput of the library call (imports done, model loaded): read,
   features, network, selection with HPSS on the candidates, 16 chops written;
2. the original design's pipeline on the same file: librosa CQT at 44.1 kHz, hop
   256, plus HPSS of the whole spectrogram (its fixed cost before any network);
3. the whole command, process start included, against `aubiocut -c` (aubio-tools)
   cutting the same file;
4. peak memory (max RSS) of the command; with --long also for a 60-minute file.

Each timing is the best of several runs; ratios are printed.
"""

from __future__ import annotations

import argparse
import resource
import shutil
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
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def command_peak_rss(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a child process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True)
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

        from samplechop.chop import ChopSettings, analyse, select_chops
        from samplechop.export import write_outputs
        from samplechop.model import load_model

        model = load_model()
        settings = ChopSettings(n=16)
        counter = iter(range(10**6))

        def library_call():
            result = select_chops(analyse(source, model=model), settings)
            write_outputs(result, work / f"lib{next(counter)}")

        library_call()  # warm-up: imports and caches
        ours = best_of(library_call, args.repeats)

        import librosa

        def original_pipeline():
            y, sr = sf.read(source, dtype="float32")
            y = librosa.to_mono(y.T)
            spectrum = np.abs(librosa.cqt(y, sr=44100, hop_length=256))
            librosa.decompose.hpss(spectrum)

        original_pipeline()
        original = best_of(original_pipeline, max(1, args.repeats // 2))

        executable = str(Path(sys.executable).with_name("samplechop"))
        def our_command():
            out = work / f"cmd{next(counter)}"
            subprocess.run([executable, "chop", str(source), "-n", "16", "-o", str(out)],
                           check=True, capture_output=True)

        def aubio_command():
            out = work / f"aubio{next(counter)}"
            out.mkdir()
            subprocess.run(["aubiocut", "-c", "-i", str(source), "-o", str(out)],
                           check=True, capture_output=True)

        our_command(), aubio_command()
        # Interleave the two commands so that both see the same machine state.
        ours_cmd, aubio_cmd = [], []
        for _ in range(args.repeats):
            ours_cmd.append(best_of(our_command, 1))
            aubio_cmd.append(best_of(aubio_command, 1))
        command, aubio = min(ours_cmd), min(aubio_cmd)
        _, peak = command_peak_rss([executable, "chop", str(source), "-n", "16", "-o", str(work / "mem")])

        print(f"machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
              f"file: {duration:.0f} s, 44.1 kHz stereo 16-bit WAV, -n 16, chops written")
        print(f"library call (imports done)      {ours:7.3f} s  = {duration / ours:6.0f}x real time")
        print(f"original design (CQT+HPSS only)  {original:7.3f} s  -> ours is {original / ours:.1f}x faster")
        print(f"whole command                    {command:7.3f} s")
        print(f"aubiocut -c                      {aubio:7.3f} s  -> command / aubiocut = {command / aubio:.2f}")
        print(f"peak memory, 3-minute file       {peak:7.0f} MB")
        network_runtimes(model, source, args.repeats)
        if args.long:
            long_source = work / "sixty_minutes.wav"
            make_source(long_source, 60.0)
            seconds, long_peak = command_peak_rss(
                [executable, "chop", str(long_source), "-n", "16", "-o", str(work / "long")])
            print(f"60-minute file: {seconds:.1f} s, peak memory {long_peak:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Time of one training step of the default network, in float32 and in bfloat16.

Run by hand on an otherwise idle machine:

    python benchmarks/training_step.py [--steps 20] [--rounds 3] [--threads 2]

One step is the network's part of a ``samplechop train`` step: the forward pass of
the default chopnet on 16 excerpts of 12 s (516 frames x 84 bands, random here), a
weighted binary cross-entropy, the backward pass and an AdamW update (no drawing of
excerpts, gradient clipping or learning-rate schedule). The two precisions
(``samplechop train --precision``) run alternately in the same process, each round
``--steps`` steps after a warm-up step, so the machine's state weighs on both
alike; printed are each round's seconds per step, the median of each and their
ratio, and how far the bfloat16 forward pass's probabilities lie from float32's.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from torch.nn import functional as F

    from samplechop.constants import N_BINS
    from samplechop.model.architectures import default_architecture
    from samplechop.training.networks import build_network

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    network = build_network(default_architecture(), N_BINS)
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-4)
    x = torch.randn(16, 516, N_BINS)
    y = (torch.rand(16, 516) < 0.04).float()

    def step(bfloat16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            logits = network(x)
        loss = F.binary_cross_entropy_with_logits(logits.float(), y, pos_weight=torch.tensor(5.0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    times: dict[str, list[float]] = {"float32": [], "bfloat16": []}
    for _ in range(args.rounds):
        for name in times:
            step(name == "bfloat16")
            start = time.perf_counter()
            for _ in range(args.steps):
                step(name == "bfloat16")
            times[name].append((time.perf_counter() - start) / args.steps)

    network.eval()
    with torch.no_grad():
        single = torch.sigmoid(network(x))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = torch.sigmoid(network(x).float())
    difference = (single - half).abs()

    print(f"chopnet, {sum(p.numel() for p in network.parameters()):,} weights, batch 16 x 516 frames, "
          f"{args.threads} threads")
    for name, values in times.items():
        print(f"{name:9s} " + " ".join(f"{v:.3f}" for v in values) + f"  median {statistics.median(values):.3f} s/step")
    ratio = statistics.median(times["float32"]) / statistics.median(times["bfloat16"])
    print(f"bfloat16 is {ratio:.2f}x as fast as float32")
    print(f"probabilities, bfloat16 against float32: mean difference {difference.mean():.4f}, "
          f"largest {difference.max():.4f}")
    print(f"native bfloat16: {torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()}")


if __name__ == "__main__":
    main()

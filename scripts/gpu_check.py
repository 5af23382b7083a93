"""Check the CBOW step on CUDA against the CPU, prove it never syncs the host, and time it.

1. Correctness: loss and the four gradients on CUDA against the CPU, float64, both grad modes.
2. No host sync: a few manual training steps (cbow_loss, backward, torch.optim.SGD) run under
   torch.cuda.set_sync_debug_mode("error"), which raises on any synchronising call.
3. Speed and memory, float32: manual against autograd against the matmul bound (the step's three
   products into preallocated outputs), timed interleaved (benchlib.common.interleaved, the
   device synchronised around each block); peak memory above the parameters from
   torch.cuda.max_memory_allocated, in m×V buffers.
4. Negative sampling (word2vec's objective): loss and gradients against the CPU in float64, no
   host sync in a training step (noise drawn on the device, sparse SGD), and windows/s of the
   plain step (noise, forward, backward, sparse SGD) at V = 10⁶, N = 300 and at N = 100.

Run as is on a machine with a GPU:  python scripts/gpu_check.py
(--device cpu --shapes 997x16x64x2 runs the same code on the CPU as a smoke test.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib
from benchlib.common import HelpFormatter, batches, interleaved, shapes, time_block  # noqa: E402
from benchlib.docs import table  # noqa: E402
from benchlib.step import make_step  # noqa: E402

from cbow_torch import CBOW, CBOWNegativeSampling  # noqa: E402
from cbow_torch.sampling import UnigramNoise  # noqa: E402

CHECK_SHAPES = [(50, 8, 16, 2), (5778, 50, 128, 2), (20_000, 300, 512, 3)]  # (V, N, m, C)
KINDS = ("manual", "autograd", "bound")


def max_diff(make_model, inputs: tuple, device: str, what: str) -> float:
    """Largest |device − CPU| over a float64 model's loss and gradients; a SystemExit naming
    WHAT where one is beyond 1e-9 of its scale."""
    results = []
    for dev in ("cpu", device):
        model = make_model().to(dev)
        loss = model(*(x.to(dev) for x in inputs))
        loss.backward()
        grads = {f"∂{name}": p.grad.to_dense() for name, p in model.named_parameters()}
        results.append({"J": loss.detach(), **grads})
    worst = 0.0
    for name, a in results[0].items():
        err = (a - results[1][name].cpu()).abs().max().item()
        if err > 1e-9 * max(1.0, a.abs().max().item()):
            raise SystemExit(f"{name} differs by {err:.3g}: {what}")
        worst = max(worst, err)
    return worst


def check_against_cpu(device: str) -> float:
    """max_diff of the softmax CBOW at CHECK_SHAPES, in both grad modes."""
    worst = 0.0
    for grad_mode in ("exact", "lecture"):
        for V, N, m, C in CHECK_SHAPES:
            inputs = batches(V, m, C, count=1, seed=V)[0]
            model = partial(CBOW, V, N, init="course", grad_mode=grad_mode, dtype=torch.float64)
            worst = max(worst, max_diff(model, inputs, device, f"{(V, N, m, C)}, {grad_mode}"))
    return worst


def no_sync(step) -> str:
    """Runs 3 steps under set_sync_debug_mode("error"), which raises on any host sync."""
    step()  # first calls may sync while kernels and the allocator warm up
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    torch.cuda.synchronize()
    return "none in 3 steps (set_sync_debug_mode('error'))"


def extra_memory(kind: str, shape, device: str) -> float | None:
    """Peak bytes allocated by two steps above the parameters and gradients, in m×V buffers."""
    if not device.startswith("cuda") or kind == "bound":
        return None
    V, N, m, C = shape
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    step = make_step(kind, V, N, m, C, torch.float32, device)
    params = torch.cuda.memory_allocated() - before  # parameters and batches
    step()
    step()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - before - params
    return (peak - (2 * V * N + V + N) * 4) / (m * V * 4)


def bench_shape(shape, device: str, args) -> dict[str, tuple[float, float | None]]:
    """examples/s and extra memory of each of KINDS."""
    memory = {kind: extra_memory(kind, shape, device) for kind in KINDS}
    steps = {kind: make_step(kind, *shape, torch.float32, device) for kind in KINDS}
    times = interleaved(steps, args, device=device)
    return {kind: (shape[2] / times[kind], memory[kind]) for kind in KINDS}


def ns_step(V: int, N: int, m: int, C: int, k: int, dtype, device: str, seed: int = 0):
    """One word2vec training step (noise on the device, forward, backward, sparse SGD)."""
    gen = torch.Generator().manual_seed(seed)
    counts = (1e9 / (torch.arange(1, V + 1, dtype=torch.float64) + 2.7)).long()  # [V] Zipf
    model = CBOWNegativeSampling(V, N, init="normal", seed=seed, dtype=dtype).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.25 * m)
    noise = UnigramNoise(counts.numpy(), device=device)
    noise_gen = torch.Generator(device).manual_seed(seed)
    probs = counts.double() / counts.sum()
    context = torch.multinomial(probs, m * 2 * C, True, generator=gen).view(m, 2 * C).to(device)
    center = torch.multinomial(probs, m, True, generator=gen).to(device)

    def step():
        negatives = noise.sample((m, k), noise_gen)  # [m, k]
        loss = model(context, center, negatives)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return model, step


def negative_sampling(device: str, repeats: int) -> None:
    worst = 0.0
    for V, N, m, C, k in ((50, 8, 16, 2, 5), (20_000, 100, 512, 5, 5)):
        gen = torch.Generator().manual_seed(V)
        context, center = batches(V, m, C, count=1, seed=V)[0]
        inputs = (context, center, torch.randint(0, V, (m, k), generator=gen))  # noise [m, k]
        model = partial(CBOWNegativeSampling, V, N, init="normal", dtype=torch.float64)
        worst = max(worst, max_diff(model, inputs, device, f"negative sampling at {(V, N, m)}"))
    print(f"negative sampling, float64 {device} vs CPU, loss and gradients: max |diff| {worst:.2e}")
    if device.startswith("cuda"):
        _, step = ns_step(5778, 50, 1024, 5, 5, torch.float32, device)
        print(f"host syncs in the negative-sampling step: {no_sync(step)}")
    print(f"\n## negative-sampling step on {device}, float32 (windows/s, median of {repeats})\n")
    print("| V | N | m | C | k | windows/s |\n|---|---|---|---|---|---|")
    for V, N, m in ((1_000_000, 300, 16384), (1_000_000, 100, 16384), (100_000, 100, 16384)):
        if not device.startswith("cuda"):
            m = 1024
        model, step = ns_step(V, N, m, 5, 5, torch.float32, device)
        time_block(step, 2, device=device)
        times = [time_block(step, 10, device=device) for _ in range(repeats)]
        rate = m / statistics.median(times)
        print(f"| {V:,} | {N} | {m} | 5 | 5 | {rate:,.0f} |", flush=True)
        del model, step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    add = parser.add_argument
    add("--device", default="cuda", help="cuda, cuda:1, or cpu for a smoke test")
    add("--shapes", type=shapes, default="50000x300x4096x2,200000x300x4096x2", help="VxNxmxC")
    add("--repeats", type=int, default=7, help="timed blocks per contender")
    add("--warmup", type=int, default=2, help="untimed steps per contender")
    add("--block-time", type=float, default=0.3, help="target seconds per timed block")
    add("--sections", default="softmax,negative", help="comma-separated")
    args = parser.parse_args()
    args.clock = "wall"  # around a synchronised device
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available; run with --device cpu for a smoke test")
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__} on {name}", flush=True)
    if "negative" in args.sections:
        negative_sampling(args.device, args.repeats)
    if "softmax" not in args.sections:
        return
    worst = check_against_cpu(args.device)
    print(f"float64 CUDA vs CPU, loss and gradients, both modes: max |diff| = {worst:.2e}")
    syncs = "not checked (CPU)"
    if args.device.startswith("cuda"):
        syncs = no_sync(make_step("manual", 5778, 50, 128, 2, torch.float32, args.device))
    print(f"host syncs in the manual step: {syncs}", flush=True)
    rows = []
    for _, (V, N, m, C) in args.shapes:
        print(f"timing {(V, N, m, C)} ...", flush=True)
        r = bench_shape((V, N, m, C), args.device, args)
        eps, mem = {k: v[0] for k, v in r.items()}, {k: v[1] for k, v in r.items()}
        cells = [f"{eps[k]:,.0f}" for k in KINDS]
        ratios = [f"{eps['manual'] / eps['autograd']:.2f}×", f"{eps['manual'] / eps['bound']:.0%}"]
        extra = ["–" if mem[k] is None else f"{mem[k]:.2f}" for k in ("manual", "autograd")]
        rows.append([f"{V:,}", N, m, *cells, *ratios, *extra])
    print(f"\n## CBOW step on {name}, float32 (examples/s, median of {args.repeats})\n")
    header = ["V", "N", "m", *KINDS, "manual/autograd", "manual/bound"]
    print(table([*header, "extra memory, m×V buffers: manual", "autograd"], rows))
    print(f"\ncorrectness: max |diff| {worst:.2e}; host syncs: {syncs}")


if __name__ == "__main__":
    main()

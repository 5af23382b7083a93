"""Check the CBOW step on CUDA against the CPU, prove it never syncs the host, and time it.

1. Correctness: loss and the four gradients on CUDA against the CPU, float64, both grad modes.
2. No host sync: a few manual training steps (cbow_loss, backward, torch.optim.SGD) run under
   torch.cuda.set_sync_debug_mode("error"), which raises on any synchronising call.
3. Speed and memory, float32: manual against autograd against the matmul bound (the step's three
   products into preallocated outputs), timed interleaved with CUDA events, median of repeats;
   peak memory above the parameters from torch.cuda.max_memory_allocated, in m×V buffers.
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
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/, for benchlib
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout

from benchlib import common as bench  # noqa: E402
from benchlib.speed import make_step, torch_step  # noqa: E402

from cbow_torch import CBOW, CBOWNegativeSampling  # noqa: E402
from cbow_torch.sampling import UnigramNoise  # noqa: E402

CHECK_SHAPES = [(50, 8, 16, 2), (5778, 50, 128, 2), (20_000, 300, 512, 3)]  # (V, N, m, C)
KINDS = ("manual", "autograd", "bound")


def check_against_cpu(device: str) -> float:
    """Largest |CUDA − CPU| over the loss and gradients; raises if one exceeds the tolerance."""
    worst = 0.0
    for grad_mode in ("exact", "lecture"):
        for V, N, m, C in CHECK_SHAPES:
            context, center = bench.batches(V, m, C, count=1, seed=V)[0]
            results = []
            for dev in ("cpu", device):
                model = CBOW(V, N, init="course", grad_mode=grad_mode, dtype=torch.float64)
                model = model.to(dev)
                loss = model(context.to(dev), center.to(dev))
                loss.backward()
                results.append([loss.detach().cpu()] + [p.grad.cpu() for p in model.parameters()])
            for name, a, b in zip(("J", "dW1", "db1", "dW2", "db2"), *results, strict=True):
                err = (a - b).abs().max().item()
                worst = max(worst, err)
                tol = 1e-9 * max(1.0, a.abs().max().item())
                if err > tol:
                    raise SystemExit(f"{name} differs by {err:.3g} at {(V, N, m, C)}, {grad_mode}")
    return worst


def check_no_sync(device: str) -> str:
    if not device.startswith("cuda"):
        return "not checked (CPU)"
    return no_sync(torch_step("manual", 5778, 50, 128, 2, torch.float32, device))


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


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_block(step, n: int, device: str) -> float:
    if device.startswith("cuda"):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(n):
            step()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / n
    return bench.time_block(step, n)


def peak_above(kind: str, shape, device: str) -> float | None:
    """Peak bytes allocated by two steps above what was allocated before, in m×V buffers."""
    if not device.startswith("cuda") or kind == "bound":
        return None
    V, N, m, C = shape
    sync(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    step = torch_step(kind, V, N, m, C, torch.float32, device)
    params = torch.cuda.memory_allocated() - before  # parameters and batches
    step()
    step()
    sync(device)
    peak = torch.cuda.max_memory_allocated() - before - params
    del step
    grads = (2 * V * N + V + N) * 4
    return (peak - grads) / (m * V * 4)


def bench_shape(shape, device: str, repeats: int, steps: int) -> dict[str, tuple[float, ...]]:
    V, N, m, C = shape
    memory = {kind: peak_above(kind, shape, device) for kind in KINDS}
    made = {kind: make_step(kind, V, N, m, C, torch.float32, device) for kind in KINDS}
    for step in made.values():  # warm-up
        time_block(step, 2, device)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for r in range(repeats):
        for kind in KINDS[r % 3 :] + KINDS[: r % 3]:
            times[kind].append(time_block(made[kind], steps, device))
    return {kind: (m / statistics.median(times[kind]), memory[kind]) for kind in KINDS}


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
        context = torch.randint(0, V, (m, 2 * C), generator=gen)
        center, negatives = torch.randint(0, V, (m,), generator=gen), torch.randint(0, V, (m, k))
        results = []
        for dev in ("cpu", device):
            model = CBOWNegativeSampling(V, N, init="normal", dtype=torch.float64).to(dev)
            loss = model(context.to(dev), center.to(dev), negatives.to(dev))
            loss.backward()
            results.append(
                [loss.detach().cpu()] + [p.grad.to_dense().cpu() for p in model.parameters()]
            )
        for a, b in zip(*results, strict=True):
            worst = max(worst, (a - b).abs().max().item())
    print(
        f"negative sampling, float64 {device} vs CPU, loss and gradients: max |diff| = {worst:.2e}"
    )
    if device.startswith("cuda"):
        _, step = ns_step(5778, 50, 1024, 5, 5, torch.float32, device)
        print(f"host syncs in the negative-sampling step: {no_sync(step)}")
    print(f"\n## negative-sampling step on {device}, float32 (windows/s, median of {repeats})\n")
    print("| V | N | m | C | k | windows/s |\n|---|---|---|---|---|---|")
    for V, N, m in ((1_000_000, 300, 16384), (1_000_000, 100, 16384), (100_000, 100, 16384)):
        if not device.startswith("cuda"):
            m = 1024
        model, step = ns_step(V, N, m, 5, 5, torch.float32, device)
        time_block(step, 2, device)
        rate = m / statistics.median(time_block(step, 10, device) for _ in range(repeats))
        print(f"| {V:,} | {N} | {m} | 5 | 5 | {rate:,.0f} |", flush=True)
        del model, step


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--shapes",
        default="50000x300x4096x2,200000x300x4096x2",
        help="VxNxmxC, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block")
    parser.add_argument("--sections", default="softmax,negative", help="comma-separated")
    args = parser.parse_args()
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
    no_sync = check_no_sync(args.device)
    print(f"host syncs in the manual step: {no_sync}", flush=True)

    rows = []
    for text in args.shapes.split(","):
        shape = bench.parse_shape(text)[1]
        print(f"timing {shape} ...", flush=True)
        rows.append((shape, bench_shape(shape, args.device, args.repeats, args.steps)))

    print(f"\n## CBOW step on {name}, float32 (examples/s, median of {args.repeats})\n")
    print(
        "| V | N | m | manual | autograd | bound | manual/autograd | manual/bound "
        "| extra memory, m×V buffers: manual | autograd |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (V, N, m, _C), r in rows:

        def mem(kind: str, r=r) -> str:
            return "–" if r[kind][1] is None else f"{r[kind][1]:.2f}"

        print(
            f"| {V:,} | {N} | {m} | {r['manual'][0]:,.0f} | {r['autograd'][0]:,.0f} "
            f"| {r['bound'][0]:,.0f} | {r['manual'][0] / r['autograd'][0]:.2f}× "
            f"| {r['manual'][0] / r['bound'][0]:.0%} | {mem('manual')} | {mem('autograd')} |"
        )
    print(f"\ncorrectness: max |diff| {worst:.2e}; host syncs: {no_sync}")


if __name__ == "__main__":
    main()

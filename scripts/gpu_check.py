"""Check the CBOW step on CUDA against the CPU, prove it never syncs the host, and time it.

1. Correctness: loss and the four gradients on CUDA against the CPU, float64, both grad modes.
2. No host sync: a few manual training steps (cbow_loss, backward, torch.optim.SGD) run under
   torch.cuda.set_sync_debug_mode("error"), which raises on any synchronising call.
3. Speed and memory, float32: manual against autograd against the matmul bound (the step's three
   products into preallocated outputs), timed interleaved with CUDA events, median of repeats;
   peak memory above the parameters from torch.cuda.max_memory_allocated, in m×V buffers.

Run as is on a machine with a GPU:  python scripts/gpu_check.py
(--device cpu --shapes 997x16x64x2 runs the same code on the CPU as a smoke test.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/, for bench
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout

import bench  # noqa: E402

from cbow_torch import CBOW  # noqa: E402

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
    step = bench.torch_step("manual", 5778, 50, 128, 2, torch.float32, device)
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
    step = bench.torch_step(kind, V, N, m, C, torch.float32, device)
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
    made = {kind: bench.make_step(kind, V, N, m, C, torch.float32, device) for kind in KINDS}
    for step in made.values():  # warm-up
        time_block(step, 2, device)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for r in range(repeats):
        for kind in KINDS[r % 3 :] + KINDS[: r % 3]:
            times[kind].append(time_block(made[kind], steps, device))
    return {kind: (m / statistics.median(times[kind]), memory[kind]) for kind in KINDS}


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
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("CUDA is not available; run with --device cpu for a smoke test")
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__} on {name}", flush=True)

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

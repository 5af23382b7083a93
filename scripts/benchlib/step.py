"""Sections "speed", "threads" and "memory" of scripts/bench.py: one softmax training step.

Contenders (each a full step: forward, backward, SGD update):

  manual    CBOW (the hand-written CBOWFunction) + torch.optim.SGD
  autograd  the same model in plain PyTorch ops (cbow_loss_autograd) + torch.optim.SGD
  numpy     the course's numpy code (cbow_torch.reference), dense X and Y prebuilt, float64
  bound     only the step's three products, into preallocated outputs: the logits H W2ᵀ,
            ∂W2 = (Ŷ−Y)ᵀ H and L1 = (Ŷ−Y) W2

"speed": every repeat times a block of steps of each, in rotating order; the table shows the
median block. "threads" times the manual step the same way at 1, 2, … intra-op threads.

"memory": each contender runs in a fresh process (``python -m benchlib.fresh memory``): it loads
the kernels on a tiny model, builds the model, then reads the resident-set peak of two steps
above the resident size before them (benchlib.rss), so it counts the gradients and anything a
step keeps for the next; "extra" is that peak less the gradients' own size, in units of one m×V
logits buffer.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from cbow_torch import CBOW, reference
from cbow_torch.functional import cbow_loss_autograd

from .common import DTYPES, batches, interleaved
from .docs import table
from .fresh import run

CONTENDERS = ("manual", "autograd", "numpy", "bound")
LR = 0.03
# numpy's OpenBLAS threads busy-wait for a while after each call; timing the next contender
# then would charge it for them, so the numpy blocks are followed by this rest (seconds).
NUMPY_REST = 0.5


def torch_step(
    kind: str, V: int, N: int, m: int, C: int, dtype: torch.dtype, device: str = "cpu"
) -> Callable:
    model = CBOW(V, N, seed=0, dtype=dtype).to(device)
    torch.nn.init.normal_(model.W2, std=0.1)  # not all-zero logits: a realistic softmax
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    data, state = batches(V, m, C, device=device), {"i": 0}
    params = (model.W1, model.b1, model.W2, model.b2)

    def step() -> None:
        context, center = data[state["i"] % len(data)]
        state["i"] += 1
        optimizer.zero_grad(set_to_none=True)
        if kind == "manual":
            loss = model(context, center)
        else:
            loss = cbow_loss_autograd(context, center, *params)
        loss.backward()
        optimizer.step()

    return step


def numpy_step(V: int, N: int, m: int, C: int) -> Callable:
    W1, W2, b1, b2 = reference.initialize_model(N, V, random_seed=0)
    W1, W2 = (W1 - 0.5) / N, np.random.default_rng(0).normal(0, 0.1, (V, N))
    dense = [reference.dense_batch(c.numpy(), t.numpy(), V) for c, t in batches(V, m, C)]
    state = {"i": 0, "params": (W1, W2, b1 * 0, b2 * 0)}

    def step() -> None:
        x, y = dense[state["i"] % len(dense)]
        state["i"] += 1
        _, *params = reference.gradient_descent_step(x, y, *state["params"], LR)
        state["params"] = tuple(params)

    return step


def bound_step(V: int, N: int, m: int, dtype: torch.dtype, device: str = "cpu") -> Callable:
    gen = torch.Generator().manual_seed(0)
    h = torch.rand(m, N, generator=gen, dtype=dtype).to(device)  # [m, N]
    W2 = torch.randn(V, N, generator=gen, dtype=dtype).to(device)  # [V, N]
    d = torch.randn(m, V, generator=gen, dtype=dtype).to(device)  # [m, V] stands in for Ŷ − Y
    z2, grad_W2, l1 = d.new_empty(m, V), W2.new_empty(V, N), h.new_empty(m, N)

    def step() -> None:
        torch.mm(h, W2.t(), out=z2)  # [m, V] logits
        torch.mm(d.t(), h, out=grad_W2)  # [V, N] ∂W2
        torch.mm(d, W2, out=l1)  # [m, N] L1

    return step


def make_step(
    kind: str, V: int, N: int, m: int, C: int, dtype: torch.dtype, device: str = "cpu"
) -> Callable:
    if kind == "numpy":
        return numpy_step(V, N, m, C)
    if kind == "bound":
        return bound_step(V, N, m, dtype, device)
    return torch_step(kind, V, N, m, C, dtype, device)


def _manual_over(eps: dict[str, float], other: str, form: str = "{:.2f}×") -> str:
    return form.format(eps["manual"] / eps[other]) if {"manual", other} <= eps.keys() else "–"


def speed(args) -> None:
    """The section: examples/s of each contender at each shape, timed interleaved."""
    rows = []
    for name, (V, N, m, C) in args.shapes:
        print(f"speed {name} ...", file=sys.stderr, flush=True)
        kinds = [k for k in args.contenders if k != "numpy" or args.numpy_max_v >= V]
        steps = {kind: make_step(kind, V, N, m, C, DTYPES[args.dtype]) for kind in kinds}
        rest = lambda kind: kind == "numpy" and time.sleep(NUMPY_REST)  # noqa: E731
        eps = {k: m / t for k, t in interleaved(steps, args, after=rest).items()}
        cells = [f"{eps[k]:,.0f}" if k in eps else "–" for k in CONTENDERS]
        ratios = [_manual_over(eps, "autograd"), _manual_over(eps, "numpy")]
        rows.append([name, f"{V:,}", N, m, *cells, *ratios, _manual_over(eps, "bound", "{:.0%}")])
    print("\n## Speed (examples/s, median of interleaved blocks; higher is better)\n")
    ratios = ["manual/autograd", "manual/numpy", "manual/bound"]
    print(table(["shape", "V", "N", "m", *CONTENDERS, *ratios], rows))


def threads(args) -> None:
    """The section: examples/s of the manual step at each thread count, timed interleaved."""
    counts = args.thread_counts or list(range(1, (os.cpu_count() or 1) + 1))
    rows = []
    for name, (V, N, m, C) in args.shapes:
        print(f"threads {name} ...", file=sys.stderr, flush=True)
        step = make_step("manual", V, N, m, C, DTYPES[args.dtype])
        med = interleaved(dict.fromkeys(counts, step), args, before=torch.set_num_threads)
        eps = {n: m / t for n, t in med.items()}
        cells = [f"{eps[n]:,.0f}" for n in counts]
        rows.append([name, f"{V:,}", N, m, *cells, max(eps, key=eps.get)])
    print("\n## Threads: the manual step (examples/s, median of interleaved blocks)\n")
    print(table(["shape", "V", "N", "m", *(f"{n} thread(s)" for n in counts), "fastest"], rows))


def memory(args) -> None:
    """The section: each contender's peak at each of args.memory_shapes."""
    itemsize = torch.empty(0, dtype=DTYPES[args.dtype]).element_size()
    threads, rows, method = torch.get_num_threads(), [], ""
    for name, (V, N, m, _C) in args.memory_shapes:
        print(f"memory {name} ...", file=sys.stderr, flush=True)
        params_mib = (2 * V * N + V + N) * itemsize / 2**20  # W1, b1, W2, b2
        logits_mib = m * V * itemsize / 2**20  # one m×V buffer
        for kind in (k for k in args.contenders if k in ("manual", "autograd")):
            res = run("memory", kind=kind, shape=name, dtype=args.dtype, threads=threads)
            peak, method = res["peak_above_mib"], res["method"]
            rows.append([name, kind, f"{params_mib:,.0f}", f"{logits_mib:,.0f}", f"{peak:,.0f}"])
            rows[-1].append(f"{(peak - params_mib) / logits_mib:.2f}")
    print("\n## Peak memory of one step above the parameters (resident set, MiB)\n")
    header = ["shape", "contender", "params (= grads)", "one m×V buffer", "peak above params"]
    print(table([*header, "extra beyond grads, in m×V buffers"], rows))
    print(f"\nmethod: {method} (/proc/self/status), one fresh process per row")

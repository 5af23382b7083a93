"""Section "speed": one training step of each contender, timed interleaved in one process.

Contenders (each a full step: forward, backward, SGD update):

  manual    CBOW (the hand-written CBOWFunction) + torch.optim.SGD
  autograd  the same model in plain PyTorch ops (cbow_loss_autograd) + torch.optim.SGD
  numpy     the course's numpy code (cbow_torch.reference), dense X and Y prebuilt, float64
  bound     only the step's three products, into preallocated outputs: the logits H W2ᵀ,
            ∂W2 = (Ŷ−Y)ᵀ H and L1 = (Ŷ−Y) W2

Every repeat times a block of steps of each, in rotating order; the table shows the median block.
Section "threads" times the manual step the same way at 1, 2, … intra-op threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from cbow_torch import CBOW, reference
from cbow_torch.functional import cbow_loss_autograd

from .common import DTYPES, batches, interleaved
from .docs import table

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


def speed(shape: tuple[int, int, int, int], kinds: list[str], args) -> dict[str, float]:
    """Median seconds per step of each contender, timed interleaved."""
    V, N, m, C = shape
    steps = {kind: make_step(kind, V, N, m, C, DTYPES[args.dtype]) for kind in kinds}
    return interleaved(steps, args, after=lambda kind: kind == "numpy" and time.sleep(NUMPY_REST))


def threads(shape: tuple[int, int, int, int], counts: list[int], args) -> dict[int, float]:
    """Median seconds per manual step at each thread count, timed interleaved."""
    step = make_step("manual", *shape, DTYPES[args.dtype])
    return interleaved(dict.fromkeys(counts, step), args, before=torch.set_num_threads)


def _manual_over(eps: dict[str, float], other: str, form: str = "{:.2f}×") -> str:
    return form.format(eps["manual"] / eps[other]) if {"manual", other} <= eps.keys() else "–"


def print_speed_table(results: dict[str, tuple[tuple, dict[str, float]]]) -> None:
    print("\n## Speed (examples/s, median of interleaved blocks; higher is better)\n")
    rows = []
    for name, ((V, N, m, _C), med) in results.items():
        eps = {k: m / t for k, t in med.items()}
        cells = [f"{eps[k]:,.0f}" if k in eps else "–" for k in CONTENDERS]
        ratios = [_manual_over(eps, "autograd"), _manual_over(eps, "numpy")]
        rows.append([name, f"{V:,}", N, m, *cells, *ratios, _manual_over(eps, "bound", "{:.0%}")])
    ratios = ["manual/autograd", "manual/numpy", "manual/bound"]
    print(table(["shape", "V", "N", "m", *CONTENDERS, *ratios], rows))


def print_threads_table(results: dict[str, tuple[tuple, dict[int, float]]]) -> None:
    print("\n## Threads: the manual step (examples/s, median of interleaved blocks)\n")
    counts = sorted({n for _, med in results.values() for n in med})
    rows = []
    for name, ((V, N, m, _C), med) in results.items():
        eps = {n: m / t for n, t in med.items()}
        cells = [f"{eps[n]:,.0f}" for n in counts]
        rows.append([name, f"{V:,}", N, m, *cells, max(eps, key=eps.get)])
    print(table(["shape", "V", "N", "m", *(f"{n} thread(s)" for n in counts), "fastest"], rows))

"""Section "memory" of scripts/bench.py: the resident-set peak of one softmax step above the
parameters.

Each contender runs in a fresh process (``python -m benchlib.fresh memory``): it loads the
kernels on a tiny model, builds the model, then reads the resident-set peak of two steps above
the resident size before them (benchlib.rss), so it counts the gradients and anything a step
keeps for the next; "extra" is that peak less the gradients' own size, in units of one m×V
logits buffer.
"""

from __future__ import annotations

import torch

from .common import DTYPES
from .docs import table
from .fresh import run


def memory(name: str, shape: tuple[int, int, int, int], kinds: list[str], args) -> list[dict]:
    V, N, m, C = shape
    itemsize = torch.empty(0, dtype=DTYPES[args.dtype]).element_size()
    params_mib = (2 * V * N + V + N) * itemsize / 2**20
    logits_mib = m * V * itemsize / 2**20
    rows = []
    for kind in (k for k in kinds if k in ("manual", "autograd")):
        threads = torch.get_num_threads()
        res = run("memory", kind=kind, shape=name, dtype=args.dtype, threads=threads)
        rows.append(
            {
                "shape": name,
                "kind": kind,
                "params_mb": params_mib,
                "logits_mb": logits_mib,
                "peak_above_mb": res["peak_above_mib"],
                "extra_logits": (res["peak_above_mib"] - params_mib) / logits_mib,
                "method": res["method"],
            }
        )
    return rows


def print_memory_table(rows: list[dict]) -> None:
    print("\n## Peak memory of one step above the parameters (resident set, MiB)\n")
    header = ["shape", "contender", "params (= grads)", "one m×V buffer", "peak above params"]
    cells = [
        [r["shape"], r["kind"], f"{r['params_mb']:,.0f}", f"{r['logits_mb']:,.0f}"]
        + [f"{r['peak_above_mb']:,.0f}", f"{r['extra_logits']:.2f}"]
        for r in rows
    ]
    print(table([*header, "extra beyond grads, in m×V buffers"], cells))
    if rows:
        print(f"\nmethod: {rows[0]['method']} (/proc/self/status), one fresh process per row")

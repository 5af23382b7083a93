"""Section "memory": the resident-set peak of one step above the parameters.

Each contender runs in a fresh subprocess: it loads the kernels on a tiny model, builds the model,
resets the kernel's resident-set high-water mark (/proc/self/clear_refs), runs two steps and reads
VmHWM. Peak above the parameters = VmHWM − resident size before the first step, so it counts the
gradients and anything a step keeps for the next; "extra" is that peak less the gradients' own
size, in units of one m×V logits buffer.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import torch

from .common import DTYPES
from .speed import make_step

BENCH = Path(__file__).resolve().parents[1] / "bench.py"


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def memory_child(kind: str, shape: tuple[int, int, int, int], dtype: str) -> None:
    """In a fresh process: the resident-set peak of two steps above what was resident before."""
    V, N, m, C = shape
    make_step(kind, 97, 8, 16, C, DTYPES[dtype])()  # load the kernels' code on a tiny model
    step = make_step(kind, V, N, m, C, DTYPES[dtype])
    gc.collect()
    before = _status_kib("VmRSS")  # parameters and batches, nothing of a step yet
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS
        method = "VmHWM after a reset"
    except OSError:  # without the reset, the setup's own peak may show
        method = "VmHWM since the process started"
    step()  # the first step allocates what later steps recycle, so it counts
    step()
    peak = _status_kib("VmHWM")
    print(json.dumps({"before_kib": before, "peak_kib": peak, "method": method}))


def memory(name: str, shape: tuple[int, int, int, int], kinds: list[str], args) -> list[dict]:
    V, N, m, C = shape
    itemsize = torch.empty(0, dtype=DTYPES[args.dtype]).element_size()
    params_b = (2 * V * N + V + N) * itemsize
    logits_b = m * V * itemsize
    rows = []
    for kind in kinds:
        if kind in ("numpy", "bound"):
            continue
        cmd = [sys.executable, str(BENCH), "--memory-child", kind, "--shapes", name]
        cmd += ["--dtype", args.dtype, "--threads", str(torch.get_num_threads())]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"memory child for {kind} at {name} failed:\n{out.stderr}")
        res = json.loads(out.stdout.strip().splitlines()[-1])
        above = (res["peak_kib"] - res["before_kib"]) * 1024
        rows.append(
            {
                "shape": name,
                "kind": kind,
                "params_mb": params_b / 2**20,
                "logits_mb": logits_b / 2**20,
                "peak_above_mb": above / 2**20,
                "extra_logits": (above - params_b) / logits_b,
                "method": res["method"],
            }
        )
    return rows


def print_memory_table(rows: list[dict]) -> None:
    print("\n## Peak memory of one step above the parameters (resident set, MiB)\n")
    print(
        "| shape | contender | params (= grads) | one m×V buffer | peak above params "
        "| extra beyond grads, in m×V buffers |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['shape']} | {r['kind']} | {r['params_mb']:,.0f} | {r['logits_mb']:,.0f} "
            f"| {r['peak_above_mb']:,.0f} | {r['extra_logits']:.2f} |"
        )
    if rows:
        print(f"\nmethod: {rows[0]['method']} (/proc/self/status), one fresh process per row")

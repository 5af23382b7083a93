"""What the softmax step's benchmarks share: shapes, option parsers, batches, clocks and the
interleaved timing of contenders."""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import statistics
import sys
import time
from collections.abc import Callable, Hashable

import numpy as np
import torch

SHAPES = {  # name: (V, N, m, C)
    "course": (5778, 50, 128, 2),
    "default": (3955, 100, 64, 5),  # configs/default.yaml on the Lee corpus
    "large": (50_000, 100, 512, 2),
    "huge": (200_000, 300, 1024, 2),
}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The scripts' --help: the description's line breaks kept, each option's default shown."""


def set_numpy_threads(n: int) -> str:
    """Give numpy's bundled OpenBLAS torch's thread count, so that both sides get equal cores."""
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if setter is not None:
                    setter(n)
                    return str(n)
    return "numpy's default"


def shapes(text: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """An option's comma list of shapes: names of SHAPES or VxNxmxC."""
    found = []
    for item in filter(None, text.split(",")):
        try:
            found.append((item, SHAPES.get(item) or tuple(int(x) for x in item.split("x"))))
        except ValueError:
            found.append((item, ()))
        if len(found[-1][1]) != 4:
            raise argparse.ArgumentTypeError(
                f"shape {item!r} is neither one of {sorted(SHAPES)} nor VxNxmxC (5778x50x128x2)"
            )
    return found


def csv_of(choices: tuple[str, ...] | None = None) -> Callable[[str], list[str]]:
    """An option's comma list of CHOICES (None: of anything)."""

    def parse(text: str) -> list[str]:
        items = [x for x in text.split(",") if x]
        bad = [x for x in items if choices is not None and x not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(choices)}")
        return items

    return parse


def batches(V: int, m: int, C: int, count: int = 8, seed: int = 0, device: str = "cpu"):
    """COUNT random batches (context [m, 2C], center [m]) of ids below V."""
    gen = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randint(0, V, (m, 2 * C), generator=gen).to(device),  # [m, 2C]
            torch.randint(0, V, (m,), generator=gen).to(device),  # [m]
        )
        for _ in range(count)
    ]


def time_block(step: Callable, n: int, clock: Callable = time.perf_counter, device="cpu") -> float:
    """Seconds a call of STEP over N calls; on CUDA, from and to an idle device."""
    sync = torch.cuda.synchronize if str(device).startswith("cuda") else lambda: None
    sync()
    start = clock()
    for _ in range(n):
        step()
    sync()
    return (clock() - start) / n


def interleaved(
    steps: dict[Hashable, Callable],
    args: argparse.Namespace,
    before: Callable = lambda key: None,
    after: Callable = lambda key: None,
    device: str = "cpu",
) -> dict[Hashable, float]:
    """Median seconds a call of each step: ``args.warmup`` untimed calls, then ``args.repeats``
    blocks of about ``args.block_time`` seconds each, the steps in rotating order;
    ``before(key)`` and ``after(key)`` run around each of its blocks, off the clock."""
    clock, keys = CLOCKS[args.clock], list(steps)
    per_block = {}
    for key in keys:
        before(key)
        time_block(steps[key], args.warmup, device=device)
        once = time_block(steps[key], 1, device=device)
        after(key)
        per_block[key] = max(1, min(1000, round(args.block_time / max(once, 1e-6))))
    samples: dict[Hashable, list[float]] = {key: [] for key in keys}
    for r in range(args.repeats):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            before(key)
            samples[key].append(time_block(steps[key], per_block[key], clock, device))
            after(key)
    return {key: statistics.median(s) for key, s in samples.items()}


def rotating(contenders: dict[str, Callable[[int], float]], rounds: int) -> dict[str, list[float]]:
    """Each contender's figure, called with the round's number, in ROUNDS rounds, the order
    rotated one place a round (two contenders alternate); each round's figures go to stderr."""
    names, figures = list(contenders), {name: [] for name in contenders}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            figures[name].append(contenders[name](r))
        done = ", ".join(f"{k} {v[-1]:,.4g}" for k, v in figures.items())
        print(f"round {r + 1}: {done}", file=sys.stderr, flush=True)
    return figures

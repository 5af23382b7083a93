"""What every section of scripts/bench.py shares: shapes, option parsers, batches, clocks."""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

SHAPES = {  # name: (V, N, m, C)
    "course": (5778, 50, 128, 2),
    "default": (3955, 100, 64, 5),  # configs/default.yaml on the Lee corpus
    "large": (50_000, 100, 512, 2),
    "huge": (200_000, 300, 1024, 2),
}
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"
DTYPES = {"float32": torch.float32, "float64": torch.float64}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


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


def parse_shape(text: str) -> tuple[str, tuple[int, int, int, int]]:
    if text in SHAPES:
        return text, SHAPES[text]
    try:
        V, N, m, C = (int(x) for x in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape {text!r} is neither one of {sorted(SHAPES)} nor VxNxmxC (e.g. 5778x50x128x2)"
        ) from None
    return text, (V, N, m, C)


def csv_of(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [x for x in text.split(",") if x]
        bad = [x for x in items if x not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(choices)}")
        return items

    return parse


def batches(V: int, m: int, C: int, count: int = 8, seed: int = 0, device: str = "cpu"):
    gen = torch.Generator().manual_seed(seed)
    return [
        (
            torch.randint(0, V, (m, 2 * C), generator=gen).to(device),
            torch.randint(0, V, (m,), generator=gen).to(device),
        )
        for _ in range(count)
    ]


def time_block(step: Callable, n: int, clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    for _ in range(n):
        step()
    return (clock() - start) / n

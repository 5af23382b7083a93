"""Benchmarks of CBOW training, one section each (the code of each is in scripts/benchlib/):

  speed      one training step: the hand-written backward against autograd, numpy and the
             matmul bound, interleaved in one process (benchlib/step.py)
  threads    the manual step at 1, 2, … intra-op threads, per shape (benchlib/step.py)
  memory     a step's peak memory, one fresh process per contender (benchlib/step.py)
  lightning  the Trainer on the default config against a plain loop, in one fit
             (benchlib/lightning.py)
  parallel   default-config runs alone and two at once, each in its own process
             (benchlib/parallel.py)

Examples:
  python scripts/bench.py                                  # speed at the course and large shapes
  python scripts/bench.py --sections threads --shapes course,default,large
  python scripts/bench.py --sections lightning --lightning-log-every 1,50
  python scripts/bench.py --sections parallel --parallel-threads auto,2 --repeats 3
  python scripts/bench.py --sections speed,memory --repeats 7
  python scripts/bench.py --sections memory --memory-shapes large,huge
  python scripts/bench.py --shapes 20000x64x256x2 --contenders manual,autograd --threads 1
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib
from benchlib import BenchError  # noqa: E402
from benchlib.common import CLOCKS, DTYPES, SHAPES, HelpFormatter, csv_of, set_numpy_threads, shapes  # noqa: E402  # noqa: E402
from benchlib.lightning import lightning  # noqa: E402
from benchlib.parallel import parallel  # noqa: E402
from benchlib.step import CONTENDERS, memory, speed, threads  # noqa: E402

SECTIONS = {
    "speed": speed,
    "threads": threads,
    "memory": memory,
    "lightning": lightning,
    "parallel": parallel,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    add = parser.add_argument
    add("--sections", type=csv_of(SECTIONS), default=["speed"], help=f"of {','.join(SECTIONS)}")
    add("--shapes", type=shapes, default="course,large", help=f"of {sorted(SHAPES)}, VxNxmxC")
    add("--memory-shapes", type=shapes, default="large,huge", help="memory: the same syntax")
    add("--contenders", type=csv_of(CONTENDERS), default=",".join(CONTENDERS), help="speed")
    add("--numpy-max-v", type=int, default=10_000, help="speed: no numpy reference above this V")
    add("--repeats", type=int, default=7, help="timed blocks per contender (or rounds)")
    add("--warmup", type=int, default=3, help="untimed steps per contender")
    add("--block-time", type=float, default=0.3, help="target seconds per timed block")
    add("--dtype", choices=sorted(DTYPES), default="float32", help="torch's; numpy is float64")
    add("--threads", type=int, help="torch.set_num_threads; None: torch's own choice")
    add(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time; cpu: this process's CPU time, all threads, which ignores time "
        "spent descheduled on a busy machine (use it with --threads 1)",
    )
    add("--lightning-progress-bar", type=csv_of(("on", "off")), default="on,off", help="on, off")
    add("--lightning-log-every", type=ints, default="", help="log_every_n_steps; '': the config's")
    add("--thread-counts", type=ints, default="", help="threads section; '': 1 to the CPU count")
    add("--parallel-threads", default="auto,2", help="parallel: threads.count, auto or a number")
    add("--parallel-steps", type=int, default=1500, help="parallel: steps per run")
    add("--parallel-warmup", type=int, default=300, help="parallel: untimed steps at the start")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        run(args)
    except BenchError as error:
        sys.exit(f"bench.py: error: {error}")


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def run(args: argparse.Namespace) -> None:
    numpy_threads = set_numpy_threads(torch.get_num_threads())
    print(
        f"torch {torch.__version__}, numpy {np.__version__} ({numpy_threads} BLAS threads), "
        f"{torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, dtype {args.dtype}, repeats {args.repeats}, clock {args.clock}"
    )
    for name in args.sections:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()

"""Benchmarks of CBOW training, one section each (the code of each is in scripts/benchlib/):

  speed      one training step: the hand-written backward against autograd, numpy and the
             matmul bound, interleaved in one process (benchlib/speed.py)
  threads    the manual step at 1, 2, … intra-op threads, per shape (benchlib/speed.py)
  memory     a step's peak memory, one fresh process per contender (benchlib/memory.py)
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
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # run from a checkout, installed or not

from benchlib.common import CLOCKS, DTYPES, SHAPES, csv_of, parse_shape, set_numpy_threads  # noqa: E402
from benchlib.lightning import lightning_overhead, print_lightning_table  # noqa: E402
from benchlib.memory import memory, memory_child, print_memory_table  # noqa: E402
from benchlib.parallel import fit_child, parallel, print_parallel_table  # noqa: E402
from benchlib.speed import (  # noqa: E402
    CONTENDERS,
    print_speed_table,
    print_threads_table,
    speed,
    threads,
)

SECTIONS = ("speed", "threads", "memory", "lightning", "parallel")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sections",
        type=csv_of(SECTIONS),
        default=["speed"],
        help="comma list of: " + ", ".join(SECTIONS) + " (default: speed)",
    )
    parser.add_argument(
        "--shapes",
        default="course,large",
        help=f"speed and threads shapes: names {sorted(SHAPES)} or VxNxmxC (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-shapes",
        default="large,huge",
        help="memory shapes, same syntax (default: %(default)s)",
    )
    parser.add_argument(
        "--contenders",
        type=csv_of(CONTENDERS),
        default=list(CONTENDERS),
        help="comma list of: " + ",".join(CONTENDERS),
    )
    parser.add_argument(
        "--numpy-max-v",
        type=int,
        default=10_000,
        help="skip the numpy reference above this V (default: %(default)s)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per contender")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per contender")
    parser.add_argument(
        "--block-time",
        type=float,
        default=0.3,
        help="target seconds per timed block (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype",
        choices=sorted(DTYPES),
        default="float32",
        help="torch contenders' dtype; numpy is always the course's float64",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads (default: torch's own choice)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time (default); cpu: this process's CPU time, all threads, which "
        "ignores time spent descheduled on a busy machine (use it with --threads 1)",
    )
    parser.add_argument(
        "--lightning-progress-bar",
        type=csv_of(("on", "off")),
        default=["on", "off"],
        help="lightning section: progress bar settings to run (default: on,off)",
    )
    parser.add_argument(
        "--lightning-log-every",
        default="",
        help="lightning section: comma list of log_every_n_steps (default: the default config's)",
    )
    parser.add_argument(
        "--thread-counts",
        default="",
        help="threads section: comma list of thread counts (default: 1 to the CPU count)",
    )
    parser.add_argument(
        "--parallel-threads",
        default="auto,2",
        help="parallel section: comma list of threads.count, auto or a number "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--parallel-steps", type=int, default=1500, help="parallel section: steps per run"
    )
    parser.add_argument(
        "--parallel-warmup",
        type=int,
        default=300,
        help="parallel section: untimed steps at the start of each run (default: %(default)s)",
    )
    parser.add_argument("--memory-child", choices=("manual", "autograd"), help=argparse.SUPPRESS)
    parser.add_argument("--fit-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    shapes = [parse_shape(s) for s in args.shapes.split(",") if s]
    if args.memory_child:
        memory_child(args.memory_child, shapes[0][1], args.dtype)
        return
    if args.fit_child:
        fit_child(args.fit_child, args.parallel_steps, args.parallel_warmup)
        return

    numpy_threads = set_numpy_threads(torch.get_num_threads())
    print(
        f"torch {torch.__version__}, numpy {np.__version__} ({numpy_threads} BLAS threads), "
        f"{torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs, dtype {args.dtype}, repeats {args.repeats}, clock {args.clock}"
    )
    speed_results, thread_results, memory_rows, lightning_rows, parallel_rows = {}, {}, [], [], []
    if "speed" in args.sections:
        for name, shape in shapes:
            kinds = [k for k in args.contenders if k != "numpy" or shape[0] <= args.numpy_max_v]
            print(f"timing {name} {shape} ...", file=sys.stderr, flush=True)
            speed_results[name] = (shape, speed(shape, kinds, args))
    if "threads" in args.sections:
        cores = os.cpu_count() or 1
        counts = [int(x) for x in args.thread_counts.split(",") if x] or list(range(1, cores + 1))
        for name, shape in shapes:
            print(f"threads {name} {shape} ...", file=sys.stderr, flush=True)
            thread_results[name] = (shape, threads(shape, counts, args))
    if "memory" in args.sections:
        for name, shape in (parse_shape(s) for s in args.memory_shapes.split(",") if s):
            print(f"memory {name} {shape} ...", file=sys.stderr, flush=True)
            memory_rows += memory(name, shape, args.contenders, args)
    if "lightning" in args.sections:
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        for every in [int(x) for x in args.lightning_log_every.split(",") if x] or [None]:
            for bar in args.lightning_progress_bar:
                print(f"lightning: progress bar {bar}, log every {every} ...", file=sys.stderr)
                row = lightning_overhead(bar == "on", every, args)
                lightning_rows.append((bar == "on", every, row))
    if "parallel" in args.sections:
        for count in (x for x in args.parallel_threads.split(",") if x):
            print(f"parallel: threads.count {count} ...", file=sys.stderr, flush=True)
            parallel_rows.append(parallel(count, args))
    if speed_results:
        print_speed_table(speed_results)
    if thread_results:
        print_threads_table(thread_results)
    if memory_rows:
        print_memory_table(memory_rows)
    if lightning_rows:
        print_lightning_table(lightning_rows)
    if parallel_rows:
        print_parallel_table(parallel_rows, args)


if __name__ == "__main__":
    main()

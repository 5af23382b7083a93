"""Section "parallel" of scripts/bench.py: default-config runs alone, then two at once.

Each run is a real ``cbow-torch fit`` of configs/default.yaml in a fresh process (export off,
--parallel-steps steps, validation and checkpoints as configured), timed by
benchlib.clock.TrainingClock: examples/s over its steps after step --parallel-warmup
(validation and checkpoints left out), and the intra-op threads it ended with. "alone" runs one
at a time; "pair" starts two at the same moment; the table shows medians over --repeats rounds
and each pair run's share of the lone run's rate (50% is a fair share of the machine).
Variants (--parallel-threads): "auto" is the config's threads.count: null; a number fixes it.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from .docs import table
from .runs import finish, fit_args, launch


def parallel(threads: str, args) -> dict:
    """Median examples/s of lone runs and of the runs of pairs, over args.repeats rounds."""
    options = fit_args(
        "default",
        threads=None if threads == "auto" else int(threads),
        max_steps=args.parallel_steps,
        progress_bar=False,
        export=False,
    )

    def runs(count: int) -> list[dict]:
        with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
            works = [Path(tmp, str(i)) for i in range(count)]
            started = [launch(options, work, warmup=args.parallel_warmup) for work in works]
            return [finish(p, w, "parallel: a run")[0] for p, w in zip(started, works, strict=True)]

    alone, pair = [], []
    for _ in range(args.repeats):
        alone += runs(1)
        pair += runs(2)
    return {
        "threads": threads,
        "alone": statistics.median(r["words_per_sec"] for r in alone),
        "pair": statistics.median(r["words_per_sec"] for r in pair),
        "pair_min": min(r["words_per_sec"] for r in pair),
        "threads_alone": sorted({r["threads"] for r in alone}),
        "threads_pair": sorted({r["threads"] for r in pair}),
    }


def print_parallel_table(rows: list[dict], args) -> None:
    print(
        f"\n## Two runs at once: default config, {args.parallel_steps} steps each, timed after "
        f"step {args.parallel_warmup} (examples/s, median of {args.repeats} rounds)\n"
    )
    header = ["threads.count", "alone", "each of a pair (slowest)", "pair/alone"]
    cells = [
        [r["threads"], f"{r['alone']:,.0f}", f"{r['pair']:,.0f} ({r['pair_min']:,.0f})"]
        + [f"{r['pair'] / r['alone']:.0%}"]
        + [f"{r['threads_alone']} alone, {r['threads_pair']} in a pair"]
        for r in rows
    ]
    print(table([*header, "threads at the end"], cells))

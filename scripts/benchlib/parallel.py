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
import sys
import tempfile
from pathlib import Path

from .docs import table
from .runs import finish, fit_args, launch


def _runs(options: list[str], count: int, warmup: int) -> list[dict]:
    """COUNT fits started at once, each in a fresh process; their records."""
    with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
        works = [Path(tmp, str(i)) for i in range(count)]
        started = [launch(options, work, warmup=warmup) for work in works]
        return [finish(p, w, "parallel: a run")[0] for p, w in zip(started, works, strict=True)]


def parallel(args) -> None:
    """The section: per threads.count, the median examples/s of lone runs and of the runs of
    pairs, over args.repeats rounds."""
    rows = []
    for threads in filter(None, args.parallel_threads.split(",")):
        print(f"parallel: threads.count {threads} ...", file=sys.stderr, flush=True)
        options = fit_args(
            "default", threads=None if threads == "auto" else int(threads), export=False,
            max_steps=args.parallel_steps, progress_bar=False,
        )  # fmt: skip
        alone, pair = [], []
        for _ in range(args.repeats):
            alone += _runs(options, 1, args.parallel_warmup)
            pair += _runs(options, 2, args.parallel_warmup)
        rate = {
            k: statistics.median(r["words_per_sec"] for r in v)
            for k, v in (("alone", alone), ("pair", pair))
        }
        slowest = min(r["words_per_sec"] for r in pair)
        ended = [sorted({r["threads"] for r in runs}) for runs in (alone, pair)]
        rows.append([threads, f"{rate['alone']:,.0f}", f"{rate['pair']:,.0f} ({slowest:,.0f})"])
        rows[-1] += [
            f"{rate['pair'] / rate['alone']:.0%}",
            f"{ended[0]} alone, {ended[1]} in a pair",
        ]
    print(
        f"\n## Two runs at once: default config, {args.parallel_steps} steps each, timed after "
        f"step {args.parallel_warmup} (examples/s, median of {args.repeats} rounds)\n"
    )
    header = ["threads.count", "alone", "each of a pair (slowest)", "pair/alone"]
    print(table([*header, "threads at the end"], rows))

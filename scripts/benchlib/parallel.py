"""Section "parallel": default-config runs alone, then two at once, each in a fresh process.

Each run is a real fit of configs/default.yaml (export off, --parallel-steps steps, validation and
checkpoints as configured), built by the package's own cli_main. A callback times its steps from
step --parallel-warmup to the last, and the process prints its examples/s and the intra-op threads
it ended with. "alone" runs one at a time; "pair" starts two at the same moment; the table shows
medians over --repeats rounds and each pair run's share of the lone run's rate (50% is a fair
share of the machine). Variants (--parallel-threads): "auto" is the config's threads.count: null;
a number fixes it (2 is torch's own default on 2 cores, what every run used before).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import DEFAULT_CONFIG

BENCH = Path(__file__).resolve().parents[1] / "bench.py"


def fit_child(threads: str, steps: int, warmup: int) -> None:
    """In a fresh process: one default-config fit; prints its rate as a JSON line."""
    import pytorch_lightning as pl
    import torch

    from cbow_torch.train.cli import cli_main

    class Rate(pl.Callback):
        def __init__(self) -> None:
            self.start: float | None = None
            self.end, self.examples, self.threads = 0.0, 0, 0

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            if trainer.global_step == warmup:
                self.start, self.examples = time.perf_counter(), 0

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if self.start is not None:
                self.examples += batch[1].shape[0]
                self.end = time.perf_counter()
                self.threads = torch.get_num_threads()

    rate = Rate()
    with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
        cli = cli_main(
            [
                f"--config={DEFAULT_CONFIG}",
                f"--trainer.default_root_dir={tmp}",
                f"--trainer.logger.init_args.save_dir={tmp}",
                "--trainer.enable_progress_bar=false",
                "--trainer.enable_model_summary=false",
                f"--trainer.max_steps={steps}",
                "--export.enabled=false",
                f"--threads.count={'null' if threads == 'auto' else threads}",
            ],
            run=False,
        )
        cli.trainer.callbacks.append(rate)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    eps = rate.examples / (rate.end - rate.start)
    print(json.dumps({"words_per_sec": eps, "threads": rate.threads}))


def parallel(threads: str, args) -> dict:
    """Median examples/s of lone runs and of the runs of pairs, over args.repeats rounds."""
    cmd = [sys.executable, str(BENCH), "--fit-child", threads]
    cmd += ["--parallel-steps", str(args.parallel_steps)]
    cmd += ["--parallel-warmup", str(args.parallel_warmup)]

    def launch() -> subprocess.Popen:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(process: subprocess.Popen) -> dict:
        out, err = process.communicate()
        if process.returncode:
            raise SystemExit(f"parallel: a run failed:\n{err[-3000:]}")
        return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])

    alone, pair = [], []
    for _ in range(args.repeats):
        alone.append(result(launch()))
        runs = [launch(), launch()]
        pair += [result(p) for p in runs]
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
    print("| threads.count | alone | each of a pair (slowest) | pair/alone | threads at the end |")
    print("|---|---|---|---|---|")
    for r in rows:
        ended = f"{r['threads_alone']} alone, {r['threads_pair']} in a pair"
        print(
            f"| {r['threads']} | {r['alone']:,.0f} | {r['pair']:,.0f} ({r['pair_min']:,.0f}) "
            f"| {r['pair'] / r['alone']:.0%} | {ended} |"
        )

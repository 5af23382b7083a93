"""Section "lightning" of scripts/bench.py: the Trainer on the default config against a plain
loop, in one fit.

The default config (configs/default.yaml: its model, data, logger, checkpointing, progress
bar, threads) trains with the real CLI and Trainer and, inside that same fit, a plain loop: the
same DataLoader, the model + the module's own optimizer and LR scheduler and the config's
gradient clipping (by norm, as Lightning clips), no logging and no checks. The
benchlib.clock.TrainingClock times each Trainer step; after every block of Trainer steps, a
block of plain steps runs and is timed off the Trainer's clock, so the two contenders
alternate in one process. The warm-up steps, the epoch boundaries (validation, checkpoints),
start-up and the end-of-fit export are outside every block. One fit per variant (progress bar
on/off × log_every_n_steps).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
import warnings
from collections.abc import Callable

from . import BenchError
from .clock import TrainingClock
from .docs import table
from .runs import fit_args, fit_here


class Interleave(TrainingClock):
    """The clock of the Trainer's steps, which runs a block of plain steps after each block of
    Trainer steps (blocks of about ``block_time`` seconds of plain steps)."""

    def __init__(self, warmup: int, block_time: float, repeats: int, clock: str) -> None:
        super().__init__(warmup, clock=clock)
        self.block_time, self.repeats = block_time, repeats
        self.block = 0  # steps a block
        self.plain: Callable[[int], None] | None = None
        self.samples: dict[str, list[float]] = {"lightning": [], "plain": []}

    def between(self, trainer, pl_module) -> None:
        if self.plain is None:  # the first timed step: build the plain loop, warm it up
            self.plain = plain_loop(trainer, pl_module)
            start = self.now()
            self.plain(self.warmup)  # and size the blocks on it
            self.block = max(10, round(self.block_time * self.warmup / (self.now() - start)))
        if len(self.laps) < self.block * (len(self.samples["plain"]) + 1):
            return
        self.samples["lightning"].append(sum(s for s, _ in self.laps[-self.block :]) / self.block)
        start = self.now()
        self.plain(self.block)
        self.samples["plain"].append((self.now() - start) / self.block)
        if len(self.samples["plain"]) >= self.repeats:
            trainer.should_stop = True


def plain_loop(trainer, pl_module) -> Callable[[int], None]:
    """N plain steps a call: a second module of the same hyper-parameters, its model and the
    package's own optimizer and scheduler, on the Trainer's training DataLoader."""
    import torch

    from cbow_torch.train.module import CBOWLightningModule

    hparams = {k: v for k, v in pl_module.hparams.items() if not k.startswith("_")}
    plain = CBOWLightningModule(vocab=pl_module.vocab, **hparams)  # not the CLI's _instantiator
    plain.configure_model()
    plain.trainer = trainer  # configure_optimizers reads the run's length from the trainer
    config = plain.configure_optimizers()
    plain.trainer = None
    model, optimizer = plain.model, config["optimizer"]
    scheduler = config["lr_scheduler"]["scheduler"]
    clip = trainer.gradient_clip_val  # the config's clipping is part of the step's work
    if clip and trainer.gradient_clip_algorithm not in (None, "norm"):
        raise BenchError("lightning: the plain loop clips by norm only")
    params = list(model.parameters())
    loader = trainer.datamodule.train_dataloader()
    state = {"it": iter(loader)}

    def run(n: int) -> None:
        for _ in range(n):
            batch = next(state["it"], None)
            if batch is None:
                state["it"] = iter(loader)
                batch = next(state["it"])
            context, center = batch
            optimizer.zero_grad()
            loss = model(context, center)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(params, clip)  # what Lightning's "norm" does
            optimizer.step()
            scheduler.step()

    return run


def lightning(args) -> None:
    """The section: one default-config fit per variant; the Trainer's and the plain loop's
    examples/s, each the median of its blocks."""
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    rows = []
    for every in args.lightning_log_every or [None]:
        for bar in args.lightning_progress_bar:
            print(f"lightning: progress bar {bar}, log every {every} ...", file=sys.stderr)
            timer = Interleave(max(args.warmup, 20), args.block_time, args.repeats, args.clock)
            with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
                options = fit_args("default", progress_bar=bar == "on", out_dir=tmp, export=False)
                options += fit_args(log_every=every) if every else []
                with contextlib.redirect_stdout(sys.stderr):  # the progress bar, off the table
                    cli = fit_here(options, timer)
            if len(timer.samples["plain"]) < args.repeats:
                raise BenchError(
                    f"lightning: only {len(timer.samples['plain'])} of {args.repeats} blocks fit "
                    "in the default config's run; lower --repeats or --block-time"
                )
            m = cli.datamodule.batch_size
            trainer, plain = (m / statistics.median(timer.samples[k]) for k in timer.samples)
            rows.append([bar, cli.trainer.log_every_n_steps, f"{cli.datamodule.vocab_size:,}", m])
            rows[-1] += [timer.block, f"{trainer:,.0f}", f"{plain:,.0f}", f"{trainer / plain:.0%}"]
    print(
        "\n## Lightning overhead: default config, Trainer against a plain loop "
        "(examples/s, median of interleaved blocks)\n"
    )
    header = ["progress bar", "log_every_n_steps", "V", "m", "steps/block", "Trainer", "plain"]
    print(table([*header, "Trainer/plain"], rows))

"""Section "lightning": the Trainer on the default config against a plain loop, in one fit.

The default config (configs/default.yaml: its model, data, logger, checkpointing, progress
bar, threads) trains with a real Trainer, built by the package's own cli_main, and, inside that
same fit, a plain loop: the same DataLoader, CBOW + torch.optim.SGD, the module's own LR
scheduler and the config's gradient clipping (by norm, as Lightning clips), no logging and no
checks. A callback times blocks of Trainer steps, from one step's on_train_batch_start to that
of the step a block later, and between two Trainer blocks runs and times a block of plain steps,
so the two contenders alternate in one process. The warm-up steps, the epoch boundaries
(validation, checkpoints), start-up and the end-of-fit export are outside every block. One fit
per variant (progress bar on/off × log_every_n_steps).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import tempfile
from collections.abc import Callable

from .common import CLOCKS, DEFAULT_CONFIG


def lightning_overhead(progress_bar: bool, log_every: int | None, args) -> dict[str, float]:
    """One default-config fit: median seconds per step of the Trainer and of a plain loop."""
    import pytorch_lightning as pl
    import torch

    from cbow_torch.train.cli import cli_main
    from cbow_torch.train.module import CBOWLightningModule

    clock = CLOCKS[args.clock]
    warmup = max(args.warmup, 20)  # steps; they also size the blocks

    class Interleave(pl.Callback):
        def __init__(self) -> None:
            self.start: float | None = None  # on_train_batch_start of the block's first step
            self.steps = 0  # Trainer steps begun since self.start
            self.block = 0  # steps per block, sized after the warm-up
            self.plain: Callable[[], None] | None = None
            self.samples: dict[str, list[float]] = {"lightning": [], "plain": []}

        def on_train_epoch_start(self, trainer, pl_module) -> None:
            self.start = None  # a block never spans validation or a checkpoint

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            now = clock()
            if self.plain is None:  # the first step: build the plain loop, then warm up
                self.plain = plain_loop(trainer, pl_module)
                self.plain(warmup)
                now = clock()
            if self.start is None:
                self.start, self.steps = now, 0
            elif self.block == 0 and self.steps == warmup:  # warm-up over: size the blocks
                per_step = (now - self.start) / self.steps
                self.block = max(10, round(args.block_time / max(per_step, 1e-6)))
                self.start, self.steps = now, 0
            elif self.block and self.steps == self.block:
                self.samples["lightning"].append((now - self.start) / self.block)
                t0 = clock()
                self.plain(self.block)
                self.samples["plain"].append((clock() - t0) / self.block)
                if len(self.samples["lightning"]) >= args.repeats:
                    trainer.should_stop = True
                self.start, self.steps = clock(), 0
            self.steps += 1

    def plain_loop(trainer, pl_module) -> Callable[[int], None]:
        # A second module of the same hyper-parameters: its CBOW and the package's own optimizer
        # and scheduler (configure_optimizers reads the run's length from the trainer).
        hparams = {k: v for k, v in pl_module.hparams.items() if not k.startswith("_")}
        plain = CBOWLightningModule(**hparams)  # without the CLI's _instantiator
        plain.configure_model()
        plain.trainer = trainer
        config = plain.configure_optimizers()
        plain.trainer = None
        model, optimizer = plain.model, config["optimizer"]
        scheduler = config["lr_scheduler"]["scheduler"]
        clip = trainer.gradient_clip_val  # the config's clipping is part of the step's work
        if clip and trainer.gradient_clip_algorithm not in (None, "norm"):
            raise SystemExit("lightning: the plain loop clips by norm only")
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

    timer = Interleave()
    with tempfile.TemporaryDirectory(prefix="cbow-bench-") as tmp:
        cli = cli_main(
            [
                f"--config={DEFAULT_CONFIG}",
                f"--trainer.default_root_dir={tmp}",
                f"--trainer.logger.init_args.save_dir={tmp}",
                f"--trainer.enable_progress_bar={str(progress_bar).lower()}",
                *([f"--trainer.log_every_n_steps={log_every}"] if log_every else []),
                "--export.enabled=false",  # it runs after fit, outside every block
            ],
            run=False,
        )
        cli.trainer.callbacks.append(timer)
        with contextlib.redirect_stdout(sys.stderr):  # the progress bar, off the table's stream
            cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    if len(timer.samples["lightning"]) < args.repeats:
        raise SystemExit(
            f"lightning: only {len(timer.samples['lightning'])} of {args.repeats} blocks fit "
            "in the default config's run; lower --repeats or --block-time"
        )
    batch_size = cli.datamodule.batch_size
    return {
        "m": batch_size,
        "V": cli.model.hparams.vocab_size,
        "block": timer.block,
        "log_every": cli.trainer.log_every_n_steps,
        **{kind: statistics.median(s) for kind, s in timer.samples.items()},
    }


def print_lightning_table(rows: list[tuple[bool, int, dict]]) -> None:
    print(
        "\n## Lightning overhead: default config, Trainer against a plain loop "
        "(examples/s, median of interleaved blocks)\n"
    )
    print(
        "| progress bar | log_every_n_steps | V | m | steps/block "
        "| Trainer | plain | Trainer/plain |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for bar, _every, r in rows:
        lightning, plain = r["m"] / r["lightning"], r["m"] / r["plain"]
        print(
            f"| {'on' if bar else 'off'} | {r['log_every']} | {r['V']:,} | {r['m']} | {r['block']} "
            f"| {lightning:,.0f} | {plain:,.0f} | {lightning / plain:.0%} |"
        )

"""When a run's state is saved: ``last.ckpt`` at every save, the best by val/loss beside it.

``RunCheckpoint`` is Lightning's ``ModelCheckpoint`` for the best checkpoint, plus a
``last.ckpt`` that is always the run's newest state. It is written

- every ``every_n_train_steps`` steps and every ``train_time_interval`` (5 minutes by default,
  so that a crash loses at most that much training);
- at the end of every ``last_every_n_epochs``-th epoch (every epoch by default; 0: none), after
  its validation (where the best checkpoint was just written with the same state, last.ckpt is
  a hard link to its file: one write, not two);
- on Ctrl-C and SIGTERM: the step in progress completes first, so the state saved is whole and a
  resume goes on from the step after it, bit for bit as if never stopped;
- at the end of fit (when ``max_steps`` stops it mid-epoch, as of its last step, so that a
  resume with a larger ``max_steps`` goes on with the same epoch).

Each checkpoint also records ``epochs_done``, the epochs fully trained, which the ``epoch`` key
cannot say (a checkpoint written at the end of epoch e and one written during it both hold e):
``--ckpt_path`` reads it to tell a finished run from one to resume (``checkpoints.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ..atomic import atomic_path
from .checkpoints import AtomicCheckpointIO

LAST = "last.ckpt"


class RunCheckpoint(ModelCheckpoint):
    """The best checkpoint by ``monitor``, and ``last.ckpt``: the newest state at every save.

    Args:
        save_last: write ``last.ckpt`` (False: only the best checkpoint).
        every_n_train_steps: also write ``last.ckpt`` every this many steps (None: by time only).
        last_every_n_epochs: write ``last.ckpt`` at the end of every this many epochs; 0: at the
            end of fit only (and by time, steps and interrupts), for a model too large to save
            every epoch.
        train_time_interval: also write ``last.ckpt`` when this much time has passed since the
            last write, checked after every step (None: at epoch ends only).
        monitor, filename, auto_insert_metric_name, **kwargs: Lightning's ``ModelCheckpoint``
            arguments, for the best checkpoint (``save_top_k=0``: none).
    """

    def __init__(
        self,
        save_last: bool = True,
        every_n_train_steps: int | None = None,
        last_every_n_epochs: int = 1,
        train_time_interval: timedelta | None = timedelta(minutes=5),
        monitor: str | None = "val/loss",
        filename: str | None = "best-epoch{epoch}-step{step}",
        auto_insert_metric_name: bool = False,
        **kwargs: Any,
    ) -> None:
        if every_n_train_steps is not None and every_n_train_steps < 0:
            raise ValueError(
                f"checkpoint.every_n_train_steps must be >= 0, got {every_n_train_steps}"
            )
        if int(last_every_n_epochs) != last_every_n_epochs or last_every_n_epochs < 0:
            raise ValueError(
                "checkpoint.last_every_n_epochs must be an integer >= 0 (0: at the end of fit "
                f"only), got {last_every_n_epochs}"
            )
        # The best checkpoint is the base class's, on its own triggers (epoch ends); last.ckpt
        # is written here, so the base class writes none.
        super().__init__(
            monitor=monitor,
            filename=filename,
            auto_insert_metric_name=auto_insert_metric_name,
            save_last=False,
            **kwargs,
        )
        self.write_last = save_last
        self.last_every_n_steps = every_n_train_steps or 0
        self.last_every_n_epochs = int(last_every_n_epochs)
        self.last_interval_s = (
            None if train_time_interval is None else train_time_interval.total_seconds()
        )
        self.epochs_done = 0
        self._epoch_complete = False  # the epoch's last batch is done
        self._last_step: int | None = None  # the step last.ckpt holds, in this process
        self._last_time = time.monotonic()
        self._interrupt = _DeferredInterrupt()

    @property
    def last_path(self) -> Path:
        return Path(self.dirpath or ".") / LAST

    def write(self, trainer: pl.Trainer) -> None:
        """Write last.ckpt now, unless it already holds this step (a collective under DDP)."""
        if (
            not self.write_last
            or trainer.fast_dev_run
            or trainer.sanity_checking
            or trainer.state.fn != "fit"
            or self._last_step == trainer.global_step
        ):
            return
        trainer.save_checkpoint(self.last_path, self.save_weights_only)
        self._last_step, self._last_time = trainer.global_step, time.monotonic()

    def _best_files(self) -> dict[Path, tuple[int, int]]:
        """The base class's checkpoints on disk, each with its (inode, mtime): a checkpoint
        written atomically is a new inode."""
        found = {}
        for name in {*self.best_k_models, self.best_model_path} - {""}:
            with contextlib.suppress(OSError):
                stat = os.stat(name)
                found[Path(name)] = (stat.st_ino, stat.st_mtime_ns)
        return found

    def _can_link(self, trainer: pl.Trainer) -> bool:
        """last.ckpt may share the best checkpoint's file: one process writes it, and every
        later write of last.ckpt replaces the name by a rename (never rewrites the file)."""
        return (
            self.write_last
            and trainer.world_size == 1
            and isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)
        )

    def _link_last(self, trainer: pl.Trainer, best: Path) -> None:
        """Make last.ckpt the best checkpoint just written at this step: a hard link (a copy
        where the file system has none), renamed onto last.ckpt."""
        with atomic_path(self.last_path) as tmp:
            try:
                os.link(best, tmp)
            except OSError:
                shutil.copyfile(best, tmp)
        self._last_step, self._last_time = trainer.global_step, time.monotonic()

    # ---- the public hooks, each after the base class's best checkpoint ---------------------

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self.epochs_done = trainer.current_epoch
        self._last_step, self._last_time = trainer.global_step, time.monotonic()  # as resumed
        if trainer.world_size == 1:  # under DDP the ranks could not agree on the step: not there
            self._interrupt.install()

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.epochs_done, self._epoch_complete = trainer.current_epoch, False

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        if self._interrupt.requested:
            self.write(trainer)
            raise KeyboardInterrupt
        self._epoch_complete = batch_idx + 1 >= trainer.num_training_batches
        every = self.last_every_n_steps
        due = bool(every) and trainer.global_step % every == 0
        # The last step by max_steps, saved here, mid-epoch: Lightning then ends the epoch early,
        # and a state saved after that would make a resume skip the epoch's remaining batches.
        due = due or 0 < trainer.max_steps <= trainer.global_step
        # Under DDP rank 0's clock decides for every rank, through a collective: every 64 steps.
        if not due and self.last_interval_s is not None:
            if trainer.world_size == 1:
                due = time.monotonic() - self._last_time >= self.last_interval_s
            elif trainer.global_step % 64 == 0:
                due = time.monotonic() - self._last_time >= self.last_interval_s
                due = trainer.strategy.broadcast(due)
        if due:
            self.write(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._epoch_complete:  # not an epoch that max_steps cut short
            self.epochs_done = trainer.current_epoch + 1  # in the best checkpoint written here too
        before = self._best_files()
        super().on_train_epoch_end(trainer, pl_module)
        if self._epoch_complete:
            self._last_step = None  # the epoch's end is a new state, even at a step just saved
            every = self.last_every_n_epochs
            if not every or self.epochs_done % every:  # not due: on_train_end writes the end
                return
            written = [p for p, stat in self._best_files().items() if before.get(p) != stat]
            if len(written) == 1 and self._can_link(trainer):  # the same state: write it once
                self._link_last(trainer, written[0])
            else:
                self.write(trainer)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        self.write(trainer)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception) -> None:
        super().on_exception(trainer, pl_module, exception)
        # A failure's state (a NaN, say) is not worth resuming; an interrupt's is. SIGTERM is
        # raised between steps on every rank at once; a KeyboardInterrupt here came through
        # on_train_batch_end above (already written) or, under DDP, from anywhere.
        if isinstance(exception, SIGTERMException) or (
            isinstance(exception, KeyboardInterrupt) and trainer.world_size == 1
        ):
            self.write(trainer)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        super().teardown(trainer, pl_module, stage)
        self._interrupt.uninstall()

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module, checkpoint: dict) -> None:
        checkpoint["epochs_done"] = self.epochs_done


class _DeferredInterrupt:
    """Ctrl-C lets the step in progress finish (a second one stops at once): a
    KeyboardInterrupt raised inside an optimizer step would leave half the parameters updated."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def install(self) -> None:
        self.requested = False
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return  # the caller's own handler stays
        self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def uninstall(self) -> None:
        if self._previous is not None:
            if signal.getsignal(signal.SIGINT) in (self._handle, signal.default_int_handler):
                signal.signal(signal.SIGINT, self._previous)
            self._previous = None

"""The progress a user watches: redrawn by time, in words/s, with the whole run's ETA.

On a terminal the bar is redrawn ``refresh_rate`` times a second whatever a step takes (a 2 ms
step redrawn every step would spend its time drawing). When stdout is not a terminal (a log
file, a pipe, a batch job) nothing is drawn: each epoch ends with one line instead.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

# The rates are means over about this many seconds: steady, yet quick to follow a change.
RATE_WINDOW_S = 5.0


class RunProgressBar(TQDMProgressBar):
    """Lightning's tqdm bar, redrawn by time, showing words/s and the run's ETA.

    A word is a centre word trained: the LightningModule's ``words_in_step`` (an int, when it has
    one), else the batch's ``center.shape[0]``.

    Args:
        refresh_rate: redraws a second on a terminal (0: no bar and no epoch lines).
        leave: keep each epoch's finished bar on the terminal.
    """

    def __init__(self, refresh_rate: float = 10.0, leave: bool = False) -> None:
        if refresh_rate < 0:
            raise ValueError(
                f"progress_bar.refresh_rate must be >= 0 (redraws a second), got {refresh_rate}"
            )
        super().__init__(refresh_rate=1 if refresh_rate > 0 else 0, leave=leave)
        self.interval_s = 1.0 / refresh_rate if refresh_rate > 0 else float("inf")
        self.on_terminal = sys.stdout.isatty()
        self.words_per_s = self.steps_per_s = 0.0
        self._drawn = self._mark = time.monotonic()
        self._words = self._steps = 0  # since _mark

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if not self.on_terminal:
            self.disable()  # the bars are still made, as nothing that draws

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._mark = self._drawn = time.monotonic()

    def on_train_epoch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        super().on_train_epoch_start(trainer, *args)
        self._mark, self._words, self._steps = time.monotonic(), 0, 0  # checkpoints, validation

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        words = getattr(pl_module, "words_in_step", None)
        self._words += words if isinstance(words, int) else int(batch[1].shape[0])
        self._steps += 1
        now = time.monotonic()
        if now - self._mark >= RATE_WINDOW_S or not self.steps_per_s:
            self._update_rates(now)
        bar = self.train_progress_bar
        if self.is_disabled or bar is None:
            return
        if now - self._drawn >= self.interval_s or batch_idx + 1 == bar.total:
            self._drawn = now
            bar.n = batch_idx + 1
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
            bar.refresh()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        self._update_rates(time.monotonic())
        if self.on_terminal or self.refresh_rate == 0 or not trainer.is_global_zero:
            return
        metrics = self.get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        shown = ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()
        )
        last = f"/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
        print(
            f"Epoch {trainer.current_epoch + 1}{last} done: step {trainer.global_step}, {shown}",
            flush=True,
        )

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        metrics = super().get_metrics(trainer, pl_module)
        if self.words_per_s:
            metrics["words/s"] = f"{self.words_per_s:,.0f}"
        eta = self.eta_s(trainer)
        if eta is not None:
            metrics["ETA"] = str(timedelta(seconds=round(eta)))
        return metrics

    def eta_s(self, trainer: pl.Trainer) -> float | None:
        """Seconds to the end of the run at the current step rate (training steps only)."""
        total = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None
        if total is None:
            estimated = trainer.estimated_stepping_batches
            total = None if estimated == float("inf") else int(estimated)
        if total is None or not self.steps_per_s:
            return None
        return max(total - trainer.global_step, 0) / self.steps_per_s

    def _update_rates(self, now: float) -> None:
        seconds = now - self._mark
        if seconds <= 0 or not self._steps:
            return
        self.words_per_s, self.steps_per_s = self._words / seconds, self._steps / seconds
        self._mark, self._words, self._steps = now, 0, 0

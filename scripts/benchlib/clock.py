"""The benchmarks' timing callback: a fit's training loop, whole and step by step."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal

import pytorch_lightning as pl
import torch

from .common import CLOCKS


class TrainingClock(pl.Callback):
    """Times a fit: its training loop whole, and each step after a warm-up.

    ``seconds`` runs from ``on_train_start`` to ``on_train_end``: every epoch's steps, logging,
    validation and checkpoints; not the start-up, the corpus preparation or the export.

    After ``warmup`` steps, ``laps`` gets (seconds, words) for each step, timed from its
    ``on_train_batch_start`` to the next step's, so never across an epoch's end (validation,
    checkpoints); words are the module's ``words_in_step``. :meth:`between` runs before each
    timed step, off the clock. ``save`` writes :meth:`record` to ``training_time.json`` in the
    run's log directory, for a fit in another process (``benchlib.runs.launch``).

    ``marks`` holds when (``time.time()``, comparable across processes) the fit reached each of
    its parts: ``fit_start``, its ``setup`` (the corpus prepared, model and Trainer built);
    ``train_start`` and ``train_end``, the training loop; ``fit_end``, the ``teardown`` after
    every callback's ``on_fit_end`` (the export: embeddings, evaluation, pictures, projector).
    The record is written at ``fit_end`` (``benchlib.parts`` reads it).

    Args:
        warmup: the steps before the first lap.
        save: write the record into the run's log directory at the end of the fit.
        clock: ``wall``, elapsed time; ``cpu``, the process's CPU time (all its threads).
    """

    def __init__(
        self, warmup: int = 0, save: bool = False, clock: Literal["wall", "cpu"] = "wall"
    ) -> None:
        self.warmup, self.save, self.now = warmup, save, CLOCKS[clock]
        self.seconds, self.steps, self.threads = 0.0, 0, 0
        self.laps: list[tuple[float, int]] = []
        self._begun = self._lap_start = None
        self._words = 0
        self.marks: dict[str, float] = {}

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.marks["fit_start"] = time.time()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.marks["train_start"] = time.time()
        self._begun = self.now()

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._lap_start = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        now = self.now()
        if self._lap_start is not None:
            self.laps.append((now - self._lap_start, self._words))
        self.steps += 1
        if self.steps > self.warmup and not trainer.should_stop:
            self.between(trainer, pl_module)
            self._lap_start = self.now()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self._words = int(pl_module.words_in_step)  # the module's count: windows or chunk words

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.seconds = self.now() - self._begun
        self.marks["train_end"] = time.time()
        self.threads = torch.get_num_threads()

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.marks["fit_end"] = time.time()
        if self.save and trainer.is_global_zero:
            from cbow_torch.atomic import atomic_write

            payload = json.dumps(self.record(trainer)).encode()
            atomic_write(Path(trainer.log_dir, "training_time.json"), lambda f: f.write(payload))

    def between(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Runs before each timed step, off the clock (here: nothing)."""

    def rate(self) -> float:
        """Words a second over the laps."""
        return sum(w for _, w in self.laps) / sum(s for s, _ in self.laps)

    def record(self, trainer: pl.Trainer) -> dict:
        """The figures as a JSON-ready dict; ``epochs`` may be a fraction (``max_steps``)."""
        return {
            "seconds": self.seconds,
            "epochs": self.steps / trainer.num_training_batches,
            "words_per_sec": self.rate() if self.laps else None,
            "threads": self.threads,
            "marks": self.marks,
        }

"""The training metrics between two writes: the steps' interval means, and the divergence guard
that stops a run whose loss is not finite or stays far above its first value."""

from __future__ import annotations

import math
import time

import torch

FACTOR, WRITES = 10.0, 3  # above FACTOR × the first loss at WRITES writes in a row: divergence


class DivergenceGuard:
    """Watches the interval means of train/loss as they are written."""

    def __init__(self) -> None:
        self.first: float | None = None  # the run's first step's loss: the yardstick
        self.high = 0  # writes in a row above FACTOR × first
        self.last = math.nan

    def check(self, loss: float, first: float) -> str | None:
        """What went wrong, or None; call with each written interval mean and the loss of the
        run's first step (read once: a divergence can be well under way by the first write)."""
        self.last = loss
        if self.first is None:
            self.first = first
        self.high = self.high + 1 if loss > FACTOR * self.first else 0
        if not math.isfinite(loss) or self.high >= WRITES:
            return self.describe()
        return None

    def at_end(self) -> str | None:
        """A run too short to stay high WRITES times, but that ends high."""
        return self.describe() if self.high else None

    def describe(self) -> str:
        if not math.isfinite(self.last):
            return f"became {self.last}"
        return f"rose to {self.last:.4g} (from {self.first:.4g})"


class Interval:
    """The steps since train/* was last written: their summed loss (a tensor on the device, so
    no host sync per step), how many, their words and α, and when the first began."""

    __slots__ = ("loss", "steps", "words", "lr", "since")

    def __init__(self, loss: torch.Tensor | None = None) -> None:
        self.loss = torch.zeros((), dtype=torch.float64) if loss is None else loss  # []
        self.steps, self.words, self.lr = 0, 0, 0.0
        self.since = time.perf_counter()

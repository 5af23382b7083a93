"""The objective protocol: what every objective gives the LightningModule."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import torch
from torch import nn

from ..data.text import Vocabulary
from ..inputs import Input


class Objective:
    """One training objective, chosen as a class (``model.objective``, LightningCLI's
    ``class_path``/``init_args``) whose ``__init__`` holds its own options. It owns the cost, the
    model that holds the parameters, its noise (if any), whether its gradients are sparse rows,
    its engines and the checkpoint state beyond the model. ``CBOWLightningModule`` holds one and
    keeps what every objective shares: the α schedule, logging, checkpoints, the projector.

    Everything it needs comes in as arguments: the vocabulary and input piece at ``build``, the
    device and ranks at ``start``, α and the thread count at each ``step``.
    """

    # Where a checkpoint's state_dict holds the vectors, relative to the model.
    input_key: ClassVar[str]
    input_transposed: ClassVar[bool]  # the key holds W1 [N, V] rather than W1ᵀ [V, N]
    output_key: ClassVar[str]
    sparse_gradients: ClassVar[bool] = False  # row gradients, which Lightning's clipping refuses
    # False: ``step`` applies the update itself (manual optimization in Lightning's terms).
    automatic_optimization: bool = True
    # True: the training loader hands out document chunks (data.chunks) instead of window batches.
    trains_on_chunks: bool = False

    def __init__(self) -> None:
        self.model: nn.Module | None = None
        self.input: Input | None = None

    def prepare(self, device: torch.device, gradient_clip_val: float | None) -> None:
        """Fix what depends on the training device and Trainer (default: nothing); a
        combination that cannot train is a one-line ValueError."""

    def build(
        self, vocab: Vocabulary, input: Input, embedding_dim: int, init: str, seed: int
    ) -> nn.Module:
        """The model for ``vocab`` with ``input``'s W1; called once, inside the Trainer's
        precision context, before training or validation."""
        raise NotImplementedError(f"{type(self).__name__} must define build()")

    def start(self, vocab: Vocabulary, device: torch.device, rank: int, world: int) -> None:
        """Before training or validation: the noise, the generators (default: nothing)."""

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor], validation: bool = False):
        """J on a batch of windows (context [m, 2C], center [m]) through the hand-written
        backward; ``validation`` draws reproducible noise, the same at every validation."""
        raise NotImplementedError(f"{type(self).__name__} must define loss()")

    def step(self, batch: Any, lr_start: float, lr_end: float, threads: int) -> torch.Tensor:
        """With ``automatic_optimization`` False: train on ``batch`` with α going from
        ``lr_start`` to ``lr_end``, updating the parameters in place; returns the mean J."""
        raise NotImplementedError(f"{type(self).__name__} applies no update of its own")

    def start_validation(self) -> None:
        """Before each validation (default: nothing)."""

    def words(self, batch: Any) -> int:
        """The corpus words a training batch stands for (a window: its centre word)."""
        return int(batch[1].shape[0])

    def validation_metrics(self, loss: torch.Tensor) -> dict[str, torch.Tensor]:
        """Further val/* metrics from val/loss (default: none)."""
        return {}

    def after_step(self, step: int) -> None:
        """After each training step (default: nothing)."""

    def after_epoch(self) -> None:
        """After each training epoch (default: nothing)."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the objective beyond the model (generator states)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def config(self) -> dict[str, Any]:
        """``{"class_path": ..., "init_args": {...}}``, as LightningCLI writes a class."""
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        return {"class_path": path, "init_args": dict(self.options)}

    @property
    def options(self) -> dict[str, Any]:
        """The ``__init__`` options, each kept as the attribute of its name."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({args})"

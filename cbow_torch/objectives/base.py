"""What every objective offers the LightningModule: model, loss, optimizer, training steps."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ..data.text import Vocabulary


class Objective:
    """One training objective: the cost, the model that holds its parameters, the noise it draws
    (if any), the optimizer and clipping that suit its gradients, and its training step for each
    engine it supports. ``CBOWLightningModule`` holds one and keeps only what every objective
    shares: logging, the α schedule, checkpoints and the projector.

    A subclass sets ``name`` (the ``model.objective`` value) and implements ``build`` and
    ``loss``; the rest has defaults for an autograd objective with dense gradients.
    """

    name: ClassVar[str]
    # The checkpoint's names for the vectors (see ``export_keys``), relative to the model.
    input_key: ClassVar[str]
    input_transposed: ClassVar[bool]  # the key holds W1 [N, V] rather than W1ᵀ [V, N]
    output_key: ClassVar[str]
    # False: the training step is the update itself (manual optimization in Lightning's terms).
    automatic_optimization: bool = True
    engines: ClassVar[tuple[str, ...]] = ("auto", "autograd")  # model.engine values it takes
    # True: the training loader hands out document chunks (data.chunks) instead of window batches.
    trains_on_chunks: bool = False

    def __init__(self, hparams: Any) -> None:
        self.hparams = hparams
        self.model: nn.Module | None = None
        if hparams.engine not in self.engines:
            raise ValueError(
                f"model.engine {hparams.engine} does not train objective {self.name}, which "
                f"has {', '.join(self.engines[1:])}: set model.engine auto"
            )

    def resolve_engine(self, device: torch.device) -> None:
        """Fix the engine for the training device (default: autograd, whatever the device)."""

    def build(self, vocab: Vocabulary) -> nn.Module:
        """The model for ``vocab`` (its size and counts); called once, inside the Trainer's
        precision context, before training or validation."""
        raise NotImplementedError(f"{type(self).__name__} must define build()")

    def start(self, vocab: Vocabulary, device: torch.device, rank: int) -> None:
        """Before training or validation: the noise, the generators (default: nothing)."""

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor], validation: bool = False):
        """J on a batch of windows (context [m, 2C], center [m]) through the hand-written
        backward; ``validation`` draws reproducible noise, the same at every validation."""
        raise NotImplementedError(f"{type(self).__name__} must define loss()")

    def training_step(self, module, batch) -> torch.Tensor:
        """The autograd engine: J, which Lightning differentiates and the optimizer applies."""
        return self.loss(batch)

    def words(self, batch) -> int:
        """The corpus words a training batch stands for (a window: its centre word)."""
        return int(batch[1].shape[0])

    def configure_optimizer(self, params, lr: float) -> torch.optim.Optimizer:
        """Plain SGD, W ← W − α∇ (it applies sparse row gradients without a V×N temporary)."""
        return torch.optim.SGD(params, lr=lr)

    def clip_gradients(self, module, optimizer, clip_val, algorithm) -> None:
        """Lightning's ``gradient_clip_val``; dense gradients go through Lightning's own."""
        module.clip_gradients(optimizer, clip_val, algorithm)

    def validation_metrics(self, loss: torch.Tensor) -> dict[str, torch.Tensor]:
        """Further val/* metrics from val/loss (default: none)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the objective beyond the model (generator states)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def on_validation_start(self) -> None:
        pass

    def on_train_batch_end(self, module) -> None:
        """After each training step (the fused engine's DDP averaging)."""

    def on_train_epoch_end(self, module) -> None:
        pass

    def export_keys(self, prefix: str) -> dict[str, Any]:
        """Where a checkpoint's state_dict holds the vectors (``vectors.files.read_checkpoint``)."""
        return {
            "input_vectors": prefix + self.input_key,
            "input_transposed": self.input_transposed,
            "output_vectors": prefix + self.output_key,
        }

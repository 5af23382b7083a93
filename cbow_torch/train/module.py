"""Lightning glue: CBOW trained by plain SGD, logged to TensorBoard, exported at the end of fit."""

from __future__ import annotations

import math
import time
from typing import Literal, get_args

import pytorch_lightning as pl
import torch
from torchmetrics import MeanMetric

from ..data.text import Vocabulary
from ..functional import check_hidden
from ..model import CBOW, CBOWNegativeSampling
from ..optim import SparseSGD, clip_sparse_gradients
from ..sampling import UnigramNoise

# Choices as types: LightningCLI (jsonargparse) rejects other values and lists these in --help.
Objective = Literal["softmax", "negative"]
Init = Literal["normal", "word2vec", "course"]
GradMode = Literal["exact", "lecture"]
Hidden = Literal["relu", "linear"]
Schedule = Literal["course", "linear", "constant"]
Source = Literal["W1", "W2", "average"]
# A loss above this many times the run's first one, at this many writes in a row, is divergence.
DIVERGENCE_FACTOR, DIVERGENCE_WRITES = 10.0, 3


class CBOWTrainingError(RuntimeError):
    """Training cannot go on (a NaN loss, say); the message names the cause and the fix."""


class CBOWLightningModule(pl.LightningModule):
    """Plain gradient descent W ← W − α ∂J/∂W on the course's CBOW, or on word2vec's.

    Args:
        vocab_size: V; None (the default): the datamodule's, known once its setup has run.
        embedding_dim: N.
        objective: ``"softmax"``, the course's full softmax (:class:`~cbow_torch.model.CBOW`),
            or ``"negative"``, word2vec's negative sampling
            (:class:`~cbow_torch.model.CBOWNegativeSampling`: no ReLU or biases, sparse
            gradients, so a step costs O(m·(2C + k + 1)·N) whatever V is).
        negatives: k, the noise words per example for ``"negative"`` (word2vec: 5).
        init, seed, grad_mode: passed to the model (``grad_mode``: softmax only).
        hidden: softmax only: ``"relu"``, the course's h = ReLU(W1 x̄ + b1), or ``"linear"``,
            word2vec's plain mean h = W1 x̄ + b1 (``grad_mode`` must then be ``"exact"``).
        lr: α.
        lr_schedule: ``"course"`` multiplies α by ``lr_decay`` after every ``lr_decay_steps``
            updates; ``"linear"`` decays it from ``lr`` to ``min_lr`` over the run (word2vec);
            ``"constant"`` keeps it.
        projector_words: how many words (most frequent first) the TensorBoard projector shows.
        projector_every_n_epochs: also log the projector every k epochs (0: only at the end).
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        embedding_dim: int = 50,
        objective: Objective = "softmax",
        negatives: int = 5,
        init: Init = "normal",
        seed: int = 282,
        grad_mode: GradMode = "exact",
        hidden: Hidden = "relu",
        lr: float = 0.03,
        lr_schedule: Schedule = "course",
        lr_decay: float = 0.66,
        lr_decay_steps: int = 100,
        min_lr: float = 1e-4,
        projector_words: int = 5000,
        projector_every_n_epochs: int = 0,
    ) -> None:
        super().__init__()
        for name, value, ok, rule in (
            ("vocab_size", vocab_size, vocab_size is None or vocab_size >= 1, ">= 1 or null"),
            ("negatives", negatives, negatives >= 1, ">= 1 (noise words per example)"),
            ("lr", lr, 0 < lr <= torch.finfo(torch.float32).max, "> 0 and a float32"),
            ("lr_decay", lr_decay, lr_decay > 0, "> 0"),
            ("lr_decay_steps", lr_decay_steps, lr_decay_steps >= 1, ">= 1"),
            ("min_lr", min_lr, min_lr >= 0, ">= 0"),
            ("projector_words", projector_words, projector_words >= 1, ">= 1"),
            (
                "projector_every_n_epochs",
                projector_every_n_epochs,
                projector_every_n_epochs >= 0,
                ">= 0",
            ),
        ):
            if not ok:
                raise ValueError(f"model.{name} must be {rule}, got {value}")
        check_hidden(hidden, grad_mode, prefix="model.")  # the CLI checks each alone
        self.save_hyperparameters()
        self.model: CBOW | CBOWNegativeSampling | None = None
        self.noise: UnigramNoise | None = None  # "negative": the noise words' distribution
        self._noise_gen: torch.Generator | None = None
        self._noise_state: torch.Tensor | None = None  # from a checkpoint, until fit starts
        self._val_gen: torch.Generator | None = None
        self.vocab: Vocabulary | None = None  # from the data; saved in checkpoints for export
        self.val_loss = MeanMetric()
        self._interval = _Interval()  # the steps since train/* was last written
        self._first_loss: torch.Tensor | None = None  # the run's first step: divergence's yardstick
        self._high_writes = 0  # writes in a row above DIVERGENCE_FACTOR × the first loss
        self._last_loss = math.nan

    def __setattr__(self, name: str, value) -> None:
        # Lightning sets _current_fx_name around every hook call, ~45 times a step, and
        # nn.Module.__setattr__ looks for a parameter, buffer or module of that name each time
        # (~2 µs): a plain attribute goes straight to the instance.
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def configure_model(self) -> None:
        # Built here, inside the Trainer's precision context, so that `precision: 64-true` draws
        # the parameters in float64 and the course initialisation stays bit for bit.
        if self.model is None:
            hp = self.hparams
            # Lightning calls this hook after the datamodule's setup; outside a fit there is none.
            datamodule = getattr(self._trainer, "datamodule", None)  # _trainer: None if unattached
            data_vocab_size = getattr(datamodule, "vocab_size", None)
            if hp.vocab_size is None:
                hp.vocab_size = data_vocab_size  # saved in checkpoints
            elif data_vocab_size is not None and hp.vocab_size != data_vocab_size:
                raise CBOWTrainingError(
                    f"model.vocab_size is {hp.vocab_size} but the data's vocabulary has "
                    f"{data_vocab_size} words: leave model.vocab_size out (null takes the data's)"
                )
            if hp.objective == "negative":
                self.model = CBOWNegativeSampling(hp.vocab_size, hp.embedding_dim, hp.init, hp.seed)
            else:
                args = hp.vocab_size, hp.embedding_dim, hp.init, hp.seed, hp.grad_mode
                self.model = CBOW(*args, hidden=hp.hidden)

    def forward(self, context: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
        return self._loss(context, center, self._noise_gen)

    def _loss(self, context: torch.Tensor, center: torch.Tensor, gen) -> torch.Tensor:
        """J on a batch; for "negative", k noise words per example drawn with ``gen``."""
        if self.hparams.objective == "softmax":
            return self.model(context, center)
        negatives = self.noise.sample((center.shape[0], self.hparams.negatives), gen)  # [m, k]
        return self.model(context, center, negatives)

    def _start_noise(self) -> None:
        """The noise distribution from the vocabulary's counts, and one generator per rank on
        the training device (its state travels in checkpoints, so a resume draws the same)."""
        if self.vocab is None:  # `validate` of a fresh module: the data's vocabulary
            self.vocab = getattr(self.trainer.datamodule, "vocab", None)
        if self.hparams.objective != "negative" or self.vocab is None:
            return
        if self.noise is None:
            self.noise = UnigramNoise(self.vocab.counts, device=self.device)
        self._noise_gen = torch.Generator(self.device).manual_seed(
            self.hparams.seed * 1000 + self.global_rank
        )
        if self._noise_state is not None:
            self._noise_gen.set_state(self._noise_state)
            self._noise_state = None

    def on_fit_start(self) -> None:
        data_vocab = getattr(self.trainer.datamodule, "vocab", None)
        if self.vocab is not None and data_vocab is not None and data_vocab != self.vocab:
            # Resuming on other data: the same ids would now name other words.
            raise CBOWTrainingError(
                f"the checkpoint's vocabulary ({len(self.vocab)} words) is not the data's "
                f"({len(data_vocab)} words): resume with the data options it was trained with"
            )
        self.vocab = data_vocab or self.vocab
        self._start_noise()

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        context, center = batch
        return self._loss(context, center, self._noise_gen)

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        # Per step only a tensor add and three sums (on a plain object: an attribute set on a
        # Module costs more); the means go out every trainer.log_every_n_steps steps, and at
        # every pause (validation, epoch end, stop).
        loss, interval = outputs["loss"].detach(), self._interval  # []
        if self._first_loss is None:
            self._first_loss = loss.clone()  # []
        interval.loss.add_(loss)  # []
        interval.steps += 1
        interval.examples += batch[1].shape[0]
        interval.lr += self.trainer.optimizers[0].param_groups[0]["lr"]  # α of this step
        if self.global_step % self.trainer.log_every_n_steps == 0:
            self._write_train_metrics()

    def _start_interval(self) -> None:
        self._interval = _Interval(torch.zeros((), device=self.device, dtype=torch.float64))

    def _write_train_metrics(self, progress_bar: bool = True) -> None:
        """The means of the loss and α and the examples/s of the steps since the last write;
        stops a run whose loss is not finite or has stayed far above its first value."""
        interval = self._interval
        if not interval.steps:
            return
        seconds = time.perf_counter() - interval.since
        loss = self._last_loss = (interval.loss / interval.steps).item()  # the one host sync
        diverged = loss > DIVERGENCE_FACTOR * self._first_loss.item()
        self._high_writes = self._high_writes + 1 if diverged else 0
        if not math.isfinite(loss) or self._high_writes >= DIVERGENCE_WRITES:
            self._stop_diverged(loss)
        metrics = {
            "train/loss": loss,
            "train/lr": interval.lr / interval.steps,
            "train/examples_per_sec": interval.examples / seconds,
        }
        if progress_bar:
            self.log("train/loss", loss, prog_bar=True, logger=False)
        for logger in self.loggers:
            logger.log_metrics(metrics, step=self.global_step)
        self._start_interval()

    def on_train_start(self) -> None:
        self._start_interval()

    def _stop_diverged(self, loss: float) -> None:
        lr = self.optimizers().param_groups[0]["lr"]
        first = self._first_loss.item()
        what = (
            f"became {loss}"
            if not math.isfinite(loss)
            else f"rose to {loss:.4g} (from {first:.4g})"
        )
        raise CBOWTrainingError(
            f"the training loss {what} by step {self.global_step} (lr {lr:.3g}): "
            "lower model.lr; no embeddings written"
        )

    def on_train_epoch_start(self) -> None:
        self._start_interval()  # the pause between epochs (checkpoints) is not training

    def on_validation_start(self) -> None:
        if self.trainer.state.fn == "fit":
            self._write_train_metrics()  # what came before; the pause is not training

    def on_validation_end(self) -> None:
        self._interval.since = time.perf_counter()  # the interval's clock starts after the pause

    def on_train_epoch_end(self) -> None:
        self._write_train_metrics()
        k = self.hparams.projector_every_n_epochs
        if k > 0 and (self.current_epoch + 1) % k == 0 and self.trainer.is_global_zero:
            self.write_projector()  # the average source; the final one uses export.source

    def on_train_end(self) -> None:
        # Lightning allows no self.log here: the loggers only, for a stop that skipped the epoch end
        self._write_train_metrics(progress_bar=False)
        if self._high_writes:  # too short to stay there DIVERGENCE_WRITES times, but ends there
            self._stop_diverged(self._last_loss)

    def on_validation_epoch_start(self) -> None:
        if self.hparams.objective == "negative":
            if self.noise is None:  # `validate` without `fit`
                self._start_noise()
            # The same noise words at every validation: val/loss compares across epochs.
            self._val_gen = torch.Generator(self.device).manual_seed(self.hparams.seed)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        context, center = batch
        self.val_loss.update(self._loss(context, center, self._val_gen), weight=center.shape[0])

    def on_validation_epoch_end(self) -> None:
        loss = self.val_loss.compute()
        self.val_loss.reset()
        # MeanMetric already reduced over ranks; sync_dist just says so to Lightning.
        self.log("val/loss", loss, prog_bar=True, sync_dist=True)
        if self.hparams.objective == "softmax":  # exp(J) is a perplexity only for the softmax
            self.log("val/perplexity", torch.exp(loss), sync_dist=True)

    def configure_optimizers(self):
        hp = self.hparams
        if hp.objective == "negative":  # sparse row gradients: applied in one scatter a matrix
            optimizer = SparseSGD(self.parameters(), lr=hp.lr)
        else:
            optimizer = torch.optim.SGD(self.parameters(), lr=hp.lr, momentum=0.0)
        if hp.lr_schedule == "course":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, hp.lr_decay_steps, hp.lr_decay)
        elif hp.lr_schedule == "linear":
            total, floor = max(int(self.trainer.estimated_stepping_batches), 1), hp.min_lr / hp.lr
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: max(1.0 - step / total, floor)
            )
        elif hp.lr_schedule == "constant":
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
        else:  # the CLI's type check stops this; a Python caller gets the same rule
            raise ValueError(
                f"lr_schedule must be one of {get_args(Schedule)}, got {hp.lr_schedule!r}"
            )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def configure_gradient_clipping(
        self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None
    ) -> None:
        if gradient_clip_val and self.hparams.objective == "negative":  # sparse row gradients
            params = [p for group in optimizer.param_groups for p in group["params"]]
            clip_sparse_gradients(params, gradient_clip_val, gradient_clip_algorithm or "norm")
        else:
            super().configure_gradient_clipping(
                optimizer, gradient_clip_val, gradient_clip_algorithm
            )

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.vocab is not None:
            checkpoint["vocabulary"] = self.vocab.to_dict()
        if self._noise_gen is not None:
            checkpoint["noise_rng"] = self._noise_gen.get_state()  # uint8 tensor

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "vocabulary" in checkpoint:
            self.vocab = Vocabulary.from_dict(checkpoint["vocabulary"])
        self._noise_state = checkpoint.get("noise_rng")

    def word_vectors(self, source: Source = "average"):
        from ..vectors.word_vectors import WordVectors

        if self.vocab is None:
            raise CBOWTrainingError("the model has no vocabulary: train it with CBOWDataModule")
        return WordVectors.from_model(self.model, self.vocab, source)

    def write_projector(self, source: Source = "average") -> None:
        if self.logger is None:
            return  # --trainer.logger false: no TensorBoard to show it
        self.word_vectors(source).write_projector(
            self.logger.experiment, top_n=self.hparams.projector_words, global_step=self.global_step
        )


class _Interval:
    """The steps since train/* was last written: their summed loss (a tensor on the device, so
    no host sync per step), how many, their examples and α, and when the first began."""

    __slots__ = ("loss", "steps", "examples", "lr", "since")

    def __init__(self, loss: torch.Tensor | None = None) -> None:
        self.loss = torch.zeros((), dtype=torch.float64) if loss is None else loss  # []
        self.steps, self.examples, self.lr = 0, 0, 0.0
        self.since = time.perf_counter()

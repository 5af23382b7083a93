"""The LightningModule: what every objective's training shares (α schedule, logging, checkpoint
contents, the projector); the objective object does the rest."""

from __future__ import annotations

import time

import pytorch_lightning as pl
import torch
from torchmetrics import MeanMetric

from ..choices import Engine, GradMode, Hidden, Init, InputStep, Schedule, Source, check_choice
from ..choices import Objective as ObjectiveName
from ..data.text import Vocabulary
from ..functional import check_hidden
from ..objectives import OBJECTIVES, Objective
from .metrics import DivergenceGuard, Interval


class CBOWTrainingError(RuntimeError):
    """Training cannot go on (a NaN loss, say); the message names the cause and the fix."""


class CBOWLightningModule(pl.LightningModule):
    """Plain gradient descent W ← W − α ∂J/∂W on the course's CBOW, or on word2vec's.

    Args:
        vocab: the training vocabulary (words and counts); None (the default): the
            datamodule's, read when the Trainer builds the model.
        embedding_dim: N.
        objective: ``"softmax"``, the course's full softmax
            (:class:`~cbow_torch.objectives.SoftmaxObjective`), or ``"negative"``, word2vec's
            negative sampling (:class:`~cbow_torch.objectives.NegativeSamplingObjective`).
        negatives: k, the noise words per window for ``"negative"`` (word2vec: 5).
        engine: ``"negative"`` only: ``"fused"`` (word2vec's per-window loop, one compiled CPU
            kernel), ``"autograd"`` (minibatch SGD through the hand-written backward: CPU, CUDA),
            or ``"auto"``: fused on the CPU, autograd on a GPU.
        sync_every: fused engine under DDP: average the ranks' parameters every this many steps.
        input_step: fused engine: ``"mean"``, each context word's step is the true gradient of
            the context mean (∂J/∂h / count, as fastText); ``"sum"``, word2vec's undivided ∂J/∂h.
        init, seed, grad_mode: passed to the model (``grad_mode``: softmax only).
        hidden: softmax only: ``"relu"``, the course's h = ReLU(W1 x̄ + b1), or ``"linear"``,
            word2vec's plain mean h = W1 x̄ + b1 (``grad_mode`` must then be ``"exact"``).
        lr: α on the engine's cost: the batch mean (softmax, autograd) or one window (fused).
        lr_schedule: ``"course"`` multiplies α by ``lr_decay`` after every ``lr_decay_steps``
            updates; ``"linear"`` decays it from ``lr`` to ``min_lr`` over the run (word2vec);
            ``"constant"`` keeps it.
        projector_words: how many words (most frequent first) the TensorBoard projector shows.
        projector_every_n_epochs: also log the projector every k epochs (0: only at the end).
    """

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        embedding_dim: int = 50,
        objective: ObjectiveName = "softmax",
        negatives: int = 5,
        engine: Engine = "auto",
        sync_every: int = 8,
        input_step: InputStep = "mean",
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
            ("embedding_dim", embedding_dim, embedding_dim >= 1, ">= 1"),
            ("negatives", negatives, negatives >= 1, ">= 1 (noise words per window)"),
            ("sync_every", sync_every, sync_every >= 1, ">= 1"),
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
            ),  # fmt: skip
        ):
            if not ok:
                raise ValueError(f"model.{name} must be {rule}, got {value}")
        check_hidden(hidden, grad_mode, prefix="model.")  # the CLI checks each alone
        check_choice("model.objective", objective, ObjectiveName)
        self.save_hyperparameters(ignore=["vocab"])  # the vocabulary goes in checkpoints whole
        self.vocab = vocab
        self.objective: Objective = OBJECTIVES[objective](self.hparams)
        self.model: torch.nn.Module | None = None
        self.val_loss = MeanMetric()
        self.guard = DivergenceGuard()
        self.words_in_step = 0  # the corpus words of the last training step (progress bar)
        self._interval = Interval()  # the steps since train/* was last written
        self._first_loss: torch.Tensor | None = None  # the run's first step's J

    # ---- building -------------------------------------------------------------------------

    def configure_model(self) -> None:
        # Built here, inside the Trainer's precision context, so that `precision: 64-true` draws
        # the parameters in float64 and the course initialisation stays bit for bit.
        if self.model is not None:
            return
        try:
            trainer = self.trainer
        except RuntimeError:  # built by hand, outside a Trainer: on the module's device
            trainer = None
        if self.vocab is None and trainer is not None:  # the data's vocabulary
            self.vocab = getattr(trainer.datamodule, "vocab", None)
        if self.vocab is None:
            raise CBOWTrainingError(
                "the model has no vocabulary: pass vocab=datamodule.vocab, or train with "
                "CBOWDataModule"
            )
        self.objective.resolve_engine(trainer.strategy.root_device if trainer else self.device)
        self.automatic_optimization = self.objective.automatic_optimization
        self.model = self.objective.build(self.vocab)

    @property
    def trains_on_chunks(self) -> bool:
        """The training loader hands out document chunks (the fused engine), not windows."""
        return self.objective.trains_on_chunks

    def forward(self, context: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
        return self.objective.loss((context, center))

    def on_fit_start(self) -> None:
        self.objective.start(self.vocab, self.device, self.global_rank)

    # ---- training -------------------------------------------------------------------------

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss = self.objective.training_step(self, batch)
        self.words_in_step = self.objective.words(batch)  # before the callbacks' batch end
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        # Per step a tensor add and three sums on a plain object; the means go out every
        # trainer.log_every_n_steps steps and at every pause (validation, epoch end, stop).
        self.objective.on_train_batch_end(self)
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        interval = self._interval
        if self._first_loss is None:
            self._first_loss = loss.detach().clone()  # [] the divergence guard's yardstick
        interval.loss.add_(loss.detach())  # []
        interval.steps += 1
        interval.words += self.words_in_step
        interval.lr += self.trainer.optimizers[0].param_groups[0]["lr"]  # α of this step
        if self.global_step % self.trainer.log_every_n_steps == 0:
            self._write_train_metrics()

    def _start_interval(self) -> None:
        self._interval = Interval(torch.zeros((), device=self.device, dtype=torch.float64))

    def _write_train_metrics(self, progress_bar: bool = True) -> None:
        """The means of the loss and α and the words/s of the steps since the last write;
        stops a run whose loss is not finite or has stayed far above its first value."""
        interval = self._interval
        if not interval.steps:
            return
        seconds = time.perf_counter() - interval.since
        loss = (interval.loss / interval.steps).item()  # the one host sync
        if (problem := self.guard.check(loss, self._first_loss.item())) is not None:
            self._stop_diverged(problem)
        metrics = {
            "train/loss": loss,
            "train/lr": interval.lr / interval.steps,
            "train/words_per_sec": interval.words / seconds,
        }
        if progress_bar:
            self.log("train/loss", loss, prog_bar=True, logger=False)
        for logger in self.loggers:
            logger.log_metrics(metrics, step=self.global_step)
        self._start_interval()

    def _stop_diverged(self, problem: str) -> None:
        lr = self.trainer.optimizers[0].param_groups[0]["lr"]
        step = f"the training loss {problem} by step {self.global_step} (lr {lr:.3g})"
        raise CBOWTrainingError(f"{step}: lower model.lr; no embeddings written")

    def on_train_start(self) -> None:
        self._start_interval()

    def on_train_epoch_start(self) -> None:
        self._start_interval()  # the pause between epochs (checkpoints) is not training

    def on_train_epoch_end(self) -> None:
        self.objective.on_train_epoch_end(self)
        self._write_train_metrics()
        k = self.hparams.projector_every_n_epochs
        if k > 0 and (self.current_epoch + 1) % k == 0 and self.trainer.is_global_zero:
            self.write_projector()  # the average source; the final one uses export.source

    def on_train_end(self) -> None:
        # Lightning allows no self.log here: the loggers only, for a stop that skipped the epoch end
        self._write_train_metrics(progress_bar=False)
        if (problem := self.guard.at_end()) is not None:
            self._stop_diverged(problem)

    # ---- validation -----------------------------------------------------------------------

    def on_validation_start(self) -> None:
        if self.trainer.state.fn == "fit":
            self._write_train_metrics()  # what came before; the pause is not training
        else:  # `validate`, without a fit
            self.objective.start(self.vocab, self.device, self.global_rank)
        self.objective.on_validation_start()

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        loss = self.objective.loss(batch, validation=True)
        self.val_loss.update(loss, weight=batch[1].shape[0])

    def on_validation_epoch_end(self) -> None:
        loss = self.val_loss.compute()
        self.val_loss.reset()
        # MeanMetric already reduced over ranks; sync_dist just says so to Lightning.
        self.log("val/loss", loss, prog_bar=True, sync_dist=True)
        for name, value in self.objective.validation_metrics(loss).items():
            self.log(name, value, sync_dist=True)

    def on_validation_end(self) -> None:
        self._interval.since = time.perf_counter()  # the interval's clock starts after the pause

    # ---- optimizer and α schedule ---------------------------------------------------------

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = self.objective.configure_optimizer(self.parameters(), hp.lr)
        if hp.lr_schedule == "course":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, hp.lr_decay_steps, hp.lr_decay)
        else:
            total, floor = max(int(self.trainer.estimated_stepping_batches), 1), hp.min_lr / hp.lr
            linear = hp.lr_schedule == "linear"
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: max(1.0 - step / total, floor) if linear else 1.0
            )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def configure_gradient_clipping(
        self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None
    ) -> None:
        if gradient_clip_val:
            self.objective.clip_gradients(
                self, optimizer, gradient_clip_val, gradient_clip_algorithm
            )

    # ---- checkpoints and vectors ----------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # The one place a checkpoint keeps what is not Lightning's: the vocabulary, where the
        # vectors are in its state_dict, and the objective's generators.
        checkpoint["cbow_torch"] = {
            "vocabulary": self.vocab.to_dict(),
            **self.objective.export_keys("model."),
            "objective": self.objective.state_dict(),
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        saved = checkpoint.get("cbow_torch")
        if saved is None:
            raise CBOWTrainingError(
                "the checkpoint has no cbow_torch entry: it was not written by cbow-torch, or "
                "by an older version; train afresh"
            )
        vocab = Vocabulary.from_dict(saved["vocabulary"])
        if self.vocab is not None and vocab != self.vocab:
            # Resuming on other data: the same ids would now name other words.
            raise CBOWTrainingError(
                f"the checkpoint's vocabulary ({len(vocab)} words) is not the data's "
                f"({len(self.vocab)} words): resume with the data options it was trained with"
            )
        self.vocab = vocab
        self.objective.load_state_dict(saved.get("objective", {}))

    def word_vectors(self, source: Source = "average"):
        from ..vectors.word_vectors import WordVectors

        return WordVectors.from_model(self.model, self.vocab, source)

    def write_projector(self, source: Source = "average") -> None:
        if self.logger is None:
            return  # --trainer.logger false: no TensorBoard to show it
        self.word_vectors(source).write_projector(
            self.logger.experiment, top_n=self.hparams.projector_words, global_step=self.global_step
        )

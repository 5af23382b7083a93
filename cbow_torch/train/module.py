"""The LightningModule: what every objective's training shares (α schedule, logging, checkpoint
contents, the projector); the objective object does the rest."""

from __future__ import annotations

import time

import pytorch_lightning as pl
import torch
from torchmetrics import MeanMetric

from ..checkpoint import TrainingCheckpoint, vocabulary_mismatch
from ..checkpoint import write as write_entry
from ..choices import Init, Schedule, Source, check_choice, from_config
from ..data.memory import check_parameters
from ..data.text import Vocabulary
from ..inputs import INPUTS, Input, Words
from ..objectives import OBJECTIVES, Objective, Softmax
from ..optim import clip_sparse_gradients
from .metrics import DivergenceGuard, Interval


class CBOWTrainingError(RuntimeError):
    """Training cannot go on (a NaN loss, say); the message names the cause and the fix."""


class CBOWLightningModule(pl.LightningModule):
    """Plain gradient descent W ← W − α ∂J/∂W on the course's CBOW, or on word2vec's.

    Args:
        vocab: the training vocabulary (words and counts); None (the default): the
            datamodule's, read when the Trainer builds the model.
        objective: the cost and how it trains, a class with its own options:
            :class:`~cbow_torch.objectives.Softmax` (the course's full softmax; the default) or
            :class:`~cbow_torch.objectives.NegativeSampling` (word2vec's).
        input: what each context word brings to x̄: :class:`~cbow_torch.inputs.Words` (its own
            column of W1; the default) or :class:`~cbow_torch.inputs.Subwords` (with its
            character n-grams' columns, fastText's).
        embedding_dim: N.
        init, seed: the initialisation (``"normal"``, ``"word2vec"``, ``"course"``) and its seed.
        lr: α on the engine's cost: the batch mean (the autograd engines) or one window (the
            fused engine).
        lr_schedule: ``"course"`` (α × ``lr_decay`` every ``lr_decay_steps`` updates),
            ``"linear"`` (from ``lr`` to ``min_lr`` over the run, word2vec's) or ``"constant"``.
        projector_words: how many words (most frequent first) the TensorBoard projector shows.
        projector_every_n_epochs: also log the projector every k epochs (0: only at the end).
    """

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        objective: Objective | None = None,
        input: Input | None = None,
        embedding_dim: int = 50,
        init: Init = "normal",
        seed: int = 282,
        lr: float = 0.03,
        lr_schedule: Schedule = "course",
        lr_decay: float = 0.66,
        lr_decay_steps: int = 100,
        min_lr: float = 1e-4,
        projector_words: int = 5000,
        projector_every_n_epochs: int = 0,
    ) -> None:
        super().__init__()
        rules = {
            "embedding_dim": (embedding_dim >= 1, ">= 1"),
            "lr": (0 < lr <= torch.finfo(torch.float32).max, "> 0 and a float32"),
            "lr_decay": (lr_decay > 0, "> 0"),
            "lr_decay_steps": (lr_decay_steps >= 1, ">= 1"),
            "min_lr": (min_lr >= 0, ">= 0"),
            "projector_words": (projector_words >= 1, ">= 1"),
            "projector_every_n_epochs": (projector_every_n_epochs >= 0, ">= 0"),
        }
        for name, (ok, rule) in rules.items():
            if not ok:
                raise ValueError(f"model.{name} must be {rule}, got {locals()[name]}")
        check_choice("model.init", init, Init)
        check_choice("model.lr_schedule", lr_schedule, Schedule)
        self.objective = from_config(objective, OBJECTIVES, "objective") or Softmax()
        self.input = from_config(input, INPUTS, "input") or Words()
        # Plain values only: the objective and input as LightningCLI writes them (class_path,
        # init_args), so that checkpoints load without unpickling and TensorBoard shows them.
        self.save_hyperparameters(ignore=["vocab", "objective", "input"])
        self.hparams.update(objective=self.objective.config(), input=self.input.config())
        self.vocab = vocab
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
        except RuntimeError:  # built by hand, outside a Trainer
            trainer = None
        if self.vocab is None and trainer is not None:  # the data's vocabulary
            self.vocab = getattr(trainer.datamodule, "vocab", None)
        if self.vocab is None:
            raise CBOWTrainingError(
                "the model has no vocabulary: pass vocab=datamodule.vocab, or train with "
                "CBOWDataModule"
            )
        device, clip, cache = self.device, None, None  # built by hand: on the module's device
        if trainer is not None:  # the prepared data's folder keeps what the input computes
            device, clip = trainer.strategy.root_device, trainer.gradient_clip_val
            cache = getattr(trainer.datamodule, "path", None)
        self.objective.prepare(device, clip)
        self.automatic_optimization = self.objective.automatic_optimization
        hp, V = self.hparams, len(self.vocab)
        check_parameters(V, self.input.columns(V), hp.embedding_dim, device)
        self.input.setup(self.vocab.index_to_key, cache)
        self.model = self.objective.build(
            self.vocab, self.input, hp.embedding_dim, hp.init, hp.seed
        )

    @property
    def trains_on_chunks(self) -> bool:
        """The training loader hands out document chunks (the fused engine), not windows."""
        return self.objective.trains_on_chunks

    def forward(self, context: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
        return self.objective.loss((context, center))

    def on_fit_start(self) -> None:
        self.objective.start(self.vocab, self.device, self.global_rank, self.trainer.world_size)

    # ---- training -------------------------------------------------------------------------

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        if self.automatic_optimization:
            loss = self.objective.loss(batch)
        else:  # the objective applies its own update, with α from this step's to the next's
            optimizer, scheduler = self.optimizers(), self.lr_schedulers()
            lr_start = optimizer.param_groups[0]["lr"]
            # No gradient to apply: the step counts it for Lightning (global_step, and so
            # max_steps, logging and checkpoint intervals), and the scheduler moves α on.
            optimizer.step()
            scheduler.step()
            lr_end = optimizer.param_groups[0]["lr"]
            loss = self.objective.step(batch, lr_start, lr_end, torch.get_num_threads())
        self.words_in_step = self.objective.words(batch)  # before the callbacks' batch end
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        # Per step a tensor add and three sums on a plain object; the means go out every
        # trainer.log_every_n_steps steps and at every pause (validation, epoch end, stop).
        self.objective.after_step(self.global_step)
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
        self.objective.after_epoch()
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
            self.objective.start(self.vocab, self.device, self.global_rank, self.trainer.world_size)
        self.objective.start_validation()

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
        # Plain SGD, W ← W − α∇ (it applies sparse row gradients without a V×N temporary).
        optimizer = torch.optim.SGD(self.parameters(), lr=hp.lr)
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
        if not gradient_clip_val:
            return
        if self.objective.sparse_gradients:  # rows, which Lightning's clipping refuses
            params = [p for group in optimizer.param_groups for p in group["params"]]
            clip_sparse_gradients(params, gradient_clip_val, gradient_clip_algorithm or "norm")
        else:
            self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    # ---- checkpoints and vectors ----------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        write_entry(checkpoint, self.vocab, self.input, self.objective)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        saved = TrainingCheckpoint.from_dict(checkpoint)
        if self.vocab is not None:
            differs = vocabulary_mismatch(saved.words, self.vocab.index_to_key)
            if differs is not None:  # the same ids would now name other words
                raise CBOWTrainingError(
                    f"the checkpoint was trained on another vocabulary ({differs}): resume "
                    "with the data options it was trained with"
                )
        self.vocab = Vocabulary.from_dict(saved.entry["vocabulary"])
        self.objective.load_state_dict(saved.entry.get("objective", {}))

    def word_vectors(self, source: Source = "average"):
        """The vocabulary's vectors from ``source`` (W1 through the input piece, W2, average):
        ``WordVectors.from_model``."""
        from ..vectors.word_vectors import WordVectors

        return WordVectors.from_model(self, source=source)

    def write_projector(self, source: Source = "average") -> None:
        if self.logger is None:
            return  # --trainer.logger false: no TensorBoard to show it
        self.word_vectors(source).write_projector(
            self.logger.experiment, top_n=self.hparams.projector_words, global_step=self.global_step
        )

"""Lightning glue: CBOW trained by plain SGD, logged to TensorBoard, exported at the end of fit."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from torchmetrics import MeanMetric

from .model import CBOW, SOURCES, CBOWNegativeSampling
from .sampling import UnigramNoise
from .text import Vocabulary

SCHEDULES = ("course", "linear", "constant")
OBJECTIVES = ("softmax", "negative")


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
        objective: str = "softmax",
        negatives: int = 5,
        init: str = "normal",
        seed: int = 282,
        grad_mode: str = "exact",
        lr: float = 0.03,
        lr_schedule: str = "course",
        lr_decay: float = 0.66,
        lr_decay_steps: int = 100,
        min_lr: float = 1e-4,
        projector_words: int = 5000,
        projector_every_n_epochs: int = 0,
    ) -> None:
        super().__init__()
        if lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {lr_schedule!r}")
        if objective not in OBJECTIVES:
            raise ValueError(f"model.objective must be one of {OBJECTIVES}, got {objective!r}")
        for name, value, ok, rule in (
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
        self.save_hyperparameters()
        self.model: CBOW | CBOWNegativeSampling | None = None
        self.noise: UnigramNoise | None = None  # "negative": the noise words' distribution
        self._noise_gen: torch.Generator | None = None
        self._noise_state: torch.Tensor | None = None  # from a checkpoint, until fit starts
        self._val_gen: torch.Generator | None = None
        self.vocab: Vocabulary | None = None  # from the data; saved in checkpoints for export
        self.val_loss = MeanMetric()
        # train/examples_per_sec: examples since the last written step, and when that was.
        self._rate_start: float | None = None
        self._rate_examples = 0

    def configure_model(self) -> None:
        # Built here, inside the Trainer's precision context, so that `precision: 64-true` draws
        # the parameters in float64 and the course initialisation stays bit for bit.
        if self.model is None:
            hp = self.hparams
            if hp.vocab_size is None:  # Lightning calls this hook after the datamodule's setup
                hp.vocab_size = self.trainer.datamodule.vocab_size  # saved in checkpoints
            if hp.objective == "negative":
                self.model = CBOWNegativeSampling(hp.vocab_size, hp.embedding_dim, hp.init, hp.seed)
            else:
                self.model = CBOW(hp.vocab_size, hp.embedding_dim, hp.init, hp.seed, hp.grad_mode)

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

    def _writes_step_metrics(self) -> bool:
        """Whether the loggers write this step's metrics: every ``log_every_n_steps`` steps (as
        Lightning decides, with global_step already advanced) and at a stop."""
        trainer, every = self.trainer, self.trainer.log_every_n_steps
        due = every > 0 and self.global_step % every == 0
        return due or trainer.should_stop or bool(trainer.fast_dev_run)

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        loss, written = outputs["loss"], self._writes_step_metrics()
        # A host sync on CUDA, so only at written steps there; every step on the CPU (free there).
        if (written or self.device.type == "cpu") and not torch.isfinite(loss).item():
            lr = self.optimizers().param_groups[0]["lr"]
            raise CBOWTrainingError(
                f"the loss became {loss.item()} at step {self.global_step} "
                f"(lr {lr:.3g}): lower model.lr or use init: normal; no embeddings written"
            )
        # Step metrics go through self.log only on the steps the loggers write: a self.log costs
        # up to a third of a small CBOW step, and a value logged in between is overwritten unseen.
        self._rate_examples += batch[1].shape[0]
        if written:
            now = time.perf_counter()
            self.log("train/loss", loss, prog_bar=True, batch_size=batch[1].shape[0])
            if self._rate_start is not None:  # the mean rate since the last written step
                rate = self._rate_examples / max(now - self._rate_start, 1e-9)
                self.log("train/examples_per_sec", rate, batch_size=1)
            self._rate_start, self._rate_examples = now, 0

    def on_train_epoch_start(self) -> None:
        self._rate_start, self._rate_examples = None, 0  # the gap between epochs is not training

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

    def on_train_epoch_end(self) -> None:
        k = self.hparams.projector_every_n_epochs
        if k > 0 and (self.current_epoch + 1) % k == 0 and self.trainer.is_global_zero:
            self.write_projector()  # the average source; the final one uses export.source

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = torch.optim.SGD(self.parameters(), lr=hp.lr, momentum=0.0, weight_decay=0.0)
        if hp.lr_schedule == "course":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, hp.lr_decay_steps, hp.lr_decay)
        elif hp.lr_schedule == "linear":
            total, floor = max(int(self.trainer.estimated_stepping_batches), 1), hp.min_lr / hp.lr
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: max(1.0 - step / total, floor)
            )
        else:  # constant
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step", "name": "train/lr"},
        }

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.vocab is not None:
            checkpoint["vocabulary"] = self.vocab.to_dict()
        if self._noise_gen is not None:
            checkpoint["noise_rng"] = self._noise_gen.get_state()  # uint8 tensor

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "vocabulary" in checkpoint:
            self.vocab = Vocabulary.from_dict(checkpoint["vocabulary"])
        self._noise_state = checkpoint.get("noise_rng")

    def word_vectors(self, source: str = "average"):
        from .vectors import WordVectors

        if self.vocab is None:
            raise CBOWTrainingError("the model has no vocabulary: train it with CBOWDataModule")
        return WordVectors.from_model(self.model, self.vocab, source)

    def write_projector(self, source: str = "average") -> None:
        self.word_vectors(source).write_projector(
            self.logger.experiment, top_n=self.hparams.projector_words, global_step=self.global_step
        )


class ExportEmbeddings(pl.Callback):
    """After a successful fit, fill the run directory: vectors, evaluation, plots, projector.

    Args:
        source: which matrix gives the vectors: ``"W1"``, ``"W2"`` or ``"average"``.
        enabled: set False to skip the export.
    """

    def __init__(self, source: str = "average", enabled: bool = True) -> None:
        if source not in SOURCES:
            raise ValueError(f"export source must be one of {SOURCES}, got {source!r}")
        self.source, self.enabled = source, enabled

    def on_fit_end(self, trainer: pl.Trainer, pl_module: CBOWLightningModule) -> None:
        if not self.enabled or trainer.fast_dev_run:
            return
        # The loss is checked only at logged steps on CUDA, and never after the last update.
        if not all(torch.isfinite(p).all() for p in pl_module.parameters()):
            raise CBOWTrainingError(
                f"the parameters hold NaN or inf after step {trainer.global_step}: "
                "lower model.lr; no embeddings written"
            )
        run_dir = Path(trainer.log_dir or trainer.default_root_dir)  # a collective: every rank
        if not trainer.is_global_zero:
            return
        from .evaluation import finish_run

        writer = getattr(trainer.logger, "experiment", None)
        vectors = pl_module.word_vectors(self.source)
        scores = finish_run(vectors, run_dir, writer=writer)
        if writer is not None:
            pl_module.write_projector(self.source)
        if trainer.logger is not None:
            val = trainer.callback_metrics.get("val/loss")
            metrics = {"hp/val_loss": float(val) if val is not None else math.nan, **scores}
            trainer.logger.log_hyperparams(pl_module.hparams, metrics, step=trainer.global_step)
        pl_module.vocab.save(run_dir / "vocab.tsv")
        ckpt = trainer.checkpoint_callback
        print(
            f"\nRun directory: {run_dir}\n"
            f"  embeddings:  {run_dir / 'embeddings.txt'}  (word2vec text, source {self.source})\n"
            f"  checkpoints: {ckpt.dirpath if ckpt else '-'}\n"
            f"  config:      {run_dir / 'config.yaml'}\n"
            f"  vocabulary:  {run_dir / 'vocab.tsv'}\n"
            f"TensorBoard:   tensorboard --logdir {Path(run_dir).parent}\n"
            f"Neighbours:    cbow-torch neighbors {run_dir / 'embeddings.txt'} king"
        )

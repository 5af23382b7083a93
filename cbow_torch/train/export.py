"""The end of a successful fit: the run directory filled with vectors, evaluation, plots and the
projector, from parameters that are finite and vectors that have not collapsed.

A collapse is the frequent words all pointing one way (a mean pairwise cosine above
COLLAPSE_COSINE) with no more difference between them than at the start of the fit: the export
refuses it. The cosine alone is not enough: from word2vec's init (W1 near zero, W2 zero) a short
run first grows one direction shared by every word (a cosine of 0.9995 after one epoch of
configs/word2vec.yaml on the bundled corpus) while the words' differences grow 24-fold (0.029 to
0.70 from their mean). Such vectors are written, with a one-line warning above SHARED_COSINE:
they are undertrained, and their neighbours mean little. A failed export keeps the run's
checkpoints, whose last.ckpt is the final state, for a look or an ``evaluate``; it writes no
embeddings.
"""

from __future__ import annotations

import gc
import math
import shlex
from pathlib import Path

import pytorch_lightning as pl
import torch

from ..checkpoint import write_source
from ..choices import Source
from .checkpoints import say
from .module import CBOWLightningModule, CBOWTrainingError

# The export refuses vectors whose frequent words all point one way (mean pairwise cosine),
# and warns about vectors whose frequent words mostly share one direction.
COLLAPSE_WORDS, COLLAPSE_COSINE, SHARED_COSINE = 200, 0.99, 0.95


class ExportEmbeddings(pl.Callback):
    """After a successful fit, fill the run directory: vectors, evaluation, plots, projector.

    ``embeddings.txt`` and ``vocab.tsv`` are always written; the rest can be left out, each
    taking about as long as the embeddings on a large vocabulary.

    Args:
        source: which matrix gives the vectors: ``"W1"``, ``"W2"`` or ``"average"``.
        enabled: set False to skip the export.
        evaluation: score the vectors into ``eval.json`` (and TensorBoard's hparams).
        pictures: draw the PCA pictures (``pca_*.png``, and as TensorBoard images).
        projector: write TensorBoard's projector of the frequent words.
    """

    def __init__(
        self,
        source: Source = "average",
        enabled: bool = True,
        evaluation: bool = True,
        pictures: bool = True,
        projector: bool = True,
    ) -> None:
        self.source, self.enabled = source, enabled
        self.evaluation, self.pictures, self.projector = evaluation, pictures, projector
        self.start_spread: float | None = None  # the top words' spread when this fit began

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        # The run's vectors: the tools read a checkpoint's vectors from this source by default.
        write_source(checkpoint, self.source)

    def on_train_start(self, trainer: pl.Trainer, pl_module: CBOWLightningModule) -> None:
        if self.enabled and trainer.is_global_zero and pl_module.vocab is not None:
            vectors = pl_module.word_vectors(self.source).vectors
            self.start_spread = spread(vectors, pl_module.vocab.counts, COLLAPSE_WORDS)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: CBOWLightningModule) -> None:
        if not self.enabled or trainer.fast_dev_run:
            return
        # The loss is checked only at logged steps on CUDA, and never after the last update.
        if not all(finite(p) for p in pl_module.parameters()):
            raise CBOWTrainingError(
                f"the parameters hold NaN or inf after step {trainer.global_step}: "
                "lower model.lr; no embeddings written"
            )
        run_dir = Path(trainer.log_dir or trainer.default_root_dir)  # a collective: every rank
        if not trainer.is_global_zero:
            return
        from ..vectors.evaluation import finish_run

        vectors = pl_module.word_vectors(self.source)
        counts = pl_module.vocab.counts
        cosine = mean_pairwise_cosine(vectors.vectors, counts, COLLAPSE_WORDS)
        now = spread(vectors.vectors, counts, COLLAPSE_WORDS)
        if cosine > COLLAPSE_COSINE and (self.start_spread is None or now <= self.start_spread):
            raise CBOWTrainingError(
                f"the vectors collapsed: the {COLLAPSE_WORDS} most frequent words have a mean "
                f"pairwise cosine of {cosine:.4f} after step {trainer.global_step}, and differ "
                f"no more than at the start ({now:.3g} from their mean, against "
                f"{self.start_spread or math.nan:.3g}): lower model.lr; no embeddings written "
                f"(the checkpoints stay in {run_dir / 'checkpoints'})"
            )
        if cosine > SHARED_COSINE:
            say(
                f"cbow-torch: warning: the {COLLAPSE_WORDS} most frequent words have a mean "
                f"pairwise cosine of {cosine:.3f}: the vectors share one direction and their "
                "neighbours mean little; train more epochs (trainer.max_epochs) or on more text"
            )
        writer = getattr(trainer.logger, "experiment", None)
        step = trainer.global_step
        # The objects alive now (torch, Lightning, the run's) are set aside from the collector
        # while the end of the run allocates: one full collection of them took 0.3 s here.
        gc.freeze()
        try:
            scores = finish_run(  # the projector from the vectors at hand, not built again
                vectors,
                run_dir,
                writer,
                step,
                evaluation=self.evaluation,
                pictures=self.pictures,
                projector=pl_module.hparams.projector_words if self.projector else 0,
            )
        finally:
            gc.unfreeze()
        if trainer.logger is not None:
            val = trainer.callback_metrics.get("val/loss")
            metrics = {"hp/val_loss": float(val) if val is not None else math.nan, **scores}
            trainer.logger.log_hyperparams(pl_module.hparams, metrics, step=trainer.global_step)
        pl_module.vocab.save(run_dir / "vocab.tsv")
        ckpt = trainer.checkpoint_callback
        word = example_word(pl_module.vocab.index_to_key, counts)
        embeddings = shlex.quote(str(run_dir / "embeddings.txt"))
        print(
            f"\nRun directory: {run_dir}\n"
            f"  embeddings:  {run_dir / 'embeddings.txt'}  (word2vec text, source {self.source})\n"
            f"  checkpoints: {ckpt.dirpath if ckpt else '-'}\n"
            f"  config:      {run_dir / 'config.yaml'}\n"
            f"  vocabulary:  {run_dir / 'vocab.tsv'}\n"
            + (
                f"TensorBoard:   tensorboard --logdir {shlex.quote(str(run_dir.parent))}\n"
                if writer
                else ""
            )
            + f"Neighbours:    cbow-torch neighbors {embeddings} {shlex.quote(word)}"
        )


def finite(p: torch.Tensor) -> bool:
    """Whether every value of ``p`` is finite, without a copy of it: a NaN or inf makes the sum
    NaN or inf (a finite sum too large for its dtype is checked a slice at a time)."""
    with torch.no_grad():
        return bool(torch.isfinite(p.sum())) or all(
            bool(torch.isfinite(part).all()) for part in p.flatten().split(1 << 20)
        )


def example_word(words: list[str], counts) -> str:
    """A word to look up in the run's own vocabulary: the most frequent of four letters or more
    (past the articles and prepositions), else the most frequent."""
    order = sorted(range(len(words)), key=lambda i: -counts[i])
    return next(
        (words[i] for i in order if len(words[i]) >= 4 and words[i].isalpha()), words[order[0]]
    )


def mean_pairwise_cosine(vectors: torch.Tensor, counts, top: int) -> float:
    """The mean cosine over the distinct pairs of the ``top`` most frequent words' vectors: near
    1 when they all point one way, as after a divergence; well below for trained vectors."""
    order = torch.argsort(torch.as_tensor(counts), descending=True, stable=True)[:top]  # [k]
    unit = torch.nn.functional.normalize(torch.as_tensor(vectors)[order].double(), dim=1)  # [k, N]
    k = unit.shape[0]
    if k < 2:
        return 0.0
    total = unit.sum(0)  # [N]
    # Σ_{i≠j} uᵢ·uⱼ = |Σ uᵢ|² − Σ |uᵢ|²
    return float((total @ total - (unit * unit).sum()) / (k * (k - 1)))


def spread(vectors: torch.Tensor, counts, top: int) -> float:
    """The mean distance of the ``top`` most frequent words' vectors from their mean vector."""
    order = torch.argsort(torch.as_tensor(counts), descending=True, stable=True)[:top]  # [k]
    chosen = torch.as_tensor(vectors)[order].double()  # [k, N]
    return float((chosen - chosen.mean(0)).norm(dim=1).mean())

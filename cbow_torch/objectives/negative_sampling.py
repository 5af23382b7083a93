"""word2vec's objective, negative sampling, with its two engines: autograd minibatch SGD and the
fused per-window CPU kernel."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from ..data.text import Vocabulary
from ..model import CBOWNegativeSampling
from ..optim import clip_sparse_gradients
from ..sampling import UnigramNoise
from .base import Objective


class NegativeSamplingObjective(Objective):
    """word2vec's CBOW with k noise words (:class:`~cbow_torch.model.CBOWNegativeSampling`):
    a step touches only the rows of its windows, so it costs O((2C + 1 + k)·N) per window
    whatever V is.

    Two engines train it (``model.engine``):

    - ``autograd``: exact minibatch SGD on window batches: the hand-written
      ``NegativeSamplingFunction``, sparse row gradients, ``torch.optim.SGD``. CPU, CUDA and DDP.
    - ``fused``: word2vec's own loop, one numba kernel (``functional.fused.train_chunk``) over a
      chunk of documents a step: subsampling, shrunk windows, noise and each window's SGD step
      ``W ← W − α∇J_window`` in place, Hogwild over ``threads.count`` threads. CPU only; under
      DDP every rank trains its own chunks and the parameters are averaged every
      ``model.sync_every`` steps and at each epoch end.
    - ``auto`` (the default): ``fused`` on the CPU, ``autograd`` on a GPU.

    ``model.lr`` is α for the engine's own cost: the batch mean J for ``autograd`` (so α per
    window is lr/m), one window's J for ``fused``.
    """

    name = "negative"
    input_key, input_transposed, output_key = "input_vectors.weight", False, "output_vectors.weight"
    engines = ("auto", "fused", "autograd")

    def __init__(self, hparams) -> None:
        super().__init__(hparams)
        self.generator: torch.Generator | None = None  # the training noise (autograd engine)
        self._generator_state: torch.Tensor | None = None  # from a checkpoint, until start
        self.validation_generator: torch.Generator | None = None
        self.engine = hparams.engine  # "auto" until resolve_engine
        self.rank, self.world = 0, 1

    # ---- set-up ---------------------------------------------------------------------------

    def resolve_engine(self, device: torch.device) -> None:
        """``auto`` becomes ``fused`` on the CPU and ``autograd`` elsewhere."""
        if self.engine == "auto":
            self.engine = "fused" if device.type == "cpu" else "autograd"
        elif self.engine == "fused" and device.type != "cpu":
            raise ValueError(
                f"model.engine fused runs on the CPU, not on {device.type}: use model.engine "
                "autograd (or auto) with a GPU accelerator"
            )
        self.automatic_optimization = self.engine == "autograd"
        self.trains_on_chunks = self.engine == "fused"

    def build(self, vocab: Vocabulary) -> CBOWNegativeSampling:
        hp = self.hparams
        args = len(vocab), hp.embedding_dim, hp.init, hp.seed
        self.model = CBOWNegativeSampling(*args, negatives=hp.negatives)
        return self.model

    def start(self, vocab: Vocabulary, device: torch.device, rank: int) -> None:
        """The noise distribution from the vocabulary's counts, and one generator per rank on
        the training device (its state travels in checkpoints, so a resume draws the same)."""
        if self.model.noise is None:
            self.model.set_noise(UnigramNoise(vocab.counts, device=device))
        self.rank = rank
        self.world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        self.generator = torch.Generator(device).manual_seed(self.hparams.seed * 1000 + rank)
        if self._generator_state is not None:
            self.generator.set_state(self._generator_state)
            self._generator_state = None

    # ---- the cost -------------------------------------------------------------------------

    def loss(self, batch, validation: bool = False) -> torch.Tensor:
        context, center = batch
        gen = self.validation_generator if validation else self.generator
        return self.model.loss(context, center, gen)

    def on_validation_start(self) -> None:
        # The same noise words at every validation: val/loss compares across epochs.
        device = self.model.noise.device
        self.validation_generator = torch.Generator(device).manual_seed(self.hparams.seed)

    # ---- the autograd engine --------------------------------------------------------------

    def clip_gradients(self, module, optimizer, clip_val, algorithm) -> None:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        clip_sparse_gradients(params, clip_val, algorithm or "norm")

    # ---- the fused engine -----------------------------------------------------------------

    def training_step(self, module, batch):
        if self.engine == "autograd":
            return self.loss(batch)
        return self.fused_step(module, batch)

    def words(self, batch) -> int:
        return batch.words if self.trains_on_chunks else int(batch[1].shape[0])

    def fused_step(self, module, chunk) -> torch.Tensor:
        """One chunk of documents through the kernel: α goes from this step's to the next's."""
        from ..functional.fused import set_threads, train_chunk

        if module.trainer.gradient_clip_val:
            raise ValueError(
                "trainer.gradient_clip_val does not apply to model.engine fused (each window's "
                "step is applied as it is computed): drop it, or use model.engine autograd"
            )
        optimizer, scheduler = module.optimizers(), module.lr_schedulers()
        lr_start = optimizer.param_groups[0]["lr"]
        # No gradient to apply (the kernel is the update): the step counts it for Lightning
        # (global_step, and so max_steps, logging and checkpoint intervals).
        optimizer.step()
        scheduler.step()
        lr_end = optimizer.param_groups[0]["lr"]
        threads = torch.get_num_threads()  # threads.count and the fair share set it
        set_threads(threads)
        seed = np.random.SeedSequence([self.hparams.seed, self.rank, chunk.epoch, chunk.index])
        loss, words, windows = train_chunk(
            self.model.input_vectors.weight.detach(),
            self.model.output_vectors.weight.detach(),
            chunk.ids,
            chunk.spans,
            chunk.lo,
            chunk.hi,
            chunk.keep,
            self.model.noise.prob.numpy(),  # [V] float32, the alias table's
            self.model.noise.alias.numpy(),  # [V] int64
            chunk.window,
            self.hparams.negatives,
            lr_start,
            lr_end,
            int(seed.generate_state(1, np.uint64)[0]),
            threads,
            self.hparams.input_step == "mean",
        )
        chunk.words = words  # the progress bar's and words/s's count
        return torch.tensor(loss / max(windows, 1), dtype=torch.float64)  # [] mean window J

    def on_train_batch_end(self, module) -> None:
        if self.trains_on_chunks and (module.global_step % self.hparams.sync_every == 0):
            self.average_over_ranks()

    def on_train_epoch_end(self, module) -> None:
        if self.trains_on_chunks:
            self.average_over_ranks()

    @torch.no_grad()
    def average_over_ranks(self) -> None:
        """DDP with the fused engine: every rank trained its own chunks; all take the mean."""
        if self.world == 1:
            return
        for p in self.model.parameters():
            dist.all_reduce(p.data)  # [V, N] summed over ranks
            p.data.div_(self.world)  # [V, N] their mean

    # ---- checkpoints ----------------------------------------------------------------------

    def state_dict(self) -> dict:
        return {} if self.generator is None else {"noise_rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self._generator_state = state.get("noise_rng")

"""word2vec's objective, negative sampling, with its two engines: autograd minibatch SGD and the
fused per-window CPU kernel."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from ..choices import Engine, InputStep, check_choice
from ..data.text import Vocabulary
from ..inputs import Input
from ..model import CBOWNegativeSampling
from ..sampling import UnigramNoise
from .base import Objective


class NegativeSampling(Objective):
    """word2vec's CBOW with k noise words (:class:`~cbow_torch.model.CBOWNegativeSampling`):
    a step touches only the rows of its windows, so it costs O((2C + 1 + k)·N) per window
    whatever V is.

    Two engines train it:

    - ``autograd``: exact minibatch SGD on window batches: the hand-written
      ``NegativeSamplingFunction``, sparse row gradients, ``torch.optim.SGD``. CPU, CUDA and DDP.
    - ``fused``: word2vec's own loop, one numba kernel (``functional.fused.train_chunk``) over a
      chunk of documents a step: subsampling, shrunk windows, noise and each window's SGD step
      ``W ← W − α∇J_window`` in place, Hogwild over ``threads.count`` threads. CPU only; under
      DDP every rank trains its own chunks and the parameters are averaged every
      ``sync_every`` steps and at each epoch end.
    - ``auto``: ``fused`` on the CPU, ``autograd`` on a GPU.

    ``model.lr`` is α for the engine's own cost: the batch mean J for ``autograd`` (so α per
    window is lr/m), one window's J for ``fused``.

    Args:
        negatives: k, the noise words per window (word2vec: 5).
        engine: ``"auto"``, ``"fused"`` or ``"autograd"``.
        input_step: the fused engine's step for each context word: ``"mean"``, the true gradient
            of the context mean (∂J/∂h / count); ``"sum"``, word2vec's undivided ∂J/∂h (no
            gradient of J, so the autograd engine refuses it).
        sync_every: the fused engine under DDP: average the ranks' parameters every this many
            steps.
    """

    input_key, input_transposed, output_key = "input_vectors.weight", False, "output_vectors.weight"
    sparse_gradients = True

    def __init__(
        self,
        negatives: int = 5,
        engine: Engine = "auto",
        input_step: InputStep = "mean",
        sync_every: int = 8,
    ) -> None:
        super().__init__()
        if negatives < 1:
            raise ValueError(
                f"model.objective.negatives must be >= 1 (noise words a window), got {negatives}"
            )
        if sync_every < 1:
            raise ValueError(f"model.objective.sync_every must be >= 1, got {sync_every}")
        check_choice("model.objective.engine", engine, Engine)
        check_choice("model.objective.input_step", input_step, InputStep)
        self.negatives, self.engine = negatives, engine
        self.input_step, self.sync_every = input_step, sync_every
        self.trainer_engine = engine  # "auto" until prepare
        self.generator: torch.Generator | None = None  # the training noise (autograd engine)
        self._generator_state: torch.Tensor | None = None  # from a checkpoint, until start
        self.validation_generator: torch.Generator | None = None
        self.seed, self.rank, self.world = 0, 0, 1

    # ---- set-up ---------------------------------------------------------------------------

    def prepare(self, device: torch.device, gradient_clip_val: float | None) -> None:
        """``auto`` becomes ``fused`` on the CPU and ``autograd`` elsewhere; combinations that
        cannot train are refused."""
        engine = self.engine
        if engine == "auto":
            engine = "fused" if device.type == "cpu" else "autograd"
        elif engine == "fused" and device.type != "cpu":
            raise ValueError(
                f"model.objective.engine fused runs on the CPU, not on {device.type}: use "
                "engine autograd (or auto) with a GPU accelerator"
            )
        if engine == "fused" and gradient_clip_val:
            raise ValueError(
                "trainer.gradient_clip_val does not apply to the fused engine (each window's "
                "step is applied as it is computed): drop it, or use model.objective.engine "
                "autograd"
            )
        if engine == "autograd" and self.input_step == "sum":
            raise ValueError(
                "model.objective.input_step sum is the fused engine's word2vec step, not a "
                "gradient, and the autograd engine applies gradients: set input_step mean, or "
                "train with engine fused (the CPU)"
            )
        self.trainer_engine = engine
        self.automatic_optimization = engine == "autograd"
        self.trains_on_chunks = engine == "fused"

    def build(
        self, vocab: Vocabulary, input: Input, embedding_dim: int, init: str, seed: int
    ) -> CBOWNegativeSampling:
        self.input, self.seed = input, seed
        self.model = CBOWNegativeSampling(
            len(vocab),
            embedding_dim,
            init,
            seed,
            negatives=self.negatives,
            input_size=input.columns(len(vocab)),
        )
        return self.model

    def start(self, vocab: Vocabulary, device: torch.device, rank: int, world: int) -> None:
        """The noise distribution from the vocabulary's counts, and one generator per rank on
        the training device (its state travels in checkpoints, so a resume draws the same)."""
        if self.model.noise is None:
            self.model.set_noise(UnigramNoise(vocab.counts, device=device))
        self.rank, self.world = rank, world
        self.generator = torch.Generator(device).manual_seed(self.seed * 1000 + rank)
        if self._generator_state is not None:
            self.generator.set_state(self._generator_state)
            self._generator_state = None

    # ---- the cost and the autograd engine -------------------------------------------------

    def loss(self, batch, validation: bool = False) -> torch.Tensor:
        context, center = batch
        columns, weights = self.input.batch(context, self.model.W2.dtype)  # [m, L], [m, L]
        gen = self.validation_generator if validation else self.generator
        return self.model.loss(columns, center, gen, weights)

    def start_validation(self) -> None:
        # The same noise words at every validation: val/loss compares across epochs.
        device = self.model.noise.device
        self.validation_generator = torch.Generator(device).manual_seed(self.seed)

    # ---- the fused engine -----------------------------------------------------------------

    def words(self, batch) -> int:
        return batch.words if self.trains_on_chunks else int(batch[1].shape[0])

    def step(self, chunk, lr_start: float, lr_end: float, threads: int) -> torch.Tensor:
        """One chunk of documents through the kernel, α from ``lr_start`` to ``lr_end``."""
        from ..functional.fused import set_threads, train_chunk

        set_threads(threads)
        seed = np.random.SeedSequence([self.seed, self.rank, chunk.epoch, chunk.index])
        bags = self.input.bags or (None, None)  # CSR (offsets [V + 1], ids) or none
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
            self.negatives,
            lr_start,
            lr_end,
            int(seed.generate_state(1, np.uint64)[0]),
            threads,
            self.input_step == "mean",
            *(() if bags[0] is None else bags),
        )
        chunk.words = words  # the progress bar's and words/s's count
        return torch.tensor(loss / max(windows, 1), dtype=torch.float64)  # [] mean window J

    def after_step(self, step: int) -> None:
        if self.trains_on_chunks and step % self.sync_every == 0:
            self.average_over_ranks()

    def after_epoch(self) -> None:
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

"""CBOW as an nn.Module: the course's parameters W1, b1, W2, b2 and their initialisations."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .functional import (
    LogitsPool,
    cbow_logits,
    cbow_loss,
    cbow_negative_sampling_loss,
    check_hidden,
)

INITS = ("normal", "word2vec", "course")
SOURCES = ("W1", "W2", "average")


class CBOW(nn.Module):
    """h = ReLU(W1 x̄ + b1) (or W1 x̄ + b1), z = W2 h + b2, ŷ = softmax(z), J = mean cross-entropy.

    Args:
        vocab_size: V.
        embedding_dim: N.
        init: ``"normal"`` (the default): W1 and W2 drawn from N(0, 1/N), biases zero; of the
            three it reached the lowest held-out loss (README, "Initialisation").
            ``"word2vec"``: W1 uniform on ±0.5/N, the rest zero, as word2vec starts.
            ``"course"``: the course's numpy draw, uniform on [0, 1), bit for bit (exact in
            float64).
        seed: seeds the initialisation.
        grad_mode: ``"exact"`` (the true gradient) or ``"lecture"`` (the slide's ReLU(L1);
            ``hidden="relu"`` only).
        hidden: ``"relu"``, the course's h = ReLU(W1 x̄ + b1), or ``"linear"``, word2vec's plain
            mean h = W1 x̄ + b1.
        dtype: parameter dtype; defaults to ``torch.get_default_dtype()``.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        init: str = "normal",
        seed: int = 282,
        grad_mode: str = "exact",
        dtype: torch.dtype | None = None,
        hidden: str = "relu",
    ) -> None:
        super().__init__()
        if vocab_size < 1 or embedding_dim < 1:
            raise ValueError(
                f"vocab_size and embedding_dim must be >= 1, got {vocab_size}, {embedding_dim}"
            )
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        check_hidden(hidden, grad_mode)
        self.vocab_size, self.embedding_dim, self.grad_mode = vocab_size, embedding_dim, grad_mode
        self.hidden = hidden
        V, N = vocab_size, embedding_dim
        W1, W2, b1, b2 = _initial_values(init, V, N, seed)  # float64: [N, V], [V, N], [N], [V]
        dtype = dtype or torch.get_default_dtype()
        # W1 is [N, V] as in the course, but stored as the transpose of a contiguous [V, N]
        # so that gathering a word's column reads contiguous memory.
        self.W1 = nn.Parameter(W1.t().contiguous().t().to(dtype))  # [N, V], strides (1, N)
        self.b1 = nn.Parameter(b1.to(dtype))  # [N]
        self.W2 = nn.Parameter(W2.to(dtype))  # [V, N]
        self.b2 = nn.Parameter(b2.to(dtype))  # [V]
        self.pool = LogitsPool()  # this model's recycled m×V buffer (CPU)

    def forward(self, context: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
        """J for a batch: context [m, 2C], center [m] -> scalar."""
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        return cbow_loss(context, center, W1, b1, W2, b2, self.grad_mode, self.pool, self.hidden)

    def logits(self, context: torch.Tensor) -> torch.Tensor:
        """Scores for the centre word: context [m, 2C] -> [m, V]."""
        return cbow_logits(context, self.W1, self.b1, self.W2, self.b2, self.hidden)

    def embeddings(self, source: str = "average") -> torch.Tensor:
        """Word j's vector in row j [V, N]: column j of W1, row j of W2, or their average."""
        return embeddings(self.W1.detach(), self.W2.detach(), source)  # [V, N]

    def extra_repr(self) -> str:
        return (
            f"V={self.vocab_size}, N={self.embedding_dim}, hidden={self.hidden!r}, "
            f"grad_mode={self.grad_mode!r}"
        )


class CBOWNegativeSampling(nn.Module):
    """word2vec's CBOW: h = mean of the context's input vectors, scored against the centre's
    output vector and k noise words' (negative sampling). No ReLU, no biases.

    The parameters are W1 [N, V] and W2 [V, N], as in ``CBOW``, held as the weights [V, N] of
    two ``nn.Embedding`` (``sparse=True``): ``input_vectors`` is W1ᵀ (row j is word j's input
    vector, word2vec's syn0) and ``output_vectors`` is W2 (syn1neg). A step's gradient is then a
    set of rows that ``torch.optim.SGD`` applies without a V×N temporary, and that
    DistributedDataParallel, which recognises sparse ``nn.Embedding``, all-reduces as rows.
    The Embeddings only hold the weights: the cost and its backward are
    ``cbow_negative_sampling_loss``.

    Args:
        vocab_size: V.
        embedding_dim: N.
        init: as for ``CBOW``; ``"word2vec"`` (the default here) starts W2 at zero, as
            word2vec does.
        seed: seeds the initialisation.
        sparse: sparse gradients (only the batch's rows); False gives dense [V, N] ones.
        dtype: parameter dtype; defaults to ``torch.get_default_dtype()``.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        init: str = "word2vec",
        seed: int = 282,
        sparse: bool = True,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if vocab_size < 2 or embedding_dim < 1:
            raise ValueError(
                "negative sampling needs vocab_size >= 2 (a noise word besides the centre) and "
                f"embedding_dim >= 1, got {vocab_size}, {embedding_dim}"
            )
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.vocab_size, self.embedding_dim, self.sparse = vocab_size, embedding_dim, sparse
        W1T, W2 = _rows_init(init, vocab_size, embedding_dim, seed, dtype)  # [V, N], [V, N]
        self.input_vectors = nn.Embedding.from_pretrained(W1T, freeze=False, sparse=sparse)
        self.output_vectors = nn.Embedding.from_pretrained(W2, freeze=False, sparse=sparse)

    @property
    def W1(self) -> torch.Tensor:
        """W1 [N, V], the course's layout: a view of ``input_vectors.weight``."""
        return self.input_vectors.weight.t()  # [N, V]

    @property
    def W2(self) -> torch.Tensor:
        """W2 [V, N]: ``output_vectors.weight``."""
        return self.output_vectors.weight  # [V, N]

    def forward(
        self, context: torch.Tensor, center: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """J for a batch: context [m, 2C], center [m], negatives [m, k] -> scalar."""
        return cbow_negative_sampling_loss(
            context, center, negatives, self.W1, self.W2, sparse=self.sparse
        )

    def embeddings(self, source: str = "average") -> torch.Tensor:
        """Word j's vector in row j [V, N]: column j of W1 (word2vec's vectors), row j of W2,
        or their average."""
        return embeddings(self.W1.detach(), self.W2.detach(), source)  # [V, N]

    def extra_repr(self) -> str:
        return f"V={self.vocab_size}, N={self.embedding_dim}, sparse={self.sparse}"


def embeddings(W1: torch.Tensor, W2: torch.Tensor, source: str = "average") -> torch.Tensor:
    """The course's three sources of word vectors from W1 [N, V] and W2 [V, N], as [V, N]."""
    if source == "W1":
        return W1.t()  # [V, N]
    if source == "W2":
        return W2  # [V, N]
    if source == "average":
        return (W1.t() + W2) / 2  # [V, N], (W1ᵀ + W2) / 2
    raise ValueError(f"source must be one of {SOURCES}, got {source!r}")


def _rows_init(
    init: str, V: int, N: int, seed: int, dtype: torch.dtype | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(W1ᵀ, W2), both [V, N], drawn straight in ``dtype``: at V = 10⁶, N = 300 a float64
    draw would hold twice the model before training starts. ``"course"`` is drawn as for
    ``CBOW`` (float64, then cast)."""
    dtype = dtype or torch.get_default_dtype()
    if init == "course":
        W1, W2, _, _ = _initial_values(init, V, N, seed)  # [N, V], [V, N] float64
        return W1.t().contiguous().to(dtype), W2.to(dtype)
    gen = torch.Generator().manual_seed(seed)
    if init == "normal":  # N(0, 1/N)
        W1T = torch.randn(V, N, dtype=dtype, generator=gen).div_(N**0.5)  # [V, N]
        return W1T, torch.randn(V, N, dtype=dtype, generator=gen).div_(N**0.5)  # [V, N]
    # word2vec: input vectors uniform on ±0.5/N, output vectors zero.
    W1T = torch.rand(V, N, dtype=dtype, generator=gen).sub_(0.5).div_(N)  # [V, N]
    return W1T, torch.zeros(V, N, dtype=dtype)


def _initial_values(init: str, V: int, N: int, seed: int) -> tuple[torch.Tensor, ...]:
    """(W1, W2, b1, b2) in float64."""
    if init == "course":
        # The course's numpy draw, in its order: W1, W2, b1, b2 (see reference.initialize_model).
        rng = np.random.RandomState(seed)
        W1, W2 = rng.rand(N, V), rng.rand(V, N)  # [N, V], [V, N]
        b1, b2 = rng.rand(N, 1)[:, 0], rng.rand(V, 1)[:, 0]  # [N], [V]
        return tuple(torch.from_numpy(a) for a in (W1, W2, b1, b2))
    gen = torch.Generator().manual_seed(seed)
    zeros = torch.zeros(N, dtype=torch.float64), torch.zeros(V, dtype=torch.float64)  # [N], [V]
    if init == "normal":
        # Both layers N(0, 1/N): unit-scale pre-activations, and W1 learns from the first step.
        W1 = torch.randn(N, V, dtype=torch.float64, generator=gen) / N**0.5  # [N, V]
        W2 = torch.randn(V, N, dtype=torch.float64, generator=gen) / N**0.5  # [V, N]
        return W1, W2, *zeros
    # word2vec: input vectors uniform on ±0.5/N, output layer at zero.
    W1 = (torch.rand(N, V, dtype=torch.float64, generator=gen) - 0.5) / N  # [N, V]
    return W1, torch.zeros(V, N, dtype=torch.float64), *zeros

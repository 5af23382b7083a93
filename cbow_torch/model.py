"""The two CBOW nn.Modules and their one initialisation.

``CBOW`` is the course's softmax model (W1, b1, W2, b2); ``CBOWNegativeSampling`` is
word2vec's (input and output vectors, and its noise words); ``initial_parameters`` draws both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .choices import GradMode, Hidden, Init, Source, check_choice
from .functional import (
    LogitsPool,
    cbow_logits,
    cbow_loss,
    cbow_negative_sampling_loss_rows,
    check_hidden,
)
from .sampling import UnigramNoise


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
        input_size: W1's columns (default V): more than V when the input has columns besides
            the words' own (subword buckets, ``cbow_torch.inputs``).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        init: Init = "normal",
        seed: int = 282,
        grad_mode: GradMode = "exact",
        dtype: torch.dtype | None = None,
        hidden: Hidden = "relu",
        input_size: int | None = None,
    ) -> None:
        super().__init__()
        if vocab_size < 1 or embedding_dim < 1:
            raise ValueError(
                f"vocab_size and embedding_dim must be >= 1, got {vocab_size}, {embedding_dim}"
            )
        check_choice("init", init, Init)
        check_hidden(hidden, grad_mode)
        self.vocab_size, self.embedding_dim, self.grad_mode = vocab_size, embedding_dim, grad_mode
        self.hidden = hidden
        self.input_size = _input_size(input_size, vocab_size)
        W1T, W2, b1, b2 = initial_parameters(
            init, vocab_size, embedding_dim, seed, dtype, input_size=self.input_size
        )
        # W1 is [N, V] as in the course, but stored as the transpose of a contiguous [V, N]
        # so that gathering a word's column reads contiguous memory.
        self.W1 = nn.Parameter(W1T.t())  # [N, V_in], strides (1, N)
        self.b1 = nn.Parameter(b1)  # [N]
        self.W2 = nn.Parameter(W2)  # [V, N]
        self.b2 = nn.Parameter(b2)  # [V]
        self.pool = LogitsPool()  # this model's recycled m×V buffer (CPU)

    def forward(
        self,
        context: torch.Tensor,
        center: torch.Tensor,
        context_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """J for a batch: context [m, L] W1 columns (2C words), center [m] -> scalar;
        ``context_weights`` [m, L] (rows summing to 1) or None (1/L each)."""
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        return cbow_loss(
            context, center, W1, b1, W2, b2, self.grad_mode, context_weights,
            pool=self.pool, hidden=self.hidden,
        )  # fmt: skip

    def logits(self, context: torch.Tensor) -> torch.Tensor:
        """Scores for the centre word: context [m, 2C] -> [m, V]."""
        return cbow_logits(context, self.W1, self.b1, self.W2, self.b2, self.hidden)

    def embeddings(self, source: Source = "average") -> torch.Tensor:
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
    set of rows that ``torch.optim.SGD`` applies without a V×N temporary, and that DDP
    all-reduces as rows. The cost and its backward are ``cbow_negative_sampling_loss_rows``.
    ``forward`` takes the noise words; ``loss`` draws them from ``noise`` (``set_noise``).

    Args:
        vocab_size: V.
        embedding_dim: N.
        init: as for ``CBOW``; ``"word2vec"`` (the default here) starts W2 at zero.
        seed: seeds the initialisation.
        sparse: sparse gradients (only the batch's rows); False gives dense [V, N] ones.
        dtype: parameter dtype; defaults to ``torch.get_default_dtype()``.
        negatives: k, the noise words per example that ``loss`` draws (word2vec: 5).
        noise: the noise words' distribution over the V words, for ``loss``; None until
            ``set_noise`` gives it.
        input_size: the input vectors' rows (default V): more than V when the input has rows
            besides the words' own (subword buckets, ``cbow_torch.inputs``).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        init: Init = "word2vec",
        seed: int = 282,
        sparse: bool = True,
        dtype: torch.dtype | None = None,
        negatives: int = 5,
        noise: UnigramNoise | None = None,
        input_size: int | None = None,
    ) -> None:
        super().__init__()
        if vocab_size < 2 or embedding_dim < 1:
            raise ValueError(
                "negative sampling needs vocab_size >= 2 (a noise word besides the centre) and "
                f"embedding_dim >= 1, got {vocab_size}, {embedding_dim}"
            )
        if negatives < 1:
            raise ValueError(f"negatives must be >= 1 (noise words per example), got {negatives}")
        check_choice("init", init, Init)
        self.vocab_size, self.embedding_dim, self.sparse = vocab_size, embedding_dim, sparse
        self.negatives = negatives
        self.input_size = _input_size(input_size, vocab_size)
        W1T, W2, _, _ = initial_parameters(
            init, vocab_size, embedding_dim, seed, dtype, biases=False, input_size=self.input_size
        )  # [V_in, N], [V, N]
        self.input_vectors = nn.Embedding.from_pretrained(W1T, freeze=False, sparse=sparse)
        self.output_vectors = nn.Embedding.from_pretrained(W2, freeze=False, sparse=sparse)
        self.noise: UnigramNoise | None = None
        if noise is not None:
            self.set_noise(noise)

    @property
    def W1(self) -> torch.Tensor:
        """W1 [N, V], the course's layout: a view of ``input_vectors.weight``."""
        return self.input_vectors.weight.t()  # [N, V]

    @property
    def W2(self) -> torch.Tensor:
        """W2 [V, N]: ``output_vectors.weight``."""
        return self.output_vectors.weight  # [V, N]

    def set_noise(self, noise: UnigramNoise | Sequence[int] | np.ndarray) -> None:
        """The distribution ``loss`` draws noise words from: a ``UnigramNoise``, or the corpus
        counts [V] of the vocabulary's words (word2vec's count^0.75, on W2's device)."""
        if not isinstance(noise, UnigramNoise):
            noise = UnigramNoise(noise, device=self.W2.device)
        if noise.vocab_size != self.vocab_size:
            raise ValueError(
                f"the noise distribution has {noise.vocab_size} words but the model "
                f"{self.vocab_size}: give the counts of the vocabulary the model was built for"
            )
        self.noise = noise

    def forward(
        self,
        context: torch.Tensor,
        center: torch.Tensor,
        negatives: torch.Tensor,
        context_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """J for a batch: context [m, L] input rows (2C words), center [m], negatives [m, k]
        -> scalar; ``context_weights`` [m, L] (rows summing to 1) or None (1/L each)."""
        W1T, W2 = self.input_vectors.weight, self.output_vectors.weight  # [V_in, N], [V, N]
        return cbow_negative_sampling_loss_rows(
            context, center, negatives, W1T, W2, self.sparse, context_weights
        )

    def loss(
        self,
        context: torch.Tensor,
        center: torch.Tensor,
        generator: torch.Generator | None = None,
        context_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """J for a batch, with ``negatives`` noise words per example drawn from ``noise`` with
        ``generator`` (on W2's device): context [m, L], center [m] -> scalar."""
        if self.noise is None:
            raise ValueError(
                "CBOWNegativeSampling.loss needs a noise distribution: call "
                "set_noise(counts) first, or pass the noise words to forward"
            )
        if self.noise.device != self.W2.device:  # the model moved since set_noise
            self.noise.to(self.W2.device)
        negatives = self.noise.sample((center.shape[0], self.negatives), generator)  # [m, k]
        return self(context, center, negatives, context_weights)

    def embeddings(self, source: Source = "average") -> torch.Tensor:
        """Word j's vector in row j [V, N]: column j of W1 (word2vec's vectors), row j of W2,
        or their average."""
        return embeddings(self.W1.detach(), self.W2.detach(), source)  # [V, N]

    def extra_repr(self) -> str:
        return (
            f"V={self.vocab_size}, N={self.embedding_dim}, negatives={self.negatives}, "
            f"sparse={self.sparse}"
        )


def embeddings(W1: torch.Tensor, W2: torch.Tensor, source: Source = "average") -> torch.Tensor:
    """The course's three sources of word vectors from W1 [N, V_in] and W2 [V, N], as [V, N]:
    the words' own columns of W1 (a subword input composes them: ``Input.vectors``)."""
    check_choice("source", source, Source)
    W1T = W1.t()[: W2.shape[0]]  # [V, N]
    if source == "W1":
        return W1T  # [V, N]
    if source == "W2":
        return W2  # [V, N]
    return (W1T + W2) / 2  # [V, N], (W1ᵀ + W2) / 2


def _input_size(input_size: int | None, V: int) -> int:
    if input_size is not None and input_size < V:
        raise ValueError(
            f"input_size must be >= vocab_size {V} (a column a word), got {input_size}"
        )
    return V if input_size is None else input_size


def initial_parameters(
    init: Init,
    V: int,
    N: int,
    seed: int,
    dtype: torch.dtype | None = None,
    biases: bool = True,
    input_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(W1ᵀ [V_in, N] contiguous, W2 [V, N], b1 [N], b2 [V]) in ``dtype`` (default: torch's),
    the biases None without ``biases``; ``seed`` alone decides the draw. V_in is
    ``input_size`` (default V): W1's columns.

    - ``"normal"``: W1 and W2 from N(0, 1/N), biases zero: unit-scale pre-activations, and W1
      learns from the first step.
    - ``"word2vec"``: W1 uniform on ±0.5/N, the rest zero, as word2vec starts.
    - ``"course"``: the course's numpy draw, uniform on [0, 1): W1 [N, V], W2, b1, b2 in that
      order, in float64 (see ``reference.initialize_model``), then cast: bit for bit in float64.

    The other two are drawn straight in ``dtype``, as rows: at V = 10⁶, N = 300 a float64 draw
    would hold twice a float32 model before training starts.
    """
    check_choice("init", init, Init)
    dtype = dtype or torch.get_default_dtype()
    V_in = _input_size(input_size, V)
    b1 = b2 = None
    if init == "course":
        rng = np.random.RandomState(seed)
        W1 = torch.from_numpy(rng.rand(N, V_in))  # [N, V_in] float64
        W1T = torch.empty(V_in, N, dtype=dtype).copy_(W1.t())  # [V_in, N], one copy, in dtype
        del W1
        W2 = torch.from_numpy(rng.rand(V, N)).to(dtype)  # [V, N]
        if biases:
            b1 = torch.from_numpy(rng.rand(N, 1)[:, 0]).to(dtype)  # [N]
            b2 = torch.from_numpy(rng.rand(V, 1)[:, 0]).to(dtype)  # [V]
        return W1T, W2, b1, b2
    gen = torch.Generator().manual_seed(seed)
    if init == "normal":
        W1T = torch.randn(V_in, N, dtype=dtype, generator=gen).div_(N**0.5)  # [V_in, N]
        W2 = torch.randn(V, N, dtype=dtype, generator=gen).div_(N**0.5)  # [V, N]
    else:  # "word2vec": input vectors uniform on ±0.5/N, output vectors zero
        W1T = torch.rand(V_in, N, dtype=dtype, generator=gen).sub_(0.5).div_(N)  # [V_in, N]
        W2 = torch.zeros(V, N, dtype=dtype)  # [V, N]
    if biases:
        b1, b2 = torch.zeros(N, dtype=dtype), torch.zeros(V, dtype=dtype)  # [N], [V]
    return W1T, W2, b1, b2

"""The course's objective: the full softmax over V words, trained by minibatch SGD."""

from __future__ import annotations

import warnings

import torch

from ..choices import GradMode, Hidden
from ..data.suggest import SLOW_EPOCH_SECONDS, duration, softmax_epoch_seconds
from ..data.text import Vocabulary
from ..functional import check_hidden
from ..inputs import Input
from ..model import CBOW
from .base import Objective


class Softmax(Objective):
    """The course's CBOW (:class:`~cbow_torch.model.CBOW`): cross-entropy of the softmax over
    all V words, its five backprop formulas by hand, plain SGD on dense gradients. A step costs
    O(m·V·N), so it suits the course's corpus and small vocabularies.

    Args:
        grad_mode: ``"exact"`` (the true gradient) or ``"lecture"`` (the slide's ReLU(L1), not
            the gradient of J; ``hidden="relu"`` only).
        hidden: ``"relu"``, the course's h = ReLU(W1 x̄ + b1), or ``"linear"``, word2vec's
            plain mean h = W1 x̄ + b1.
    """

    input_key, input_transposed, output_key = "W1", True, "W2"

    def __init__(self, grad_mode: GradMode = "exact", hidden: Hidden = "relu") -> None:
        super().__init__()
        check_hidden(hidden, grad_mode, prefix="model.objective.")
        self.grad_mode, self.hidden = grad_mode, hidden

    def build(
        self, vocab: Vocabulary, input: Input, embedding_dim: int, init: str, seed: int
    ) -> CBOW:
        epoch = softmax_epoch_seconds(sum(vocab.counts), len(vocab), embedding_dim)
        if epoch > SLOW_EPOCH_SECONDS:  # the estimate cbow-torch prepare prints too
            warnings.warn(
                f"the softmax costs O(V·N) a word: with V = {len(vocab):,} and N = "
                f"{embedding_dim} an epoch of this corpus takes about {duration(epoch)} on a "
                "2-core CPU; negative sampling (--config word2vec) costs O(k·N) a word",
                stacklevel=2,
            )
        self.input = input
        self.model = CBOW(
            len(vocab),
            embedding_dim,
            init,
            seed,
            self.grad_mode,
            hidden=self.hidden,
            input_size=input.columns(len(vocab)),
        )
        return self.model

    def loss(self, batch, validation: bool = False) -> torch.Tensor:
        context, center = batch
        columns, weights = self.input.batch(context, self.model.W2.dtype)  # [m, L], [m, L]
        return self.model(columns, center, weights)

    def validation_metrics(self, loss: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"val/perplexity": torch.exp(loss)}  # exp(J): a perplexity for the softmax only

"""The course's objective: the full softmax over V words, trained by minibatch SGD."""

from __future__ import annotations

import warnings

import torch

from ..data.suggest import SLOW_EPOCH_SECONDS, duration, softmax_epoch_seconds
from ..data.text import Vocabulary
from ..model import CBOW
from .base import Objective


class SoftmaxObjective(Objective):
    """The course's CBOW (:class:`~cbow_torch.model.CBOW`): cross-entropy of the softmax over
    all V words, its five backprop formulas by hand, plain SGD on dense gradients. A step costs
    O(m·V·N), so it suits the course's corpus and small vocabularies.

    Reads ``embedding_dim``, ``init``, ``seed``, ``grad_mode`` and ``hidden`` from the
    module's hyper-parameters.
    """

    name = "softmax"
    input_key, input_transposed, output_key = "W1", True, "W2"

    def build(self, vocab: Vocabulary) -> CBOW:
        hp = self.hparams
        epoch = softmax_epoch_seconds(sum(vocab.counts), len(vocab), hp.embedding_dim)
        if epoch > SLOW_EPOCH_SECONDS:  # the estimate cbow-torch prepare prints too
            warnings.warn(
                f"the softmax costs O(V·N) a word: with V = {len(vocab):,} and N = "
                f"{hp.embedding_dim} an epoch of this corpus takes about {duration(epoch)} on a "
                "2-core CPU; negative sampling (configs/word2vec.yaml) costs O(k·N) a word",
                stacklevel=2,
            )
        self.model = CBOW(
            len(vocab), hp.embedding_dim, hp.init, hp.seed, hp.grad_mode, hidden=hp.hidden
        )
        return self.model

    def loss(self, batch, validation: bool = False) -> torch.Tensor:
        context, center = batch
        return self.model(context, center)

    def validation_metrics(self, loss: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"val/perplexity": torch.exp(loss)}  # exp(J): a perplexity for the softmax only

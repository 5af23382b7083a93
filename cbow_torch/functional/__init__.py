"""The two CBOW costs, each a ``torch.autograd.Function`` with a hand-written backward.

- ``softmax``: the course's model and its five backprop formulas (``cbow_loss``).
- ``negative_sampling``: word2vec's negative-sampling objective (``cbow_negative_sampling_loss``,
  and ``cbow_negative_sampling_loss_rows`` for input vectors stored as rows).
- ``fused``: that objective's per-window SGD in numba (``negative_sampling_sgd_``,
  ``train_chunk``), the kernels themselves in ``kernels``.
- ``bags``: a window batch's subword bags as the ids and weights both costs take
  (``bag_context``).
- ``pool``: the softmax step's recycled m×V buffer; ``checks``: the shared input checks.

Both costs take each example's input as a weighted bag of W1's columns (``context_weights``),
which is how subwords enter: W1 [N, V + B] holds the V words, then B n-gram buckets.
"""

from .bags import bag_context
from .checks import check_hidden
from .negative_sampling import (
    NegativeSamplingFunction,
    cbow_negative_sampling_loss,
    cbow_negative_sampling_loss_autograd,
    cbow_negative_sampling_loss_rows,
)
from .pool import LogitsPool
from .softmax import (
    CBOWFunction,
    cbow_logits,
    cbow_loss,
    cbow_loss_autograd,
)

__all__ = [
    "CBOWFunction",
    "LogitsPool",
    "NegativeSamplingFunction",
    "bag_context",
    "cbow_logits",
    "cbow_loss",
    "cbow_loss_autograd",
    "cbow_negative_sampling_loss",
    "cbow_negative_sampling_loss_autograd",
    "cbow_negative_sampling_loss_rows",
    "check_hidden",
    "negative_sampling_sgd_",
    "set_threads",
    "train_chunk",
]

_FUSED = ("negative_sampling_sgd_", "set_threads", "train_chunk")


def __getattr__(name: str):
    # The fused kernels import numba (~0.3 s): only for the code that asks for them.
    if name in _FUSED:
        from . import fused

        return getattr(fused, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

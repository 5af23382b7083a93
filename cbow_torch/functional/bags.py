"""A window batch's subword bags as padded ids and weights, for the autograd engine.

With subwords every context word w brings its bag, the W1 columns
``ids[offsets[w]:offsets[w + 1]]`` (its own column, then its character n-grams' buckets, as
``inputs.ngrams.ngram_bags`` builds them). A window's input is the mean of its context words'
vectors, each word's vector the mean of its bag's columns (fastText's word vector): column r of
word j's bag weighs 1 / (2C · |bagⱼ|). ``bag_context`` lays the bags of a batch out as the
[m, L] ids and weights that ``cbow_loss`` and ``cbow_negative_sampling_loss`` take.
"""

from __future__ import annotations

import torch


def bag_context(
    context: torch.Tensor,
    offsets: torch.Tensor,
    ids: torch.Tensor,
    dtype: torch.dtype | None = None,
    length: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The padded bags of a window batch, with the per-word-mean weights.

    Args:
        context: word ids [m, 2C].
        offsets: int64 [V + 1], rising from 0; word w's bag is ``ids[offsets[w]:offsets[w + 1]]``.
        ids: integer W1 column ids [nnz].
        dtype: the weights' dtype, W1's (None: ``torch.get_default_dtype()``).
        length: L, the padded width, at least the batch's longest window of bags; None: that
            longest (one read of it on the host; pass a bound, e.g. 2C times the longest bag,
            to keep an accelerator's queue running).

    Returns:
        bag_ids [m, L] (int64) and weights [m, L], on the context's device: example i's ids,
        then 0s with weight 0. Each row of weights sums to 1. ``offsets`` and ``ids`` are best
        kept on that device: a CPU tensor is copied there at every call.
    """
    device = context.device
    if context.dim() != 2 or context.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"context must be integer word ids [m, 2C], got {context.dtype} {tuple(context.shape)}"
        )
    if offsets.dim() != 1 or offsets.dtype != torch.int64 or ids.dim() != 1:
        raise ValueError(
            f"offsets must be int64 [V + 1] and ids 1-D, got {offsets.dtype} "
            f"{tuple(offsets.shape)} and {tuple(ids.shape)}"
        )
    offsets, ids = offsets.to(device), ids.to(device)
    m, two_c = context.shape
    start = offsets[context]  # [m, 2C] each word's first position in ids
    size = offsets[context + 1] - start  # [m, 2C] |bag|
    end = size.cumsum(dim=1)  # [m, 2C] where each word's bag ends in its row
    total = end[:, -1]  # [m] the window's bag ids
    if length is None:
        length = int(total.max())
    elif device.type == "cpu" and int(total.max()) > length:
        raise ValueError(f"length {length} is shorter than a window's {int(total.max())} bag ids")
    slot = torch.arange(length, device=device).repeat(m, 1)  # [m, L]
    word = torch.searchsorted(end, slot, right=True).clamp_(max=two_c - 1)  # [m, L] its word j
    inside = slot < total[:, None]  # [m, L] false on the padding
    within = slot - (end - size).gather(1, word)  # [m, L] position inside word j's bag
    where = (start.gather(1, word) + within).where(inside, 0)  # [m, L] position in ids
    bag_ids = ids[where].to(torch.int64).where(inside, 0)  # [m, L]
    dtype = torch.get_default_dtype() if dtype is None else dtype
    weights = 1.0 / (two_c * size.gather(1, word).to(dtype))  # [m, L] 1/(2C·|bagⱼ|)
    return bag_ids, weights.where(inside, 0)  # [m, L], [m, L]

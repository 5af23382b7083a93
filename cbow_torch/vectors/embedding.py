"""Word vectors as an ``nn.Embedding`` for a model of one's own, with padding and unknown rows."""

from __future__ import annotations

from typing import Any

import numpy as np

PAD = "<pad>"  # the padding row's key in the map


def to_embedding(
    vectors: np.ndarray,
    key_to_index: dict[str, int],
    freeze: bool = True,
    padding_idx: int | None = None,
    unknown: str | None = None,
) -> tuple[Any, dict[str, int]]:
    """``nn.Embedding.from_pretrained`` of the vectors [V, N] (row ``key_to_index[w]`` is word
    w's), and the key -> row map.

    ``padding_idx``: a row of zeros inserted at that index (0 to V; the words from it on move
    down one), given to the embedding as its ``padding_idx`` (its gradient stays zero), and
    ``"<pad>"`` in the map. ``unknown``: a key for words outside the vocabulary; its row comes
    after the words and holds the mean of the word vectors (the centroid: a neutral guess,
    which a later layer can tell from padding, unlike zeros). A key that is already a word
    (``data.unk``'s ``<unk>``) keeps its trained row. Look words up with
    ``index.get(word, index[unknown])``.
    """
    import torch

    weight, index = vectors, dict(key_to_index)  # [V, N]
    V = len(index)
    if padding_idx is not None:
        if not 0 <= padding_idx <= V:
            raise ValueError(
                f"padding_idx must be between 0 and {V} (where the row of zeros goes), "
                f"got {padding_idx}"
            )
        if PAD in index:
            raise ValueError(f"{PAD!r} is a word of the vocabulary: it cannot also be padding")
        weight = np.insert(weight, padding_idx, 0.0, axis=0)  # [V + 1, N]
        index = {w: i + (i >= padding_idx) for w, i in index.items()}
        index[PAD] = padding_idx
    if unknown is not None and unknown not in index:
        weight = np.vstack([weight, vectors.mean(axis=0)])  # [rows + 1, N]
        index[unknown] = weight.shape[0] - 1
    embedding = torch.nn.Embedding.from_pretrained(
        torch.from_numpy(np.array(weight)), freeze=freeze, padding_idx=padding_idx
    )
    return embedding, index

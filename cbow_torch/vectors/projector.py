"""The TensorBoard projector: the most frequent words' vectors, labelled one row each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .word_vectors import PathLike, WordVectors


def write_projector(
    vectors: WordVectors,
    log_dir_or_writer: PathLike | Any,
    top_n: int | None = 5000,
    tag: str | None = None,
    global_step: int | None = None,
) -> list[str]:
    """The TensorBoard projector for the ``top_n`` most frequent words (None: all).

    Takes a log directory or a ``torch.utils.tensorboard.SummaryWriter``. The labels are
    the words with tabs and newlines escaped, one metadata row per vector row. Returns them.
    """
    if top_n is not None and top_n < 1:
        raise ValueError(f"top_n must be >= 1 or None, got {top_n}")
    rows = vectors.most_frequent(len(vectors) if top_n is None else top_n)
    labels = [projector_label(vectors.index_to_key[i]) for i in rows]
    import torch

    mat = torch.from_numpy(np.asarray(vectors.vectors[rows], dtype=np.float32))  # [top_n, N]
    tag = tag or f"embeddings/{vectors.source or 'vectors'}"
    if hasattr(log_dir_or_writer, "add_embedding"):
        log_dir_or_writer.add_embedding(mat, metadata=labels, tag=tag, global_step=global_step)
    else:
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(log_dir_or_writer)) as writer:
            writer.add_embedding(mat, metadata=labels, tag=tag, global_step=global_step)
    return labels


def projector_label(word: str) -> str:
    """A word as one metadata.tsv cell: backslash, tab, CR and newline escaped."""
    return word.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")

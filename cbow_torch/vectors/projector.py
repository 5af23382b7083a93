"""The TensorBoard projector: the most frequent words' vectors, labelled one row each."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def write_projector(
    words: list[str],
    vectors: np.ndarray,
    log_dir_or_writer: str | os.PathLike | Any,
    tag: str,
    global_step: int | None = None,
) -> list[str]:
    """The TensorBoard projector of ``words`` and their ``vectors`` [k, N], in a log directory
    or through a ``torch.utils.tensorboard.SummaryWriter``. The labels are the words with tabs
    and newlines escaped, one metadata row per vector row. Returns them."""
    labels = [projector_label(word) for word in words]
    import torch

    mat = torch.from_numpy(np.asarray(vectors, dtype=np.float32))  # [k, N]
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

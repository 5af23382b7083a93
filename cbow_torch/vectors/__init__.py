"""Trained word vectors: ``word_vectors.py`` (``WordVectors``, gensim's ``KeyedVectors`` with a
run's counts, source and tokenizer), ``formats.py`` (which file it is, and reading it),
``word2vec_format.py`` and ``float_text.py`` (word2vec files at numpy speed), ``queries.py``
(words as the training text was tokenized), ``embedding.py`` (``nn.Embedding``),
``projector.py`` (TensorBoard's projector), ``evaluation.py`` (benchmark scores, PCA pictures,
a finished fit's files) and ``commands.py`` (the vector tools:
``cbow-torch export|evaluate|neighbors|analogy|plot``). Checkpoints are read through
``cbow_torch.checkpoint``.

The names below load on first use, so that the tools' ``--help`` starts without gensim or torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..checkpoint import TrainingCheckpoint, read_checkpoint
    from .word_vectors import WordVectors

__all__ = ["TrainingCheckpoint", "WordVectors", "read_checkpoint"]

_WHERE = {
    "TrainingCheckpoint": "..checkpoint",
    "read_checkpoint": "..checkpoint",
    "WordVectors": ".word_vectors",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'cbow_torch.vectors' has no attribute {name!r}")

"""Trained word vectors: ``word_vectors.py`` (``WordVectors``, with gensim's names), ``files.py``
(reading checkpoints through ``read_checkpoint``, word2vec and torch files, each checked),
``projector.py`` (TensorBoard's projector), ``evaluation.py`` (benchmark scores, PCA pictures, a
finished fit's files) and ``commands.py`` (the vector tools, jsonargparse subcommands:
``cbow-torch export|evaluate|neighbors|analogy|plot``)."""

from ..checkpoint import TrainingCheckpoint, read_checkpoint
from .word_vectors import WordVectors

__all__ = ["TrainingCheckpoint", "WordVectors", "read_checkpoint"]

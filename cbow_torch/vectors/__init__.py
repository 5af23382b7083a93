"""Trained word vectors: ``word_vectors.py`` (``WordVectors`` and its files), ``evaluation.py``
(benchmark scores, PCA pictures, a finished fit's files) and ``commands.py`` (the vector tools:
``cbow-torch export|evaluate|neighbors|analogy|plot``)."""

from .word_vectors import WordVectors

__all__ = ["WordVectors"]

"""What ``WordVectors`` writes: its ``.npz``, word2vec text or binary, a small torch file, gensim's
own class, an ``nn.Embedding`` and TensorBoard's projector. A mixin, so that the vectors with
subwords (``SubwordVectors``, gensim's ``FastTextKeyedVectors``) write the same way.
"""

from __future__ import annotations

import os
from typing import Any

from gensim.models import KeyedVectors

from ..atomic import atomic_write
from ..choices import VectorFormat, check_choice
from .formats import Found, write_npz
from .word2vec_format import save_word2vec

PathLike = str | os.PathLike


class VectorOutputs:
    """The writers of a ``WordVectors`` (it holds ``index_to_key``, ``vectors``, ``counts``,
    ``source``, ``tokenizer``, ``subwords()`` and ``most_frequent``)."""

    def save(self, path: PathLike) -> None:  # type: ignore[override]
        """An ``.npz`` of the words, vectors, counts, source and tokenizer, and the subword rows
        of a ``SubwordVectors`` (formats.py), that ``WordVectors.load`` reads without
        unpickling. For gensim's own pickle, which gensim's
        ``KeyedVectors.load`` reads, save ``to_keyed_vectors()``."""
        if not all(isinstance(k, str) for k in self.index_to_key):
            raise ValueError("save() holds string keys only; these vectors have other keys")
        found = Found(
            self.index_to_key, self.vectors, self.counts, self.source, self.tokenizer,
            self.subwords(),
        )  # fmt: skip
        atomic_write(path, lambda f: write_npz(f, found))

    def save_word2vec_format(
        self,
        fname: PathLike,
        fvocab: PathLike | None = None,
        binary: bool = False,
        total_vec: int | None = None,
        write_header: bool = True,
        prefix: str = "",
        append: bool = False,
        sort_attr: str | None = "count",
    ) -> None:
        """gensim's, the same bytes, written fast and whole: rows by descending ``sort_attr``
        as gensim orders them (the vocabulary's order if None or absent), values as float32.
        A word with whitespace, which the format cannot hold, is a ValueError."""
        save_word2vec(
            self, fname, fvocab, binary, total_vec, write_header, prefix, append, sort_attr
        )

    def save_torch(self, path: PathLike) -> None:
        """A small torch file ``{vectors, words, counts, source, tokenizer}`` that ``load()``
        reads with ``weights_only=True``."""
        import torch

        obj = {
            "vectors": torch.from_numpy(self.vectors.copy()),
            "words": list(self.index_to_key),
            "counts": None if self.counts is None else self.counts.tolist(),
            "source": self.source,
            "tokenizer": self.tokenizer,
        }
        atomic_write(path, lambda f: torch.save(obj, f))

    def export(self, path: PathLike, format: str) -> None:
        """Write in one of "word2vec", "word2vec-binary" (the vocabulary's order, as a run's
        ``embeddings.txt``), "npz" (``save``) or "pt" (``save_torch``)."""
        check_choice("format", format, VectorFormat)
        if format == "fasttext":
            raise ValueError(
                "fastText's .bin holds W2 too: write it from the run's checkpoint "
                "(cbow-torch export CKPT --format fasttext)"
            )
        if format == "pt":
            self.save_torch(path)
        elif format == "npz":
            self.save(path)
        else:
            self.save_word2vec_format(path, binary=format == "word2vec-binary", sort_attr=None)

    def to_keyed_vectors(self) -> KeyedVectors:
        """A copy as gensim's own class, with the same keys, vectors and attributes: for code
        that needs exactly it, such as gensim's pickle ``save`` for gensim's ``load``."""
        kv = KeyedVectors(self.vector_size, 0, self.vectors.dtype)
        kv.add_vectors(self.index_to_key, self.vectors)
        for name, values in self.expandos.items():
            kv.allocate_vecattrs([name], [values.dtype])
            kv.expandos[name][:] = values
        return kv

    def to_embedding(
        self, freeze: bool = True, padding_idx: int | None = None, unknown: str | None = None
    ) -> tuple[Any, dict[str, int]]:
        """``nn.Embedding.from_pretrained`` of the vectors, and the key -> row map, with an
        optional padding row (zeros) and unknown-word row (the mean vector): embedding.py."""
        from .embedding import to_embedding

        return to_embedding(self.vectors, self.key_to_index, freeze, padding_idx, unknown)

    def write_projector(
        self,
        log_dir_or_writer: PathLike | Any,
        top_n: int | None = 5000,
        tag: str | None = None,
        global_step: int | None = None,
    ) -> list[str]:
        """The TensorBoard projector for the ``top_n`` most frequent words (None: all), in a
        log directory or through a ``SummaryWriter``; returns the labels (projector.py)."""
        from .projector import write_projector

        if top_n is not None and top_n < 1:
            raise ValueError(f"top_n must be >= 1 or None, got {top_n}")
        rows = self.most_frequent(len(self) if top_n is None else top_n)
        words = [self.index_to_key[i] for i in rows]
        tag = tag or f"embeddings/{self.source or 'vectors'}"
        return write_projector(words, self.vectors[rows], log_dir_or_writer, tag, global_step)

"""Word vectors: gensim's ``KeyedVectors``, with what a trained run adds to them.

``WordVectors`` is a ``gensim.models.KeyedVectors``: every gensim method works and returns what
gensim returns (``most_similar`` of words or vectors, ``similarity``, ``doesnt_match``,
``n_similarity``, ``get_mean_vector``, ``evaluate_word_pairs`` …), ``.vectors`` is gensim's
numpy matrix [V, N] in the vocabulary's order, and gensim code that builds
``cls(vector_size, count, dtype)`` builds one. Iterating gives the keys in index order, as a
dict does (gensim's class has no ``__iter__`` of its own). It adds:

- ``counts`` (the corpus counts, held in gensim's ``count`` attribute; None when the file had
  none), ``source`` ("W1", "W2" or "average"), ``tokenizer`` (the run's, for ``lookup``);
- ``from_vectors`` and ``from_model`` to build one; ``load`` of a checkpoint, ``.npz``, ``.pt``
  or word2vec file without unpickling (formats.py); ``save``, the ``.npz`` that ``load`` reads;
- an unknown key is an ``UnknownWordError``: a ``KeyError`` that names the closest words;
- word2vec text read and written with numpy (word2vec_format.py): the same floats and bytes as
  gensim's, in a fraction of the time; every file appears whole or not at all;
- ``to_embedding`` (``nn.Embedding``, with padding and unknown-word rows), ``save_torch``,
  ``write_projector``. torch is imported only by these and by checkpoint or ``.pt`` files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from gensim.models import KeyedVectors

from ..atomic import atomic_write
from ..choices import Source, VectorFormat, check_choice
from .formats import Found, checked, read_vectors, write_npz
from .queries import UnknownWordError, find_keys, unknown_word_message
from .word2vec_format import read_word2vec, save_word2vec

PathLike = str | os.PathLike
__all__ = ["UnknownWordError", "WordVectors"]


class WordVectors(KeyedVectors):
    """gensim's ``KeyedVectors`` with the corpus counts, the source and the run's tokenizer.

    ``WordVectors(vector_size, count, dtype)`` is gensim's empty constructor; build one from
    words and vectors with ``from_vectors``, from a model with ``from_model``, from a file with
    ``load``.
    """

    def __init__(
        self, vector_size: int, count: int = 0, dtype: Any = np.float32, mapfile_path: Any = None
    ) -> None:
        super().__init__(vector_size, count, dtype, mapfile_path)
        self.source: str | None = None  # "W1", "W2" or "average", if known
        self.tokenizer: str | None = None  # the run's tokenizer, if known
        self._counts_known = False  # gensim makes up a "count" for word2vec files

    @classmethod
    def from_vectors(
        cls,
        words: Sequence[str],
        vectors: Any,
        counts: Sequence[int] | np.ndarray | None = None,
        source: str | None = None,
        tokenizer: str | None = None,
    ) -> WordVectors:
        """Words and their vectors [V, N] (a numpy array or torch tensor, copied; float64 stays
        float64, any other float becomes float32), with corpus counts [V] if known."""
        words, rows, counts = checked(words, vectors, counts)
        if source is not None:
            check_choice("source", source, Source)
        dtype = np.float64 if rows.dtype == np.float64 else np.float32
        wv = cls(rows.shape[1], 0, dtype)
        wv.add_vectors(words, rows.astype(dtype, copy=False))  # a copy: never a view of W1/W2
        if counts is not None:
            wv.allocate_vecattrs(["count"], [np.int64])
            wv.expandos["count"][:] = counts
            wv._counts_known = True
        wv.source, wv.tokenizer = source, tokenizer if isinstance(tokenizer, str) else None
        return wv

    @classmethod
    def from_model(
        cls, module_or_model: Any, vocab: Any = None, source: str | None = None
    ) -> WordVectors:
        """From a trained model and its vocabulary (anything with ``index_to_key``, and
        ``counts`` and ``tokenizer`` if known), or from a trained LightningModule alone, which
        holds both as ``.model`` and ``.vocab``. ``source``: "W1", "W2" or "average" (the
        default)."""
        model = module_or_model
        if vocab is None:
            if not (hasattr(model, "model") and hasattr(model, "vocab")):
                raise TypeError(
                    f"from_model({type(model).__name__}) without a vocabulary: pass a trained "
                    "CBOWLightningModule (with .model and .vocab), or a model and its vocabulary"
                )
            model, vocab = model.model, model.vocab
            if vocab is None:
                raise ValueError("the module has no vocabulary yet: train it with CBOWDataModule")
        source = source or "average"
        check_choice("source", source, Source)
        words = list(vocab.index_to_key)
        if len(words) != model.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(words)} words but the model has V = {model.vocab_size}"
            )
        counts, tokenizer = getattr(vocab, "counts", None), getattr(vocab, "tokenizer", None)
        return cls.from_vectors(words, model.embeddings(source), counts, source, tokenizer)

    @classmethod
    def load(
        cls, path: PathLike, *, source: str | None = None, trust_pickle: bool = False
    ) -> WordVectors:
        """Any of: a training checkpoint, an ``.npz`` of ``save()``, a ``.pt`` of
        ``save_torch()``, word2vec text or binary; none unpickled. ``source`` picks W1, W2 or
        their average from a checkpoint (default: the run's own ``export.source``); the other
        files hold vectors already chosen, so giving it for them is an error. gensim's own
        pickle (``KeyedVectors.save``) loads only with ``trust_pickle=True``."""
        found = read_vectors(path, source, trust_pickle)
        try:
            return cls.from_vectors(
                found.words, found.vectors, found.counts, found.source, found.tokenizer
            )
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @classmethod
    def load_word2vec_format(
        cls,
        fname: PathLike,
        fvocab: PathLike | None = None,
        binary: bool = False,
        encoding: str = "utf8",
        unicode_errors: str = "strict",
        limit: int | None = None,
        datatype: Any = np.float32,
        no_header: bool = False,
    ) -> WordVectors:
        """gensim's. A plain file (UTF-8, with a header, read whole into float32) is parsed
        with numpy: the same values, and gensim's made-up descending ``count``."""
        plain = fvocab is None and encoding in ("utf8", "utf-8") and unicode_errors == "strict"
        plain = plain and limit is None and datatype is np.float32 and not no_header
        found = read_word2vec(fname, binary) if plain else None
        if found is None:
            return super().load_word2vec_format(
                fname, fvocab, binary, encoding, unicode_errors, limit, datatype, no_header
            )
        wv = cls.from_vectors(*found)
        wv.allocate_vecattrs(["count"], [np.int64])
        wv.expandos["count"][:] = np.arange(len(wv), 0, -1)
        return wv

    # ---- what gensim's class lacks --------------------------------------------------------

    @property
    def counts(self) -> np.ndarray | None:
        """The corpus counts [V] in index order, or None when unknown (a word2vec file)."""
        return self.expandos.get("count") if self._counts_known else None

    def __iter__(self) -> Iterator[str]:
        return iter(self.index_to_key)

    def get_index(self, key: Any, default: int | None = None) -> int:
        """gensim's: the row of ``key``; ``default`` if absent and given, else an
        ``UnknownWordError`` (a ``KeyError``, as gensim raises) naming the closest words."""
        index = super().get_index(key, -1)
        if index >= 0:
            return index
        if default is not None:
            return default
        raise UnknownWordError(self.unknown_word_message(key))

    def get_mean_vector(
        self,
        keys: Any,
        weights: Any = None,
        pre_normalize: bool = True,
        post_normalize: bool = False,
        ignore_missing: bool = True,
    ) -> np.ndarray:
        """gensim's; with ``ignore_missing=False`` (``most_similar``), an unknown key is an
        ``UnknownWordError`` naming the closest words."""
        if not ignore_missing:
            for key in keys if isinstance(keys, list) else [keys]:
                if isinstance(key, str | int | np.integer) and key not in self:
                    raise UnknownWordError(self.unknown_word_message(key))
        return super().get_mean_vector(keys, weights, pre_normalize, post_normalize, ignore_missing)

    def lookup(self, query: str, where: PathLike | None = None) -> str:
        """The key ``query`` means: itself, else as the run's tokenizer normalises it, else
        (no tokenizer known) case-insensitively (queries.py); an ``UnknownWordError`` naming
        ``where`` and the closest words if none."""
        key = find_keys(self, [query])[0]
        if key is None:
            raise UnknownWordError(self.unknown_word_message(query, where))
        return key

    def unknown_word_message(self, word: Any, where: PathLike | None = None) -> str:
        """One line: the word is unknown (in ``where``), and the closest words."""
        return unknown_word_message(self, word, where)

    def most_frequent(self, n: int) -> list[int]:
        """Row indices of the n most frequent words (the first n rows without counts)."""
        if self.counts is None:
            return list(range(min(n, len(self))))
        return np.argsort(-self.counts, kind="stable")[:n].tolist()

    # ---- files ------------------------------------------------------------------------------

    def save(self, path: PathLike) -> None:  # type: ignore[override]
        """An ``.npz`` of the words, vectors, counts, source and tokenizer (formats.py) that
        ``WordVectors.load`` reads without unpickling. For gensim's own pickle, which gensim's
        ``KeyedVectors.load`` reads, save ``to_keyed_vectors()``."""
        if not all(isinstance(k, str) for k in self.index_to_key):
            raise ValueError("save() holds string keys only; these vectors have other keys")
        found = Found(self.index_to_key, self.vectors, self.counts, self.source, self.tokenizer)
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

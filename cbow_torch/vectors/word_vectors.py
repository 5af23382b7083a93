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
  ``write_projector`` (outputs.py). torch is imported only by these and by checkpoint or
  ``.pt`` files.

``SubwordVectors`` is the same on gensim's ``FastTextKeyedVectors``: the vectors of a model
with subwords (``inputs.Subwords``), which answer for words outside the vocabulary too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from gensim.models import KeyedVectors
from gensim.models.fasttext import FastTextKeyedVectors, ft_ngram_hashes

from ..choices import Source, check_choice
from .formats import checked, read_vectors
from .outputs import VectorOutputs
from .queries import Queries, UnknownWordError
from .word2vec_format import read_word2vec

PathLike = str | os.PathLike
__all__ = ["SubwordVectors", "UnknownWordError", "WordVectors"]


class WordVectors(Queries, VectorOutputs, KeyedVectors):
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
        holds both as ``.model`` and ``.vocab`` (and its input piece, ``.input``: a
        ``SubwordVectors`` for W1 of a model with subwords). ``source``: "W1", "W2" or
        "average" (the default)."""
        model, input = module_or_model, None
        if vocab is None:
            if not (hasattr(model, "model") and hasattr(model, "vocab")):
                raise TypeError(
                    f"from_model({type(model).__name__}) without a vocabulary: pass a trained "
                    "CBOWLightningModule (with .model and .vocab), or a model and its vocabulary"
                )
            model, vocab, input = model.model, model.vocab, getattr(model, "input", None)
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
        if input is None:
            return cls.from_vectors(words, model.embeddings(source), counts, source, tokenizer)
        W1T, W2 = model.W1.detach().t(), model.W2.detach()  # [V_in, N], [V, N]
        return cls.from_weights(words, W1T, W2, input, source, counts, tokenizer)

    @classmethod
    def from_weights(
        cls,
        words: Sequence[str],
        W1T: Any,
        W2: Any,
        input: Any,
        source: str,
        counts: Any = None,
        tokenizer: str | None = None,
    ) -> WordVectors:
        """The vocabulary's vectors from W1ᵀ [V_in, N] and W2 [V, N] through the model's input
        piece (``inputs.Input``): a ``SubwordVectors`` when ``source`` is W1 and the piece
        gives unseen words a vector, else a ``WordVectors``."""
        rows = input.vectors(W1T, W2, source)  # [V, N]
        unseen = input.unseen(W1T, len(words)) if source == "W1" else None
        if unseen is None:
            return cls.from_vectors(words, rows, counts, source, tokenizer)
        return SubwordVectors.from_rows(words, rows, unseen, counts, tokenizer)

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
            if found.subwords is not None:  # W1 of a model with subwords
                return SubwordVectors.from_rows(
                    found.words, found.vectors, found.subwords, found.counts, found.tokenizer
                )
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

    def subwords(self) -> dict[str, Any] | None:
        """The subword settings and rows (``SubwordVectors``); None: no subwords."""
        return None

    def most_frequent(self, n: int) -> list[int]:
        """Row indices of the n most frequent words (the first n rows without counts)."""
        if self.counts is None:
            return list(range(min(n, len(self))))
        return np.argsort(-self.counts, kind="stable")[:n].tolist()


def _numpy(rows: Any) -> np.ndarray:
    """float32 numpy rows of an array or torch tensor, without a copy when they already are."""
    if hasattr(rows, "detach"):
        rows = rows.detach().cpu().float().numpy()
    return np.asarray(rows, np.float32)


class SubwordVectors(WordVectors, FastTextKeyedVectors):
    """A ``WordVectors`` that is also gensim's ``FastTextKeyedVectors``: ``[word]``,
    ``get_vector``, ``most_similar``, ``similarity`` and the tools answer for a word outside
    the vocabulary with the mean of its n-grams' rows, as fastText and gensim do; a vocabulary
    word's vector is the mean of its bag's rows. ``key_to_index`` holds the vocabulary."""

    def __init__(
        self,
        vector_size: int,
        min_n: int,
        max_n: int,
        bucket: int,
        count: int = 0,
        dtype=np.float32,
    ) -> None:
        FastTextKeyedVectors.__init__(self, vector_size, min_n, max_n, bucket, count, dtype)
        self.source, self.tokenizer, self._counts_known = "W1", None, False

    @classmethod
    def from_rows(
        cls,
        words: Sequence[str],
        vectors: Any,
        subwords: dict[str, Any],
        counts: Any = None,
        tokenizer: str | None = None,
    ) -> SubwordVectors:
        """The vocabulary's vectors [V, N] (each its bag's mean), and ``subwords``: ``min_n``,
        ``max_n``, ``bucket``, the words' own rows ``vocab_rows`` [V, N] and the buckets'
        ``ngram_rows`` [B, N] of W1ᵀ (not copied: a model's rows stay shared), and optionally
        the ``bags`` the model trained with (``inputs.Subwords``)."""
        base = WordVectors.from_vectors(words, vectors, counts, "W1", tokenizer)
        args = (subwords["min_n"], subwords["max_n"], subwords["bucket"])
        wv = cls(base.vector_size, *(int(a) for a in args))
        wv.index_to_key, wv.key_to_index = base.index_to_key, base.key_to_index
        wv.vectors, wv.expandos = base.vectors, base.expandos
        wv.tokenizer, wv._counts_known = base.tokenizer, base._counts_known
        wv.vectors_vocab = _numpy(subwords["vocab_rows"])  # [V, N]
        wv.vectors_ngrams = _numpy(subwords["ngram_rows"])  # [B, N]
        if wv.vectors_vocab.shape != wv.vectors.shape or wv.vectors_ngrams.shape[0] != wv.bucket:
            raise ValueError(
                f"subword rows {wv.vectors_vocab.shape} and {wv.vectors_ngrams.shape} do not fit "
                f"{len(wv)} words and {wv.bucket} buckets"
            )
        bags = subwords.get("bags")
        if bags is None:
            wv.recalc_char_ngram_buckets()  # gensim's hashes
        else:  # word w's bag is [w, V + h…]: its buckets h
            offsets, ids = bags
            own = np.zeros(len(ids), bool)  # [nnz] the words' own columns
            own[offsets[:-1]] = True
            grams = (np.asarray(ids, np.int64)[~own] - len(wv)).astype(np.uint32)  # [nnz − V]
            wv.buckets_word = np.split(grams, offsets[1:-1] - np.arange(1, len(wv)))
        return wv

    def get_vector(self, key: Any, norm: bool = False) -> np.ndarray:
        """gensim's; a word outside the vocabulary with no character n-gram of ``min_n`` to
        ``max_n`` characters has no vector: an ``UnknownWordError`` that says so (gensim
        returns zeros)."""
        if isinstance(key, str) and not self.has_vector(key):
            raise UnknownWordError(self.unknown_word_message(key))
        return super().get_vector(key, norm=norm)

    def has_vector(self, word: str) -> bool:
        """Whether ``word`` has a vector: a vocabulary word, or one with an n-gram."""
        return word in self.key_to_index or bool(
            ft_ngram_hashes(word, self.min_n, self.max_n, self.bucket)
        )

    def subwords(self) -> dict[str, Any]:
        """The settings and rows that ``from_rows`` takes."""
        return {
            "min_n": self.min_n,
            "max_n": self.max_n,
            "bucket": self.bucket,
            "vocab_rows": self.vectors_vocab,
            "ngram_rows": self.vectors_ngrams,
        }

"""Word vectors out of a trained CBOW, and their files: word2vec, .pt, nn.Embedding, the projector.

Word j's vector is column j of W1, row j of W2, or their average (W1ᵀ + W2) / 2: the ``source``.
A ``WordVectors`` keeps the words and vectors in a gensim ``KeyedVectors`` (``.kv``: queries and
scores go straight to it), in the vocabulary's index order, with the corpus counts when known.
gensim reads and writes the word2vec files; this module adds the one-line errors, the sources,
the ``.pt`` file, ``nn.Embedding`` and the projector. Every file appears whole or not at all.
Files are read through files.py (checkpoints through ``read_checkpoint``), unpickled only with
``trust_pickle=True``."""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import torch
from gensim.models import KeyedVectors
from torch import nn

from ..atomic import atomic_path, atomic_write
from ..checkpoint import read_checkpoint
from ..choices import Source, check_choice
from .files import read_vectors

Format = Literal["word2vec", "word2vec-binary", "pt"]
FORMATS = get_args(Format)
PathLike = str | os.PathLike


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class WordVectors:
    """Words, their vectors [V, N] in the vocabulary's index order, and optional counts [V].

    The names are gensim's ``KeyedVectors``': ``index_to_key``, ``key_to_index``,
    ``get_index``, ``most_similar``, ``similarity``, ``evaluate_word_pairs``,
    ``save_word2vec_format``; ``kv`` is the KeyedVectors itself, for the rest of gensim's API.
    As in gensim, ``save(path)`` pickles the KeyedVectors (``KeyedVectors.load(path)`` reads
    it); ``save_torch(path)`` writes the small torch file that ``WordVectors.load`` reads
    without unpickling.

    Args:
        words: the V words; unique, non-empty strings. Row j of ``vectors`` is ``words[j]``.
        vectors: [V, N] floating tensor or array; copied to the CPU, float64 stays float64 and
            every other dtype becomes float32.
        counts: [V] corpus counts aligned with ``words``, or None when unknown (a word2vec
            file carries none); "most frequent" then means the first rows.
        source: where the vectors came from ("W1", "W2", "average"), if known.
    """

    def __init__(
        self,
        words: Sequence[str],
        vectors: torch.Tensor | np.ndarray,
        counts: Sequence[int] | np.ndarray | None = None,
        source: str | None = None,
    ) -> None:
        vectors = torch.as_tensor(vectors).detach().cpu()
        if vectors.dim() != 2 or not vectors.is_floating_point():
            raise ValueError(
                f"vectors must be a 2-D floating [V, N] tensor, got shape {tuple(vectors.shape)} "
                f"and dtype {vectors.dtype}"
            )
        words = list(words)
        if len(words) != vectors.shape[0]:
            raise ValueError(
                f"got {len(words)} words for {vectors.shape[0]} vectors {tuple(vectors.shape)}"
            )
        if not words:
            raise ValueError("no words: a WordVectors needs at least one word")
        for i, word in enumerate(words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"word {i} must be a non-empty string, got {word!r}")
        if len(set(words)) != len(words):
            dup = next(w for w, n in Counter(words).items() if n > 1)
            raise ValueError(f"word {dup!r} appears more than once")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(words),):
                raise ValueError(f"counts must have shape ({len(words)},), got {counts.shape}")
        if source is not None:
            check_choice("source", source, Source)
        rows = vectors.to(torch.float64 if vectors.dtype == torch.float64 else torch.float32)
        kv = KeyedVectors(vector_size=vectors.shape[1], dtype=rows.numpy().dtype.type)
        kv.add_vectors(words, rows.numpy())  # a copy: never a view of W1/W2
        if counts is not None:
            kv.allocate_vecattrs(["count"], [np.int64])
            kv.expandos["count"][:] = counts
        self.kv, self.counts, self.source = kv, counts, source

    @property
    def index_to_key(self) -> list[str]:
        return self.kv.index_to_key

    @property
    def key_to_index(self) -> dict[str, int]:
        return self.kv.key_to_index

    @property
    def vectors(self) -> torch.Tensor:
        return torch.from_numpy(self.kv.vectors)  # [V, N], the KeyedVectors' own memory

    @classmethod
    def from_model(
        cls, module_or_model: Any, vocab: Any = None, source: str | None = None
    ) -> WordVectors:
        """From a trained model and its vocabulary (anything with ``index_to_key`` and
        ``counts``), or from a trained LightningModule alone, which holds both as ``.model``
        and ``.vocab``. ``source``: "W1", "W2" or "average" (the default)."""
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
        words = list(vocab.index_to_key)
        if len(words) != model.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(words)} words but the model has V = {model.vocab_size}"
            )
        return cls(words, model.embeddings(source), getattr(vocab, "counts", None), source)

    @classmethod
    def from_checkpoint(
        cls, path: PathLike, source: str | None = None, trust_pickle: bool = False
    ) -> WordVectors:
        """From a training checkpoint, which carries the vocabulary (``read_checkpoint``);
        ``source`` None: the run's own ``export.source``."""
        found = read_checkpoint(path, trust_pickle)
        source = source or found.source or "average"
        return cls(found.words, found.vectors(source), found.counts, source)

    @classmethod
    def load(
        cls, path: PathLike, source: str | None = None, trust_pickle: bool = False
    ) -> WordVectors:
        """Any of: a checkpoint, word2vec text or binary, or a ``.pt`` file of ``save_torch()``.

        ``source`` picks W1, W2 or their average from a checkpoint (default "average"); the
        other files hold vectors already chosen, so giving ``source`` for them is an error.
        """
        found = read_vectors(path, source, trust_pickle)
        if isinstance(found, KeyedVectors):
            wv = cls.__new__(cls)
            wv.kv, wv.counts, wv.source = found, None, None  # gensim's made-up counts are none
            return wv
        try:
            return cls(*found)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}: {e}") from None

    # ---- queries ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> torch.Tensor:
        return self.vectors[self.get_index(word)]  # [N]

    def __repr__(self) -> str:
        V, N = self.vectors.shape
        return f"WordVectors(V={V}, N={N}, source={self.source!r}, dtype={self.vectors.dtype})"

    def get_index(self, word: str, default: int | None = None) -> int:
        """The row of ``word``; ``default`` if absent and given, else an UnknownWordError (a
        KeyError, as gensim raises) naming the closest words."""
        index = self.key_to_index.get(word, default)
        if index is None:
            raise UnknownWordError(self.unknown_word_message(word))
        return index

    def most_similar(
        self,
        positive: str | Sequence[str] | None = None,
        negative: str | Sequence[str] | None = None,
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """gensim's ``most_similar``: the ``topn`` words nearest by cosine to the mean of the
        ``positive`` vectors minus the ``negative`` ones (3CosAdd for an analogy)."""
        words = [positive] if isinstance(positive, str) else list(positive or [])
        against = [negative] if isinstance(negative, str) else list(negative or [])
        for word in words + against:
            self.get_index(word)  # an unknown word is an UnknownWordError with suggestions
        return self.kv.most_similar(words, against, topn=topn, restrict_vocab=restrict_vocab)

    def similarity(self, w1: str, w2: str) -> float:
        """gensim's ``similarity``: the cosine of the two words' vectors."""
        self.get_index(w1), self.get_index(w2)
        return float(self.kv.similarity(w1, w2))

    def evaluate_word_pairs(self, pairs: PathLike, **kwargs: Any):
        """gensim's ``evaluate_word_pairs`` on a ``word1<TAB>word2<TAB>score`` file: (Pearson,
        Spearman, OOV %); keyword arguments go to gensim."""
        return self.kv.evaluate_word_pairs(str(pairs), **kwargs)

    def unknown_word_message(self, word: str, where: PathLike | None = None) -> str:
        """One line: the word is unknown (in ``where``), and the closest words."""
        close = [word.lower()] if word.lower() in self else []
        for query in dict.fromkeys([word, word.lower()]):  # a lower-cased vocabulary is usual
            close += difflib.get_close_matches(query, self.index_to_key, n=3, cutoff=0.6)
        close = list(dict.fromkeys(close))[:3]
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        of = f" of {where}" if where else ""
        return f"{word!r} is not in the vocabulary{of} ({len(self)} words){hint}"

    def most_frequent(self, n: int) -> list[int]:
        """Row indices of the n most frequent words (the first n rows without counts)."""
        if self.counts is None:
            return list(range(min(n, len(self))))
        return np.argsort(-self.counts, kind="stable")[:n].tolist()

    # ---- exports ------------------------------------------------------------------------

    def to_keyed_vectors(self) -> KeyedVectors:
        """The gensim ``KeyedVectors`` behind these vectors (shared, not copied)."""
        return self.kv

    def to_embedding(
        self, freeze: bool = True, padding_idx: int | None = None
    ) -> tuple[nn.Embedding, dict[str, int]]:
        """``nn.Embedding.from_pretrained`` in the vocabulary's order, and word -> index."""
        emb = nn.Embedding.from_pretrained(
            self.vectors.clone(), freeze=freeze, padding_idx=padding_idx
        )
        return emb, dict(self.key_to_index)

    def save_word2vec_format(self, path: PathLike, binary: bool = False) -> None:
        """The word2vec format, text or binary, in the vocabulary's order (float32), by gensim.

        ``gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary)`` loads it.
        Text keeps the shortest digits that give back the same float32 exactly.
        """
        for i, word in enumerate(self.index_to_key):
            if any(c.isspace() for c in word):
                raise ValueError(
                    f"word {i} {word!r} contains whitespace, which the word2vec format cannot "
                    "hold; save_torch() to a .pt file instead"
                )
        out = KeyedVectors(vector_size=self.kv.vector_size, dtype=np.float32)
        out.add_vectors(self.index_to_key, self.kv.vectors.astype(np.float32))
        # gensim writes by descending "count": descending ranks keep the vocabulary's order.
        out.allocate_vecattrs(["count"], [np.int64])
        out.expandos["count"][:] = np.arange(len(self), 0, -1)
        with atomic_path(path) as tmp:
            out.save_word2vec_format(str(tmp), binary=binary)

    def save(self, path: PathLike) -> None:
        """gensim's own: the KeyedVectors pickled in one file, read back by gensim's
        ``KeyedVectors.load(path)`` (unpickling: for files you trust). ``save_torch`` writes a
        file that ``WordVectors.load`` reads without unpickling."""
        atomic_write(path, lambda f: self.kv.save(f))

    def save_torch(self, path: PathLike) -> None:
        """A small torch file ``{vectors, words, counts, source}`` that ``load()`` reads."""
        obj = {
            "vectors": self.vectors.clone(),
            "words": list(self.index_to_key),
            "counts": None if self.counts is None else self.counts.tolist(),
            "source": self.source,
        }
        atomic_write(path, lambda f: torch.save(obj, f))

    def export(self, path: PathLike, format: str) -> None:
        """Write in one of FORMATS: "word2vec", "word2vec-binary" or "pt"."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
        if format == "pt":
            self.save_torch(path)
        else:
            self.save_word2vec_format(path, binary=format == "word2vec-binary")

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

        return write_projector(self, log_dir_or_writer, top_n, tag, global_step)

"""Word vectors out of a trained CBOW, and their files: word2vec, .pt, nn.Embedding, the projector.

Word j's vector is column j of W1, row j of W2, or their average (W1ᵀ + W2) / 2: the ``source``.
A ``WordVectors`` keeps the words and vectors in a gensim ``KeyedVectors`` (``.kv``: queries and
scores go straight to it), in the vocabulary's index order, with the corpus counts when known.
gensim reads and writes the word2vec files; this module adds the one-line errors, the sources,
the ``.pt`` file, ``nn.Embedding`` and the projector. Every file appears whole or not at all.

Files are read through files.py: no unpickling unless the caller passes ``trust_pickle=True``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from gensim.models import KeyedVectors
from torch import nn

from ..atomic import atomic_path, atomic_write
from ..model import CBOW, SOURCES, embeddings
from .files import read_torch_file, sniff, word2vec_fault

FORMATS = ("word2vec", "word2vec-binary", "pt")
PathLike = str | os.PathLike


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class WordVectors:
    """Words, their vectors [V, N] in the vocabulary's index order, and optional counts [V].

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
            seen: set[str] = set()
            dup = next(w for w in words if w in seen or seen.add(w))
            raise ValueError(f"word {dup!r} appears more than once")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(words),):
                raise ValueError(f"counts must have shape ({len(words)},), got {counts.shape}")
        if source is not None and source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        rows = vectors.to(torch.float64 if vectors.dtype == torch.float64 else torch.float32)
        kv = KeyedVectors(vector_size=vectors.shape[1], dtype=rows.numpy().dtype.type)
        kv.add_vectors(words, rows.numpy())  # a copy: never a view of W1/W2
        if counts is not None:
            kv.allocate_vecattrs(["count"], [np.int64])
            kv.expandos["count"][:] = counts
        self.kv, self.counts, self.source = kv, counts, source

    @property
    def words(self) -> list[str]:
        return self.kv.index_to_key

    @property
    def key_to_index(self) -> dict[str, int]:
        return self.kv.key_to_index

    @property
    def vectors(self) -> torch.Tensor:
        return torch.from_numpy(self.kv.vectors)  # [V, N], the KeyedVectors' own memory

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def from_model(cls, model: CBOW, vocab: Any, source: str = "average") -> WordVectors:
        """From a CBOW and its vocabulary (anything with ``index_to_key`` and ``counts``)."""
        words = list(vocab.index_to_key)
        if len(words) != model.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(words)} words but the model has V = {model.vocab_size}"
            )
        return cls(words, model.embeddings(source), getattr(vocab, "counts", None), source)

    @classmethod
    def from_checkpoint(
        cls, path: PathLike, source: str = "average", trust_pickle: bool = False
    ) -> WordVectors:
        """From a training checkpoint, which carries the vocabulary."""
        return cls._from_checkpoint_dict(read_torch_file(path, trust_pickle), path, source)

    @classmethod
    def load(
        cls, path: PathLike, source: str | None = None, trust_pickle: bool = False
    ) -> WordVectors:
        """Any of: a checkpoint, word2vec text or binary, or a ``.pt`` file from ``save()``.

        ``source`` picks W1, W2 or their average from a checkpoint (default "average"); the
        other files hold vectors already chosen, so giving ``source`` for them is an error.
        """
        kind = sniff(path)
        if kind == "torch":
            obj = read_torch_file(path, trust_pickle)
            if isinstance(obj, dict) and "state_dict" in obj:
                return cls._from_checkpoint_dict(obj, path, source or "average")
            if isinstance(obj, dict) and "vectors" in obj and "words" in obj:
                _no_source(path, source)
                try:
                    return cls(obj["words"], obj["vectors"], obj.get("counts"), obj.get("source"))
                except (ValueError, TypeError) as e:
                    raise ValueError(f"{path}: {e}") from None
            raise ValueError(
                f"{path}: a torch file, but neither a cbow-torch checkpoint (state_dict) "
                "nor a vectors file ({vectors, words})"
            )
        _no_source(path, source)
        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=kind == "word2vec-binary")
        except (ValueError, UnicodeDecodeError, EOFError, IndexError) as e:
            fault = word2vec_fault(path, kind, e)
            raise ValueError(f"{path}: not a valid {kind} file ({fault})") from None
        wv = cls.__new__(cls)
        wv.kv, wv.counts, wv.source = kv, None, None  # gensim's made-up counts are not counts
        return wv

    @classmethod
    def _from_checkpoint_dict(cls, ckpt: Any, path: PathLike, source: str) -> WordVectors:
        state = ckpt.get("state_dict", {}) if isinstance(ckpt, dict) else {}
        # CBOW keeps W1 [N, V]; CBOWNegativeSampling keeps W1ᵀ and W2 as Embedding weights.
        W1 = state.get("model.W1")  # [N, V]
        W2 = state.get("model.W2", state.get("model.output_vectors.weight"))  # [V, N]
        if W1 is None and "model.input_vectors.weight" in state:
            W1 = state["model.input_vectors.weight"].t()  # [N, V]
        if W1 is None or W2 is None:
            raise ValueError(f"{path}: not a cbow-torch checkpoint (no model.W1/model.W2)")
        vocab = ckpt.get("vocabulary")
        if not isinstance(vocab, dict) or "words" not in vocab:
            raise ValueError(f"{path}: the checkpoint carries no vocabulary, so no words")
        N, V = W1.shape
        if tuple(W2.shape) != (V, N) or len(vocab["words"]) != V:
            raise ValueError(
                f"{path}: inconsistent checkpoint: W1 {tuple(W1.shape)}, W2 {tuple(W2.shape)}, "
                f"{len(vocab['words'])} words"
            )
        return cls(vocab["words"], embeddings(W1, W2, source), vocab.get("counts"), source)

    # ---- queries ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> torch.Tensor:
        return self.vectors[self.index(word)]  # [N]

    def __repr__(self) -> str:
        V, N = self.vectors.shape
        return f"WordVectors(V={V}, N={N}, source={self.source!r}, dtype={self.vectors.dtype})"

    def index(self, word: str) -> int:
        """The row of ``word``; an UnknownWordError naming the closest words if absent."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise UnknownWordError(self.unknown_word_message(word)) from None

    def unknown_word_message(self, word: str, where: PathLike | None = None) -> str:
        """One line: the word is unknown (in ``where``), and the closest words."""
        close = [word.lower()] if word.lower() in self else []
        for query in dict.fromkeys([word, word.lower()]):  # a lower-cased vocabulary is usual
            close += difflib.get_close_matches(query, self.words, n=3, cutoff=0.6)
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
        for i, word in enumerate(self.words):
            if any(c.isspace() for c in word):
                raise ValueError(
                    f"word {i} {word!r} contains whitespace, which the word2vec format cannot "
                    "hold; save() to a .pt file instead"
                )
        out = KeyedVectors(vector_size=self.kv.vector_size, dtype=np.float32)
        out.add_vectors(self.words, self.kv.vectors.astype(np.float32))
        # gensim writes by descending "count": descending ranks keep the vocabulary's order.
        out.allocate_vecattrs(["count"], [np.int64])
        out.expandos["count"][:] = np.arange(len(self), 0, -1)
        with atomic_path(path) as tmp:
            out.save_word2vec_format(str(tmp), binary=binary)

    def save(self, path: PathLike) -> None:
        """A small torch file ``{vectors, words, counts, source}`` that ``load()`` reads."""
        obj = {
            "vectors": self.vectors.clone(),
            "words": list(self.words),
            "counts": None if self.counts is None else self.counts.tolist(),
            "source": self.source,
        }
        atomic_write(path, lambda f: torch.save(obj, f))

    def export(self, path: PathLike, format: str) -> None:
        """Write in one of FORMATS: "word2vec", "word2vec-binary" or "pt"."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
        if format == "pt":
            self.save(path)
        else:
            self.save_word2vec_format(path, binary=format == "word2vec-binary")

    def write_projector(
        self,
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
        rows = self.most_frequent(len(self) if top_n is None else top_n)
        labels = [projector_label(self.words[i]) for i in rows]
        mat = self.vectors[rows].to(torch.float32)  # [top_n, N]
        tag = tag or f"embeddings/{self.source or 'vectors'}"
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


def _no_source(path: PathLike, source: str | None) -> None:
    if source is not None:
        raise ValueError(
            f"{path}: holds exported vectors, so source={source!r} cannot apply; "
            "sources (W1, W2, average) come from checkpoints"
        )

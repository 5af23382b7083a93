"""Text to tokens to ids: the tokenizers and the Vocabulary (word <-> id, counts, save/load).

Tokenizers, all ``str -> list[str]``:

- ``"course"``: the course's preprocessing, NLTK 3.5's ``word_tokenize`` by hand
  (``course_tokenizer.py``).
- ``"simple"``: gensim's ``simple_preprocess``: lower-cased alphabetic words of 2 to 15 letters.
- ``"whitespace"``: ``text.split()``, for text that is already tokenised.
- any callable, or the dotted name of an importable one (``"my_pkg.my_mod.my_tokenizer"``).
"""

from __future__ import annotations

import importlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, get_args

import numpy as np

from ..atomic import atomic_write
from .course_tokenizer import course_tokenize

TOKENIZERS = ("course", "simple", "whitespace")
VocabOrder = Literal["frequency", "alphabetical"]  # gensim's ids, or the course's
ORDERS = get_args(VocabOrder)
UNK = "<unk>"

# ---------------------------------------------------------------------------------------------
# The tokenizers (the course's is in course_tokenizer.py).

_SIMPLE = re.compile(r"(?:(?!\d)\w)+")


def _simple_tokenize(text: str) -> list[str]:
    # gensim.utils.simple_preprocess(text): \w runs without digits, 2..15 long, no leading "_".
    return [t for t in _SIMPLE.findall(text.lower()) if 2 <= len(t) <= 15 and t[0] != "_"]


def _whitespace_tokenize(text: str) -> list[str]:
    return text.split()


_BUILTIN = {
    "course": course_tokenize,
    "simple": _simple_tokenize,
    "whitespace": _whitespace_tokenize,
}


def get_tokenizer(tokenizer: str | Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """The tokenizer named ``tokenizer``: a built-in name, a dotted import path, or a callable."""
    if callable(tokenizer):
        return tokenizer
    if not isinstance(tokenizer, str):
        raise ValueError(f"tokenizer must be a name or a callable, got {tokenizer!r}")
    if tokenizer in _BUILTIN:
        return _BUILTIN[tokenizer]
    module_name, _, attr = tokenizer.rpartition(".")
    if not module_name:
        raise ValueError(
            f"unknown tokenizer {tokenizer!r}: use one of {TOKENIZERS} "
            "or the dotted name of a function, e.g. 'my_pkg.my_mod.my_tokenizer'"
        )
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"tokenizer {tokenizer!r} cannot be imported ({err}); "
            f"use one of {TOKENIZERS} or the dotted name of an importable function"
        ) from None
    if not callable(func):
        raise ValueError(f"tokenizer {tokenizer!r} is not callable: it must be str -> list[str]")
    return func


def tokenize(text: str, tokenizer: str | Callable[[str], list[str]] = "course") -> list[str]:
    """``text`` as a list of tokens (see the module docstring for the tokenizers)."""
    return list(get_tokenizer(tokenizer)(text))


# ---------------------------------------------------------------------------------------------
# Vocabulary.


class Vocabulary:
    """Words and their ids: ``index_to_key[i]`` is word i, ``key_to_index[w]`` its id.

    Args:
        words: the words, in id order; unique, non-empty, without tabs or newlines.
        counts: corpus counts aligned with ``words`` (default: all zero).
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | None = None) -> None:
        words = [str(w) for w in words]
        counts = [0] * len(words) if counts is None else [int(c) for c in counts]
        if len(counts) != len(words):
            raise ValueError(f"counts has {len(counts)} entries for {len(words)} words")
        for word in words:
            if not word or any(c in word for c in "\t\n\r"):
                raise ValueError(f"vocabulary word {word!r} is empty or holds a tab or newline")
        if any(c < 0 for c in counts):
            raise ValueError("vocabulary counts must be >= 0")
        self.index_to_key: list[str] = words
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(words)}
        if len(self.key_to_index) != len(words):
            dup = next(w for w, n in Counter(words).items() if n > 1)
            raise ValueError(f"vocabulary word {dup!r} occurs twice")
        self.counts: list[int] = counts

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        order: VocabOrder = "alphabetical",
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
    ) -> Vocabulary:
        """Keep words seen ``min_count`` times or more, the ``max_size`` most frequent of them.

        ``order="alphabetical"`` sorts by code point, as the course's ``get_dict`` does;
        ``"frequency"`` is gensim's order, most frequent first, ties alphabetical. With
        ``unk=True`` the dropped words become one word ``"<unk>"`` whose count is theirs.
        """
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be >= 1 or None, got {max_size}")
        kept = sorted(
            # A literal "<unk>" in the text is an ordinary word unless unk=True pools into it.
            ((w, int(c)) for w, c in counts.items() if c >= min_count and not (unk and w == UNK)),
            key=lambda wc: (-wc[1], wc[0]),
        )
        if max_size is not None:
            kept = kept[: max_size - 1 if unk else max_size]
        if unk:
            dropped = sum(int(c) for c in counts.values()) - sum(c for _, c in kept)
            kept.append((UNK, dropped))
            kept.sort(key=lambda wc: (-wc[1], wc[0]))
        if order == "alphabetical":
            kept.sort()
        return cls([w for w, _ in kept], [c for _, c in kept])

    @classmethod
    def from_tokens(
        cls,
        tokens: Iterable[str],
        order: VocabOrder = "alphabetical",
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
    ) -> Vocabulary:
        """The vocabulary of a token stream; see ``from_counts``."""
        return cls.from_counts(Counter(tokens), order, min_count, max_size, unk)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.index_to_key == other.index_to_key and self.counts == other.counts

    def __repr__(self) -> str:
        head = ", ".join(self.index_to_key[:5])
        return f"Vocabulary({len(self)} words: {head}{', …' if len(self) > 5 else ''})"

    def encode(self, tokens: Iterable[str], oov: str = "drop") -> np.ndarray:
        """Token ids, int64 [n]. Words not in the vocabulary are dropped (``oov="drop"``, as
        word2vec does) or become ``"<unk>"`` (``oov="unk"``; the vocabulary must hold it)."""
        if oov == "drop":
            get = self.key_to_index.get
            ids = np.fromiter((get(t, -1) for t in tokens), dtype=np.int64)
            return ids[ids >= 0]
        if oov == "unk":
            if UNK not in self.key_to_index:
                raise ValueError(
                    f"oov='unk' needs {UNK!r} in the vocabulary: build it with unk=True"
                )
            unk_id = self.key_to_index[UNK]
            get = self.key_to_index.get
            return np.fromiter((get(t, unk_id) for t in tokens), dtype=np.int64)
        raise ValueError(f"oov must be 'drop' or 'unk', got {oov!r}")

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The words with these ids."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            bad = int(ids[(ids < 0) | (ids >= len(self))][0])
            raise ValueError(f"id {bad} is outside the vocabulary [0, {len(self)})")
        return [self.index_to_key[i] for i in ids.tolist()]

    def to_dict(self) -> dict[str, list]:
        """``{"words": [...], "counts": [...]}``, plain lists (what checkpoints store)."""
        return {"words": list(self.index_to_key), "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence]) -> Vocabulary:
        if "words" not in d:
            raise ValueError("a vocabulary dict needs a 'words' list (and optionally 'counts')")
        return cls(d["words"], d.get("counts"))

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word<TAB>count`` lines, UTF-8, in id order; atomically (temp file, rename)."""
        lines = (f"{w}\t{c}\n" for w, c in zip(self.index_to_key, self.counts, strict=True))
        atomic_write(path, lambda f: f.write("".join(lines).encode("utf-8")))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a file written by ``save`` (a line may also hold just the word)."""
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    word, _, count = line.rstrip("\n").partition("\t")
                    if not word or (count and not count.isdigit()):
                        raise ValueError(
                            f"{path}:{lineno}: expected 'word<TAB>count', got {line.rstrip()!r}"
                        )
                    words.append(word)
                    counts.append(int(count or 0))
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read vocabulary file {path}: {err}") from None
        try:
            return cls(words, counts)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

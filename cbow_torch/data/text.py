"""Text to tokens to ids: the tokenizers and the Vocabulary (word <-> id, counts, save/load).

Tokenizers, all ``str -> list[str]``:

- ``"course"``: the course's preprocessing, NLTK 3.5's ``word_tokenize`` by hand
  (``course_tokenizer.py``).
- ``"simple"``: gensim's ``simple_preprocess``: lower-cased alphabetic words of 2 to 15 letters.
- ``"whitespace"``: ``text.split()``, for text that is already tokenised.
- any callable, or the dotted name of an importable one (``"my_pkg.my_mod.my_tokenizer"``).
"""

from __future__ import annotations

import bisect
import importlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, get_args

import numpy as np

from ..atomic import atomic_write
from .course_tokenizer import course_tokenize

TOKENIZERS = ("course", "simple", "whitespace")
VocabOrder = Literal["frequency", "alphabetical"]  # gensim's ids, or the course's
ORDERS = get_args(VocabOrder)
UNK = "<unk>"

# ---------------------------------------------------------------------------------------------
# The tokenizers (the course's is in course_tokenizer.py).

# gensim.utils.simple_preprocess(text): the lower-cased text's runs of \w without digits, 2 to 15
# long, not starting with "_". One regex does it all, for any text; for ASCII text (\w without
# digits is then [a-z_]) str.translate and str.split find the runs three times as fast.
_SIMPLE = re.compile(r"(?<![^\W\d])(?!_)[^\W\d]{2,15}(?![^\W\d])")
_NOT_LETTERS = {c: " " for c in range(128) if not (chr(c).islower() or chr(c) == "_")}


def _simple_tokenize(text: str) -> list[str]:
    if not text.isascii():
        return _SIMPLE.findall(text.lower())
    runs = text.lower().translate(_NOT_LETTERS).split()
    return [t for t in runs if 2 <= len(t) <= 15 and t[0] != "_"]


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


def select_words(
    words: Sequence[str],
    counts: np.ndarray,
    order: VocabOrder = "alphabetical",
    min_count: int = 1,
    max_size: int | None = None,
    unk: bool = False,
) -> tuple[np.ndarray, int]:
    """The vocabulary that ``Vocabulary.from_counts`` keeps, as indices into ``words`` (unique)
    in id order, -1 standing for ``"<unk>"``; and <unk>'s count (0 without ``unk``).

    One string sort (Python's, of the kept words) and numpy for the rest, so a vocabulary of
    millions of words takes seconds.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    if max_size is not None and max_size < 1:
        raise ValueError(f"max_size must be >= 1 or None, got {max_size}")
    keep = counts >= min_count  # [n]
    literal = words.index(UNK) if unk and UNK in words else None
    if literal is not None:  # a literal "<unk>" is an ordinary word unless unk pools into it
        keep[literal] = False
    by_word = np.array(sorted(np.flatnonzero(keep).tolist(), key=words.__getitem__), np.int64)
    ranked = by_word[np.argsort(-counts[by_word], kind="stable")]  # [k] by (-count, word)
    if max_size is not None:
        ranked = ranked[: max_size - 1 if unk else max_size]
    if not unk:
        dropped = 0
    else:
        dropped = int(counts.sum() - counts[ranked].sum())
        ties = ranked[counts[ranked] == dropped]  # alphabetical
        place = np.count_nonzero(counts[ranked] > dropped)
        place += bisect.bisect_left(ties.tolist(), UNK, key=words.__getitem__)
        ranked = np.insert(ranked, place, -1)
    if order == "alphabetical":
        chosen = np.zeros(len(words), bool)  # [n]
        chosen[ranked[ranked >= 0]] = True
        ranked = by_word[chosen[by_word]]  # by_word is alphabetical already
        if unk:
            place = bisect.bisect_left(ranked.tolist(), UNK, key=words.__getitem__)
            ranked = np.insert(ranked, place, -1)
    return ranked, dropped


class Vocabulary:
    """Words and their ids: ``index_to_key[i]`` is word i, ``key_to_index[w]`` its id.

    Args:
        words: the words, in id order; unique, non-empty, without tabs or newlines.
        counts: corpus counts aligned with ``words`` (default: all zero).
        tokenizer: the name of the tokenizer that made the words, as meta.json records it
            ("simple", "course", "whitespace", or a function's module.qualname); None when
            unknown. Query words pass through it to be found as the training text wrote them.
            Not compared by ``==``, and not in vocab.tsv (the dataset's meta.json has it).
    """

    def __init__(
        self,
        words: Sequence[str],
        counts: Sequence[int] | None = None,
        tokenizer: str | None = None,
    ) -> None:
        words = list(map(str, words))
        counts = [0] * len(words) if counts is None else list(map(int, counts))
        if len(counts) != len(words):
            raise ValueError(f"counts has {len(counts)} entries for {len(words)} words")
        joined = "".join(words)  # one scan for the characters vocab.tsv cannot hold
        if not all(words) or "\t" in joined or "\n" in joined or "\r" in joined:
            word = next(w for w in words if not w or any(c in w for c in "\t\n\r"))
            raise ValueError(f"vocabulary word {word!r} is empty or holds a tab or newline")
        if counts and min(counts) < 0:
            raise ValueError("vocabulary counts must be >= 0")
        self.index_to_key: list[str] = words
        self.key_to_index: dict[str, int] = dict(zip(words, range(len(words)), strict=True))
        if len(self.key_to_index) != len(words):
            dup = next(w for w, n in Counter(words).items() if n > 1)
            raise ValueError(f"vocabulary word {dup!r} occurs twice")
        self.counts: list[int] = counts
        self.tokenizer = tokenizer

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        order: VocabOrder = "alphabetical",
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
        tokenizer: str | None = None,
    ) -> Vocabulary:
        """Keep words seen ``min_count`` times or more, the ``max_size`` most frequent of them.

        ``order="alphabetical"`` sorts by code point, as the course's ``get_dict`` does;
        ``"frequency"`` is gensim's order, most frequent first, ties alphabetical. With
        ``unk=True`` the dropped words become one word ``"<unk>"`` whose count is theirs.
        """
        words = list(counts)
        values = np.fromiter(map(int, counts.values()), np.int64, len(words))  # [n]
        ranked, dropped = select_words(words, values, order, min_count, max_size, unk)
        kept, values = ranked.tolist(), values.tolist()
        return cls(
            [words[i] if i >= 0 else UNK for i in kept],
            [values[i] if i >= 0 else dropped for i in kept],
            tokenizer,
        )

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

    def to_dict(self) -> dict[str, Any]:
        """``{"words": [...], "counts": [...], "tokenizer": name or None}``, plain values (what
        checkpoints store)."""
        return {
            "words": list(self.index_to_key),
            "counts": list(self.counts),
            "tokenizer": self.tokenizer,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vocabulary:
        """The vocabulary of ``to_dict``; a dict without "counts" or "tokenizer" (an older
        checkpoint's) leaves them zero and None."""
        if "words" not in d:
            raise ValueError("a vocabulary dict needs a 'words' list (and optionally 'counts')")
        tokenizer = d.get("tokenizer")
        if tokenizer is not None and not isinstance(tokenizer, str):
            raise ValueError(f"a vocabulary dict's 'tokenizer' must be a name, got {tokenizer!r}")
        return cls(d["words"], d.get("counts"), tokenizer)

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

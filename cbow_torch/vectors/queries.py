"""Words asked for by a person, found in the vocabulary as the training text was tokenized.

A query is looked up as itself first. If it is not a key, it goes through the run's tokenizer
("File" becomes "file" under ``simple``, which lower-cases; accents stay, as ``simple`` keeps
them), and is that word when the tokenizer makes exactly one token of it. The tokenizer's name
comes from the vectors' file: a checkpoint, ``.pt`` or ``.npz`` carries it, and a word2vec
file in a run directory has the run's ``config.yaml`` beside it (``data.tokenizer``). Only the
built-in tokenizers are applied (a dotted name would import code that a file names); without
one, the second try is case-insensitive. A word that is still unknown is an
``UnknownWordError``, one line with the closest words. Vectors with subwords
(``SubwordVectors``) answer for a word outside the vocabulary that has a character n-gram:
the query, normalised the same way, is then the key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PathLike = str | os.PathLike
BUILTIN_TOKENIZERS = ("course", "simple", "whitespace")


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class Queries:
    """``WordVectors``' lookups: an unknown key is an ``UnknownWordError`` naming the closest
    words, and a query is matched as the training text was tokenized. A mixin placed before
    gensim's ``KeyedVectors``, whose methods it extends."""

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


def find_keys(vectors: Any, queries: Sequence[str]) -> list[str | None]:
    """The key each query means in ``vectors`` (anything with ``key_to_index``,
    ``index_to_key`` and ``tokenizer``), or None: itself, else normalised (above)."""
    keys = vectors.key_to_index
    tokenizer = getattr(vectors, "tokenizer", None)
    normalise = _tokenizer(tokenizer) if tokenizer in BUILTIN_TOKENIZERS else None
    folded: dict[str, str] | None = None
    unseen = getattr(vectors, "has_vector", None)  # vectors that answer for unseen words
    found: list[str | None] = []
    for query in queries:
        if query in keys:
            found.append(query)
            continue
        if normalise is not None:
            tokens = normalise(query)
            key = tokens[0] if len(tokens) == 1 else None
        else:
            if folded is None:  # the most frequent (first) of the words that fold alike
                folded = {}
                for word in reversed(vectors.index_to_key):
                    if isinstance(word, str):
                        folded[word.casefold()] = word
            key = folded.get(query.casefold(), query)
        if key not in keys and unseen is not None:  # an unseen word, as the text would have it
            key = key if key is not None and unseen(key) else None
        found.append(key if key in keys or unseen is not None else None)
    return found


def _tokenizer(name: str):
    from ..data.text import get_tokenizer  # numpy and re only

    return get_tokenizer(name)


def unknown_word_message(vectors: Any, word: Any, where: PathLike | None = None) -> str:
    """One line: the word is unknown (in ``where``), and the closest words."""
    of = f" of {where}" if where else ""
    size = f"({len(vectors.index_to_key)} words)"
    if not isinstance(word, str):
        return f"{word!r} is not in the vocabulary{of} {size}"
    words = [w for w in vectors.index_to_key if isinstance(w, str)]
    close = [word.lower()] if word.lower() in vectors.key_to_index else []
    for query in dict.fromkeys([word, word.lower()]):  # a lower-cased vocabulary is usual
        close += difflib.get_close_matches(query, words, n=3, cutoff=0.6)
    close = list(dict.fromkeys(close))[:3]
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    if getattr(vectors, "has_vector", None) is not None:  # vectors with subwords
        n = f"{vectors.min_n} to {vectors.max_n}"
        hint = f" and has no character n-gram of {n} characters, so no vector{hint}"
    return f"{word!r} is not in the vocabulary{of} {size}{hint}"


def run_tokenizer(path: PathLike) -> str | None:
    """``data.tokenizer`` of the run whose ``config.yaml`` lies beside ``path``, if any."""
    config = Path(path).parent / "config.yaml"
    if not config.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # not a run's config: queries are then matched case-insensitively
    section = data.get("data") if isinstance(data, dict) else None
    name = section.get("tokenizer") if isinstance(section, dict) else None
    return name if isinstance(name, str) else None

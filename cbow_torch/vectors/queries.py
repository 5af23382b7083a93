"""Words asked for by a person, found in the vocabulary as the training text was tokenized.

A query is looked up as itself first. If it is not a key, it goes through the run's tokenizer
("File" becomes "file" under ``simple``, which lower-cases; accents stay, as ``simple`` keeps
them), and is that word when the tokenizer makes exactly one token of it. The tokenizer's name
comes from the vectors' file: a checkpoint, ``.pt`` or ``.npz`` carries it, and a word2vec
file in a run directory has the run's ``config.yaml`` beside it (``data.tokenizer``). Only the
built-in tokenizers are applied (a dotted name would import code that a file names); without
one, the second try is case-insensitive. A word that is still unknown is an
``UnknownWordError``, one line with the closest words.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PathLike = str | os.PathLike
BUILTIN_TOKENIZERS = ("course", "simple", "whitespace")


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def find_keys(vectors: Any, queries: Sequence[str]) -> list[str | None]:
    """The key each query means in ``vectors`` (anything with ``key_to_index``,
    ``index_to_key`` and ``tokenizer``), or None: itself, else normalised (above)."""
    keys = vectors.key_to_index
    tokenizer = getattr(vectors, "tokenizer", None)
    normalise = _tokenizer(tokenizer) if tokenizer in BUILTIN_TOKENIZERS else None
    folded: dict[str, str] | None = None
    found: list[str | None] = []
    for query in queries:
        if query in keys:
            found.append(query)
        elif normalise is not None:
            tokens = normalise(query)
            found.append(tokens[0] if len(tokens) == 1 and tokens[0] in keys else None)
        else:
            if folded is None:  # the most frequent (first) of the words that fold alike
                folded = {}
                for key in reversed(vectors.index_to_key):
                    if isinstance(key, str):
                        folded[key.casefold()] = key
            found.append(folded.get(query.casefold()))
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

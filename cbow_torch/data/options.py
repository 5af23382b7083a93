"""The preparation options: what turns a corpus into ids, defined once.

``PrepareOptions`` is read by everything that prepares or finds a dataset: ``prepare`` and
``cbow-torch prepare`` (its fields are the command's options), ``write_dataset`` and
``encode_corpus``, ``CBOWDataModule`` (whose flat ``data.tokenizer`` … ``data.unk`` keys take
their defaults from here), the cache key, meta.json's ``options`` and the warning about options
that a prepared ``data.dataset`` was not made with.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import CBOWDataError
from .reading import check_encoding
from .text import ORDERS, VocabOrder, get_tokenizer


@dataclass(frozen=True)
class PrepareOptions:
    """The options that change the ids of a prepared corpus.

    Args:
        tokenizer: "simple" (gensim's simple_preprocess), "course" (the course's NLTK 3.5
            preprocessing), "whitespace", or the dotted name of a function str -> list[str].
        line_per_document: each line is a document and windows stay inside it; otherwise the
            text is one stream (the course), broken only between files.
        min_count: words seen fewer times are dropped from the stream.
        max_vocab_size: keep at most this many of the most frequent words.
        vocab_order: "frequency" (gensim's ids) or "alphabetical" (the course's).
        unk: map dropped words to "<unk>" instead of removing them.
        encoding: the corpus files' text encoding, e.g. "latin-1" or "cp1252"; bytes that are
            not valid in it become U+FFFD, with a warning.
    """

    tokenizer: str | Callable[[str], list[str]] = "simple"
    line_per_document: bool = False
    min_count: int = 1
    max_vocab_size: int | None = None
    vocab_order: VocabOrder = "frequency"
    unk: bool = False
    encoding: str = "utf-8"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def pick(cls, values: Mapping[str, Any]) -> PrepareOptions:
        """The options among ``values`` (a DataModule's hparams, parsed arguments), the rest
        left at their defaults."""
        return cls(**{name: values[name] for name in cls.names() if name in values})

    def check(self, prefix: str) -> PrepareOptions:
        """The rules, checked before any text is read. ``prefix`` names the options as the
        caller's user writes them: ``"data."`` for fit, ``"--"`` for prepare."""
        if self.min_count < 1:
            raise CBOWDataError(f"{prefix}min_count must be >= 1, got {self.min_count}")
        if self.max_vocab_size is not None and self.max_vocab_size < 2:
            raise CBOWDataError(
                f"{prefix}max_vocab_size must be >= 2 or null, got {self.max_vocab_size}"
            )
        if self.vocab_order not in ORDERS:
            raise CBOWDataError(
                f"{prefix}vocab_order must be one of {ORDERS}, got {self.vocab_order!r}"
            )
        try:
            get_tokenizer(self.tokenizer)
        except ValueError as err:
            raise CBOWDataError(f"{prefix}tokenizer: {err}") from None
        check_encoding(self.encoding, f"{prefix}encoding")
        return self

    def record(self) -> dict[str, Any]:
        """Plain values, as meta.json holds them and the cache key hashes them: a tokenizer
        function is recorded by its module.qualname, an encoding by Python's name for it."""
        return {
            **asdict(self),
            "tokenizer": tokenizer_name(self.tokenizer),
            "encoding": encoding_name(self.encoding),
        }

    def unused(self, prepared: Mapping[str, Any], prefix: str = "data.") -> list[str]:
        """The options set away from their defaults that differ from ``prepared`` (a dataset's
        meta.json ``options``), each as ``data.NAME=VALUE (it has OTHER)``."""
        ours, defaults = self.record(), PrepareOptions().record()
        return [
            f"{prefix}{name}={value} (it has {prepared.get(name)})"
            for name, value in ours.items()
            if value != defaults[name] and value != prepared.get(name)
        ]


def tokenizer_name(tokenizer: str | Callable) -> str:
    """A tokenizer as meta.json and the cache key record it: its name, or module.qualname."""
    if isinstance(tokenizer, str):
        return tokenizer
    return f"{getattr(tokenizer, '__module__', '?')}.{getattr(tokenizer, '__qualname__', '?')}"


def encoding_name(encoding: str) -> str:
    """Python's name for an encoding ("latin-1" -> "iso8859-1"), or the name as given."""
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError):
        return encoding

"""Tokens counted and numbered, one task of chunks at a time, and the tasks merged in order.

A task is a run of consecutive chunks (``reading.read_pieces``). A ``TaskCounter`` (one in each
worker process, or one in this process) decodes and tokenises them and numbers every word it has
seen in its own order; it sends back only the words new to it. ``Tally`` merges the tasks in
corpus order into one numbering of every word seen (the provisional ids, by first sight), their
counts, the stream of provisional ids (written to a file as it grows) and the documents' starts.
The final vocabulary is chosen from the counts alone, so it does not depend on how the work
was split.

The per-token work is in compiled code: the tokenizer (``str.split``, ``re``), one
``dict.setdefault`` per token through ``map``, and numpy for the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from typing import IO

import numpy as np

from .reading import decode
from .text import get_tokenizer

# A piece of a task: (file index, offset in the file, bytes).
Piece = tuple[int, int, bytes]


@dataclass
class Counted:
    """One task, counted by the counter ``worker``, in that counter's numbering of words."""

    worker: int  # the counter's process id
    new_words: list  # the words it had not seen before, in the order of their numbers
    words: np.ndarray  # [W] int64, the numbers of the task's distinct words
    counts: np.ndarray  # [W] int64, their counts in the task
    ids: np.ndarray  # [T] int32, the number of each token
    doc_starts: np.ndarray  # [D] int64, token offsets of the lines with words (line_per_document)
    file_tokens: dict[int, int]  # tokens per file index
    bad_bytes: dict[int, tuple[int, str]]  # file index -> (offset, reason) of the first bad byte


class TaskCounter:
    """Counts tasks, numbering each word the first time this counter sees it."""

    def __init__(
        self, tokenizer: str | Callable, line_per_document: bool, encoding: str = "utf-8"
    ) -> None:
        self.tokenize = get_tokenizer(tokenizer)
        self.line_per_document = line_per_document
        self.encoding = encoding
        self.known: dict = {}  # word -> its number

    def __call__(self, pieces: Sequence[Piece]) -> Counted:
        first: dict = {}  # word -> the offset of its first sight in the task
        positions, starts = [], []  # [T_p] int64 arrays, per piece
        file_tokens: dict[int, int] = {}
        bad: dict[int, tuple[int, str]] = {}
        n = 0
        for file, offset, data in pieces:
            text, err = decode(data, self.encoding)
            if err is not None and file not in bad:
                bad[file] = (offset + err.start, err.reason)
            if self.line_per_document:
                docs = [_as_list(t) for t in map(self.tokenize, text.split("\n"))]
                lengths = np.fromiter(map(len, docs), np.int64, len(docs))  # [L]
                before = np.cumsum(lengths) - lengths  # [L]
                starts.append(n + before[lengths > 0])
                tokens = list(chain.from_iterable(docs))
            else:
                tokens = _as_list(self.tokenize(text))
            # One dict operation per token: the offset of the word's first sight.
            seen = map(first.setdefault, tokens, range(n, n + len(tokens)))
            positions.append(np.fromiter(seen, np.int64, len(tokens)))
            file_tokens[file] = file_tokens.get(file, 0) + len(tokens)
            n += len(tokens)
        firsts = np.fromiter(first.values(), np.int64, len(first))  # [W] ascending
        local = np.zeros(n, np.int64)  # [T] a word's index in the task, at its first sight
        local[firsts] = np.arange(len(first))
        local = local[np.concatenate(positions)] if positions else local  # [T]
        words, new_words = self._number(list(first))
        return Counted(
            worker=os.getpid(),
            new_words=new_words,
            words=words,
            counts=np.bincount(local, minlength=len(first)),  # [W]
            ids=words.astype(np.int32)[local],  # [T]
            doc_starts=np.concatenate(starts) if starts else np.zeros(0, np.int64),
            file_tokens=file_tokens,
            bad_bytes=bad,
        )

    def _number(self, words: list) -> tuple[np.ndarray, list]:
        """The numbers of ``words`` (distinct), new ones numbered next; and the new ones."""
        known, before = self.known, len(self.known)
        # A new word gets before + its index here, so new numbers have gaps until compacted.
        numbers = map(known.setdefault, words, range(before, before + len(words)))
        numbers = np.fromiter(numbers, np.int64, len(words))  # [W]
        fresh = numbers >= before  # [W]
        new_words = list(compress(words, fresh))
        numbers[fresh] = np.arange(before, before + len(new_words))
        known.update(zip(new_words, range(before, before + len(new_words)), strict=True))
        return numbers, new_words


def _as_list(tokens) -> list:
    return tokens if isinstance(tokens, list) else list(tokens)


# The counter of a worker process, set by init_worker (fork inherits it, spawn pickles it).
_COUNTER: TaskCounter | None = None


def init_worker(
    parent: int, tokenizer: str | Callable, line_per_document: bool, encoding: str
) -> None:
    """A pool worker's start: Ctrl-C is the parent's to handle, SIGTERM ends it quietly, and
    so does its parent's end, however it came (on Linux: ``kill -9`` leaves no worker behind)."""
    global _COUNTER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it ended before that took hold
            os._exit(0)
    _COUNTER = TaskCounter(tokenizer, line_per_document, encoding)


def count_in_worker(pieces: Sequence[Piece]) -> Counted:
    return _COUNTER(pieces)


class Tally:
    """Counted tasks merged in corpus order; the provisional id stream goes to ``raw``.

    Each counter's tasks arrive in the order it counted them (tasks are handed out in order),
    so its words up to a task are known when the task is merged.
    """

    def __init__(self, raw: IO[bytes], n_files: int) -> None:
        self.raw = raw
        self.index: dict = {}  # word -> provisional id
        self.counts = _Growing()  # [V_seen] by provisional id
        self.maps: dict[int, _Growing] = {}  # counter -> its number -> provisional id
        self.file_tokens = np.zeros(n_files, np.int64)  # [F]
        self.doc_starts: list[np.ndarray] = []
        self.tokens = 0

    def add(self, counted: Counted) -> None:
        index = self.index
        pids = [index.setdefault(w, len(index)) for w in counted.new_words]  # new to the counter
        to_pid = self.maps.setdefault(counted.worker, _Growing())
        to_pid.extend(np.asarray(pids, dtype=np.int64))
        self.counts.extend(np.zeros(len(index) - len(self.counts.array), np.int64))
        self.counts.array[to_pid.array[counted.words]] += counted.counts  # [W] distinct
        to_pid.array[counted.ids].astype(np.int32).tofile(self.raw)  # [T]
        self.doc_starts.append(counted.doc_starts + self.tokens)
        for file, n in counted.file_tokens.items():
            self.file_tokens[file] += n
        self.tokens += len(counted.ids)

    def words(self) -> list:
        return list(self.index)

    def word_counts(self) -> np.ndarray:
        return self.counts.array  # [V_seen]

    def starts(self, line_per_document: bool) -> np.ndarray:
        """Document starts in the provisional stream: each line with words, or else each
        file (windows never cross files)."""
        if line_per_document:
            return np.concatenate(self.doc_starts) if self.doc_starts else np.zeros(0, np.int64)
        return np.concatenate([[0], np.cumsum(self.file_tokens)[:-1]]).astype(np.int64)


class _Growing:
    """An int64 array that grows at its end in amortised O(1); ``array`` is its content."""

    def __init__(self) -> None:
        self._data, self._n = np.zeros(1024, np.int64), 0

    @property
    def array(self) -> np.ndarray:
        return self._data[: self._n]

    def extend(self, values: np.ndarray) -> None:
        if self._n + len(values) > len(self._data):
            grown = np.zeros(max(self._n + len(values), 2 * len(self._data)), np.int64)
            grown[: self._n] = self.array
            self._data = grown
        self._data[self._n : self._n + len(values)] = values
        self._n += len(values)

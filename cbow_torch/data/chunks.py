"""Token ids as chunks of documents: the fused engine's training steps."""

from __future__ import annotations

import math

import numpy as np
from torch.utils.data import Dataset

from .corpus import CBOWDataError

MAX_SPAN = 10_000  # word2vec's MAX_SENTENCE_LEN: a longer document is cut into spans this long
MIN_CHUNKS = 10  # chunks per epoch at least, so a small corpus still has a curve


class DocumentChunk:
    """One training step of the fused engine: spans ``lo`` … ``hi`` − 1 of the stream ``ids``,
    span s being ``ids[spans[s]:spans[s + 1]]``, with what the kernel needs to train on them.

    A plain object (not a dataclass or tensor), so that Lightning hands it to the training step
    as it is, memory map included, without copying or moving it. ``words`` is set by the
    training step: the tokens the kernel read.
    """

    __slots__ = ("ids", "spans", "keep", "window", "lo", "hi", "index", "epoch", "words")

    def __init__(self, ids, spans, keep, window, lo, hi, index, epoch) -> None:
        self.ids, self.spans, self.keep, self.window = ids, spans, keep, window
        self.lo, self.hi, self.index, self.epoch = lo, hi, index, epoch
        self.words = int(spans[hi] - spans[lo])  # before subsampling; the kernel recounts

    def __repr__(self) -> str:
        return f"DocumentChunk(index={self.index}, spans={self.lo}:{self.hi}, words={self.words})"


def make_spans(doc_starts, n_ids: int, max_len: int = MAX_SPAN) -> np.ndarray:
    """Offsets [S + 1] (int64) of the spans the kernel trains on: each document
    ids[doc_starts[d]:doc_starts[d + 1]] (the last one ends at n_ids) cut into pieces of at most
    ``max_len`` tokens, empty documents dropped. Windows never cross a span's ends."""
    starts = np.asarray(doc_starts, dtype=np.int64).reshape(-1)  # [D]
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    if len(starts) and (starts[0] < 0 or starts[-1] > n_ids or (np.diff(starts) < 0).any()):
        raise ValueError(f"doc_starts must rise within [0, {n_ids}] (the number of ids)")
    ends = np.append(starts[1:], n_ids)  # [D]
    pieces = -(-(ends - starts) // max_len)  # [D] ceil(length / max_len), 0 when empty
    first = np.cumsum(pieces) - pieces  # [D] index of each document's first piece
    piece = np.arange(int(pieces.sum()))  # [S]
    doc = np.repeat(np.arange(len(starts)), pieces)  # [S] each piece's document
    offsets = starts[doc] + (piece - first[doc]) * max_len  # [S]
    return np.append(offsets, n_ids if len(offsets) else 0).astype(np.int64)  # [S + 1]


class ChunkDataset(Dataset):
    """Item i is chunk i of an epoch: consecutive spans of about ``chunk_words`` tokens
    (fewer where the corpus has fewer than ``MIN_CHUNKS`` × ``chunk_words``), in corpus order,
    as word2vec reads its file. Subsampling is drawn inside the kernel, anew every epoch.

    Args:
        ids: the training ids (a memory map: never copied).
        doc_starts: the documents' start offsets in ``ids``.
        window: C.
        keep: float32 [V], each word's chance to survive subsampling (all 1: off).
        chunk_words: tokens per chunk, >= 1.
    """

    def __init__(self, ids, doc_starts, window: int, keep: np.ndarray, chunk_words: int) -> None:
        if chunk_words < 1:
            raise CBOWDataError(f"data.chunk_words must be >= 1, got {chunk_words}")
        self.ids, self.window, self.epoch = ids, window, 0
        self.keep = np.ascontiguousarray(keep, dtype=np.float32)  # [V]
        n = len(ids)
        self.spans = make_spans(doc_starts, n)  # [S + 1]
        size = max(1, min(chunk_words, math.ceil(n / MIN_CHUNKS)))
        # The first span starting at or after each multiple of size begins a chunk.
        cuts = np.searchsorted(self.spans[:-1], np.arange(0, n, size))  # [~n/size]
        self.bounds = np.unique(np.append(cuts, len(self.spans) - 1))  # [chunks + 1]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitems__(self, indices) -> DocumentChunk:
        (i,) = indices  # the loader's batch_size is 1: a step is one chunk
        lo, hi = int(self.bounds[i]), int(self.bounds[i + 1])
        return DocumentChunk(self.ids, self.spans, self.keep, self.window, lo, hi, i, self.epoch)

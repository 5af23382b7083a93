"""``Subwords``: fastText's input. Each context word brings its own column of W1 and the columns
of its character n-grams, hashed into ``bucket`` buckets, and its vector is their mean.

W1 is then N × (V + B): the V words, then the B buckets (DESIGN.md §2c). The bag of every
vocabulary word is computed once (``ngrams.ngram_bags``, gensim's hashes) and kept beside the
prepared data; a word outside the vocabulary gets the mean of its n-grams' rows
(``vectors.SubwordVectors``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..atomic import atomic_write
from ..functional.bags import bag_context
from .base import Input
from .ngrams import ngram_bags, subwords_on


class Subwords(Input):
    """fastText's character n-grams, with gensim's ``FastText`` names.

    Args:
        min_n, max_n: the n-gram lengths in characters (fastText's 3 and 6).
        bucket: B, the hash buckets of n-grams, W1's columns besides the words; 0 (or
            ``max_n`` 0) turns n-grams off and leaves each word its own column.
    """

    def __init__(self, min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000) -> None:
        self.on = subwords_on(min_n, max_n, bucket)  # the one-line errors
        self.min_n, self.max_n, self.bucket = min_n, max_n, bucket
        self.bags: tuple[np.ndarray, np.ndarray] | None = None  # (offsets [V + 1], ids)
        self.longest = 1  # the largest bag
        self._words_key: str | None = None
        self._on_device: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def config(self) -> dict[str, Any]:
        args = {"min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket}
        return {"class_path": f"{type(self).__module__}.{type(self).__name__}", "init_args": args}

    def columns(self, V: int) -> int:
        return V + (self.bucket if self.on else 0)

    def setup(self, words: list[str], cache_dir: str | os.PathLike | None = None) -> None:
        """The vocabulary's bags, read from ``cache_dir`` when computed there before."""
        key = hashlib.sha256("\n".join(words).encode()).hexdigest()[:16]
        if key == self._words_key or not self.on:  # off: each word its own column, no bags
            return
        name = f"bags-{self.min_n}-{self.max_n}-{self.bucket}-{key}.npz"
        path = None if cache_dir is None else Path(cache_dir) / name
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as saved:
                self.bags = saved["offsets"], saved["ids"]
        else:
            self.bags = ngram_bags(words, self.min_n, self.max_n, self.bucket)
            if path is not None and os.access(path.parent, os.W_OK):
                offsets, ids = self.bags
                atomic_write(path, lambda f: np.savez(f, offsets=offsets, ids=ids))
        self.longest = int(np.diff(self.bags[0]).max(initial=1))
        self._words_key, self._on_device = key, {}

    def batch(self, context: torch.Tensor, dtype: torch.dtype):
        if not self.on:
            return super().batch(context, dtype)
        offsets, ids = self._device_bags(context.device)
        # A bound on a window's bag ids: no host read of the batch on an accelerator.
        length = None if context.device.type == "cpu" else context.shape[1] * self.longest
        return bag_context(context, offsets, ids, dtype, length)  # [m, L], [m, L]

    def word_vectors(self, W1T: torch.Tensor, V: int) -> torch.Tensor:
        """Word j's vector [V, N]: the mean of its bag's rows of W1ᵀ (fastText's)."""
        if not self.on:
            return super().word_vectors(W1T, V)
        offsets, ids = self._device_bags(W1T.device)
        # Summed in place, bag by bag: no [nnz, N] gather of the rows (400 MB at B 2,000,000).
        with torch.no_grad():
            return F.embedding_bag(ids, W1T, offsets[:-1], mode="mean")  # [V, N]

    def unseen(self, W1T: torch.Tensor, V: int) -> dict[str, Any] | None:
        if not self.on:
            return None
        rows = {"vocab_rows": W1T[:V], "ngram_rows": W1T[V:], "bags": self.bags}  # [V, N], [B, N]
        return {**self.config()["init_args"], **rows}

    def _device_bags(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.bags is None:
            raise ValueError("Subwords.setup(words) must run before the bags are used")
        if device not in self._on_device:
            offsets, ids = self.bags
            self._on_device[device] = (
                torch.from_numpy(offsets).to(device),  # [V + 1]
                torch.from_numpy(ids.astype(np.int64)).to(device),  # [nnz]
            )
        return self._on_device[device]

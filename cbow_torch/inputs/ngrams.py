"""fastText's character n-grams: each vocabulary word's bag of W1 columns, built once.

Word w of a vocabulary of V words brings to a window its own column w and the columns
V + h of its character n-grams: the n-grams of ``<w>`` (n from ``min_n`` to ``max_n``, whole
UTF-8 characters, the lone ``<`` and ``>`` left out) hashed with FNV-1a into ``bucket`` buckets,
exactly as fastText and gensim compute them: the hashes are gensim's own
``gensim.models.fasttext.ft_ngram_hashes``. Duplicates stay in the bag, as both keep them.

Subwords are off with ``bucket == 0`` (gensim's switch) or ``max_n == 0`` (fastText's
``-maxn 0``): every bag is then the word alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def subwords_on(min_n: int, max_n: int, bucket: int) -> bool:
    """Whether these settings give words n-grams; raises a one-line ValueError for settings
    that have no meaning (``bucket`` < 0; with n-grams on, ``min_n`` < 1 or > ``max_n``)."""
    for name, value in (("min_n", min_n), ("max_n", max_n), ("bucket", bucket)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if bucket == 0 or max_n == 0:
        return False
    if min_n < 1:
        raise ValueError(
            f"min_n must be >= 1 (the shortest n-gram, in characters), got {min_n}: fastText's "
            "default is 3; for no n-grams set max_n 0 or bucket 0"
        )
    if min_n > max_n:
        raise ValueError(
            f"min_n {min_n} is greater than max_n {max_n}: no n-gram length fits; set "
            "min_n <= max_n (fastText's 3 and 6), or max_n 0 or bucket 0 for no n-grams"
        )
    return True


def ngram_bags(
    words: Sequence[str], min_n: int, max_n: int, bucket: int
) -> tuple[np.ndarray, np.ndarray]:
    """The bag of every word, as CSR arrays: word w's is ``ids[offsets[w]:offsets[w + 1]]``,
    ``[w, V + h₁, V + h₂, …]`` with h the buckets of its n-grams (module docstring).

    Args:
        words: the vocabulary, word w at index w (V words).
        min_n, max_n: the n-gram lengths in characters, gensim's names (fastText's minn, maxn).
        bucket: B, the number of hash buckets (W1 has V + B columns); 0 turns n-grams off.

    Returns:
        offsets int64 [V + 1] and ids [offsets[-1]], int32 when V + B < 2³¹, else int64.
        Without n-grams, every bag is [w].
    """
    from gensim.models.fasttext import ft_ngram_hashes  # gensim's import takes ~1 s: lazily

    on = subwords_on(min_n, max_n, bucket)
    V = len(words)
    dtype = np.int32 if V + bucket < 2**31 else np.int64
    if not on:
        return np.arange(V + 1, dtype=np.int64), np.arange(V, dtype=dtype)
    for w, word in enumerate(words):
        if not isinstance(word, str):
            raise ValueError(f"words must be strings, got {type(word).__name__} at index {w}")
    hashes = [ft_ngram_hashes(word, min_n, max_n, bucket) for word in words]
    sizes = np.fromiter((1 + len(h) for h in hashes), np.int64, count=V)  # [V] |bag|
    offsets = np.zeros(V + 1, np.int64)  # [V + 1]
    np.cumsum(sizes, out=offsets[1:])
    ids = np.empty(offsets[-1], dtype)  # [nnz]
    grams = np.ones(offsets[-1], bool)  # [nnz] false at each bag's first place: the word
    grams[offsets[:-1]] = False
    ids[offsets[:-1]] = np.arange(V)  # [V] the words' own columns
    flat = np.fromiter(itertools.chain.from_iterable(hashes), np.int64, count=offsets[-1] - V)
    ids[grams] = flat + V  # [nnz − V] the n-grams' bucket columns
    return offsets, ids

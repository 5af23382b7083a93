"""word2vec's two random draws: noise words (negative sampling) and subsampling.

- Noise words come from the unigram distribution raised to the power 0.75, drawn with an alias
  table (Walker/Vose): O(V) memory, exact probabilities, and each draw is one random index, one
  uniform and two gathers, on whichever device trains. ``scripts/bench_gensim.py --sections
  noise`` measures it against a cumulative table (binary search) and ``torch.multinomial``.
- Subsampling keeps an occurrence of word w with probability
  min(1, (sqrt(f_w / sample) + 1) · sample / f_w), f_w = count_w / total, as word2vec and gensim
  do; the data module redraws the kept positions every epoch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def _alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method: (prob [V], alias [V]) such that drawing i uniformly, then keeping i
    with probability prob[i] and taking alias[i] otherwise, draws i with probability p[i]."""
    V = len(p)
    q = (p * V).tolist()  # a Python list: this O(V) loop indexes it ~10× faster than numpy
    prob, alias = [1.0] * V, list(range(V))
    small = [i for i, x in enumerate(q) if x < 1.0]
    large = [i for i, x in enumerate(q) if x >= 1.0]
    while small and large:
        s, g = small.pop(), large[-1]
        prob[s], alias[s] = q[s], g
        q[g] -= 1.0 - q[s]  # g gives s what s lacks of a full column
        if q[g] < 1.0:
            small.append(large.pop())
    # What is left is 1 up to rounding: those columns keep themselves.
    return np.asarray(prob), np.asarray(alias, dtype=np.int64)


class UnigramNoise:
    """Noise words drawn with probability ∝ count^power (word2vec: power 0.75).

    Args:
        counts: corpus counts [V] of the vocabulary's words.
        power: the exponent on the counts.
        device: where the tables live and the draws happen.
    """

    def __init__(
        self,
        counts: Sequence[int] | np.ndarray,
        power: float = 0.75,
        device: torch.device | str = "cpu",
    ) -> None:
        counts = np.asarray(counts, dtype=np.float64)  # [V]
        if counts.ndim != 1 or len(counts) < 2:
            raise ValueError(
                f"negative sampling needs a vocabulary of at least 2 words, got {len(counts)}"
            )
        if (counts < 0).any() or counts.sum() <= 0:
            raise ValueError("noise counts must be >= 0 with a positive total")
        weights = counts**power  # [V]
        self.probs = weights / weights.sum()  # [V], float64
        prob, alias = _alias_table(self.probs)
        self.prob = torch.from_numpy(prob).to(device=device, dtype=torch.float32)  # [V]
        self.alias = torch.from_numpy(alias).to(device)  # [V]

    @property
    def device(self) -> torch.device:
        """Where the tables live and the draws happen."""
        return self.prob.device

    @property
    def vocab_size(self) -> int:
        """V, the number of words it draws from."""
        return self.prob.shape[0]

    def to(self, device: torch.device | str) -> UnigramNoise:
        """Move the tables (in place) to ``device``; returns self."""
        self.prob, self.alias = self.prob.to(device), self.alias.to(device)
        return self

    def sample(self, shape: tuple[int, ...], generator: torch.Generator | None = None):
        """Word ids [*shape] (int64), drawn independently, on ``self.device``."""
        n, V = int(np.prod(shape)), len(self.prob)
        column = torch.randint(V, (n,), generator=generator, device=self.device)  # [n]
        u = torch.rand(n, generator=generator, device=self.device)  # [n]
        ids = torch.where(u < self.prob[column], column, self.alias[column])  # [n]
        return ids.view(shape)  # [*shape]


def keep_probabilities(counts: Sequence[int] | np.ndarray, sample: float) -> np.ndarray:
    """word2vec's chance [V] that an occurrence of each word survives subsampling."""
    if sample < 0:
        raise ValueError(f"sample must be >= 0 (0 turns subsampling off), got {sample}")
    counts = np.asarray(counts, dtype=np.float64)  # [V]
    if sample == 0:
        return np.ones_like(counts)
    f = counts / max(counts.sum(), 1.0)  # [V] frequencies
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = (np.sqrt(f / sample) + 1) * sample / f  # [V]
    return np.where(f > 0, np.minimum(keep, 1.0), 1.0)  # [V]


def subsample(
    ids: np.ndarray, doc_starts: np.ndarray, keep: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One draw of subsampling: the kept ids (in order) and the documents' starts among them.

    Dropped words leave the stream before windows are cut, as in word2vec, so a window reaches
    past them. ``doc_starts`` are offsets into ``ids``; the new ones index the kept ids.
    """
    kept = rng.random(len(ids)) < keep[ids]  # [n] bool
    before = np.concatenate(([0], np.cumsum(kept)))  # [n + 1] kept ids before each position
    return ids[kept], before[np.asarray(doc_starts, dtype=np.int64)]

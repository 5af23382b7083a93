"""Token ids as CBOW windows: the window dataset (subsampled or not), its sampler, and the
loader that resumes mid-epoch. datamodule.py puts them together."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..sampling import subsample
from .corpus import CBOWDataError

# ---------------------------------------------------------------------------------------------
# The window dataset.


class CBOWWindowDataset(Dataset):
    """Example i is (context [2C], center): the window around the i-th valid centre position.

    Centre positions run from C to len−C−1 of each document (the whole id array when
    ``doc_starts`` is None, the course's windows), so windows never cross a document boundary.
    ``__getitems__`` builds a whole batch with one numpy gather; DataLoader and any sampler
    (DistributedSampler included) use it.

    Args:
        ids: 1-D integer array of token ids.
        window: C >= 1, the words on each side of the centre (CBOWDataModule checks it).
        doc_starts: sorted start offsets of the documents in ``ids`` (the first is 0).
    """

    def __init__(self, ids: np.ndarray, window: int, doc_starts: np.ndarray | None = None):
        ids = np.asarray(ids) if not isinstance(ids, np.ndarray) else ids
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise CBOWDataError(f"ids must be a 1-D integer array, got {ids.dtype} {ids.shape}")
        self.ids, self.window = ids, int(window)
        C = self.window
        starts = np.asarray([0] if doc_starts is None else doc_starts, np.int64).reshape(-1)
        if len(starts) == 0:
            starts = np.zeros(1, np.int64)
        ends = np.append(starts[1:], len(ids))
        n_valid = np.maximum(ends - starts - 2 * C, 0)  # [D]
        keep = n_valid > 0
        self._starts = starts[keep]  # [D']
        self._cum = np.cumsum(n_valid[keep])  # [D'] examples up to and including document d
        self._n = int(self._cum[-1]) if len(self._cum) else 0
        self._offsets = np.r_[-C:0, 1 : C + 1]  # [2C]

    def __len__(self) -> int:
        return self._n

    def centers(self, indices) -> np.ndarray:
        """Centre positions in ``ids`` of the examples ``indices`` [m]."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)  # [m]
        if idx.size and (idx.min() < 0 or idx.max() >= self._n):
            raise IndexError(f"example index out of range [0, {self._n})")
        if len(self._starts) == 1:
            return idx + (self._starts[0] + self.window)  # [m]
        doc = np.searchsorted(self._cum, idx, side="right")  # [m]
        before = np.where(doc > 0, self._cum[doc - 1], 0)  # [m]
        return self._starts[doc] + self.window + (idx - before)  # [m]

    def __getitems__(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        pos = self.centers(indices)  # [m]
        context = self.ids[pos[:, None] + self._offsets].astype(np.int64)  # [m, 2C]
        center = self.ids[pos].astype(np.int64)  # [m]
        return torch.from_numpy(context), torch.from_numpy(center)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if index < 0:
            index += self._n
        context, center = self.__getitems__([index])
        return context[0], center[0]


class SubsampledWindows(Dataset):
    """The windows of a stream from which frequent words are dropped anew every epoch.

    word2vec's subsampling: each epoch (``set_epoch``, which the sampler calls) draws which
    occurrences stay, from ``keep`` [V] and (seed, epoch), then cuts windows from the kept
    stream. The epoch length is fixed by epoch 0's draw, so that Lightning's step counts and
    schedules hold; another epoch's windows are spread over it evenly (a few hundredths of a
    percent repeat or go unseen). Every rank of a DDP run draws the same.
    """

    def __init__(
        self, ids: np.ndarray, window: int, doc_starts: np.ndarray, keep: np.ndarray, seed: int
    ) -> None:
        self.ids, self.window, self.doc_starts = ids, window, doc_starts
        self.keep, self.seed = keep.astype(np.float32), seed
        self.set_epoch(0)
        self._n = len(self.windows)

    def set_epoch(self, epoch: int) -> None:
        rng = np.random.default_rng([self.seed, epoch, 0x5B])
        kept, starts = subsample(self.ids, self.doc_starts, self.keep, rng)
        self.windows = CBOWWindowDataset(kept, self.window, starts)

    def __len__(self) -> int:
        return self._n

    def __getitems__(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        idx = np.asarray(indices, dtype=np.int64)  # [m]
        return self.windows.__getitems__(idx * len(self.windows) // self._n)


class WindowSampler(DistributedSampler):
    """Example indices for one rank of ``num_replicas``, in order or shuffled per epoch.

    DistributedSampler's split (rank r takes every num_replicas-th index, padded with at most
    num_replicas - 1 repeats so that all ranks get as many batches), but the permutation is a
    numpy array of 4 bytes per example, yielded lazily, instead of a Python list of every
    index; an epoch over 10^8 windows stays cheap. Being a DistributedSampler, Lightning keeps
    it instead of injecting its own, and calls ``set_epoch``. A pass skips the first ``start``
    indices of this rank's share (ResumableLoader sets it).
    """

    def __init__(self, dataset, num_replicas=1, rank=0, shuffle=True, seed=0) -> None:
        super().__init__(dataset, num_replicas, rank, shuffle=shuffle, seed=seed)
        self.start = 0

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        if hasattr(self.dataset, "set_epoch"):  # a new subsampling draw
            self.dataset.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        n, step = len(self.dataset), self.num_replicas
        order = None
        if self.shuffle:
            order = np.arange(n, dtype=np.uint32 if n < 2**32 else np.int64)
            np.random.default_rng([self.seed, self.epoch]).shuffle(order)
        block = 65536 * step
        for start in range(self.rank + self.start * step, self.total_size, block):
            pos = np.arange(start, min(start + block, self.total_size), step)
            pos = np.where(pos >= n, pos - n, pos)  # the padding repeats the first indices
            yield from (pos if order is None else order[pos]).tolist()


class ResumableLoader(DataLoader):
    """A DataLoader over a WindowSampler that counts the batches of its current pass handed out
    (``done``) and can start its next pass after ``skip`` of them: how a run resumed from a
    mid-epoch checkpoint goes on where it stopped (CBOWDataModule.state_dict saves ``done``).

    Counted here, as batches leave the main process: worker processes fetch ahead of training.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.done, self.skip = 0, 0

    def __iter__(self) -> Iterator:
        self.done, self.skip = self.skip, 0
        self.sampler.start = self.done * self.batch_size
        for batch in super().__iter__():
            self.done += 1
            yield batch


def collate_batch(batch):
    """The DataLoader's collate_fn: ``__getitems__`` already returns a finished batch."""
    return batch

"""The training process fitted to its machine: intra-op threads that share the cores fairly, and
an allocator that keeps a step's buffers for the next step."""

from __future__ import annotations

import ctypes
import os
import time

import pytorch_lightning as pl
import torch


class IntraOpThreads(pl.Callback):
    """torch's intra-op threads for each training process, so that processes sharing the cores
    each get a fair share instead of all stalling (OpenMP threads that outnumber the cores wait
    on each other: two default runs on 2 cores took 6.5× as long as one).

    Args:
        count: threads per process; ``None`` (the default) chooses: the cores this process may
            use, divided among the training processes Lightning starts on this machine (DDP on
            CPU: cores / devices), less the cores that other programs keep busy, re-checked every
            ``check_every_s`` seconds (Linux; elsewhere the share alone).
        check_every_s: how often the automatic choice looks at the machine's load.
    """

    def __init__(self, count: int | None = None, check_every_s: float = 2.0) -> None:
        if count is not None and count < 1:
            raise ValueError(f"threads.count must be >= 1 or null (automatic), got {count}")
        self.count, self.check_every_s = count, check_every_s
        self.share = 1
        self._previous: int | None = None
        self._sample = _cpu_sample()  # from here to setup: the load that start-up saw

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        keep_freed_memory()
        self._previous = torch.get_num_threads()
        local_processes = trainer.num_devices if trainer.strategy.launcher is not None else 1
        self.share = max(1, _usable_cores() // local_processes)
        self._apply(self.count or self._choose())

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if self.count is None and self.share > 1 and batch_idx % 64 == 0:
            sample = self._sample
            if sample is None or time.monotonic() - sample[0] >= self.check_every_s:
                self._apply(self._choose())

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._previous is not None:
            torch.set_num_threads(self._previous)  # the caller's setting, for in-process users

    def _choose(self) -> int:
        before, self._sample = self._sample, _cpu_sample()
        if before is None or self._sample is None or self._sample[0] - before[0] < 0.2:
            return self.share
        wall, busy, own = (b - a for a, b in zip(before, self._sample, strict=True))
        return threads_for(self.share, others=(busy - own) / wall)

    @staticmethod
    def _apply(threads: int) -> None:
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks of up to 32 MiB for reuse instead of handing them back to
    the kernel: otherwise every step's fresh buffers (a negative-sampling step's sparse rows,
    ~26 MB at m = 4096) page-fault in again, which cost a negative-sampling step a fifth of its
    time. Returns whether it applied (glibc only; elsewhere nothing changes)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # malloc.h
    return bool(
        libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    )


def threads_for(share: int, others: float) -> int:
    """Threads for a process whose share is ``share`` cores while other programs keep ``others``
    cores busy: the share less what they take, at least 1."""
    return max(1, min(share, round(share - others)))


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _cpu_sample() -> tuple[float, float, float] | None:
    """(wall seconds, the machine's busy CPU seconds, this process's CPU seconds), or None
    where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user … steal, in seconds
    return time.monotonic(), busy, time.process_time()

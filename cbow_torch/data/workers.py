"""The pass over a corpus: its chunks read here, counted here or by worker processes, merged in
order (counting.py), with a progress bar.

The work is split into tasks of a few consecutive chunks, enough to keep every worker busy to
the end. Workers are forked on Linux (any tokenizer, a lambda included, nothing imported again)
and spawned elsewhere (a tokenizer that cannot be pickled then runs in this process alone). At
most two tasks per worker are read ahead, so memory stays bounded. Ctrl-C and errors stop the
workers; they ignore SIGINT themselves, so the terminal shows one message, not one per worker.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .counting import Counted, Piece, Tally, TaskCounter, count_in_worker, init_worker
from .memory import check_memory
from .reading import CHUNK_BYTES, read_pieces, warn_bad_bytes

if TYPE_CHECKING:
    from .options import PrepareOptions

PARALLEL_BYTES = 8 << 20  # below this a pool costs more than it saves
_MAX_TASK_CHUNKS = 8


def count_corpus(
    files: Sequence[Path],
    raw: IO[bytes],
    options: PrepareOptions,
    chunk_bytes: int = CHUNK_BYTES,
    workers: int | None = None,
    progress: bool | None = None,
) -> Tally:
    """Read, tokenise and count ``files`` once, writing the provisional ids to ``raw``; first
    refuse a corpus too large for the memory (memory.py).

    ``workers`` processes tokenise (default: every CPU this process may use, for a corpus of 8
    MB or more, else this process alone). ``progress``: a progress bar on stderr for a pass that
    takes more than 2 seconds (default: when stderr is a terminal).
    """
    total = sum(p.stat().st_size for p in files)
    if workers is None:
        workers = cpus() if total >= PARALLEL_BYTES else 1
    context = _context(options.tokenizer) if workers > 1 else None
    workers = workers if context is not None else 1
    # Two tasks a worker, or tasks of 8 chunks: each task numbers its distinct words afresh, so
    # fewer, larger tasks cost less; two a worker keep the workers even to the end.
    per_task = min(_MAX_TASK_CHUNKS * chunk_bytes, max(chunk_bytes, total // (2 * workers)))
    check_memory(files, options, workers, per_task)
    tally, warned = Tally(raw, len(files)), set()
    encoding = options.encoding
    tasks = _tasks(files, chunk_bytes, encoding, per_task)
    bound = (options.tokenizer, options.line_per_document, encoding)
    started = (os.getpid(), *bound)
    pool = context.Pool(workers, init_worker, started) if context is not None else None
    try:
        if pool is None:
            counter = TaskCounter(*bound)
            results = ((counter(pieces), done) for pieces, done in tasks)
        else:
            results = _in_order(pool, tasks, ahead=2 * workers)
        with _progress(progress, total) as bar:
            for counted, done in results:
                tally.add(counted)
                for file, (offset, reason) in counted.bad_bytes.items():
                    if file not in warned:
                        warn_bad_bytes(files[file], encoding, offset, reason)
                        warned.add(file)
                if bar is not None:
                    seconds = max(bar.format_dict["elapsed"], 1e-3)
                    bar.set_postfix_str(f"{tally.tokens / seconds:,.0f} words/s", refresh=False)
                    bar.update(done - bar.n)
    finally:
        if pool is not None:
            pool.terminate()  # done, or stopped by an error or a signal
            pool.join()
    return tally


def _tasks(files, chunk_bytes, encoding, per_task) -> Iterator[tuple[list[Piece], int]]:
    """Runs of consecutive pieces of about ``per_task`` bytes, each with the bytes read from
    disk (compressed or not) up to its end."""
    pieces, size, before = [], 0, 0
    for i, path in enumerate(files):
        for offset, data, position in read_pieces(path, chunk_bytes, encoding):
            pieces.append((i, offset, data))
            size += len(data)
            if size >= per_task:
                yield pieces, before + position
                pieces, size = [], 0
        before += path.stat().st_size
    if pieces:
        yield pieces, before


def _in_order(pool, tasks, ahead: int) -> Iterator[tuple[Counted, int]]:
    """The pool's results in task order, with at most ``ahead`` tasks read and waiting."""
    pending: deque = deque()
    for pieces, done in tasks:
        pending.append((pool.apply_async(count_in_worker, (pieces,)), done))
        if len(pending) >= ahead:
            result, finished = pending.popleft()
            yield result.get(), finished
    while pending:
        result, finished = pending.popleft()
        yield result.get(), finished


def cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _context(tokenizer):
    """fork on Linux; else spawn, for a tokenizer that can be pickled; else None."""
    import multiprocessing as mp  # here: a corpus small enough for one process does without

    if sys.platform.startswith("linux"):
        return mp.get_context("fork")
    try:
        pickle.dumps(tokenizer)
    except Exception:
        return None
    return mp.get_context("spawn")


@contextlib.contextmanager
def _progress(progress: bool | None, total: int):
    if not (sys.stderr.isatty() if progress is None else progress):
        yield None
        return
    from tqdm import tqdm

    with tqdm(
        total=total, unit="B", unit_scale=True, desc="prepare", delay=2.0, file=sys.stderr
    ) as bar:
        yield bar

"""Refuses, before any text is tokenised, a corpus too large for the memory that preparing it
needs.

What grows with the corpus while it is prepared (the ids themselves go to disk):

- its distinct words: each one's string and entries in this process's numbering, counts and
  vocabulary (about 400 bytes), and in each worker's numbering (about 200 bytes);
- with ``line_per_document``, the documents' starts (24 bytes each);
- and, fixed, each worker's task of a few MB (about 25 bytes a byte of text), and 50 MB.

The distinct words are estimated from the start of the first file (its first chunk, tokenised)
by Heaps' law, distinct words growing as tokens ** 0.6, which English text follows closely;
a corpus of all-new words is estimated as such. The memory there is, is the least of the memory
the system has available (``MemAvailable``), the room left under this process's cgroup limit,
and its address-space limit (``ulimit -v``). Where none of these can be read, nothing is
refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CBOWDataError
from .reading import COMPRESSED, decode, read_pieces
from .text import get_tokenizer

try:
    import resource
except ImportError:  # not on Windows
    resource = None

if TYPE_CHECKING:
    import torch

    from .options import PrepareOptions

WORD_BYTES = 400  # a distinct word, in this process
WORKER_WORD_BYTES = 200  # a distinct word, in each worker
DOC_BYTES = 24
TASK_BYTES_PER_BYTE = 25
SLACK_BYTES = 50 << 20  # what a pass holds besides (the interpreter is loaded already)
HEAPS_EXPONENT = 0.6
_SAMPLE_BYTES = 1 << 20
_COMPRESSION = 4  # bytes of text per byte of a .gz or .bz2 file, until the sample says


def check_memory(
    files: Sequence[Path], options: PrepareOptions, workers: int, task_bytes: int
) -> None:
    """CBOWDataError, in one line, if preparing ``files`` would need more memory than there is."""
    available = available_memory()
    if available is None:
        return
    fixed = SLACK_BYTES + workers * task_bytes * TASK_BYTES_PER_BYTE
    per_word = WORD_BYTES + workers * WORKER_WORD_BYTES
    on_disk = sum(p.stat().st_size for p in files)
    # At most a new word (or a document) every two bytes of text, a letter and a space: if
    # even that fits, the corpus is not read to estimate.
    text_bytes = sum(_text_bytes(p, _COMPRESSION) for p in files)
    if fixed + text_bytes / 2 * (per_word + DOC_BYTES) <= available:
        return
    tokens, words, docs, text_bytes = estimate(files, options)
    need = fixed + words * per_word + docs * DOC_BYTES
    if need > available:
        raise CBOWDataError(
            f"preparing {_describe(files)} ({_size(on_disk)} on disk, about {_count(tokens)} "
            f"words of which {_count(words)} distinct) needs about {_size(need)} of memory and "
            f"{_size(available)} is available: free memory, or prepare a part of the corpus"
        )


def estimate(files: Sequence[Path], options: PrepareOptions) -> tuple[int, int, int, int]:
    """(tokens, distinct words, documents, bytes of text) of the corpus, from its first chunk."""
    first = files[0]
    offset, piece, disk = next(read_pieces(first, _SAMPLE_BYTES, options.encoding), (0, b"", 0))
    text, _ = decode(piece, options.encoding)
    tokenize = get_tokenizer(options.tokenizer)
    lines = text.split("\n") if options.line_per_document else [text]
    per_line = [list(tokenize(line)) for line in lines]
    sample = [t for tokens in per_line for t in tokens]
    ratio = (offset + len(piece)) / max(disk, 1)  # the first file's compression, if any
    text_bytes = sum(_text_bytes(p, ratio if p == first else _COMPRESSION) for p in files)
    scale = text_bytes / max(len(piece), 1)
    tokens = math.ceil(len(sample) * scale)
    distinct = len(set(sample))
    words = min(tokens, math.ceil(distinct * max(scale, 1) ** HEAPS_EXPONENT))
    if distinct == len(sample):  # no word seen twice yet: assume none ever is
        words = tokens
    docs = math.ceil(sum(map(bool, per_line)) * scale) if options.line_per_document else len(files)
    return tokens, words, docs, int(text_bytes)


def _text_bytes(path: Path, ratio: float) -> float:
    return path.stat().st_size * (ratio if path.suffix in COMPRESSED else 1)


def available_memory() -> int | None:
    """Bytes this process may still allocate: the least of MemAvailable, the room under its
    cgroup's limit, and its address-space limit; None where none of them is known."""
    limits = [_meminfo_available(), _cgroup_room()]
    soft = resource.getrlimit(resource.RLIMIT_AS)[0] if resource else None
    if soft is not None and soft != resource.RLIM_INFINITY:
        limits.append(soft - _vm_size())
    known = [x for x in limits if x is not None]
    return max(min(known), 0) if known else None


def _meminfo_available() -> int | None:
    return _field(Path("/proc/meminfo"), "MemAvailable:", 1024)


def _vm_size() -> int:
    return _field(Path("/proc/self/status"), "VmSize:", 1024) or 0


def _cgroup_room() -> int | None:
    """The room under the cgroup memory limit (v2, else v1), counting reclaimable page cache
    as room; None without a limit."""
    for limit, usage, stat, cache in [
        ("memory.max", "memory.current", "memory.stat", "inactive_file"),
        (
            "memory/memory.limit_in_bytes",
            "memory/memory.usage_in_bytes",
            "memory/memory.stat",
            "total_inactive_file",
        ),
    ]:
        root = Path("/sys/fs/cgroup")
        try:
            text = (root / limit).read_text().strip()
            used = int((root / usage).read_text())
        except (OSError, ValueError):
            continue
        if text == "max" or not text.isdigit() or int(text) >= 1 << 60:
            return None
        return int(text) - used + (_field(root / stat, cache + " ", 1) or 0)
    return None


def _field(path: Path, name: str, unit: int) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) * unit
    except (OSError, ValueError, IndexError):
        pass
    return None


def _describe(files: Sequence[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0]} and {len(files) - 1} more files"


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _count(n: int) -> str:
    return f"{n / 1e9:.1f}G" if n >= 1e9 else f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n:,}"


def check_parameters(V: int, columns: int, N: int, device: torch.device) -> None:
    """A one-line ValueError, before the model is built, if its parameters do not fit: W1
    N × ``columns`` (the V words and, with subwords, the buckets) and W2 V × N in the default
    dtype (float64 under ``precision: 64-true``), against the memory ``device`` has free."""
    import torch

    cuda_free = torch.cuda.mem_get_info(device)[0] if device.type == "cuda" else None
    available = available_memory() if cuda_free is None else cuda_free
    itemsize = torch.empty(0).element_size()  # the default dtype's
    need = (columns + V) * N * itemsize  # W1 and W2; the biases are a few rows more
    if available is None or need <= available:
        return
    buckets = columns - V
    where = "GPU memory" if cuda_free is not None else "memory"
    fix = "lower model.input.init_args.bucket, " if buckets else ""
    raise ValueError(
        f"the parameters need {_size(need)} (W1 {N} x {columns:,} columns: {V:,} words"
        f"{f' + {buckets:,} n-gram buckets' if buckets else ''}; W2 {V:,} x {N}) and "
        f"{_size(available)} of {where} is available: {fix}lower model.embedding_dim or "
        "data.min_count, or free memory"
    )

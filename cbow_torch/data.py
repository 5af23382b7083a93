"""From a corpus on disk to CBOW batches: reading, the id cache, the window dataset, the datamodule.

A corpus is a file, a directory (every text file under it, sorted by path), a glob, or a list of
these; ``.gz`` and ``.bz2`` files are decompressed on the fly. ``None`` or ``"lee"`` is the
bundled default, gensim's Lee background corpus (300 news stories, one per line), which is
installed with gensim: nothing is ever downloaded.

Text is read in chunks of about 1 MB cut at line ends, so memory stays bounded. Bytes that are
not UTF-8 are replaced by U+FFFD, with one warning naming the file (a byte order mark at the
start of a file is skipped).

The ids are encoded once into ``<cache_dir>/<key>/ids.npy`` (uint16 when the vocabulary fits,
else int32), beside ``vocab.tsv``. The key hashes the files (path, size, modification time), the
tokenizer and the vocabulary options, so a second run skips tokenising and a changed corpus is
encoded again. A cache is built in a temporary directory and renamed into place under a file
lock, so processes that start together (DDP) build it once and never see half of it.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from filelock import FileLock
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .text import ORDERS, UNK, Vocabulary, get_tokenizer

BUNDLED = ("lee",)
CHUNK_BYTES = 1 << 20
CACHE_VERSION = 1
_SNIFF_BYTES = 8192


class CBOWDataError(ValueError):
    """A corpus or data option that cannot work; the message names it and the fix."""


# ---------------------------------------------------------------------------------------------
# Corpus files.


def bundled_corpus() -> Path:
    """gensim's Lee background corpus, shipped inside the gensim package."""
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


def _open_binary(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def _is_text_file(path: Path) -> bool:
    """Not hidden, readable, and its first 8 kB (decompressed) hold no NUL byte."""
    if path.name.startswith(".") or not path.is_file():
        return False
    try:
        with _open_binary(path) as f:
            head = f.read(_SNIFF_BYTES)
    except (OSError, EOFError):
        return False
    return b"\0" not in head


def resolve_corpus(corpus: str | Sequence[str] | None) -> list[Path]:
    """The corpus files, in reading order; CBOWDataError for a path that yields none."""
    if corpus is None or corpus in BUNDLED:
        return [bundled_corpus()]
    specs = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    if not specs:
        raise CBOWDataError("data.corpus is an empty list: give a file, directory or glob")
    files: list[Path] = []
    for spec in map(str, specs):
        path = Path(spec).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if _is_text_file(p) and not _hidden(p, path))
            if not found:
                raise CBOWDataError(
                    f"corpus directory {spec} holds no text files: add .txt files to it "
                    "or point data.corpus at a file"
                )
            files += found
        elif path.is_file():
            files.append(path)
        elif glob.has_magic(spec):
            found = sorted(Path(p) for p in glob.glob(os.path.expanduser(spec), recursive=True))
            found = [p for p in found if p.is_file()]
            if not found:
                raise CBOWDataError(f"corpus glob {spec!r} matches no files: check the pattern")
            files += found
        else:
            raise CBOWDataError(
                f"corpus path {spec} does not exist: check data.corpus "
                f"(a file, directory or glob; or {BUNDLED[0]!r} for the bundled corpus)"
            )
    for path in files:
        if path.stat().st_size == 0:
            raise CBOWDataError(f"corpus file {path} is empty: remove it or fill it with text")
    return files


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The text of ``path`` in pieces of about ``chunk_bytes`` that end at a line end.

    Non-UTF-8 bytes become U+FFFD, with one warning naming the file. A line longer than
    ``chunk_bytes`` is cut at a space, or failing that between two characters.
    """
    warned, buffer, first = False, b"", True
    with _open_binary(path) as f:
        while True:
            block = f.read(chunk_bytes)
            buffer += block
            if first:
                buffer, first = buffer.removeprefix(b"\xef\xbb\xbf"), False
            if not block:
                cut = len(buffer)
            else:
                cut = buffer.rfind(b"\n") + 1
                if cut == 0 and len(buffer) >= chunk_bytes:
                    cut = buffer.rfind(b" ") + 1 or _utf8_boundary(buffer)
                if cut == 0:
                    continue
            piece, buffer = buffer[:cut], buffer[cut:]
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError as err:
                text = piece.decode("utf-8", errors="replace")
                if not warned:
                    warnings.warn(
                        f"corpus file {path} is not valid UTF-8 ({err.reason} near byte "
                        f"{err.start}); the bad bytes were replaced by U+FFFD",
                        stacklevel=2,
                    )
                    warned = True
            if text:
                yield text
            if not block:
                return


def _utf8_boundary(buffer: bytes) -> int:
    """The largest cut <= len(buffer) that does not split a UTF-8 character (at least 1)."""
    lead = len(buffer)
    while lead > 1 and buffer[lead - 1] & 0xC0 == 0x80:  # back over continuation bytes
        lead -= 1
    lead -= 1  # buffer[lead] starts the last character
    first = buffer[lead]
    size = 1 if first < 0xC0 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
    return len(buffer) if lead + size <= len(buffer) or lead == 0 else lead


# ---------------------------------------------------------------------------------------------
# Encoding and the cache.


def _tokenizer_key(tokenizer: str | Callable) -> str:
    if isinstance(tokenizer, str):
        return tokenizer
    return f"{getattr(tokenizer, '__module__', '?')}.{getattr(tokenizer, '__qualname__', '?')}"


def cache_key(files: Sequence[Path], **options) -> str:
    """A hash of the files (path, size, mtime) and the options that change the ids."""
    stats = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    blob = json.dumps({"v": CACHE_VERSION, "files": stats, **options}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def encode_corpus(
    files: Sequence[Path],
    out_dir: Path,
    tokenizer: str | Callable = "simple",
    line_per_document: bool = False,
    min_count: int = 1,
    max_vocab_size: int | None = None,
    vocab_order: str = "frequency",
    unk: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
) -> Vocabulary:
    """Tokenise ``files`` once and write ``ids.npy``, ``docs.npy`` and ``vocab.tsv`` to ``out_dir``.

    One pass: tokens get provisional ids in order of first sight, streamed to disk; then the
    vocabulary is chosen from the counts and the stream is remapped in blocks. Peak memory is
    about the id stream's working set plus the vocabulary plus one chunk.
    """
    tokenize = get_tokenizer(tokenizer)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_path = out_dir / "raw.i32"
    seen: dict[str, int] = {}
    counts = np.zeros(0, dtype=np.int64)
    doc_starts, n_raw = [], 0
    with open(raw_path, "wb") as raw:
        for path in files:
            for chunk in read_chunks(path, chunk_bytes):
                docs = chunk.split("\n") if line_per_document else [chunk]
                for doc in docs:
                    tokens = tokenize(doc)
                    if not tokens:
                        continue
                    if line_per_document:
                        doc_starts.append(n_raw)
                    new = set(tokens).difference(seen)
                    for word in sorted(new):
                        seen[word] = len(seen)
                    pids = np.fromiter(map(seen.__getitem__, tokens), np.int32, len(tokens))
                    if len(counts) < len(seen):
                        counts = np.concatenate(
                            [counts, np.zeros(len(seen) - len(counts), np.int64)]
                        )
                    counts += np.bincount(pids, minlength=len(seen))
                    pids.tofile(raw)
                    n_raw += len(pids)
            if not line_per_document:
                doc_starts.append(n_raw)  # windows never cross files
    if not line_per_document:
        doc_starts = [0] + doc_starts[:-1]
    words = list(seen)
    vocab = Vocabulary.from_counts(
        dict(zip(words, counts.tolist(), strict=True)), vocab_order, min_count, max_vocab_size, unk
    )
    if len(vocab) < 2:
        raise CBOWDataError(
            f"data.min_count={min_count} leaves {len(vocab)} word(s) in the vocabulary "
            f"of {_describe(files)} ({len(words)} distinct words): lower data.min_count"
        )
    # Provisional id -> final id, or -1 for a word left out (or <unk>'s id).
    missing = vocab.key_to_index.get(UNK, -1)
    remap = np.fromiter((vocab.key_to_index.get(w, missing) for w in words), np.int64, len(words))
    dtype = np.uint16 if len(vocab) <= np.iinfo(np.uint16).max else np.int32
    raw_ids = np.memmap(raw_path, np.int32, "r", shape=(n_raw,)) if n_raw else np.zeros(0, np.int32)
    n_kept = int(counts[: len(words)][remap >= 0].sum())
    ids = np.lib.format.open_memmap(out_dir / "ids.npy", "w+", dtype, (n_kept,))
    # Document starts move left by the number of dropped tokens before them.
    old_starts = np.asarray(doc_starts, dtype=np.int64)
    starts = np.zeros_like(old_starts)
    pos, block = 0, 1 << 20
    for start in range(0, n_raw, block):
        new_ids = remap[raw_ids[start : start + block]]
        keep = new_ids >= 0
        inside = (old_starts >= start) & (old_starts < start + len(keep))
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        starts[inside] = pos + kept_before[old_starts[inside] - start]
        n = int(kept_before[-1])
        ids[pos : pos + n] = new_ids[keep]
        pos += n
    starts[old_starts >= n_raw] = pos
    ids.flush()
    del ids, raw_ids
    raw_path.unlink()
    np.save(out_dir / "docs.npy", starts)
    vocab.save(out_dir / "vocab.tsv")
    return vocab


def _describe(files: Sequence[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0]} and {len(files) - 1} more files"


def build_or_load_cache(
    files: Sequence[Path], cache_dir: str | os.PathLike, **options
) -> tuple[Path, Vocabulary]:
    """The cache directory for ``files`` and ``options``, built once (atomically, under a lock)."""
    root = Path(cache_dir).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    described = {**options, "tokenizer": _tokenizer_key(options.get("tokenizer", "simple"))}
    key = cache_key(files, **described)
    final = root / key
    with FileLock(str(root / f"{key}.lock")):
        if not (final / "meta.json").exists():
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
            try:
                encode_corpus(files, tmp, **options)
                meta = {"files": [str(p) for p in files], "options": described}
                (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
                if final.exists():  # a stale, incomplete cache
                    shutil.rmtree(final)
                os.replace(tmp, final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return final, Vocabulary.load(final / "vocab.tsv")


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
        window: C, the words on each side of the centre.
        doc_starts: sorted start offsets of the documents in ``ids`` (the first is 0).
    """

    def __init__(self, ids: np.ndarray, window: int, doc_starts: np.ndarray | None = None):
        ids = np.asarray(ids) if not isinstance(ids, np.ndarray) else ids
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise CBOWDataError(f"ids must be a 1-D integer array, got {ids.dtype} {ids.shape}")
        if int(window) < 1:
            raise CBOWDataError(f"window must be >= 1 (C words each side), got {window}")
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


class WindowSampler(DistributedSampler):
    """Example indices for one rank of ``num_replicas``, in order or shuffled per epoch.

    DistributedSampler's split (rank r takes every num_replicas-th index, padded with at most
    num_replicas - 1 repeats so that all ranks get as many batches), but the permutation is a
    numpy array of 4 bytes per example, yielded lazily, instead of a Python list of every
    index; an epoch over 10^8 windows stays cheap. Being a DistributedSampler, Lightning keeps
    it instead of injecting its own, and calls ``set_epoch``.
    """

    def __init__(
        self, dataset, num_replicas: int = 1, rank: int = 0, shuffle: bool = True, seed: int = 0
    ) -> None:
        super().__init__(dataset, num_replicas, rank, shuffle=shuffle, seed=seed)

    def __iter__(self) -> Iterator[int]:
        n, step = len(self.dataset), self.num_replicas
        order = None
        if self.shuffle:
            order = np.arange(n, dtype=np.uint32 if n < 2**32 else np.int64)
            np.random.default_rng([self.seed, self.epoch]).shuffle(order)
        block = 65536 * step
        for start in range(self.rank, self.total_size, block):
            pos = np.arange(start, min(start + block, self.total_size), step)
            pos = np.where(pos >= n, pos - n, pos)  # the padding repeats the first indices
            yield from (pos if order is None else order[pos]).tolist()


def collate_batch(batch):
    """The DataLoader's collate_fn: ``__getitems__`` already returns a finished batch."""
    return batch


# ---------------------------------------------------------------------------------------------
# The datamodule.


class CBOWDataModule(pl.LightningDataModule):
    """Corpus -> vocabulary -> ids -> (context [m, 2C], center [m]) batches.

    With ``shuffle=False`` batch i of the training loader holds the ``batch_size`` consecutive
    windows whose centres are C + batch_size·i …, the course's batches. The held-out slice for
    validation is the last ``val_fraction`` of the ids; windows do not cross into it.

    Args:
        corpus: file, directory, glob or list of them; None or "lee": the bundled Lee corpus.
        tokenizer: "simple", "course", "whitespace", or the dotted name of a function.
        line_per_document: each line is a document and windows stay inside it; otherwise the
            text is one stream (the course), broken only between files.
        window: C, the words on each side of the centre.
        min_count: words seen fewer times are dropped from the stream.
        max_vocab_size: keep at most this many of the most frequent words.
        vocab_order: "frequency" (gensim's) or "alphabetical" (the course's ids).
        unk: map dropped words to "<unk>" instead of removing them.
        batch_size: m.
        shuffle: shuffle the training windows each epoch (seeded by ``seed``).
        seed: seeds the shuffle, on one process and under DDP.
        val_fraction: the share of the corpus held out for validation, in [0, 1).
        num_workers: DataLoader worker processes.
        cache_dir: where encoded corpora are kept (default ``~/.cache/cbow_torch``).
    """

    def __init__(
        self,
        corpus: str | list[str] | None = None,
        tokenizer: str = "simple",
        line_per_document: bool = False,
        window: int = 2,
        min_count: int = 1,
        max_vocab_size: int | None = None,
        vocab_order: str = "frequency",
        unk: bool = False,
        batch_size: int = 128,
        shuffle: bool = True,
        seed: int = 282,
        val_fraction: float = 0.05,
        num_workers: int = 0,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        checks = [
            (window >= 1, f"data.window must be >= 1 (C, words each side), got {window}"),
            (min_count >= 1, f"data.min_count must be >= 1, got {min_count}"),
            (
                max_vocab_size is None or max_vocab_size >= 2,
                f"data.max_vocab_size must be >= 2 or null, got {max_vocab_size}",
            ),
            (
                vocab_order in ORDERS,
                f"data.vocab_order must be one of {ORDERS}, got {vocab_order!r}",
            ),
            (batch_size >= 1, f"data.batch_size must be >= 1, got {batch_size}"),
            (0 <= val_fraction < 1, f"data.val_fraction must be in [0, 1), got {val_fraction}"),
            (num_workers >= 0, f"data.num_workers must be >= 0, got {num_workers}"),
        ]
        for ok, message in checks:
            if not ok:
                raise CBOWDataError(message)
        try:
            get_tokenizer(tokenizer)
        except ValueError as err:
            raise CBOWDataError(f"data.tokenizer: {err}") from None
        self.corpus, self.tokenizer, self.line_per_document = corpus, tokenizer, line_per_document
        self.window, self.min_count, self.max_vocab_size = window, min_count, max_vocab_size
        self.vocab_order, self.unk = vocab_order, unk
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.val_fraction, self.num_workers = val_fraction, num_workers
        self.cache_dir = cache_dir or os.path.join(
            os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "cbow_torch"
        )
        self._cache: Path | None = None
        self._vocab: Vocabulary | None = None
        self.train_dataset: CBOWWindowDataset | None = None
        self.val_dataset: CBOWWindowDataset | None = None

    # The vocabulary is needed as soon as LightningCLI links data.vocab_size to the model, before
    # prepare_data and setup, so the first access builds or loads the cache.
    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            self._cache, self._vocab = build_or_load_cache(
                resolve_corpus(self.corpus),
                self.cache_dir,
                tokenizer=self.tokenizer,
                line_per_document=self.line_per_document,
                min_count=self.min_count,
                max_vocab_size=self.max_vocab_size,
                vocab_order=self.vocab_order,
                unk=self.unk,
            )
        return self._vocab

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def prepare_data(self) -> None:
        self.vocab  # noqa: B018  (builds the cache once, on one process per node)

    def setup(self, stage: str | None = None) -> None:
        if self.train_dataset is not None:
            return
        self.vocab  # noqa: B018
        ids = np.load(self._cache / "ids.npy", mmap_mode="r")
        docs = np.load(self._cache / "docs.npy")
        C, n = self.window, len(ids)
        name = self.corpus or BUNDLED[0]
        if len(CBOWWindowDataset(ids, C, docs)) == 0:
            raise CBOWDataError(
                f"corpus {name} has {n} tokens in vocabulary, no document with 2C+1 = "
                f"{2 * C + 1}: use a longer corpus or a smaller data.window"
            )
        cut = n - int(round(n * self.val_fraction))
        train_docs, val_docs = docs[docs < cut], docs[docs >= cut] - cut
        if cut < n and (len(val_docs) == 0 or val_docs[0] != 0):
            val_docs = np.r_[0, val_docs]  # the held-out slice starts a document
        self.train_dataset = CBOWWindowDataset(ids[:cut], C, train_docs)
        self.val_dataset = CBOWWindowDataset(ids[cut:], C, val_docs) if cut < n else None
        if len(self.train_dataset) == 0:
            raise CBOWDataError(
                f"data.val_fraction={self.val_fraction} leaves no training window in "
                f"{name}: lower data.val_fraction"
            )
        if self.val_dataset is not None and len(self.val_dataset) == 0:
            raise CBOWDataError(
                f"data.val_fraction={self.val_fraction} holds out {n - cut} tokens of {name}, "
                f"fewer than one window of {2 * C + 1}: raise it or set it to 0"
            )

    def _loader(self, dataset: CBOWWindowDataset, shuffle: bool) -> DataLoader:
        trainer = getattr(self, "trainer", None)
        world, rank = (trainer.world_size, trainer.global_rank) if trainer else (1, 0)
        # Built here rather than by Lightning so that data.seed seeds the shuffle on one process
        # and under DDP alike.
        sampler = WindowSampler(dataset, world, rank, shuffle=shuffle, seed=self.seed)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=collate_batch,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        self.setup("fit")
        return self._loader(self.train_dataset, self.shuffle)

    def val_dataloader(self) -> DataLoader | list:
        self.setup("validate")
        return [] if self.val_dataset is None else self._loader(self.val_dataset, False)

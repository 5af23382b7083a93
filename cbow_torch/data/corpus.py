"""A corpus on disk: its files, their text, and one pass that turns them into token ids.

A corpus is a file, a directory (every text file under it, sorted by path), a glob, or a list of
these; ``.gz`` and ``.bz2`` files are decompressed on the fly. ``None`` or ``"lee"`` is the
bundled default, gensim's Lee background corpus (300 news stories, one per line), which is
installed with gensim: nothing is ever downloaded.

Text is read in chunks of about 1 MB cut at line ends, so memory stays bounded. Bytes that are
not UTF-8 are replaced by U+FFFD, with one warning naming the file (a byte order mark at the
start of a file is skipped). A file whose start is not text (NUL bytes, or mostly bytes that are
not UTF-8) is refused when the corpus is resolved, before anything is written.

``encode_corpus`` writes ``ids.npy`` (uint16 when the vocabulary fits, else int32), ``docs.npy``
and ``vocab.tsv``; prepare.py makes them a dataset directory.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .text import UNK, Vocabulary, get_tokenizer

if TYPE_CHECKING:
    from .options import PrepareOptions

BUNDLED = ("lee",)
CHUNK_BYTES = 1 << 20
_SNIFF_BYTES = 8192
_TEXT_SAMPLE_BYTES = 1 << 16
_MAX_NOT_TEXT = 0.25  # a share of characters; Latin-1 text read as UTF-8 has a few percent
_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v"] + ["\x7f"]


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
        check_text(path)
    return files


def check_text(path: Path, sample_bytes: int = _TEXT_SAMPLE_BYTES) -> None:
    """CBOWDataError, naming ``path``, unless its first ``sample_bytes`` (decompressed) read as
    text: no NUL byte (binaries and UTF-16 have them, UTF-8 text never does) and at most
    ``_MAX_NOT_TEXT`` of the characters replaced when decoded as UTF-8 or control characters.
    Text in any language passes; a file in another encoding with a few bad bytes passes too,
    with read_chunks' warning."""
    try:
        with _open_binary(path) as f:
            head = f.read(sample_bytes)
    except (OSError, EOFError) as err:
        raise CBOWDataError(f"corpus file {path} cannot be read: {err}") from None
    if b"\0" in head:
        raise CBOWDataError(
            f"corpus file {path} holds NUL bytes, so it is not UTF-8 text (a binary file, or "
            "UTF-16: convert it with iconv -t UTF-8): give a text file"
        )
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") + sum(text.count(c) for c in _CONTROLS)
    if text and bad > _MAX_NOT_TEXT * len(text):
        raise CBOWDataError(
            f"corpus file {path} is not text: {bad / len(text):.0%} of its first "
            f"{len(text):,} characters are not UTF-8 or are control characters (a binary "
            "file, or another encoding: convert it with iconv -t UTF-8): give a text file"
        )


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
# Encoding.


def encode_corpus(
    files: Sequence[Path],
    out_dir: Path,
    options: PrepareOptions,
    chunk_bytes: int = CHUNK_BYTES,
) -> Vocabulary:
    """Tokenise ``files`` once and write ``ids.npy``, ``docs.npy`` and ``vocab.tsv`` to ``out_dir``.

    One pass: tokens get provisional ids in order of first sight, streamed to disk; then the
    vocabulary is chosen from the counts and the stream is remapped in blocks. Peak memory is
    about the id stream's working set plus the vocabulary plus one chunk.
    """
    tokenizer, line_per_document = options.tokenizer, options.line_per_document
    min_count = options.min_count
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
    if not words:
        raise CBOWDataError(
            f"the tokenizer {tokenizer if isinstance(tokenizer, str) else tokenizer.__name__!r} "
            f"finds no words in {_describe(files)}: choose another tokenizer"
        )
    vocab = Vocabulary.from_counts(
        dict(zip(words, counts.tolist(), strict=True)),
        options.vocab_order,
        min_count,
        options.max_vocab_size,
        options.unk,
    )
    if len(vocab) < 2:
        raise CBOWDataError(
            f"min_count={min_count} leaves {len(vocab)} word(s) in the vocabulary "
            f"of {_describe(files)} ({len(words)} distinct words): lower min_count"
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

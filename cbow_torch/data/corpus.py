"""A corpus on disk: its files, checked as text, and the one pass that turns them into token ids.

A corpus is a file, a directory (every text file under it, sorted by path), a glob, or a list of
these; ``.gz`` and ``.bz2`` files are decompressed on the fly. ``None`` or ``"lee"`` is the
bundled default, gensim's Lee background corpus (300 news stories, one per line), which is
installed with gensim: nothing is ever downloaded.

A file whose start is not text (NUL bytes, or mostly bytes that are not valid in the encoding,
UTF-8 by default) is refused when the corpus is resolved, before anything is written; reading
it (reading.py) is the same for every tokenizer and number of processes.

``encode_corpus`` writes ``ids.npy`` (uint16 when the vocabulary fits, else int32), ``docs.npy``
and ``vocab.tsv``; prepare.py makes them a dataset directory.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import CBOWDataError
from .options import tokenizer_name
from .reading import CHUNK_BYTES, COMPRESSED, label, read_head
from .text import UNK, Vocabulary, select_words
from .workers import count_corpus

if TYPE_CHECKING:
    from .options import PrepareOptions

BUNDLED = ("lee",)
_SNIFF_BYTES = 8192
_TEXT_SAMPLE_BYTES = 1 << 16
_MAX_NOT_TEXT = 0.25  # a share of characters; Latin-1 text read as UTF-8 has a few percent
_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v"] + ["\x7f"]


# ---------------------------------------------------------------------------------------------
# Corpus files.


def bundled_corpus() -> Path:
    """gensim's Lee background corpus, shipped inside the gensim package (found without
    importing gensim, which takes a second or two)."""
    gensim = importlib.util.find_spec("gensim")
    if gensim is None or not gensim.submodule_search_locations:
        raise CBOWDataError("the bundled corpus comes with gensim: pip install gensim")
    return Path(gensim.submodule_search_locations[0], "test", "test_data", "lee_background.cor")


def _is_text_file(path: Path) -> bool:
    """Not hidden, readable, and its first 8 kB (decompressed) hold no NUL byte; a compressed
    file that cannot be decompressed is kept, to be refused by name."""
    if path.name.startswith(".") or not path.is_file():
        return False
    try:
        head = read_head(path, _SNIFF_BYTES)
    except CBOWDataError:
        return path.suffix in COMPRESSED
    return b"\0" not in head


def resolve_corpus(corpus: str | Sequence[str] | None, encoding: str = "utf-8") -> list[Path]:
    """The corpus files, in reading order; CBOWDataError for a path that yields none, an empty
    file, or one that is not text in ``encoding`` (``check_text``)."""
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
        check_text(path, encoding)
    return files


def check_text(path: Path, encoding: str = "utf-8", sample_bytes: int = _TEXT_SAMPLE_BYTES) -> None:
    """CBOWDataError, naming ``path``, unless its first ``sample_bytes`` (decompressed) read as
    text: no NUL byte (binaries and UTF-16 have them, text in an ASCII-compatible encoding never
    does) and at most ``_MAX_NOT_TEXT`` of the characters replaced when decoded (as UTF-8 by
    default) or control characters. Text in any language passes; a file in another encoding
    with a few bad bytes passes too, with a warning when it is read."""
    head = read_head(path, sample_bytes)
    if b"\0" in head:
        raise CBOWDataError(
            f"corpus file {path} holds NUL bytes, so it is not UTF-8 text (a binary file, or "
            "UTF-16: convert it with iconv -t UTF-8): give a text file"
        )
    text = head.decode(encoding, errors="replace")
    bad = text.count("\ufffd") + sum(text.count(c) for c in _CONTROLS)
    if text and bad > _MAX_NOT_TEXT * len(text):
        raise CBOWDataError(
            f"corpus file {path} is not text: {bad / len(text):.0%} of its first "
            f"{len(text):,} characters are not {label(encoding)} or are control characters (a "
            "binary file, or another encoding: name it with the encoding option, or convert "
            "it with iconv -t UTF-8): give a text file"
        )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


# ---------------------------------------------------------------------------------------------
# Encoding.


def encode_corpus(
    files: Sequence[Path],
    out_dir: Path,
    options: PrepareOptions,
    chunk_bytes: int = CHUNK_BYTES,
    workers: int | None = None,
    progress: bool | None = None,
) -> Vocabulary:
    """Tokenise ``files`` once and write ``ids.npy``, ``docs.npy`` and ``vocab.tsv`` to ``out_dir``.

    One pass (counting.py, on ``workers`` processes): tokens get provisional ids in order of
    first sight, streamed to disk; then the vocabulary is chosen from the counts and the stream
    is remapped in blocks. A corpus that would need more memory than there is is refused first
    (memory.py). ``progress``: a progress bar on stderr (default: when it is a terminal).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_path = out_dir / "raw.i32"
    try:
        with open(raw_path, "wb") as raw:
            tally = count_corpus(files, raw, options, chunk_bytes, workers, progress)
        vocab, remap = _choose(tally.words(), tally.word_counts(), files, options)
        _write_ids(raw_path, tally, remap, options.line_per_document, len(vocab), out_dir)
    finally:
        raw_path.unlink(missing_ok=True)
    vocab.save(out_dir / "vocab.tsv")
    return vocab


def _choose(words: list, counts: np.ndarray, files, options) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary from the counts, and provisional id -> final id (-1: left out)."""
    tokenizer = options.tokenizer
    if not words:
        name = tokenizer if isinstance(tokenizer, str) else tokenizer.__name__
        raise CBOWDataError(
            f"the tokenizer {name!r} finds no words in {_describe(files)}: choose another tokenizer"
        )
    ranked, dropped = select_words(
        words,
        counts,
        options.vocab_order,
        options.min_count,
        options.max_vocab_size,
        options.unk,
    )  # [V] indices into words, -1 for <unk>
    kept, values = ranked.tolist(), counts.tolist()
    vocab = Vocabulary(
        [words[i] if i >= 0 else UNK for i in kept],
        [values[i] if i >= 0 else dropped for i in kept],
        tokenizer_name(tokenizer),
    )
    if len(vocab) < 2:
        raise CBOWDataError(
            f"min_count={options.min_count} leaves {len(vocab)} word(s) in the vocabulary "
            f"of {_describe(files)} ({len(words)} distinct words): lower min_count"
        )
    # Provisional id -> final id; a word left out becomes <unk> (a literal "<unk>" too) or -1.
    remap = np.full(len(words), vocab.key_to_index.get(UNK, -1) if options.unk else -1)
    remap[ranked[ranked >= 0]] = np.flatnonzero(ranked >= 0)
    return vocab, remap  # remap: [V_seen]


def _write_ids(raw_path, tally, remap, line_per_document, V, out_dir, block=1 << 22) -> None:
    """``ids.npy`` (the kept ids, uint16 when V fits) and ``docs.npy`` (the document starts,
    moved left by the tokens dropped before them), from the provisional stream in blocks."""
    n_raw, old_starts = tally.tokens, tally.starts(line_per_document)  # old_starts: [D] sorted
    raw = np.memmap(raw_path, np.int32, "r", shape=(n_raw,)) if n_raw else np.zeros(0, np.int32)
    n_kept = int(tally.word_counts()[remap >= 0].sum())
    dtype = np.uint16 if np.iinfo(np.uint16).max >= V else np.int32
    ids = np.lib.format.open_memmap(out_dir / "ids.npy", "w+", dtype, (n_kept,))
    starts = old_starts.copy()  # [D]
    pos, drops = 0, n_kept < n_raw
    for start in range(0, n_raw, block):
        new = remap[raw[start : start + block]]  # [b]
        if not drops:  # every word kept: a relabelling
            ids[start : start + len(new)] = new
            continue
        keep = new >= 0  # [b]
        lo, hi = np.searchsorted(old_starts, [start, start + len(new)])
        kept_before = np.cumsum(keep) - keep  # [b]
        starts[lo:hi] = pos + kept_before[old_starts[lo:hi] - start]
        kept = new[keep]
        ids[pos : pos + len(kept)] = kept
        pos += len(kept)
    if drops:
        starts[np.searchsorted(old_starts, n_raw) :] = pos  # starts at the very end
    ids.flush()
    del ids, raw
    np.save(out_dir / "docs.npy", starts)


def _describe(files: Sequence[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0]} and {len(files) - 1} more files"

"""Which kind of vectors file a path is, and what it holds, each failure one line.

The kinds, told apart by their first bytes: a torch zip (a training checkpoint or a ``.pt`` of
``save_torch``, read through ``cbow_torch.checkpoint`` without unpickling), a numpy ``.npz`` of
``WordVectors.save`` (read with ``allow_pickle=False``), a pickle (gensim's own
``KeyedVectors.save``, read only with ``trust_pickle``), word2vec text or binary
(``word2vec_format.py``). torch is imported only for a torch file.

The ``.npz`` layout: ``vectors`` [V, N]; ``words`` the UTF-8 bytes of the words one after
another, ``word_ends`` [V] their end offsets; optional ``counts`` [V]; ``source`` and
``tokenizer`` as 0-d unicode arrays ("" for none); vectors with subwords add ``subword_settings``
[3] (min_n, max_n, bucket), ``vocab_rows`` [V, N] and ``ngram_rows`` [B, N].
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .queries import run_tokenizer
from .word2vec_format import read_word2vec, word2vec_fault, word2vec_surplus

PathLike = str | os.PathLike
NPZ_KEYS = {"vectors", "words", "word_ends"}


@dataclass
class Found:
    """The contents of a vectors file, before they become a ``WordVectors``."""

    words: list[str]
    vectors: np.ndarray  # [V, N]
    counts: np.ndarray | None = None  # [V]
    source: str | None = None
    tokenizer: str | None = None
    subwords: dict[str, Any] | None = None  # SubwordVectors.from_rows's, for W1 with subwords


def checked(
    words: Sequence[str], vectors: Any, counts: Sequence[int] | np.ndarray | None
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Words, vectors [V, N] (numpy, or a torch tensor made numpy: float64 kept, other floats
    float32) and counts [V] or None, checked to fit one another; a one-line ValueError if not."""
    if hasattr(vectors, "detach"):  # a torch tensor, without importing torch here
        t = vectors.detach().cpu()
        if not t.is_floating_point():
            raise ValueError(f"vectors must be floating point, got dtype {t.dtype}")
        vectors = (t if str(t.dtype) == "torch.float64" else t.float()).numpy()
    rows = np.asarray(vectors)
    if rows.ndim != 2 or not np.issubdtype(rows.dtype, np.floating):
        raise ValueError(
            f"vectors must be a 2-D floating [V, N] array, got shape {rows.shape} "
            f"and dtype {rows.dtype}"
        )
    words = list(words)
    if len(words) != rows.shape[0]:
        raise ValueError(f"got {len(words)} words for {rows.shape[0]} vectors {rows.shape}")
    if not words:
        raise ValueError("no words: a WordVectors needs at least one word")
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word:
            raise ValueError(f"word {i} must be a non-empty string, got {word!r}")
    if len(set(words)) != len(words):
        dup = next(w for w, n in Counter(words).items() if n > 1)
        raise ValueError(f"word {dup!r} appears more than once")
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(words),):
            raise ValueError(f"counts must have shape ({len(words)},), got {counts.shape}")
    return words, rows, counts


def sniff(path: PathLike) -> str:
    """ "torch", "npz", "pickle", "word2vec" or "word2vec-binary", from the file's first
    bytes (a zip: from its member names)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint or vectors file")
    with open(path, "rb") as f:  # FileNotFoundError names the path
        head = f.read(1 << 20)
    if head.startswith(b"PK\x03\x04"):  # a zip: torch.save's, or numpy's .npz
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError):
            return "torch"  # cut short: torch's reader says so in one line
        return "npz" if names and all(n.endswith(".npy") for n in names) else "torch"
    if head[:1] == b"\x80":  # a pickle: an old torch.save, or gensim's KeyedVectors.save
        return "pickle"
    header, _, rest = head.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields):
        raise ValueError(
            f"{path}: not a checkpoint, .pt, .npz or word2vec file (its first line is not "
            "'<vocab size> <dimension>')"
        )
    line = rest.partition(b"\n")[0]
    try:
        tokens = line.decode("utf-8").split()
        # Text whatever the header's dimension says: a wrong one is a wrong text header.
        if len(tokens) >= 2:
            [float(t) for t in tokens[1:]]
            return "word2vec"
    except (UnicodeDecodeError, ValueError):
        pass
    return "word2vec-binary"


def read_vectors(path: PathLike, source: str | None = None, trust_pickle: bool = False) -> Found:
    """The vectors of any file ``WordVectors.load`` takes. ``source`` (W1, W2, average) applies
    to checkpoints only; None there is the reader's default."""
    kind = sniff(path)
    if kind == "npz":
        _no_source(path, source)
        return read_npz(path)
    if kind in ("torch", "pickle"):
        return _read_torch(path, kind, source, trust_pickle)
    _no_source(path, source)
    binary = kind == "word2vec-binary"
    fast = read_word2vec(path, binary)
    if fast is not None:
        return Found(*fast, tokenizer=run_tokenizer(path))
    from gensim.models import KeyedVectors

    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    except (ValueError, UnicodeDecodeError, EOFError, IndexError) as e:
        raise ValueError(
            f"{path}: not a valid {kind} file ({word2vec_fault(path, kind, e)})"
        ) from None
    surplus = word2vec_surplus(path, kind, kv.index_to_key, kv.vector_size)
    if surplus:
        raise ValueError(f"{path}: not a valid {kind} file ({surplus})")
    rows = [i for i, key in enumerate(kv.index_to_key) if key is not None]  # a repeated word
    words = [kv.index_to_key[i] for i in rows]  # leaves gensim an empty slot
    return Found(words, kv.vectors[rows], tokenizer=run_tokenizer(path))


def _read_torch(path: PathLike, kind: str, source: str | None, trust_pickle: bool) -> Found:
    """A checkpoint (read once, through ``read_checkpoint``), else a ``.pt`` of ``save_torch``,
    else, with ``trust_pickle``, gensim's pickle."""
    from ..checkpoint import PickleRefused, read_checkpoint, read_torch_file

    try:
        found = read_checkpoint(path, trust_pickle)
    except PickleRefused:
        raise
    except ValueError as e:
        not_checkpoint = e
    else:
        vectors = found.vectors(source)  # [V, N]; source None: the run's export.source
        counts = found.counts
        return Found(
            list(found.words),
            vectors.detach().cpu().numpy(),
            None if counts is None else np.asarray(counts, np.int64),
            source or found.source or "average",
            found.tokenizer,
            found.unseen(source),
        )
    try:
        obj = read_torch_file(path, trust_pickle)
    except PickleRefused:
        raise
    except ValueError:
        if kind == "pickle" and trust_pickle:  # not torch's: gensim's, or neither
            return _gensim_pickle(path, source)
        raise
    if isinstance(obj, dict) and "vectors" in obj and "words" in obj:
        _no_source(path, source)
        vectors, counts = obj["vectors"], obj.get("counts")
        return Found(
            list(obj["words"]),
            vectors.numpy() if hasattr(vectors, "numpy") else np.asarray(vectors),
            None if counts is None else np.asarray(counts, np.int64),
            obj.get("source"),
            obj.get("tokenizer"),
        )
    if isinstance(obj, dict) and "state_dict" in obj:
        raise not_checkpoint
    raise ValueError(
        f"{path}: a torch file, but neither a cbow-torch checkpoint (state_dict) "
        "nor a vectors file ({vectors, words})"
    )


def write_npz(f: IO[bytes], found: Found) -> None:
    """``found`` as an ``.npz`` (the layout above) that ``read_npz`` reads without unpickling."""
    encoded = [w.encode("utf-8") for w in found.words]
    arrays = {
        "vectors": np.asarray(found.vectors),
        "words": np.frombuffer(b"".join(encoded), np.uint8),
        "word_ends": np.cumsum([len(w) for w in encoded], dtype=np.int64),
        "source": np.array(found.source or ""),
        "tokenizer": np.array(found.tokenizer or ""),
    }
    if found.counts is not None:
        arrays["counts"] = np.asarray(found.counts, np.int64)
    if found.subwords is not None:
        sub = found.subwords
        arrays["subword_settings"] = np.array([sub["min_n"], sub["max_n"], sub["bucket"]])
        arrays["vocab_rows"], arrays["ngram_rows"] = sub["vocab_rows"], sub["ngram_rows"]
    np.savez(f, **arrays)


def read_npz(path: PathLike) -> Found:
    """An ``.npz`` of ``write_npz``, read with ``allow_pickle=False``; a ValueError naming the
    file if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if not set(z.files) >= NPZ_KEYS:
                raise ValueError(f"it lacks {sorted(NPZ_KEYS - set(z.files))}")
            arrays = {k: z[k] for k in z.files}
        blob, ends = arrays["words"].tobytes(), arrays["word_ends"].tolist()
        words = [blob[i:j].decode("utf-8") for i, j in zip([0, *ends[:-1]], ends, strict=True)]
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a WordVectors .npz file ({e})") from None
    subwords = None
    if "subword_settings" in arrays:
        min_n, max_n, bucket = arrays["subword_settings"].tolist()
        subwords = dict(min_n=min_n, max_n=max_n, bucket=bucket)
        subwords.update(vocab_rows=arrays["vocab_rows"], ngram_rows=arrays["ngram_rows"])
    return Found(
        words,
        arrays["vectors"],
        arrays.get("counts"),
        str(arrays["source"]) or None if "source" in arrays else None,
        str(arrays["tokenizer"]) or None if "tokenizer" in arrays else None,
        subwords,
    )


def _gensim_pickle(path: PathLike, source: str | None) -> Found:
    from gensim.models import KeyedVectors

    _no_source(path, source)
    try:
        kv = KeyedVectors.load(str(path))
    except Exception as e:  # unpickling can fail in any way; said in one line
        raise ValueError(f"{path}: neither a torch file nor a gensim KeyedVectors ({e})") from None
    if not isinstance(kv, KeyedVectors):
        raise ValueError(f"{path}: a pickle of {type(kv).__name__}, not of a KeyedVectors")
    counts = kv.expandos.get("count")
    return Found(list(kv.index_to_key), kv.vectors, counts)


def _no_source(path: PathLike, source: str | None) -> None:
    if source is not None:
        raise ValueError(
            f"{path}: holds exported vectors, so source={source!r} cannot apply; "
            "sources (W1, W2, average) come from checkpoints"
        )

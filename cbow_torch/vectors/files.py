"""Reading vectors files that may come from anywhere: torch files without unpickling, training
checkpoints (through ``cbow_torch.checkpoint``, the one reader of their layout), a file's format
from its first bytes, and what is wrong with a broken word2vec file, each as one line.

Checkpoints and ``.pt`` files are read with ``torch.load(weights_only=True)``, which builds
tensors and plain values only. A file that needs full unpickling (which can run any code the
file names) is refused unless the caller passes ``trust_pickle=True`` (``--trust-pickle``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gensim.models import KeyedVectors

from ..checkpoint import PickleRefused, TrainingCheckpoint, read_torch_file

PathLike = str | os.PathLike


def read_vectors(path: PathLike, source: str | None = None, trust_pickle: bool = False) -> Any:
    """The vectors of any file ``WordVectors.load`` takes: ``(words, vectors [V, N], counts,
    source)`` from a checkpoint or a ``.pt`` file, a gensim ``KeyedVectors`` from word2vec or
    from gensim's own pickle (``WordVectors.save``; only with ``trust_pickle``)."""
    kind = sniff(path)
    if kind in ("torch", "pickle"):
        try:
            obj = read_torch_file(path, trust_pickle)
        except PickleRefused:
            raise
        except ValueError:
            if kind == "pickle" and trust_pickle:  # not torch's: gensim's, or neither
                return _gensim_pickle(path, source)
            raise
        if isinstance(obj, dict) and "state_dict" in obj:
            found = TrainingCheckpoint.from_dict(obj, path)
            source = source or found.source or "average"
            return found.words, found.vectors(source), found.counts, source
        if isinstance(obj, dict) and "vectors" in obj and "words" in obj:
            _no_source(path, source)
            return obj["words"], obj["vectors"], obj.get("counts"), obj.get("source")
        raise ValueError(
            f"{path}: a torch file, but neither a cbow-torch checkpoint (state_dict) "
            "nor a vectors file ({vectors, words})"
        )
    _no_source(path, source)
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=kind == "word2vec-binary")
    except (ValueError, UnicodeDecodeError, EOFError, IndexError) as e:
        raise ValueError(
            f"{path}: not a valid {kind} file ({word2vec_fault(path, kind, e)})"
        ) from None
    surplus = word2vec_surplus(path, kind, kv.index_to_key, kv.vector_size)
    if surplus:
        raise ValueError(f"{path}: not a valid {kind} file ({surplus})")
    return kv


def _gensim_pickle(path: PathLike, source: str | None) -> KeyedVectors:
    _no_source(path, source)
    try:
        kv = KeyedVectors.load(str(path))
    except Exception as e:  # unpickling can fail in any way; said in one line
        raise ValueError(f"{path}: neither a torch file nor a gensim KeyedVectors ({e})") from None
    if not isinstance(kv, KeyedVectors):
        raise ValueError(f"{path}: a pickle of {type(kv).__name__}, not of a KeyedVectors")
    return kv


def _no_source(path: PathLike, source: str | None) -> None:
    if source is not None:
        raise ValueError(
            f"{path}: holds exported vectors, so source={source!r} cannot apply; "
            "sources (W1, W2, average) come from checkpoints"
        )


def sniff(path: PathLike) -> str:
    """ "torch", "pickle", "word2vec" or "word2vec-binary", from the file's first bytes."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint or vectors file")
    with open(path, "rb") as f:  # FileNotFoundError names the path
        head = f.read(1 << 20)
    if head.startswith(b"PK\x03\x04"):  # torch.save's zip
        return "torch"
    if head[:1] == b"\x80":  # a pickle: an old torch.save, or gensim's KeyedVectors.save
        return "pickle"
    header, _, rest = head.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields):
        raise ValueError(
            f"{path}: not a checkpoint, .pt vectors or word2vec file (its first line is not "
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


def word2vec_fault(path: PathLike, kind: str, error: Exception) -> str:
    """What gensim's error means: for text, the first line that is wrong, found again."""
    if kind == "word2vec":
        with open(path, "rb") as f:
            header = f.readline()
            V, N = map(int, header.split())  # sniff checked the header
            n = 0
            for n, raw in enumerate(f, 1):
                fields = raw.split()
                if n == 1 and len(fields) - 1 != N and raw.endswith(b"\n"):
                    return (
                        f"its header {header.decode().strip()!r} says {N} numbers a vector, "
                        f"but line 2 holds {len(fields) - 1}: the header is wrong"
                    )
                if len(fields) - 1 != N:
                    cut = "" if raw.endswith(b"\n") else ": the file ends mid-line, cut short"
                    return f"line {n + 1} holds {len(fields) - 1} numbers, not {N}{cut}"
                try:
                    [float(x) for x in fields[1:]]
                except ValueError as e:
                    return f"line {n + 1}: {e}"
                if n == V:
                    break
            if n < V:
                return (
                    f"{n} vectors where its header says {V}: the file is cut short, or its "
                    "header is wrong"
                )
    if isinstance(error, EOFError):
        return (
            "it ends before the vectors its header promises: the file is cut short, or its "
            "header is wrong"
        )
    return " ".join(str(error).split()) or type(error).__name__


def word2vec_surplus(path: PathLike, kind: str, words: list[str], N: int) -> str | None:
    """What lies past the ``len(words)`` vectors that gensim read as the header told it (it
    stops there, silently): None, or a one-line reason to refuse the file."""
    V = len(words)
    if kind == "word2vec":
        with open(path, "rb") as f:
            held = sum(1 for line in f if line.strip()) - 1  # after the header
        if held > V:
            return (
                f"its header says {V} vectors but it holds {held} lines of them: fix the "
                "header's first number"
            )
        return None
    with open(path, "rb") as f:
        start = len(f.readline())
    # Each record: the word, a space, N float32s; word2vec's C tool adds a newline after each.
    need = start + sum(len(w.encode("utf-8")) + 1 for w in words) + 4 * N * V
    extra = os.path.getsize(path) - need
    if extra > V + 1:
        return (
            f"its header says {V} vectors of {N} but {extra:,} more bytes follow them: the "
            "header is wrong"
        )
    return None

"""Reading files that may come from anywhere: torch files without unpickling, a file's format
from its first bytes, and what is wrong with a broken word2vec file, each as one line.

Checkpoints and ``.pt`` files are read with ``torch.load(weights_only=True)``, which builds
tensors and plain values only. A file that needs full unpickling (which can run any code the
file names) is refused unless the caller passes ``trust_pickle=True`` (``--trust-pickle``).
"""

from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path
from typing import Any

import torch

PathLike = str | os.PathLike


class PickleRefused(ValueError):
    """A torch file that only full unpickling would read, which was not asked for."""


def read_torch_file(path: PathLike, trust_pickle: bool = False) -> Any:
    """``torch.load`` on the CPU with ``weights_only=True``: tensors and plain values only.

    ``trust_pickle=True`` unpickles whatever the file holds, which can run code named in it:
    only for files you trust. Every failure is a one-line error naming the file.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint or vectors file")
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError as e:
        if not trust_pickle:
            raise PickleRefused(
                f"{path}: holds pickled Python objects that torch.load(weights_only=True) "
                "refuses; unpickling runs code the file names: only for a file you trust, "
                "pass --trust-pickle (trust_pickle=True)"
            ) from None
        raise ValueError(f"{path}: unreadable torch file ({e})") from None
    except Exception as e:  # a cut zip (RuntimeError), a cut pickle (EOFError), a missing class
        first = str(e).split(". ")[0]  # torch adds a paragraph of advice
        raise ValueError(
            f"{path}: unreadable torch file, truncated or not one ({type(e).__name__}: {first})"
        ) from None


def sniff(path: PathLike) -> str:
    """ "torch", "word2vec" or "word2vec-binary", from the file's first bytes."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint or vectors file")
    with open(path, "rb") as f:  # FileNotFoundError names the path
        head = f.read(1 << 20)
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":  # zip (torch.save) or pickle
        return "torch"
    header, _, rest = head.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields):
        raise ValueError(
            f"{path}: not a checkpoint, .pt vectors or word2vec file (its first line is not "
            "'<vocab size> <dimension>')"
        )
    N = int(fields[1])
    line = rest.partition(b"\n")[0]
    try:
        tokens = line.decode("utf-8").split()
        if len(tokens) == N + 1:
            [float(t) for t in tokens[1:]]
            return "word2vec"
    except (UnicodeDecodeError, ValueError):
        pass
    return "word2vec-binary"


def word2vec_fault(path: PathLike, kind: str, error: Exception) -> str:
    """What gensim's error means: for text, the first line that is wrong, found again."""
    if kind == "word2vec":
        with open(path, "rb") as f:
            V, N = map(int, f.readline().split())  # sniff checked the header
            n = 0
            for n, raw in enumerate(f, 1):
                fields = raw.split()
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
                return f"{n} vectors where its header says {V}: the file is cut short"
    return " ".join(str(error).split()) or type(error).__name__

"""Reading files that may come from anywhere: torch files without unpickling, training
checkpoints (``read_checkpoint``, the one reader of their layout), a file's format from its
first bytes, and what is wrong with a broken word2vec file, each as one line.

Checkpoints and ``.pt`` files are read with ``torch.load(weights_only=True)``, which builds
tensors and plain values only. A file that needs full unpickling (which can run any code the
file names) is refused unless the caller passes ``trust_pickle=True`` (``--trust-pickle``).
"""

from __future__ import annotations

import errno
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from gensim.models import KeyedVectors

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


@dataclass
class TrainingCheckpoint:
    """What a cbow-torch training checkpoint holds, read through its ``cbow_torch`` entry.

    The layout, written by the training side: ``ckpt["cbow_torch"] = {"vocabulary":
    Vocabulary.to_dict(), "input_vectors": KEY, "input_transposed": bool, "output_vectors":
    KEY}``, where the KEYs name entries of ``ckpt["state_dict"]``; ``input_transposed`` says
    that the input key holds W1 [N, V] rather than W1ᵀ [V, N]. Both vectors come out [V, N].
    """

    path: Path | None
    words: list[str]
    counts: list[int] | None
    hparams: dict[str, Any]
    global_step: int
    epoch: int
    input_vectors: torch.Tensor  # [V, N], W1ᵀ: word j's input vector in row j
    output_vectors: torch.Tensor  # [V, N], W2
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, ckpt: Any, path: PathLike | None = None) -> TrainingCheckpoint:
        """Check and unpack a loaded checkpoint; a ValueError naming ``path`` if it is not one."""
        where = f"{path}: " if path is not None else ""
        info = ckpt.get("cbow_torch") if isinstance(ckpt, dict) else None
        if not isinstance(info, dict):
            raise ValueError(
                f"{where}not a cbow-torch checkpoint, or written by an older version: it has no "
                "'cbow_torch' entry (vocabulary and vector keys); train it again with this "
                "version, or export its vectors with the version that wrote it"
            )
        state = ckpt.get("state_dict")
        vocab = info.get("vocabulary")
        if not isinstance(state, dict) or not isinstance(vocab, dict) or "words" not in vocab:
            raise ValueError(f"{where}a broken cbow-torch checkpoint: no state_dict or vocabulary")
        vectors = []
        for name in ("input_vectors", "output_vectors"):
            key = info.get(name)
            tensor = state.get(key) if isinstance(key, str) else None
            if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2:
                raise ValueError(
                    f"{where}a broken cbow-torch checkpoint: its {name} key {key!r} names no "
                    "2-D tensor of the state_dict"
                )
            vectors.append(tensor)
        W_in, W_out = vectors
        if info.get("input_transposed"):
            W_in = W_in.t()  # [V, N] from W1 [N, V]
        words = list(vocab["words"])
        if W_in.shape != W_out.shape or W_in.shape[0] != len(words):
            raise ValueError(
                f"{where}inconsistent checkpoint: input vectors {tuple(W_in.shape)}, output "
                f"vectors {tuple(W_out.shape)}, {len(words)} words"
            )
        counts = vocab.get("counts")
        return cls(
            path=None if path is None else Path(path),
            words=words,
            counts=None if counts is None else [int(c) for c in counts],
            hparams=dict(ckpt.get("hyper_parameters") or {}),
            global_step=int(ckpt.get("global_step", 0)),
            epoch=int(ckpt.get("epoch", 0)),
            input_vectors=W_in,
            output_vectors=W_out,
            raw=ckpt,
        )

    def vectors(self, source: str = "average") -> torch.Tensor:
        """Word j's vector in row j [V, N]: input (W1), output (W2), or their average."""
        if source == "W1":
            return self.input_vectors  # [V, N]
        if source == "W2":
            return self.output_vectors  # [V, N]
        if source == "average":
            return (self.input_vectors + self.output_vectors) / 2  # [V, N]
        raise ValueError(f"source must be 'W1', 'W2' or 'average', got {source!r}")


def read_checkpoint(path: PathLike, trust_pickle: bool = False) -> TrainingCheckpoint:
    """A cbow-torch training checkpoint, read without unpickling (see ``read_torch_file``)."""
    return TrainingCheckpoint.from_dict(read_torch_file(path, trust_pickle), path)


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
            source = source or "average"
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

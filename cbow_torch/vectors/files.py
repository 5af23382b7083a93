"""Reading torch files that may come from anywhere, without unpickling: training checkpoints
(``read_checkpoint``, the one reader of their layout) and ``.pt`` vectors, each failure one line.

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

    def vectors(self, source: str | None = "average") -> torch.Tensor:
        """Word j's vector in row j [V, N]: input (W1), output (W2), or their average (None)."""
        source = source or "average"
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

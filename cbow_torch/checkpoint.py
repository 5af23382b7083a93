"""The training checkpoint's own entry, in one place: what it holds, how it is written, read and
checked. Lightning writes the rest (state_dict, loops, hyper-parameters).

    ckpt["cbow_torch"] = {
        "vocabulary": {"words": [...], "counts": [...], "tokenizer": NAME},   # Vocabulary.to_dict
        "input": {"class_path": ..., "init_args": {...}},    # the model's input piece
        "input_vectors": KEY, "input_transposed": bool,      # W1 in state_dict (W1 [N, V_in]
        "output_vectors": KEY,                               #   if transposed, else W1ᵀ); W2
        "objective": {...},                                  # its generators
        "source": "W1" | "W2" | "average",                   # the run's export.source
    }

The KEYs name entries of ``ckpt["state_dict"]``. Files are read with
``torch.load(weights_only=True)``: tensors and plain values only, never unpickled code.
"""

from __future__ import annotations

import errno
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .inputs import Input, input_from_config

ENTRY = "cbow_torch"
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


def write(checkpoint: dict[str, Any], vocab: Any, input: Input, objective: Any) -> None:
    """The training module's part of the entry: its vocabulary (a ``Vocabulary``), input piece,
    where its objective's model keeps the vectors (under ``model.``), the objective's state."""
    checkpoint.setdefault(ENTRY, {}).update(
        vocabulary=vocab.to_dict(),
        input=input.config(),
        input_vectors=f"model.{objective.input_key}",
        input_transposed=objective.input_transposed,
        output_vectors=f"model.{objective.output_key}",
        objective=objective.state_dict(),
    )


def write_source(checkpoint: dict[str, Any], source: str) -> None:
    """The run's ``export.source``: the vectors its tools read from this checkpoint."""
    checkpoint.setdefault(ENTRY, {})["source"] = source


@dataclass
class TrainingCheckpoint:
    """A cbow-torch training checkpoint, checked and unpacked."""

    path: Path | None
    words: list[str]
    counts: list[int] | None
    tokenizer: str | None  # the training text's tokenizer, for queries
    source: str | None  # the run's export.source
    input: Input
    hparams: dict[str, Any]
    global_step: int
    epochs_done: int
    input_vectors: torch.Tensor  # [V_in, N], W1ᵀ: row j is column j of W1
    output_vectors: torch.Tensor  # [V, N], W2
    entry: dict[str, Any]

    @classmethod
    def from_dict(cls, ckpt: Any, path: PathLike | None = None) -> TrainingCheckpoint:
        """Check and unpack a loaded checkpoint; a ValueError naming ``path`` if it is not one."""
        where = f"{path}: " if path is not None else ""
        info = ckpt.get(ENTRY) if isinstance(ckpt, dict) else None
        if not isinstance(info, dict):
            raise ValueError(
                f"{where}not a cbow-torch checkpoint, or written by an older version: it has no "
                f"{ENTRY!r} entry (vocabulary and vector keys); train it again with this "
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
            W_in = W_in.t()  # [V_in, N] from W1 [N, V_in]
        words = list(vocab["words"])
        try:
            piece = input_from_config(info.get("input"))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}{e}") from None
        V_in = piece.columns(len(words))
        if W_in.shape != (V_in, W_out.shape[1]) or W_out.shape[0] != len(words):
            raise ValueError(
                f"{where}inconsistent checkpoint: input vectors {tuple(W_in.shape)}, output "
                f"vectors {tuple(W_out.shape)}, {len(words)} words, input {piece}"
            )
        counts = vocab.get("counts")
        # RunCheckpoint records the epochs done; a checkpoint without it has at least its epoch.
        epochs_done = int(ckpt.get("epochs_done", ckpt.get("epoch", 0)))
        return cls(
            path=None if path is None else Path(path),
            words=words,
            counts=None if counts is None else [int(c) for c in counts],
            tokenizer=vocab.get("tokenizer"),
            source=info.get("source"),
            input=piece,
            hparams=dict(ckpt.get("hyper_parameters") or {}),
            global_step=int(ckpt.get("global_step", 0)),
            epochs_done=epochs_done,
            input_vectors=W_in,
            output_vectors=W_out,
            entry=info,
        )

    def vectors(self, source: str | None = None) -> torch.Tensor:
        """Word j's vector in row j [V, N]: from W1 (through the input piece), W2, or their
        average; None: the run's own ``export.source`` (``average`` if it recorded none)."""
        source = source or self.source or "average"
        if source != "W2":
            self.input.setup(self.words)
        return self.input.vectors(self.input_vectors, self.output_vectors, source)  # [V, N]

    def unseen(self, source: str | None = None) -> dict[str, Any] | None:
        """What gives a word outside the vocabulary a vector (``Input.unseen``) when the vectors
        come from W1 (None: the run's source); None when there is nothing."""
        if (source or self.source or "average") != "W1":
            return None
        self.input.setup(self.words)
        return self.input.unseen(self.input_vectors, len(self.words))


def read_checkpoint(path: PathLike, trust_pickle: bool = False) -> TrainingCheckpoint:
    """A cbow-torch training checkpoint, read without unpickling (see ``read_torch_file``)."""
    return TrainingCheckpoint.from_dict(read_torch_file(path, trust_pickle), path)


def vocabulary_mismatch(saved: list[str], words: list[str]) -> str | None:
    """None when a checkpoint trained on ``saved`` can go on with data whose vocabulary is
    ``words``; otherwise what differs, for the caller's one-line error."""
    if words == saved:
        return None
    at = next((i for i, (a, b) in enumerate(zip(words, saved, strict=False)) if a != b), None)
    differs = f", id {at} is {saved[at]!r} there and {words[at]!r} here" if at is not None else ""
    return f"{len(saved)} words; the data gives {len(words)}{differs}"

"""The input piece's protocol, and ``Words``: each context word is its own W1 column.

An input piece says how wide W1 is and which columns, with which weights, make each context
word: x̄ᵢ = Σ_l w_il e_{ctx_il} with Σ_l w_il = 1 (DESIGN.md §2c). Plain CBOW is the piece with
one column a word, the word's own, and w = 1/2C.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..choices import Source, check_choice


class Input:
    """What an objective asks of the model's input.

    - ``setup(words, cache_dir)`` once, before the model is built: the bags of the vocabulary;
    - ``columns(V)``: W1's width, V words and whatever else the piece adds;
    - ``bags``: the CSR bags ``(offsets int64 [V + 1], ids [nnz])`` of the fused kernel, or None
      when every word is its own column;
    - ``batch(context, dtype)``: a window batch's W1 columns and weights for the autograd costs;
    - ``word_vectors(W1T, V)``: each vocabulary word's input vector [V, N];
    - ``unseen(W1T, V)``: what gives a word outside the vocabulary a vector, or None;
    - ``config()``: the piece as plain values, for checkpoints (``from_config`` reads it back).
    """

    bags: tuple[np.ndarray, np.ndarray] | None = None

    def setup(self, words: list[str], cache_dir: str | None = None) -> None:
        """Compute what the piece needs from the vocabulary (default: nothing)."""

    def columns(self, V: int) -> int:
        return V

    def batch(
        self, context: torch.Tensor, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(column ids [m, L], weights [m, L] in ``dtype``, W1's) of a window batch; None
        weights: 1/L each."""
        return context, None  # [m, 2C], the course's x̄

    def word_vectors(self, W1T: torch.Tensor, V: int) -> torch.Tensor:
        """Word j's input vector in row j [V, N], from W1ᵀ [columns(V), N]."""
        return W1T[:V]  # [V, N]

    def unseen(self, W1T: torch.Tensor, V: int) -> dict[str, Any] | None:
        """For the vectors of words outside the vocabulary (``vectors.SubwordVectors``): the
        piece's settings and the rows that compose them; None: there are none."""
        return None

    def vectors(self, W1T: torch.Tensor, W2: torch.Tensor, source: str) -> torch.Tensor:
        """The course's three sources of word j's vector, in row j [V, N]: its input vector
        (``"W1"``), its output vector (``"W2"``, W2 [V, N]) or their ``"average"``."""
        check_choice("source", source, Source)
        if source == "W2":
            return W2  # [V, N]
        W1_words = self.word_vectors(W1T, W2.shape[0])  # [V, N]
        return W1_words if source == "W1" else (W1_words + W2) / 2  # [V, N]

    def config(self) -> dict[str, Any]:
        """``{"class_path": ..., "init_args": {...}}``, as LightningCLI writes a class."""
        return {"class_path": f"{type(self).__module__}.{type(self).__name__}", "init_args": {}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config()["init_args"].items())
        return f"{type(self).__name__}({args})"


class Words(Input):
    """Each context word is its own column of W1 (W1: N × V): the course's x̄."""

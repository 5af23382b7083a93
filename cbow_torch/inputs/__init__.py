"""The model's input: what each context word brings to x̄ (``model.input``).

- ``Words`` (the default): its own column of W1, the course's one-hot;
- ``Subwords``: its column and its character n-grams' hashed columns (fastText's).

A piece is chosen as any LightningCLI class (``--model.input Words``); the objectives read only
what ``Input`` offers, so a new piece is one module here plus its entry in ``INPUTS``.
"""

from typing import Any

from ..choices import from_config
from .base import Input, Words
from .subwords import Subwords

INPUTS: dict[str, type[Input]] = {cls.__name__: cls for cls in (Words, Subwords)}


def input_from_config(config: dict[str, Any] | None) -> Input:
    """The piece a checkpoint recorded with ``Input.config()`` (None: ``Words``)."""
    return from_config(config, INPUTS, "the checkpoint's model.input") or Words()


__all__ = ["INPUTS", "Input", "Subwords", "Words", "input_from_config"]

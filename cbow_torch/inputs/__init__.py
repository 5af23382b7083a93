"""The model's input: what each context word brings to x̄ (``model.input``).

- ``Words`` (the default): its own column of W1, the course's one-hot.

A piece is chosen as any LightningCLI class (``--model.input Words``); the objectives read only
what ``Input`` offers, so a new piece is one module here plus its entry in ``INPUTS``.
"""

from .base import Input, Words

INPUTS: dict[str, type[Input]] = {cls.__name__: cls for cls in (Words,)}

__all__ = ["INPUTS", "Input", "Words"]

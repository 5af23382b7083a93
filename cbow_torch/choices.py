"""Every option's choice list, as one ``Literal`` type defined once, and the check that names it.

LightningCLI (jsonargparse) reads these types from the typed signatures, rejects other values
and lists the choices in ``--help``; code called without the CLI checks with ``check_choice``.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

Objective = Literal["softmax", "negative"]
Init = Literal["normal", "word2vec", "course"]
GradMode = Literal["exact", "lecture"]
Hidden = Literal["relu", "linear"]
Schedule = Literal["course", "linear", "constant"]
Source = Literal["W1", "W2", "average"]
VectorFormat = Literal["word2vec", "word2vec-binary", "npz", "pt"]  # cbow-torch export
Engine = Literal["auto", "fused", "autograd"]
InputStep = Literal["mean", "sum"]


def check_choice(name: str, value: Any, literal: Any) -> None:
    """Raise a one-line ValueError naming ``name``, its choices and ``value`` when ``value`` is
    not one of ``literal``'s choices."""
    choices = get_args(literal)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")

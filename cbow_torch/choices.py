"""Every option's choice list, as one ``Literal`` type defined once, and the check that names it.

LightningCLI (jsonargparse) reads these types from the typed signatures, rejects other values
and lists the choices in ``--help``; code called without the CLI checks with ``check_choice``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

Init = Literal["normal", "word2vec", "course"]
GradMode = Literal["exact", "lecture"]
Hidden = Literal["relu", "linear"]
Schedule = Literal["course", "linear", "constant"]
Source = Literal["W1", "W2", "average"]
VectorFormat = Literal["word2vec", "word2vec-binary", "npz", "pt", "fasttext"]  # cbow-torch export
Engine = Literal["auto", "fused", "autograd"]
InputStep = Literal["mean", "sum"]


def check_choice(name: str, value: Any, literal: Any) -> None:
    """Raise a one-line ValueError naming ``name``, its choices and ``value`` when ``value`` is
    not one of ``literal``'s choices."""
    choices = get_args(literal)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def from_config(value: Any, classes: Mapping[str, type], option: str) -> Any:
    """An option that takes a class (``model.objective``, ``model.input``): an instance stays as
    given, and the ``{"class_path": ..., "init_args": {...}}`` form that checkpoints and
    ``hparams`` hold becomes one; None stays None."""
    if not isinstance(value, Mapping):
        return value
    name = str(value.get("class_path", "")).rpartition(".")[2]
    if name not in classes:
        raise ValueError(
            f"{option} {value.get('class_path')!r} is not one of this cbow_torch's "
            f"({', '.join(classes)})"
        )
    return classes[name](**(value.get("init_args") or {}))

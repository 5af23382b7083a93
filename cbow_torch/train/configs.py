"""The bundled configs, found by name from anywhere: ``--config word2vec``, ``fit(config=...)``.

They are the checkout's top-level ``configs/`` folder, which the wheel installs as
``cbow_torch/configs`` (pyproject.toml maps it): one copy of each file, found in either place.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT = "default"


def bundled_dir() -> Path:
    """Where the bundled configs are: inside the installed package, or the checkout's."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "configs", package.parent / "configs"):
        if (folder / f"{DEFAULT}.yaml").is_file():
            return folder
    raise FileNotFoundError(f"the bundled configs are missing from {package}: reinstall cbow_torch")


def bundled() -> list[str]:
    """The names of the bundled configs (``presets/gpu`` for a preset)."""
    root = bundled_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))


def resolve(config: str | os.PathLike) -> Path:
    """A config's file: an existing path as given, else a bundled name (``word2vec``,
    ``presets/gpu``, with or without ``.yaml``); anything else is a one-line ValueError."""
    path = Path(config).expanduser()
    if path.is_file():
        return path.resolve()
    name = os.fspath(config).removesuffix(".yaml").removeprefix("configs/")
    candidate = bundled_dir() / f"{name}.yaml"
    if not path.is_absolute() and candidate.is_file():
        return candidate
    raise ValueError(
        f"config {os.fspath(config)!r}: no such file and no bundled config of that name; give "
        f"one of {', '.join(bundled())} or the path of a YAML config"
    )

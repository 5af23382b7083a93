"""cbow_torch: the course's CBOW word embeddings, with its hand-written backward, in PyTorch.

The names below load on first use, so that ``cbow-torch prepare`` and the vector tools start
without torch or Lightning.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .version import __version__ as __version__

if TYPE_CHECKING:
    from .functional import cbow_loss, cbow_negative_sampling_loss
    from .model import CBOW, CBOWNegativeSampling
    from .train.fit import fit

__all__ = ["CBOW", "CBOWNegativeSampling", "cbow_loss", "cbow_negative_sampling_loss", "fit"]

_WHERE = {
    "CBOW": ".model",
    "CBOWNegativeSampling": ".model",
    "cbow_loss": ".functional",
    "cbow_negative_sampling_loss": ".functional",
    "fit": ".train.fit",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'cbow_torch' has no attribute {name!r}")

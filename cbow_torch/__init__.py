"""cbow_torch: the course's CBOW word embeddings, with its hand-written backward, in PyTorch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .functional import cbow_loss, cbow_negative_sampling_loss
from .model import CBOW, CBOWNegativeSampling

if TYPE_CHECKING:
    from .train.fit import fit

__all__ = ["CBOW", "CBOWNegativeSampling", "cbow_loss", "cbow_negative_sampling_loss", "fit"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # fit() needs Lightning; importing it on first use keeps `import cbow_torch` light.
    if name == "fit":
        from .train.fit import fit

        return fit
    raise AttributeError(f"module 'cbow_torch' has no attribute {name!r}")

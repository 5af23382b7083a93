"""cbow_torch: the course's CBOW word embeddings, with its hand-written backward, in PyTorch."""

from .functional import cbow_loss
from .model import CBOW

__all__ = ["CBOW", "cbow_loss"]
__version__ = "0.1.0"

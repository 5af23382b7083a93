"""cbow_torch: the course's CBOW word embeddings, with its hand-written backward, in PyTorch."""

from .functional import cbow_loss, cbow_negative_sampling_loss
from .model import CBOW, CBOWNegativeSampling

__all__ = ["CBOW", "CBOWNegativeSampling", "cbow_loss", "cbow_negative_sampling_loss"]
__version__ = "0.1.0"

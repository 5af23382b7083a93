"""The training objectives, one class each; ``model.objective`` takes one (LightningCLI's
``class_path``/``init_args``, or the short ``--model.objective NegativeSampling``)."""

from .base import Objective
from .negative_sampling import NegativeSampling
from .softmax import Softmax

OBJECTIVES: dict[str, type[Objective]] = {cls.__name__: cls for cls in (Softmax, NegativeSampling)}

__all__ = ["OBJECTIVES", "NegativeSampling", "Objective", "Softmax"]

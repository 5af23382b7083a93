"""The training objectives, one object each; ``model.objective`` names one of ``OBJECTIVES``."""

from .base import Objective
from .negative_sampling import NegativeSamplingObjective
from .softmax import SoftmaxObjective

OBJECTIVES: dict[str, type[Objective]] = {
    cls.name: cls for cls in (SoftmaxObjective, NegativeSamplingObjective)
}

__all__ = ["OBJECTIVES", "NegativeSamplingObjective", "Objective", "SoftmaxObjective"]

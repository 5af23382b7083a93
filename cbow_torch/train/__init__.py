"""Training: ``module.py`` (``CBOWLightningModule``: SGD, TensorBoard, the export at the end of
fit), ``checkpoints.py`` (written whole, resumed knowingly) and ``cli.py`` (``cbow-torch fit``)."""

from .module import CBOWLightningModule

__all__ = ["CBOWLightningModule"]

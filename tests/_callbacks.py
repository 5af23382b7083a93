"""A callback that tests attach to real CLI runs (also in DDP subprocesses, via PYTHONPATH)."""

from pathlib import Path

import pytorch_lightning as pl
import torch


class RecordRun(pl.Callback):
    """Saves, per rank, the training losses of every step and the final parameters."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.losses: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append(outputs["loss"].item())

    def on_fit_end(self, trainer, pl_module) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        params = {k: v.detach().cpu().clone() for k, v in pl_module.state_dict().items()}
        record = {"losses": self.losses, "params": params, "world_size": trainer.world_size}
        torch.save(record, self.out_dir / f"rank{trainer.global_rank}.pt")

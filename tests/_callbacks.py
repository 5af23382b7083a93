"""A callback that tests attach to real CLI runs (also in DDP subprocesses, via PYTHONPATH)."""

import atexit
from pathlib import Path

import pytorch_lightning as pl
import torch


class RecordRun(pl.Callback):
    """Saves, per rank, the training losses of every step and the final parameters, and
    whether the process group was still open when the process came to exit."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.losses: list[float] = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append(outputs["loss"].item())

    def on_fit_end(self, trainer, pl_module) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        rank = trainer.global_rank
        params = {k: v.detach().cpu().clone() for k, v in pl_module.state_dict().items()}
        record = {"losses": self.losses, "params": params, "world_size": trainer.world_size}
        torch.save(record, self.out_dir / f"rank{rank}.pt")
        atexit.register(self._record_exit, self.out_dir / f"rank{rank}.open-at-exit")

    @staticmethod
    def _record_exit(path: Path) -> None:
        path.write_text(str(torch.distributed.is_initialized()))

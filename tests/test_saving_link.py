"""The end of an epoch whose best checkpoint was just written: last.ckpt is the same file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from cbow_torch.train.checkpoints import AtomicCheckpointIO
from cbow_torch.train.run import main

FAST = [
    "--data.corpus=lee",
    "--data.max_vocab_size=300",
    "--model.embedding_dim=8",
    "--model.projector_words=50",
    "--trainer.limit_train_batches=6",
    "--trainer.limit_val_batches=2",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
]


def fit(tmp: Path, *extra: str) -> Path:
    main(
        [
            "fit",
            *FAST,
            f"--data.cache_dir={tmp / 'cache'}",
            f"--trainer.logger.init_args.save_dir={tmp / 'runs'}",
            *extra,
        ]
    )
    return tmp / "runs" / "default" / "version_0" / "checkpoints"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_last_ckpt_is_a_link_to_the_best_written_at_the_same_step(tmp_path):
    keep = "--checkpoint.save_top_k=-1"  # every best checkpoint stays
    ckpts = fit(tmp_path, "--trainer.max_epochs=1", keep)
    (best,) = ckpts.glob("best-*.ckpt")
    last = ckpts / "last.ckpt"
    assert best.name == "best-epoch0-step6.ckpt"
    assert os.path.samefile(best, last) and last.stat().st_nlink == 2  # written once
    saved = torch.load(last, weights_only=True)
    assert saved["global_step"] == 6 and saved["epochs_done"] == 1  # the epoch's end, in both
    assert sorted(p.name for p in ckpts.iterdir()) == [best.name, "last.ckpt"]  # no leftovers

    # Later writes of last.ckpt (every 2 steps, and the next epoch's end) replace the name,
    # never the file it shared.
    inode, before = best.stat().st_ino, digest(best)
    every = "--checkpoint.every_n_train_steps=2"
    fit(tmp_path, "--trainer.max_epochs=2", keep, every, "--ckpt_path=last")
    assert torch.load(last, weights_only=True)["global_step"] == 12
    assert best.stat().st_ino == inode and digest(best) == before and best.stat().st_nlink == 1
    assert torch.load(best, weights_only=True)["global_step"] == 6


def test_the_atomic_writer_replaces_a_linked_name(tmp_path):
    """AtomicCheckpointIO writes a new file and renames it: a name linked to another file's
    content gets new content, and the other file keeps its own."""
    best, last = tmp_path / "best.ckpt", tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"step": 1}, best)
    os.link(best, last)
    AtomicCheckpointIO().save_checkpoint({"step": 2}, last)
    assert torch.load(best, weights_only=True) == {"step": 1}
    assert torch.load(last, weights_only=True) == {"step": 2}
    assert best.stat().st_nlink == 1

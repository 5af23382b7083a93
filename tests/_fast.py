"""The one list of fast training options that the tests share, and the command lines built on it.

Real data (the bundled Lee corpus) cut down to run in seconds: 300 words, 16 dimensions, 15
batches of 64, one thread (so that two runs of the same options agree bit for bit, whatever
the machine's load), no progress bar. ``NO_EXPORT`` turns the end-of-fit export (vectors,
evaluation, pictures, projector) off for a test that does not read it.

``CACHE`` is the session's prepared-corpus cache (conftest.py sets it): every run of these
options prepares the Lee corpus once per test session, not once per test.
"""

from __future__ import annotations

from pathlib import Path

FAST = [
    "--data.corpus=lee",
    "--data.max_vocab_size=300",
    "--data.batch_size=64",
    "--model.embedding_dim=16",
    "--model.lr=2.0",
    "--model.lr_schedule=constant",
    "--model.projector_words=100",
    "--trainer.limit_train_batches=15",
    "--trainer.limit_val_batches=4",
    "--trainer.log_every_n_steps=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.max_epochs=1",
    "--threads.count=1",
]
NO_EXPORT = "--export.enabled=false"

ROOT = Path(__file__).resolve().parents[1]

# The same cut for configs/word2vec.yaml (negative sampling), on top of its own values.
FAST_WORD2VEC = [
    "--model.embedding_dim=16",
    "--model.projector_words=100",
    "--trainer.log_every_n_steps=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--threads.count=1",
]

CACHE: Path | None = None  # set for the session by conftest.py


def cache_dir(tmp: Path) -> Path:
    """The session's shared corpus cache, or one in ``tmp`` outside a test session."""
    return CACHE if CACHE is not None else tmp / "cache"


def fit_args(tmp: Path, *extra: str, name: str = "run") -> list[str]:
    """``cbow-torch fit`` with FAST, its run directory under ``tmp/runs/NAME/version_0``."""
    return [
        "fit",
        *FAST,
        f"--data.cache_dir={cache_dir(tmp)}",
        f"--trainer.logger.init_args.save_dir={tmp / 'runs'}",
        f"--trainer.logger.init_args.name={name}",
        *extra,
    ]


def word2vec_args(tmp: Path, *extra: str, name: str = "run", engine: str = "autograd") -> list:
    """configs/word2vec.yaml cut down: the autograd engine (minibatches of 256, 12 steps an
    epoch, constant α) or the fused one (chunks of 2,000 words, 2 epochs)."""
    if engine == "autograd":
        engine_args = [
            "--model.objective.engine=autograd",
            "--model.objective.input_step=mean",
            "--data.batch_size=256",
            "--model.lr=6.4",
            "--model.lr_schedule=constant",  # linear decay would depend on max_epochs
            "--trainer.limit_train_batches=12",
            "--trainer.limit_val_batches=3",
            "--trainer.max_epochs=1",
        ]
    else:
        engine_args = [
            "--data.chunk_words=2000",
            "--trainer.max_epochs=2",
            f"--checkpoint.dirpath={tmp / name / 'checkpoints'}",
        ]
    return [
        "fit",
        f"--config={ROOT / 'configs' / 'word2vec.yaml'}",
        *FAST_WORD2VEC,
        *engine_args,
        f"--data.cache_dir={cache_dir(tmp)}",
        f"--trainer.logger.init_args.save_dir={tmp / 'runs'}",
        f"--trainer.logger.init_args.name={name}",
        *extra,
    ]

"""Training checkpoints: written whole, read without unpickling, resumed knowingly.

- ``AtomicCheckpointIO`` writes every checkpoint to a temporary name beside it, fsyncs, renames:
  a run killed at any moment (``kill -9``, the OOM killer, a power cut) leaves each checkpoint
  whole, old or new.
- ``find_checkpoint`` turns ``--ckpt_path`` into a checked checkpoint before anything is built:
  ``last`` is the newest run of the logger (said so, with its step), a missing, cut or foreign
  file is a one-line error, a finished run is left alone.
- ``start_resume`` tells a finished run (its ``global_step`` at ``max_steps``, or its
  ``epochs_done`` at ``max_epochs``) from one to resume; ``saving.py`` decides when they are
  written.
- ``RunGuard`` watches the run: a fresh run directory with no checkpoint in it is removed when
  the run fails (nothing in it can be resumed or exported), and an interrupted run prints the
  command that resumes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.plugins import TorchCheckpointIO
from pytorch_lightning.utilities import rank_zero_only
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ..atomic import atomic_write
from ..checkpoint import PickleRefused, TrainingCheckpoint, read_torch_file, vocabulary_mismatch
from .module import CBOWTrainingError

KEYWORDS = ("last", "hpc", "registry")  # Lightning's own meanings of --ckpt_path


class RunFinished(Exception):
    """``--ckpt_path`` names a run that has done all its steps: nothing to do (exit 0)."""


# Seconds each checkpoint write waits after its bytes are written and before the rename: a test
# hook that lets tests/test_checkpoints.py kill a process inside a write for certain.
PAUSE_ENV = "CBOW_TORCH_CHECKPOINT_PAUSE_S"


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's ``torch.save`` checkpoints, written whole or not at all (``atomic.py``)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        pause = float(os.environ.get(PAUSE_ENV) or 0)

        def write(f) -> None:
            torch.save(checkpoint, f)
            if pause:
                f.flush()
                time.sleep(pause)

        atomic_write(path, write)


@dataclass
class Checkpoint:
    path: Path
    words: list[str]  # the vocabulary it was trained on
    step: int
    epochs_done: int
    where: str = ""  # "run DIR" for --ckpt_path last, else the path


def say(message: str) -> None:
    """Print one line to stderr, on rank zero only."""
    if rank_zero_only.rank == 0:
        print(message, file=sys.stderr, flush=True)


def find_checkpoint(config: Any) -> Checkpoint | None:
    """Resolve and check ``config.ckpt_path`` (``last`` or a file) before anything is built.

    Sets the logger's version to the resumed run, so that it goes on in its own directory.
    Raises CBOWTrainingError (one line) for a checkpoint that cannot be resumed.
    """
    given = config.get("ckpt_path")
    if not given:
        return None
    if config.get("weights_only") is None:
        config["weights_only"] = True  # else Lightning unpickles a URL's checkpoint
    elif not config["weights_only"]:
        raise CBOWTrainingError(
            "--weights_only false would unpickle the checkpoint, which can run code it names; "
            "cbow-torch checkpoints need no unpickling: drop the option"
        )
    if given in KEYWORDS[1:] or "://" in str(given):
        return None  # one Lightning finds or fetches itself
    run_dir = _resolve_last(config) if given == "last" else None
    path = Path(config["ckpt_path"])
    try:
        ckpt = read_torch_file(path)
    except PickleRefused:
        raise CBOWTrainingError(
            f"--ckpt_path {path}: holds pickled Python objects, which can run code when loaded; "
            "cbow-torch resumes only checkpoints that torch.load(weights_only=True) reads, as "
            "its own are"
        ) from None
    except (OSError, ValueError) as e:
        detail = e.strerror.lower() if isinstance(e, OSError) and e.strerror else str(e)
        raise CBOWTrainingError(
            f"--ckpt_path {path}: {detail.removeprefix(f'{path}: ')}; give a run's "
            "checkpoints/last.ckpt, or 'last' for the newest run"
        ) from None
    try:
        saved = TrainingCheckpoint.from_dict(ckpt, path)
    except ValueError as e:
        raise CBOWTrainingError(f"--ckpt_path {e}; give a run's checkpoints/last.ckpt") from None
    found = Checkpoint(path, saved.words, saved.global_step, saved.epochs_done)
    found.where = f"run {run_dir}" if run_dir else str(path)
    return found


def _resolve_last(config: Any) -> Path:
    """``--ckpt_path last``: the newest run of this logger (its version, or the highest one)."""
    logger = config.trainer.logger
    args = getattr(logger, "init_args", None)
    if args is None:
        raise CBOWTrainingError(
            "--ckpt_path last needs the TensorBoard logger's runs (save_dir/name/version_N); "
            "without a logger, give the checkpoint's path"
        )
    root = Path(args.get("save_dir") or "runs") / (args.get("name") or "")
    version = args.get("version")
    if version is None:
        runs = sorted(
            (int(m.group(1)), p)
            for p in root.glob("version_*")
            if p.is_dir() and (m := re.fullmatch(r"version_(\d+)", p.name))
        )
        if not runs:
            raise CBOWTrainingError(
                f"--ckpt_path last: {root} holds no run (version_N/checkpoints/last.ckpt) "
                "to resume; train first, or pass the checkpoint's path"
            )
        version, run_dir = runs[-1]
    else:
        run_dir = root / (version if isinstance(version, str) else f"version_{version}")
    last = run_dir / "checkpoints" / "last.ckpt"
    if not last.is_file():
        older = sorted(root.glob("version_*/checkpoints/last.ckpt"), key=_version_number)
        hint = f", or resume an older run with --ckpt_path {older[-1]}" if older else ""
        raise CBOWTrainingError(
            f"--ckpt_path last: the newest run, {run_dir}, has no checkpoints/last.ckpt (it "
            f"stopped before its first checkpoint): start afresh without --ckpt_path{hint}"
        )
    args["version"] = version
    config["ckpt_path"] = str(last)
    return run_dir


def _version_number(last: Path) -> int:
    m = re.fullmatch(r"version_(\d+)", last.parent.parent.name)
    return int(m.group(1)) if m else -1


def start_resume(ckpt: Checkpoint, trainer: pl.Trainer) -> None:
    """Say which run and step a fit resumes; RunFinished if it has nothing left to do.

    A run is finished when its checkpoint has reached the Trainer's ``max_steps`` (if set), or
    has done its ``max_epochs`` (the Trainer's, Lightning's default included): the two facts a
    checkpoint records, ``global_step`` and ``epochs_done`` (``saving.py``), against the two
    limits the Trainer reports. Another stop (EarlyStopping, max_time) is not recorded: such a
    run resumes and stops again at once.
    """
    max_steps, max_epochs = trainer.max_steps, trainer.max_epochs
    if max_steps is not None and max_steps >= 0 and ckpt.step >= max_steps:
        limit = f"max_steps={max_steps}"
    elif max_epochs is not None and max_epochs >= 0 and ckpt.epochs_done >= max_epochs:
        limit = f"max_epochs={max_epochs}"
    else:
        say(f"Resuming {ckpt.where} from step {ckpt.step} ({ckpt.epochs_done} epochs done)")
        if rank_zero_only.rank == 0:
            for cut in ckpt.path.parent.glob(".*.ckpt.*.tmp"):  # writes a kill -9 cut short
                cut.unlink(missing_ok=True)
        return
    raise RunFinished(
        f"{ckpt.where} is finished: its checkpoint is at step {ckpt.step} "
        f"({ckpt.epochs_done} epochs done) and the run stops at {limit}; "
        "nothing was changed. To train further, raise --trainer.max_epochs or max_steps."
    )


def check_vocabulary(ckpt: Checkpoint, datamodule: Any) -> None:
    """The checkpoint's ids must name the data's words: another corpus or option is refused."""
    vocab = getattr(datamodule, "vocab", None)
    if vocab is None:
        return
    differs = vocabulary_mismatch(ckpt.words, list(vocab.index_to_key))
    if differs is None:
        return
    config = ckpt.path.parent.parent / "config.yaml"
    see = f" (see {config})" if config.is_file() else ""
    raise CBOWTrainingError(
        f"--ckpt_path {ckpt.path}: trained on another vocabulary ({differs}): give the data "
        f"options it was trained with{see}"
    )


def check_learnable(datamodule: Any) -> None:
    """A corpus too short to hold out a validation window gives a run that measures nothing."""
    train = getattr(datamodule, "train_dataset", None)
    val_fraction = getattr(datamodule, "val_fraction", 0)
    if train is None or getattr(datamodule, "val_dataset", None) is not None:
        return
    if val_fraction > 0:
        raise CBOWTrainingError(
            f"the corpus gives {len(train)} training window(s) and no validation window: "
            f"data.val_fraction={val_fraction} of it rounds to no token, so the run would learn "
            "nothing it could measure (val/loss NaN); use a longer corpus, or set "
            "data.val_fraction=0 to train without validation"
        )
    say("cbow-torch: warning: data.val_fraction=0: no validation, so no val/loss to judge the run")


class RunGuard(pl.Callback):
    """Removes a fresh run directory left with no checkpoint by a failure; says how to resume.

    Args:
        argv: the command line, for the resume command (None: ``fit()``'s, which resumes
            with ``ckpt_path="last"``).
        run_dir: the run directory (the logger's log_dir), or None without one.
    """

    def __init__(self, argv: list[str] | None, run_dir: str | None) -> None:
        self.argv = argv
        # The folders this run will create: removed again if it fails with nothing to keep.
        self.fresh = [] if run_dir is None else [Path(run_dir), *Path(run_dir).parents]
        self.fresh = [p for p in self.fresh if not p.exists()]

    def on_exception(self, trainer: pl.Trainer, pl_module: Any, exception: BaseException) -> None:
        if not trainer.is_global_zero or trainer.logger is None or trainer.log_dir is None:
            return
        run_dir = Path(trainer.log_dir)
        has_checkpoint = any(run_dir.glob("checkpoints/*.ckpt"))
        if self.fresh and not has_checkpoint:
            trainer.logger.finalize("failed")  # close the events file before it goes
            shutil.rmtree(self.fresh[0], ignore_errors=True)
            for folder in self.fresh[1:]:
                with contextlib.suppress(OSError):  # only if empty: another run may be there
                    folder.rmdir()
        if not isinstance(exception, KeyboardInterrupt | SIGTERMException):
            return
        if has_checkpoint:
            say(
                f"cbow-torch: interrupted at step {trainer.global_step}; {run_dir} keeps its last "
                f"checkpoint. Resume it with:\n  {resume_command(self.argv)}"
            )
        else:
            say(
                f"cbow-torch: interrupted at step {trainer.global_step}, before the first "
                f"checkpoint: nothing to resume ({run_dir} removed). Start again with:\n"
                f"  {shlex.join(['cbow-torch', *self.argv]) if self.argv else 'the same call'}"
            )


def resume_command(argv: list[str] | None) -> str:
    """The command line with ``--ckpt_path last`` in place of any --ckpt_path it had."""
    if argv is None:
        return "the same fit() call with ckpt_path='last'"
    args, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--ckpt_path":
            skip = True
        elif not arg.startswith("--ckpt_path="):
            args.append(arg)
    return shlex.join(["cbow-torch", *args, "--ckpt_path", "last"])

"""Training from the command line: ``cbow-torch fit|validate …``, a LightningCLI.

(``cbow_torch.__main__`` sends the vector tools to ``cbow_torch.vectors.commands`` instead.)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import sys
import warnings
from argparse import ArgumentError
from collections.abc import Iterator

import torch.distributed
from jsonargparse import DefaultHelpFormatter
from lightning_fabric.plugins import TorchCheckpointIO
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.utilities.exceptions import MisconfigurationException

from ..data.datamodule import CBOWDataModule
from .checkpoints import (
    AtomicCheckpointIO,
    RunFinished,
    RunGuard,
    check_learnable,
    check_vocabulary,
    find_checkpoint,
    start_resume,
)
from .export import ExportEmbeddings
from .module import CBOWLightningModule, CBOWTrainingError
from .runtime import IntraOpThreads

DESCRIPTION = """Train CBOW word embeddings (the course's model and backward) with Lightning.

  cbow-torch fit --config configs/default.yaml        train on the bundled corpus
  cbow-torch fit --config configs/default.yaml --ckpt_path last      resume the newest run
  cbow-torch fit --config configs/course.yaml --data.corpus path/to/shakespeare.txt

Prepare a corpus once: cbow-torch prepare CORPUS --out DIR, then fit --data.dataset DIR
Vector tools (each has --help): cbow-torch {export,evaluate,neighbors,analogy,plot} ...
"""


class _HelpFormatter(DefaultHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of the description's examples."""


class _Parser(LightningArgumentParser):
    """jsonargparse's errors (a bad type, a value outside a Literal's choices) as the project's
    one line, without the page of usage."""

    def error(self, message: str, ex: Exception | None = None):
        if not self.exit_on_error:  # jsonargparse trying one type of a union: it raises
            return super().error(message, ex)
        sys.exit(f"cbow-torch: error: {' '.join(message.split())} (see cbow-torch fit --help)")


class NoProfiler(PassThroughProfiler):
    """Lightning's "no profiler" at a fraction of its cost: PassThroughProfiler makes a generator
    context manager for each of the ~60 hook calls of a step (~0.1 ms a step, 5% of a default
    config step); this hands back one reusable null context. ``--trainer.profiler simple`` (or
    any other) still replaces it."""

    _NULL = contextlib.nullcontext()

    def profile(self, action_name: str) -> contextlib.nullcontext:
        return self._NULL


class CBOWCLI(LightningCLI):
    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        # test and predict need steps that a CBOW trainer has no use for.
        return {k: v for k, v in LightningCLI.subcommands().items() if k in ("fit", "validate")}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": "val/loss",
                "checkpoint.save_last": True,
                "checkpoint.filename": "best-epoch{epoch}-step{step}",
                "checkpoint.auto_insert_metric_name": False,
            }
        )
        parser.add_lightning_class_args(TQDMProgressBar, "progress_bar")
        parser.add_lightning_class_args(ExportEmbeddings, "export")
        parser.add_lightning_class_args(IntraOpThreads, "threads")
        self._callback_parsers = [*getattr(self, "_callback_parsers", []), parser]

    # ---- checkpoints, resume and failures: checkpoints.py -------------------------------

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        super().parse_arguments(parser, args)
        self.argv = list(sys.argv[1:] if args is None else args)
        sub = self.config.get("subcommand")
        # Before Lightning reads the checkpoint's hyper-parameters, and before anything is
        # built: `last` resolved, the file checked.
        self.checkpoint = find_checkpoint(self.config[sub]) if sub else None

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        # Lightning's switches win over the callbacks that need what they switch off.
        trainer = config.trainer
        off = {
            "checkpoint": trainer.enable_checkpointing is False,
            "progress_bar": trainer.enable_progress_bar is False,
        }
        for parser in self._callback_parsers:
            parser.callback_keys[:] = [k for k in parser.callback_keys if not off.get(k)]
        if self.subcommand == "validate":  # prints its metrics; no new run directory
            self.config["validate"]["trainer"]["logger"] = False
            self.save_config_callback = None

    def after_instantiate_classes(self) -> None:
        super().after_instantiate_classes()
        if self.subcommand in ("fit", "validate"):
            # The data's own errors now, before a run directory exists. Under DDP this is the
            # launching process (rank 0): it prepares the corpus once, and the ranks it starts
            # find it prepared.
            self.datamodule.prepare_data()
            self.datamodule.setup(self.subcommand)
        if self.checkpoint is not None:
            check_vocabulary(self.checkpoint, self.datamodule)
            if self.subcommand == "fit":  # a finished run is left alone
                start_resume(self.checkpoint, self.config["fit"]["trainer"])
        if self.subcommand == "fit":
            check_learnable(self.datamodule)
        if self.subcommand in ("fit", "validate"):
            trainer = self.trainer
            if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
                trainer.strategy.checkpoint_io = AtomicCheckpointIO()
            log_dir = trainer.log_dir if trainer.logger is not None else None  # none: fast_dev_run
            trainer.callbacks.append(RunGuard(self.argv, log_dir))


def cli_main(args: list[str] | None = None, run: bool = True) -> CBOWCLI:
    """The LightningCLI; ``args`` replaces sys.argv (for tests and notebooks)."""
    with lightning_noise_silenced():
        return CBOWCLI(
            CBOWLightningModule,
            CBOWDataModule,
            args=args,
            run=run,
            parser_class=_Parser,
            trainer_defaults={
                "profiler": {"class_path": "cbow_torch.train.cli.NoProfiler"},
                "logger": {
                    "class_path": "pytorch_lightning.loggers.TensorBoardLogger",
                    "init_args": {
                        "save_dir": "runs",
                        "name": "default",
                        "default_hp_metric": False,
                    },
                },
            },
            save_config_kwargs={"overwrite": True},  # a resumed run rewrites its config.yaml
            parser_kwargs={
                "prog": "cbow-torch",
                "description": DESCRIPTION,
                "formatter_class": _HelpFormatter,
                "exit_on_error": False,  # main() makes a bad option one line, not usage + error
            },
        )


def _not_litlogger_tip(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("💡 Tip: For seamless cloud logging")


@contextlib.contextmanager
def lightning_noise_silenced() -> Iterator[None]:
    """For the CLI's run only, three messages of Lightning's that do not apply here, each matched
    by its text and its source (tests/test_training.py fails when a Lightning release changes
    one of them):

    - the advert for its litlogger, printed by every Trainer;
    - torch's FutureWarning about ``LeafSpec``, which Lightning's ``_pytree`` still constructs;
    - "resuming from a checkpoint that ended before the epoch ended": CBOWDataModule's loader
      does resume mid-epoch (it starts after the batches done), which Lightning cannot see.
    """
    info = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    info.addFilter(_not_litlogger_tip)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore",
                message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                category=FutureWarning,
                module=r"pytorch_lightning\.utilities\._pytree",
            )
            warnings.filterwarnings(
                "ignore",
                message="You're resuming from a checkpoint that ended before the epoch ended",
                module=r"pytorch_lightning\.loops\.training_epoch_loop",
            )
            yield
    finally:
        info.removeFilter(_not_litlogger_tip)


def main(argv: list[str] | None = None) -> None:
    try:
        cli_main(argv)  # None: LightningCLI reads sys.argv itself
    except ArgumentError as error:
        sys.exit(f"cbow-torch: error: {_one_line(str(error))} (see cbow-torch --help)")
    except RunFinished as done:
        print(f"cbow-torch: {done}", file=sys.stderr)
        return
    except (ValueError, OSError, CBOWTrainingError, MisconfigurationException) as error:
        # Bad options and data (CBOWDataError is a ValueError), a checkpoint that cannot be
        # resumed, a NaN loss, a device that is not there: one line that names it, exit 1.
        message = f"{error.filename}: {error.strerror}" if _named_os_error(error) else error
        sys.exit(f"cbow-torch: error: {' '.join(str(message).split())}")
    # Every rank of a finished DDP run closes its process group. Lightning closes only NCCL
    # ones; a gloo (CPU) group left open can abort the process at exit ("terminate called
    # without an active exception", pytorch/pytorch#190489), and the launcher then kills the
    # whole run. Closing is local, so a rank that is done need not wait for the others.
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _one_line(message: str) -> str:
    """jsonargparse's multi-line type errors as one line: the key, the types, the value."""
    lines = [line.strip() for line in message.splitlines()]
    keep = [x for x in lines if x and not x.startswith(("- ", "Errors:", "Given value type:"))]
    return re.sub(r"<class '([\w.]+)'>", r"\1", " ".join(keep))


def _named_os_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and bool(error.filename) and bool(error.strerror)

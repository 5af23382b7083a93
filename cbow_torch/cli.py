"""Training from the command line: ``cbow-torch fit|validate …``, a LightningCLI.

(``cbow_torch.__main__`` sends the vector tools to ``cbow_torch.commands`` instead.)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch.distributed
from jsonargparse import DefaultHelpFormatter
from pytorch_lightning.callbacks import ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.utilities.exceptions import MisconfigurationException

from .data import CBOWDataModule
from .module import CBOWLightningModule, CBOWTrainingError, ExportEmbeddings, IntraOpThreads

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

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.get("ckpt_path") == "last":
            _resume_newest_run(config)
        # Lightning's switches win over the callbacks that need what they switch off.
        trainer = config.trainer
        off = {
            "checkpoint": trainer.enable_checkpointing is False,
            "progress_bar": trainer.enable_progress_bar is False,
        }
        for parser in self._callback_parsers:
            parser.callback_keys[:] = [k for k in parser.callback_keys if not off.get(k)]


def _resume_newest_run(config) -> None:
    """``--ckpt_path last``: continue the newest run of this logger that has a last.ckpt, in its
    own directory, rather than in a new, empty version."""
    logger = config.trainer.logger
    args = logger.init_args if hasattr(logger, "init_args") else None
    if args is None or args.get("version") is not None:
        return  # not our versioned TensorBoard logger: Lightning resolves "last" itself
    root = Path(args.get("save_dir", "runs")) / (args.get("name") or "")
    runs = sorted(
        (int(m.group(1)), p.parent.parent)
        for p in root.glob("version_*/checkpoints/last.ckpt")
        if (m := re.fullmatch(r"version_(\d+)", p.parent.parent.name))
    )
    if not runs:
        raise CBOWTrainingError(
            f"--ckpt_path last: no {root}/version_*/checkpoints/last.ckpt to resume; "
            "train first, or pass the checkpoint's path"
        )
    version, run_dir = runs[-1]
    args["version"] = version
    config["ckpt_path"] = str(run_dir / "checkpoints" / "last.ckpt")


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
                "profiler": {"class_path": "cbow_torch.cli.NoProfiler"},
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
    except (ValueError, CBOWTrainingError, MisconfigurationException) as error:
        # Bad options and data (CBOWDataError is a ValueError), a NaN loss, a device that is
        # not there: one line that names it, exit status 1.
        sys.exit(f"cbow-torch: error: {' '.join(str(error).split())}")
    # Every rank of a finished DDP run closes its process group. Lightning closes only NCCL
    # ones; a gloo (CPU) group left open can abort the process at exit ("terminate called
    # without an active exception", pytorch/pytorch#190489), and the launcher then kills the
    # whole run. Closing is local, so a rank that is done need not wait for the others.
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()

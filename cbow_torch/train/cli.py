"""Training from the command line: ``cbow-torch fit|validate …``, a LightningCLI.

(``cbow_torch.__main__`` sends the vector tools to ``cbow_torch.vectors.commands`` instead.)
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl
from lightning_fabric.plugins import TorchCheckpointIO
from lightning_fabric.utilities.rank_zero import rank_zero_module
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.profilers import PassThroughProfiler
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ..data.datamodule import CBOWDataModule
from . import configs
from .checkpoints import (
    AtomicCheckpointIO,
    RunGuard,
    check_learnable,
    check_vocabulary,
    find_checkpoint,
    start_resume,
)
from .export import ExportEmbeddings
from .module import CBOWLightningModule
from .parser import HelpFormatter, Parser, check_config_keys, resolve_configs
from .progress import RunProgressBar
from .runtime import IntraOpThreads
from .saving import RunCheckpoint

DESCRIPTION = """Train CBOW word embeddings (the course's model and backward) with Lightning.

  cbow-torch fit                     train on the bundled corpus as the default config does
  cbow-torch fit --config word2vec   word2vec's negative sampling (configs by name or path)
  cbow-torch fit --ckpt_path last    resume the newest run

Prepare a corpus once: cbow-torch prepare CORPUS --out DIR, then fit --data.dataset DIR
Vector tools (each has --help): cbow-torch {export,evaluate,neighbors,analogy,plot} ...
"""


class NoProfiler(PassThroughProfiler):
    """Lightning's "no profiler" at a fraction of its cost: PassThroughProfiler makes a generator
    context manager for each of the ~60 hook calls of a step (~0.1 ms a step, 5% of a default
    config step); this hands back one reusable null context. ``--trainer.profiler simple`` (or
    any other) still replaces it."""

    _NULL = contextlib.nullcontext()

    def profile(self, action_name: str) -> contextlib.nullcontext:
        return self._NULL


class CBOWTrainer(pl.Trainer):
    """Lightning's Trainer, whose ``fit`` lets a Ctrl-C through as KeyboardInterrupt: Lightning
    itself turns one into ``sys.exit(1)`` after its graceful shutdown (callbacks' on_exception,
    loggers closed), and main() makes it exit status 130."""

    def fit(self, *args, **kwargs) -> None:
        try:
            super().fit(*args, **kwargs)
        except SystemExit as stop:
            if self.interrupted and not isinstance(stop, SIGTERMException):
                raise KeyboardInterrupt from None
            raise


# Each argument group is one callback, left out when the Trainer switch named beside it is false.
CALLBACKS = {
    "checkpoint": (RunCheckpoint, "enable_checkpointing"),
    "progress_bar": (RunProgressBar, "enable_progress_bar"),
    "export": (ExportEmbeddings, None),
    "threads": (IntraOpThreads, None),
}


class CBOWCLI(LightningCLI):
    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        # test and predict need steps that a CBOW trainer has no use for.
        return {k: v for k, v in LightningCLI.subcommands().items() if k in ("fit", "validate")}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Plain argument groups, not Lightning's callback groups: instantiate_trainer below adds
        # each callback unless its Trainer switch is off (Lightning refuses both together).
        for key, (cls, _) in CALLBACKS.items():
            parser.add_class_arguments(cls, key, fail_untyped=False, sub_configs=True)
        # The vocabulary flows one way, data to model: reading it prepares the corpus once
        # (on the launching process under DDP; the ranks it starts find it prepared).
        parser.link_arguments("data.vocab", "model.vocab", apply_on="instantiate")
        self.options_parser = parser  # fit's and validate's options are the same

    def instantiate_trainer(self, **kwargs: Any) -> pl.Trainer:
        config = self.config_init[self.subcommand] if self.subcommand else self.config_init
        trainer = config["trainer"]
        callbacks = trainer.get("callbacks") or []
        callbacks = list(callbacks) if isinstance(callbacks, list) else [callbacks]
        for key, (_, switch) in CALLBACKS.items():
            if switch is None or trainer.get(switch) is not False:
                callbacks.append(config[key])
        trainer = super().instantiate_trainer(callbacks=callbacks, **kwargs)
        if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:  # written whole, no copy
            trainer.strategy.checkpoint_io = AtomicCheckpointIO()
        return trainer

    # ---- checkpoints, resume and failures: checkpoints.py -------------------------------

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        check_config_keys(self.options_parser, args)  # all unknown keys at once
        super().parse_arguments(parser, args)
        # The command line, for the resume hint; a dict of options (fit()) has none.
        self.argv = None if isinstance(args, dict) else list(sys.argv[1:] if args is None else args)
        sub = self.config.get("subcommand")
        # Before Lightning reads the checkpoint's hyper-parameters, and before anything is
        # built: `last` resolved, the file checked.
        self.checkpoint = find_checkpoint(self.config[sub]) if sub else None

    def before_instantiate_classes(self) -> None:
        if self.subcommand == "validate":  # prints its metrics; no new run directory
            self.config["validate"]["trainer"]["logger"] = False
            self.save_config_callback = None
        if self.subcommand == "fit":  # before the corpus is prepared: nothing would train
            trainer = self.config["fit"]["trainer"]
            for limit in ("max_epochs", "max_steps"):
                if trainer.get(limit) == 0:
                    raise ValueError(
                        f"trainer.{limit}=0 trains nothing and would write untrained vectors: "
                        "give 1 or more (fit(epochs=...))"
                    )

    def after_instantiate_classes(self) -> None:
        super().after_instantiate_classes()
        if self.checkpoint is not None:
            check_vocabulary(self.checkpoint, self.datamodule)
            if self.subcommand == "fit":  # a finished run is left alone
                start_resume(self.checkpoint, self.trainer)
        if self.subcommand == "fit":
            check_learnable(self.datamodule)
        if self.subcommand in ("fit", "validate"):
            trainer = self.trainer
            log_dir = trainer.log_dir if trainer.logger is not None else None  # none: fast_dev_run
            trainer.callbacks.append(RunGuard(self.argv, log_dir))


def cli_main(args: list[str] | dict[str, Any] | None = None, run: bool = True) -> CBOWCLI:
    """The LightningCLI; ``args`` replaces sys.argv: a command line (a list), or a whole config
    as a dict with its ``subcommand`` (what ``fit()`` gives).

    Without a config the run is the bundled default's; a config is a whole recipe and replaces
    it, so that no value of default.yaml leaks into, say, word2vec.yaml. ``--help`` shows the
    values the run would use: default.yaml's, or the given configs'.
    """
    if isinstance(args, dict):
        files = []  # the dict is the whole config
    else:
        args, files = resolve_configs(list(sys.argv[1:] if args is None else args))
        if not files:
            files = [configs.resolve(configs.DEFAULT)]
        elif "-h" not in args and "--help" not in args:
            files = []  # --config reads them, in order, over no defaults
    common = {
        "formatter_class": HelpFormatter,
        "exit_on_error": False,
        "default_config_files": [str(f) for f in files],
    }
    with lightning_noise_silenced():
        return CBOWCLI(
            CBOWLightningModule,
            CBOWDataModule,
            args=args,
            run=run,
            parser_class=Parser,
            trainer_class=CBOWTrainer,
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
            auto_configure_optimizers=False,  # each objective sets up its own optimizer
            parser_kwargs={
                "prog": "cbow-torch",
                "description": DESCRIPTION,
                "formatter_class": HelpFormatter,
                "exit_on_error": False,  # main() makes a bad option one line, not usage + error
                **({"fit": common, "validate": common} if run else common),
            },
        )


# Lightning's messages that do not apply to these runs and have no switch of their own; each is
# matched by its text only (tests/test_training.py fails when a release changes one of them).
NOISE = (
    "💡 Tip:",  # adverts for Lightning's cloud services, printed by every Trainer
    # torch's FutureWarning about the LeafSpec that Lightning's pytree helper still builds
    "`isinstance(treespec, LeafSpec)` is deprecated",
    # CBOWDataModule's loader does resume mid-epoch (it starts after the batches done)
    "You're resuming from a checkpoint that ended before the epoch ended",
    # a resumed run's own checkpoints folder
    "Checkpoint directory ",
    # args given in Python (fit(), tests) beside the caller's own sys.argv, which is not ours
    "LightningCLI's args parameter is intended",
)


def _not_noise(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(NOISE)


@contextlib.contextmanager
def lightning_noise_silenced() -> Iterator[None]:
    """For the CLI's run only, Lightning's messages in NOISE (its rank-zero log and warnings)."""
    log = rank_zero_module.log  # where Lightning's rank_zero_info and rank_zero_warn write
    log.addFilter(_not_noise)
    try:
        with warnings.catch_warnings():
            for text in NOISE[1:]:
                warnings.filterwarnings("ignore", message=re.escape(text))
            yield
    finally:
        log.removeFilter(_not_noise)

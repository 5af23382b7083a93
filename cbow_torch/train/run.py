"""The one way a training run starts, from the command line (``main``) or from Python
(``fit()``): the LightningCLI run, its failures as one-line errors, and the teardown."""

from __future__ import annotations

import sys
from argparse import ArgumentError
from typing import Any

import torch.distributed
from pytorch_lightning.utilities.exceptions import MisconfigurationException

from .checkpoints import RunFinished
from .cli import CBOWCLI, cli_main
from .module import CBOWTrainingError


class RunError(ValueError):
    """A run that could not start or go on: a bad option, corpus or checkpoint (one line)."""


def one_line(error: BaseException) -> str:
    """An error's message on one line; an OSError as ``FILE: REASON``."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split())


def run(args: list[str] | dict[str, Any] | None = None) -> CBOWCLI:
    """Run ``cbow-torch`` with ``args`` (a command line, or a whole config as a dict with its
    ``subcommand``). Raises ``RunError`` (one line) for what
    the user can fix, ``CBOWTrainingError`` when training fails (a NaN, collapsed vectors),
    ``RunFinished`` when a resumed run has nothing left to do, and lets KeyboardInterrupt
    through. Every rank closes its process group at the end, as Lightning does only for NCCL: a
    gloo group left open can abort the process at exit (pytorch/pytorch#190489)."""
    try:
        return cli_main(args)
    except ArgumentError as error:
        raise RunError(f"{one_line(error)} (see cbow-torch fit --help)") from None
    except CBOWTrainingError as error:
        raise CBOWTrainingError(one_line(error)) from None
    except (ValueError, OSError, MisconfigurationException) as error:
        # Bad options and data (CBOWDataError is a ValueError), a checkpoint that cannot be
        # resumed, a device that is not there.
        raise RunError(one_line(error)) from None
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def main(argv: list[str] | None = None) -> None:
    """``cbow-torch fit|validate``: exit 0, 1 with one line on stderr, or 130 on Ctrl-C."""
    try:
        run(argv)  # None: LightningCLI reads sys.argv itself
    except KeyboardInterrupt:
        sys.exit(130)  # the shell's status for a Ctrl-C; RunGuard said how to resume
    except RunFinished as done:
        print(f"cbow-torch: {done}", file=sys.stderr)
    except (RunError, CBOWTrainingError) as error:
        sys.exit(f"cbow-torch: error: {error}")

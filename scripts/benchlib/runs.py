"""Training runs for the benchmarks, and the one place that spells the package's config keys.

A script names a run by its configs (``default``, ``word2vec``, ``presets/autograd``: files
under configs/; or paths) and the settings it changes, by the names of ``KEYS`` (gensim's,
as ``cbow_torch.fit`` takes them, where it has one); :func:`fit_args` makes them
``cbow-torch fit`` options. :func:`fit_here` runs them in this process; :func:`launch` and
:func:`finish` in another, timed by ``benchlib.clock.TrainingClock``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from argparse import ArgumentError
from pathlib import Path
from typing import Any

from . import BenchError

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
KEYS = {  # a setting's name: the config keys it sets
    "corpus": ["data.corpus"],
    "tokenizer": ["data.tokenizer"],
    "line_per_document": ["data.line_per_document"],
    "window": ["data.window"],
    "min_count": ["data.min_count"],
    "batch_size": ["data.batch_size"],
    "val_fraction": ["data.val_fraction"],
    "loader_workers": ["data.num_workers"],
    "cache_dir": ["data.cache_dir"],
    "vector_size": ["model.embedding_dim"],
    "lr": ["model.lr"],
    "min_lr": ["model.min_lr"],
    "epochs": ["trainer.max_epochs"],
    "max_steps": ["trainer.max_steps"],
    "log_every": ["trainer.log_every_n_steps"],
    "progress_bar": ["trainer.enable_progress_bar"],
    "threads": ["threads.count"],  # None: the automatic share
    "export": ["export.enabled"],
    "out_dir": ["trainer.logger.init_args.save_dir"],
    "root_dir": ["trainer.default_root_dir"],  # where a run without a logger writes
    "seed": ["seed_everything", "model.seed", "data.seed"],
    # bare=True: no logger, checkpoints or model summary (export=False: no export)
    "bare": ["trainer.logger", "trainer.enable_checkpointing", "trainer.enable_model_summary"],
}
# The scripts' objective names: model.objective's class; and where an objective's own options go.
OBJECTIVES = {"softmax": "Softmax", "negative": "NegativeSampling"}
OBJECTIVE_OPTIONS = {"engine": "engine", "negative": "negatives"}  # a setting's name: its option
OBJECTIVE_KEY = "model.objective.{}"


def scripts_env(**more: str) -> dict[str, str]:
    """This process's environment, with scripts/ on PYTHONPATH (and MORE), for a child process
    that imports benchlib."""
    path = os.pathsep.join(filter(None, [str(SCRIPTS), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **more}


def config_file(name: str) -> Path:
    """A bundled config's file (``word2vec``, ``presets/autograd``), or the path NAME."""
    from cbow_torch.train.configs import resolve

    try:
        return resolve(name)
    except ValueError as error:
        raise BenchError(str(error)) from None


def fit_args(*configs: str, objective: str | None = None, **settings: Any) -> list[str]:
    """``cbow-torch fit`` options: the configs in order, then the settings (``KEYS``, or an
    objective's own: ``OBJECTIVE_OPTIONS``); a value of None is the config's ``null``."""
    args = [f"--config={config_file(c)}" for c in configs]
    if objective is not None:
        if objective not in OBJECTIVES:
            raise BenchError(f"objective {objective}: choose from {', '.join(OBJECTIVES)}")
        args.append(f"--model.objective={OBJECTIVES[objective]}")
    for name, value in settings.items():
        if name in OBJECTIVE_OPTIONS:
            keys = [OBJECTIVE_KEY.format(OBJECTIVE_OPTIONS[name])]
        elif name in KEYS:
            keys, value = KEYS[name], (not value if name == "bare" else value)
        else:
            raise TypeError(f"fit_args: unknown setting {name}; add it to benchlib.runs.KEYS")
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else value
        args += [f"--{key}={text}" for key in keys]
    return args


def fit_here(args: list[str], *callbacks, around: Any = None):
    """``cbow-torch fit ARGS`` in this process with more callbacks, the fit (not the CLI's
    set-up, which prepares the corpus) inside the context manager ``around``; returns the CLI
    (``cli.model``, ``cli.datamodule``, ``cli.trainer``). A run without a logger writes its
    config.yaml to a temporary directory, not the working directory. A bad option or a
    diverged run is a BenchError of one line."""
    from cbow_torch.train.cli import cli_main, lightning_noise_silenced
    from cbow_torch.train.module import CBOWTrainingError

    with (
        warnings.catch_warnings(),
        lightning_noise_silenced(),
        tempfile.TemporaryDirectory() as root,
    ):
        args = [*args, *fit_args(root_dir=root)]  # no config.yaml in the working directory
        # The script's own sys.argv is not for this CLI: args replace it, as in cbow_torch.fit.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
        warnings.filterwarnings("ignore", message="Total length of .* across ranks is zero")
        try:
            cli = cli_main(args, run=False)
            cli.trainer.callbacks.extend(callbacks)
            with around or contextlib.nullcontext():
                cli.trainer.fit(cli.model, datamodule=cli.datamodule)
        except (ArgumentError, ValueError, CBOWTrainingError) as error:  # as the CLI's main
            raise BenchError(f"cbow-torch fit: {' '.join(str(error).split())}") from None
    return cli


def launch(args: list[str], work: Path, warmup: int = 0) -> subprocess.Popen:
    """``cbow-torch fit ARGS`` in another process, in the directory WORK (made), timed by a
    TrainingClock (``warmup`` steps before its laps) that writes its record into the run."""
    clock = {"class_path": "benchlib.clock.TrainingClock", "init_args": {"warmup": warmup}}
    clock["init_args"]["save"] = True
    command = [sys.executable, "-m", "cbow_torch", "fit", *args]
    command.append(f"--trainer.callbacks+={json.dumps(clock)}")
    work.mkdir(parents=True, exist_ok=True)
    env, pipe = scripts_env(), subprocess.PIPE
    return subprocess.Popen(command, cwd=work, env=env, stdout=pipe, stderr=pipe, text=True)


def finish(process: subprocess.Popen, work: Path, what: str) -> tuple[dict, Path]:
    """The record and run directory of a launched fit, once it ends; a failed fit, or one that
    wrote no record, is a BenchError that names WHAT."""
    _, err = process.communicate()
    if process.returncode:
        raise BenchError(f"{what} failed: {(err.strip().splitlines() or ['no output'])[-1]}")
    records = list(work.rglob("training_time.json"))
    if len(records) != 1:
        raise BenchError(
            f"{what} wrote {len(records)} training_time.json: keep one TensorBoard logger on"
        )
    return json.loads(records[0].read_text()), records[0].parent

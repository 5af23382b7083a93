"""checkpoints.py through real runs: resume knowingly, finished runs untouched, interrupts that
say how to resume, no validate directory, and checkpoints that survive ``kill -9``."""

from __future__ import annotations

import os
import random
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import _fast
import pytest
import pytorch_lightning as pl
import torch
from _fast import NO_EXPORT, cache_dir

from cbow_torch.train.checkpoints import PAUSE_ENV
from cbow_torch.train.cli import cli_main
from cbow_torch.train.run import main
from cbow_torch.vectors.commands import main as tools_main

TESTS = Path(__file__).parent


def fit_args(tmp: Path, *extra: str) -> list[str]:
    """The shared FAST run, smaller still (6 steps an epoch), in ``tmp/runs/default``."""
    cut = ["--model.embedding_dim=8", "--model.projector_words=50"]
    cut += ["--trainer.limit_train_batches=6", "--trainer.limit_val_batches=2"]
    return _fast.fit_args(tmp, *cut, *extra, name="default")


def files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


class StopAt(pl.Callback):
    """Interrupts training as Ctrl-C would, after ``step`` steps."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            raise KeyboardInterrupt


def test_last_names_the_run_and_step_and_leaves_a_finished_run_alone(tmp_path, capfd):
    main(fit_args(tmp_path, "--trainer.max_epochs=1"))
    run = tmp_path / "runs" / "default" / "version_0"
    before = files(run)
    capfd.readouterr()
    main(fit_args(tmp_path, "--trainer.max_epochs=1", "--ckpt_path=last"))  # exit status 0
    err = capfd.readouterr().err
    assert f"run {run} is finished: its checkpoint is at step 6 (1 epochs done)" in err
    assert "max_epochs=1; nothing was changed" in err
    assert files(run) == before  # no second events file, no rewritten outputs
    main(fit_args(tmp_path, "--trainer.max_epochs=2", "--ckpt_path=last"))
    assert f"Resuming run {run} from step 6 (1 epochs done)" in capfd.readouterr().err
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 12
    assert sorted(p.name for p in run.parent.iterdir()) == ["version_0"]


def test_validate_creates_no_run_directory(tmp_path, capfd):
    main(fit_args(tmp_path, "--trainer.max_epochs=1", NO_EXPORT))
    ckpt = tmp_path / "runs" / "default" / "version_0" / "checkpoints" / "last.ckpt"
    before = files(tmp_path / "runs")
    args = fit_args(tmp_path, f"--ckpt_path={ckpt}")
    main(["validate", *args[1:]])
    assert "val/loss" in capfd.readouterr().out
    assert files(tmp_path / "runs") == before


def test_an_interrupted_run_prints_the_command_that_resumes_it(tmp_path, capfd, monkeypatch):
    args = fit_args(
        tmp_path,
        "--trainer.max_epochs=3",
        NO_EXPORT,
        "--trainer.callbacks+=test_checkpoints.StopAt",
        "--trainer.callbacks.step=9",
    )
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 130  # the shell's status for a Ctrl-C
    err = capfd.readouterr().err
    assert "cbow-torch: interrupted at step 9;" in err
    command = err.split("Resume it with:\n")[1].splitlines()[0].strip()
    resume = shlex.split(command)
    assert resume[0] == "cbow-torch" and resume[-2:] == ["--ckpt_path", "last"]
    # The command as printed, less the test's interruption, resumes the same run at step 9.
    cut = resume.index("--trainer.callbacks+=test_checkpoints.StopAt")
    main(resume[1:cut] + resume[cut + 2 :])
    assert "from step 9 (1 epochs done)" in capfd.readouterr().err
    ckpt = tmp_path / "runs" / "default" / "version_0" / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["global_step"] == 18


class StopInSanityCheck(pl.Callback):
    def on_sanity_check_end(self, trainer, pl_module) -> None:
        raise KeyboardInterrupt


def test_an_interrupt_before_the_first_checkpoint_leaves_nothing(tmp_path, capfd):
    args = fit_args(tmp_path, "--trainer.callbacks+=test_checkpoints.StopInSanityCheck")
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 130
    assert "before the first checkpoint: nothing to resume" in capfd.readouterr().err
    assert not (tmp_path / "runs").exists()


class SigintInStep(pl.Callback):
    """A real Ctrl-C (SIGINT to this process) in the middle of step ``step``'s update."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if trainer.global_step + 1 == self.step:
            os.kill(os.getpid(), signal.SIGINT)


EXACT = ["--trainer.max_epochs=2", NO_EXPORT]  # FAST's one thread: sums in one order


def test_ctrl_c_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path, capfd):
    main(fit_args(tmp_path, *EXACT, "--trainer.logger.init_args.name=straight"))
    cut = fit_args(tmp_path, *EXACT, "--trainer.logger.init_args.name=cut")
    with pytest.raises(SystemExit) as stopped:
        main(
            [
                *cut,
                "--trainer.callbacks+=test_checkpoints.SigintInStep",
                "--trainer.callbacks.step=4",
            ]
        )
    assert stopped.value.code == 130
    runs = tmp_path / "runs"
    last = runs / "cut" / "version_0" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 4  # the step it was in, whole
    capfd.readouterr()
    main([*cut, "--ckpt_path=last"])
    assert "from step 4 (0 epochs done)" in capfd.readouterr().err
    straight = torch.load(
        runs / "straight" / "version_0" / "checkpoints" / "last.ckpt", weights_only=True
    )
    resumed = torch.load(last, weights_only=True)
    assert resumed["global_step"] == straight["global_step"] == 12
    for name, value in straight["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][name]), name


def test_last_ckpt_is_the_final_state_when_val_loss_gets_worse(tmp_path, capfd):
    """A constant, too-large α: val/loss is best early and worse after, so the best
    checkpoint stays behind while last.ckpt follows the run to its end."""
    worse = ["--model.lr_schedule=constant", "--model.lr=15"]
    main(fit_args(tmp_path, *worse, "--trainer.max_epochs=4", "--data.min_count=1"))
    run = tmp_path / "runs" / "default" / "version_0"
    ckpts = run / "checkpoints"
    names = sorted(p.name for p in ckpts.iterdir())
    assert len(names) == 2 and names[1] == "last.ckpt" and names[0].startswith("best-")
    assert int(re.search(r"step(\d+)", names[0]).group(1)) < 24  # val/loss worsened after it
    last = torch.load(ckpts / "last.ckpt", weights_only=True)
    assert last["global_step"] == 24 and last["epochs_done"] == 4
    # embeddings.txt is the average source of last.ckpt's parameters
    W1, W2 = last["state_dict"]["model.W1"], last["state_dict"]["model.W2"]
    rows = (run / "embeddings.txt").read_text().splitlines()[1:]
    assert [r.split(" ")[0] for r in rows] == last["cbow_torch"]["vocabulary"]["words"]
    vectors = torch.tensor([[float(v) for v in r.split(" ")[1:]] for r in rows])
    torch.testing.assert_close(vectors, (W1.T + W2) / 2, rtol=1e-5, atol=1e-6)
    capfd.readouterr()
    scores = []
    for scored in (ckpts / "last.ckpt", run / "embeddings.txt"):
        assert tools_main(["evaluate", str(scored), "--out", str(tmp_path / "e.json")]) == 0
        scores.append(capfd.readouterr().out)
    assert scores[0] == scores[1] and "wordsim353" in scores[0]  # evaluate scores the same
    main(
        fit_args(
            tmp_path, *worse, "--trainer.max_epochs=4", "--data.min_count=1", "--ckpt_path=last"
        )
    )
    assert "is finished: its checkpoint is at step 24 (4 epochs done)" in capfd.readouterr().err


@pytest.mark.slow
def test_sigterm_prints_the_resume_command(tmp_path):
    """A real process, stopped as a scheduler stops it: SIGTERM after its first checkpoint."""
    cli_main(
        fit_args(tmp_path, "--trainer.fast_dev_run=true", "--checkpoint.save_last=false")
    )  # builds the id cache
    args = fit_args(tmp_path, "--trainer.max_epochs=1000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbow_torch", *args], stderr=subprocess.PIPE, text=True
    )
    last = tmp_path / "runs" / "default" / "version_0" / "checkpoints" / "last.ckpt"
    try:
        deadline = time.monotonic() + 120
        while not last.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "Traceback" not in err
    assert "Resume it with:\n  cbow-torch fit " in err and err.rstrip().endswith("--ckpt_path last")


@pytest.mark.slow
def test_ctrl_c_to_a_real_process_exits_130_with_its_state_saved(tmp_path):
    """SIGINT, as a terminal's Ctrl-C sends it: the step finishes, last.ckpt holds it, exit 130."""
    cli_main(
        fit_args(tmp_path, "--trainer.fast_dev_run=true", "--checkpoint.save_last=false")
    )  # builds the id cache
    args = fit_args(tmp_path, "--trainer.max_epochs=1000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbow_torch", *args], stderr=subprocess.PIPE, text=True
    )
    last = tmp_path / "runs" / "default" / "version_0" / "checkpoints" / "last.ckpt"
    try:
        deadline = time.monotonic() + 120
        while not last.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err
    step = int(err.split("cbow-torch: interrupted at step ")[1].split(";")[0])
    assert torch.load(last, weights_only=True)["global_step"] == step


# ---- kill -9 ----------------------------------------------------------------------------

KILLS = 6
# Big enough (V = 2,000, N = 128: 2 MiB of parameters) that a checkpoint takes a while to
# write, and written after every step, so that random kills land inside writes.
HEAVY = [
    "--data.corpus=lee",
    "--data.max_vocab_size=2000",
    "--model.embedding_dim=128",
    "--data.batch_size=16",
    "--trainer.max_steps=100000",
    "--trainer.limit_val_batches=0",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--trainer.logger.init_args.name=kill",
    "--checkpoint.monitor=null",
    "--checkpoint.save_top_k=0",
    "--checkpoint.every_n_train_steps=1",
    "--data.val_fraction=0",
]


@pytest.mark.slow
def test_every_last_ckpt_left_by_kill_9_loads_and_resumes(tmp_path):
    """KILLS training processes killed with SIGKILL inside a checkpoint write, each after a random
    number of writes.

    AtomicCheckpointIO's test hook (PAUSE_ENV) holds each write open for 0.5 s after its bytes
    are written and before the rename, so a kill sent once the temporary file exists lands inside
    the write for certain. cbow_torch.atomic writes that file beside its target, under a name no
    reader takes for a checkpoint (``.last.ckpt.*.tmp``), and renames it onto the target. So
    what a kill leaves is: last.ckpt absent or whole (it loads with weights_only=True and
    resumes), and the cut write's temporary file, which nothing reads and the resume clears.
    """
    rng = random.Random(12)
    cache = f"--data.cache_dir={cache_dir(tmp_path)}"
    env = dict(os.environ, OMP_NUM_THREADS="1", **{PAUSE_ENV: "0.5"})
    cli_main(
        ["fit", *HEAVY, cache, "--trainer.fast_dev_run=true", "--checkpoint.save_last=false"]
    )  # the id cache, once
    procs = []
    for i in range(KILLS):
        args = ["fit", *HEAVY, cache, f"--trainer.logger.init_args.save_dir={tmp_path / str(i)}"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "cbow_torch", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append((proc, tmp_path / str(i) / "kill" / "version_0" / "checkpoints"))
    try:
        deadline = time.monotonic() + 300
        arm_at: dict[int, float] = {}  # from then on, the next write seen is killed
        while any(p.poll() is None for p, _ in procs):
            assert time.monotonic() < deadline, "the training processes did not start"
            for i, (proc, ckpts) in enumerate(procs):
                if i not in arm_at and (ckpts / "last.ckpt").exists():
                    arm_at[i] = time.monotonic() + rng.uniform(0.0, 1.5)
                armed = i in arm_at and time.monotonic() >= arm_at[i]
                if armed and proc.poll() is None and list(ckpts.glob(".last.ckpt.*.tmp")):
                    proc.send_signal(signal.SIGKILL)
            time.sleep(0.005)
    finally:
        for proc, _ in procs:
            proc.kill()
            proc.wait()
    assert all(proc.returncode == -signal.SIGKILL for proc, _ in procs)
    cut = sum(1 for _, ckpts in procs if list(ckpts.glob(".last.ckpt.*.tmp")))
    assert cut == KILLS  # every kill landed inside a write
    steps = []
    for i, (_, ckpts) in enumerate(procs):
        # The cut write lies beside the target under a name that no reader of checkpoints
        # takes (*.ckpt; --ckpt_path last below resumes from last.ckpt); the target is whole.
        (tmp,) = ckpts.glob(".last.ckpt.*.tmp")
        assert tmp.parent == ckpts and [p.name for p in ckpts.glob("*.ckpt")] == ["last.ckpt"]
        ckpt = torch.load(ckpts / "last.ckpt", weights_only=True)  # whole, and no pickle
        steps.append(step := ckpt["global_step"])
        resume = ["fit", *HEAVY, cache, f"--trainer.logger.init_args.save_dir={tmp_path / str(i)}"]
        resume[resume.index("--trainer.max_steps=100000")] = f"--trainer.max_steps={step + 1}"
        cli_main([*resume, "--ckpt_path=last", "--export.enabled=false"])
        assert torch.load(ckpts / "last.ckpt", weights_only=True)["global_step"] == step + 1
        assert sorted(p.name for p in ckpts.iterdir()) == ["last.ckpt"]  # cut writes cleared
    assert len(set(steps)) > 1  # the kills did land after different numbers of writes

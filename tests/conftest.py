"""Shared fixtures: the course data beside the project (skipped cleanly when absent), and a
real 2-process DDP run through the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture
def shakespeare() -> Path:
    """The course corpus, ../shared/data/shakespeare.txt; the test skips without it."""
    path = SHARED_DATA / "shakespeare.txt"
    if not path.is_file():
        pytest.skip("../shared/data/shakespeare.txt is absent")
    return path


@pytest.fixture
def shakespeare_tokens() -> list[str]:
    """The course's token list for it, ../shared/data/shakespeare.tokens.json."""
    import json

    path = SHARED_DATA / "shakespeare.tokens.json"
    if not path.is_file():
        pytest.skip("../shared/data/shakespeare.tokens.json is absent")
    return json.loads(path.read_text())


@pytest.fixture
def ddp_fit(tmp_path):
    """Runs ``cbow-torch fit ARGS`` as a real DDP run of 2 CPU processes (gloo), each recording
    its losses and final parameters (tests/_callbacks.py); returns the two records."""

    def run(args: list[str]) -> list[dict]:
        out = tmp_path / "ranks"
        ddp = ["--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.accelerator=cpu"]
        record = ["--trainer.callbacks+=_callbacks.RecordRun", f"--trainer.callbacks.out_dir={out}"]
        tests = str(Path(__file__).parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")]),
        }
        result = subprocess.run(
            [sys.executable, "-m", "cbow_torch", *args, *ddp, *record],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        ranks = [torch.load(out / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
        assert all(r["world_size"] == 2 for r in ranks)
        for name, value in ranks[0]["params"].items():
            assert torch.equal(value, ranks[1]["params"][name]), name
        # A gloo group left open can abort a rank at exit (pytorch/pytorch#190489): both close it.
        assert [(out / f"rank{r}.open-at-exit").read_text() for r in (0, 1)] == ["False"] * 2
        return ranks

    return run

"""Shared fixtures: the session's prepared Lee corpus and one finished short run of each
training engine (read by many tests, trained once), the course data beside the project
(skipped cleanly when absent), and a real 2-process DDP run through the CLI.

A session fixture is made once per pytest process: under pytest-xdist once per worker, each in
its own temporary directory. A test that changes a run copies it first (shutil.copytree).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Each pytest-xdist worker gets its share of the cores for its BLAS and OpenMP threads, and so
# do the processes it starts: threads that outnumber the cores wait on each other at every
# parallel region (a tiny softmax step took 4 ms instead of 0.1 ms with two workers of two
# threads each on 2 cores). Set before torch and numpy load their thread pools.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    _threads = str(max(1, len(os.sched_getaffinity(0)) // _workers))
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

import _fast  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from _fast import fit_args, word2vec_args  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """The DDP runs (2 processes each) in one xdist group, which one worker runs one after the
    other: they neither share the 2 cores with each other nor race for ports. Then the slow
    tests first, so that the workers of ``-n 2`` end together instead of one of them finishing
    a long test alone at the end."""
    for item in items:  # before pytest-xdist reads the marks
        if "ddp_fit" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("ddp"))
    yield  # the other hooks: selection (-m, -k), pytest's and pytest-xdist's own
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


_DESELECTED = []


def pytest_deselected(items):
    _DESELECTED.extend(items)


def pytest_sessionfinish(session, exitstatus):
    """pytest's exit status 5 (no test ran) never comes out: a selection that leaves no test
    (``-m "not slow"`` on a file of slow tests, ``-k``) is not a failure (0), and a run that
    finds no test at all is one (1), never a silent pass."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        found = bool(_DESELECTED)
        session.exitstatus = pytest.ExitCode.OK if found else pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def corpus_cache(tmp_path_factory) -> Path:
    """The session's corpus cache (``--data.cache_dir`` of every ``_fast.fit_args`` run): the
    Lee corpus is prepared once for FAST's options, not once per test."""
    _fast.CACHE = tmp_path_factory.mktemp("corpus-cache")
    return _fast.CACHE


@pytest.fixture(scope="session")
def made_once(tmp_path_factory, worker_id):
    """``made_once(name, make)``: the folder ``make(folder)`` fills, made once for the whole
    session: the pytest-xdist workers share it (the first to ask makes it, under a file lock).
    What it holds is read by the tests; a test that changes it copies it first."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    shared = shared.parent if worker_id != "master" else shared  # the workers' common folder

    def made(name: str, make) -> Path:
        folder = shared / name
        with FileLock(shared / f"{name}.lock"):
            if not (folder / ".made").is_file():
                shutil.rmtree(folder, ignore_errors=True)  # a failed attempt's remains
                folder.mkdir()
                make(folder)
                (folder / ".made").touch()
        return folder

    return made


@pytest.fixture(scope="session")
def lee_dataset(made_once) -> Path:
    """``cbow-torch prepare lee`` with default.yaml's data options and 300 words (FAST's)."""
    from cbow_torch.data.prepare import prepare

    def make(folder: Path) -> None:
        prepare("lee", folder / "lee300", max_vocab_size=300, line_per_document=True, min_count=2)

    return made_once("lee300", make) / "lee300"


@pytest.fixture(scope="session")
def softmax_run(made_once) -> Path:
    """One finished softmax run (the default config): FAST for 2 epochs, export on; its run
    directory. Read it; copy it to change it."""
    from cbow_torch.train.cli import cli_main

    def make(folder: Path) -> None:
        cli_main(fit_args(folder, "--trainer.max_epochs=2"))

    return made_once("softmax", make) / "runs" / "run" / "version_0"


@pytest.fixture(scope="session")
def autograd_run(made_once) -> Path:
    """One finished negative-sampling run on the autograd engine: 2 epochs, export on."""
    from cbow_torch.train.cli import cli_main

    def make(folder: Path) -> None:
        cli_main(word2vec_args(folder, "--trainer.max_epochs=2"))

    return made_once("autograd", make) / "runs" / "run" / "version_0"


@pytest.fixture(scope="session")
def fused_run(tmp_path_factory):
    """One finished run of the fused engine (2 epochs, export on): the finished CLI object."""
    from cbow_torch.train.cli import cli_main

    tmp = tmp_path_factory.mktemp("fused")
    cli = cli_main(word2vec_args(tmp, engine="fused"))
    cli.run_dir = tmp / "runs" / "run" / "version_0"
    return cli


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

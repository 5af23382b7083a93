"""scripts/benchlib, the benchmarks' shared pieces: the training settings against the real CLI,
the timing callback in this process and in another, the memory figure, the corpus writer and
the fresh-process functions."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from benchlib import BenchError, fresh  # noqa: E402
from benchlib.clock import TrainingClock  # noqa: E402
from benchlib.common import rotating  # noqa: E402
from benchlib.corpus import write_zipf  # noqa: E402
from benchlib.docs import table  # noqa: E402
from benchlib.rss import PeakAbove  # noqa: E402
from benchlib.runs import KEYS, config_file, finish, fit_args, fit_here, launch  # noqa: E402


def test_every_setting_reaches_the_config_key_it_names(tmp_path):
    """A renamed config key fails here, not in a benchmark hours later."""
    settings = {
        "corpus": "lee",
        "tokenizer": "simple",
        "line_per_document": True,
        "window": 2,
        "min_count": 3,
        "batch_size": 8,
        "val_fraction": 0.1,
        "loader_workers": 0,
        "cache_dir": str(tmp_path / "cache"),
        "vector_size": 8,
        "lr": 0.5,
        "min_lr": 0.001,
        "epochs": 1,
        "max_steps": 4,
        "log_every": 1,
        "progress_bar": False,
        "threads": 1,
        "export": False,
        "out_dir": str(tmp_path / "runs"),
        "seed": 7,
    }
    assert set(KEYS) - set(settings) == {"bare", "root_dir"}  # bare: below; root_dir: fit_here
    clock = TrainingClock(warmup=1)
    cli = fit_here(fit_args("default", objective="softmax", **settings), clock)
    for name, value in settings.items():
        for key in KEYS[name]:
            assert cli.config[key] == value, key
    assert cli.config["model.objective"].class_path.endswith(".Softmax")
    # 4 steps, the first the warm-up; the last step's lap never closes (no next step starts)
    assert [words for _, words in clock.laps] == [8, 8]
    assert all(seconds > 0 for seconds, _ in clock.laps) and clock.seconds > 0
    assert clock.rate() == 16 / sum(seconds for seconds, _ in clock.laps)
    assert clock.record(cli.trainer)["epochs"] == 4 / cli.trainer.num_training_batches
    assert not Path("config.yaml").exists()  # the run without a logger wrote it elsewhere


def test_an_objectives_options_and_a_bare_run(tmp_path):
    args = fit_args("word2vec", "presets/autograd", objective="negative", engine="autograd")
    args += fit_args(negative=3, bare=True, max_steps=1, export=False, progress_bar=False)
    cli = fit_here([*args, *fit_args(cache_dir=str(tmp_path), val_fraction=0)])
    objective = cli.config["model.objective"]
    assert objective.class_path.endswith(".NegativeSampling")
    assert objective.init_args.engine == "autograd" and objective.init_args.negatives == 3
    assert objective.init_args.input_step == "mean"  # presets/autograd's, kept
    assert cli.config["trainer.logger"] is False and cli.trainer.logger is None
    assert not cli.trainer.checkpoint_callbacks


def test_configs_by_name_or_path_and_bad_settings():
    assert config_file("word2vec").name == "word2vec.yaml"
    assert config_file("presets/autograd") == config_file("configs/presets/autograd.yaml")
    with pytest.raises(BenchError, match="config 'nothing': no such file"):
        config_file("nothing")
    with pytest.raises(BenchError, match="objective hierarchical: choose from softmax"):
        fit_args("default", objective="hierarchical")
    with pytest.raises(TypeError, match="unknown setting learning_rate"):
        fit_args(learning_rate=1)
    with pytest.raises(BenchError, match=r"^cbow-torch fit: data.window must be >= 1 .*, got 0$"):
        fit_here(fit_args("default", window=0))  # the CLI's own message, one line
    assert fit_args(threads=None, progress_bar=True, window=1) == [
        "--threads.count=null",
        "--trainer.enable_progress_bar=true",
        "--data.window=1",
    ]


@pytest.mark.slow
def test_a_fit_in_another_process_writes_its_clock(tmp_path):
    args = fit_args("default", max_steps=3, progress_bar=False, export=False, vector_size=8)
    args += fit_args(cache_dir=tmp_path / "cache")
    record, run = finish(launch(args, tmp_path, warmup=1), tmp_path, "the run")
    assert (run / "training_time.json").is_file() and (run / "config.yaml").is_file()
    assert record["seconds"] > 0 and record["words_per_sec"] > 0 and 0 < record["epochs"] < 1
    bad = launch([*args, "--data.window=0"], tmp_path / "bad")
    with pytest.raises(BenchError, match=r"^the bad run failed: cbow-torch: error: .*window"):
        finish(bad, tmp_path / "bad", "the bad run")


def test_peak_above_counts_the_block_only():
    with PeakAbove() as before:
        big = np.ones(2**25, np.float32)  # 128 MiB, touched
        del big
    if before.method != "VmHWM after a reset":
        pytest.skip("this kernel cannot reset the resident-set peak")
    assert before.mib > 120
    with PeakAbove() as after:  # the process's peak is behind it now
        small = np.ones(2**20, np.float32)  # 4 MiB
        del small
    assert after.mib < 60


def test_zipf_corpus(tmp_path):
    path = write_zipf(tmp_path / "zipf.txt", words=5000, types=300, seed=1, line_words=1000)
    lines = path.read_text().splitlines()
    assert [len(line.split()) for line in lines] == [1000] * 5
    words = path.read_text().split()
    counts = np.bincount([int(w[1:]) for w in words], minlength=300)  # [300]
    assert counts[0] == counts.max() and counts[:10].sum() > counts[-100:].sum()
    assert write_zipf(tmp_path / "again.txt", 5000, 300, 1).read_text() == path.read_text()
    every = write_zipf(tmp_path / "every.txt", 600, 300, 1, every_type=True).read_text().split()
    assert len(every) == 600 and len(set(every)) == 300


def test_rotating_rounds_and_tables(capsys):
    calls = []
    figures = rotating({k: lambda r, k=k: calls.append(k) or r for k in "abc"}, rounds=3)
    assert calls == list("abcbcacab")
    assert figures == {"a": [0, 1, 2], "b": [0, 1, 2], "c": [0, 1, 2]}
    assert "round 3: a 2, b 2, c 2" in capsys.readouterr().err
    assert table(["x", "y:"], [[1, "2"]]) == "| x | y |\n| --- | ---: |\n| 1 | 2 |"


def test_fresh_process_functions():
    res = fresh.run("memory", kind="manual", shape="997x16x64x2", threads=1)
    assert res["method"].startswith("VmHWM") and res["peak_above_mib"] >= 0
    with pytest.raises(BenchError, match="unexpected keyword argument 'size'"):
        fresh.run("memory", kind="manual", size="large")

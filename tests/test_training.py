"""Real Lightning runs through the CLI: run directory, TensorBoard, resume, DDP, NaN, the course."""

import json
import logging
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import yaml
from _fast import NO_EXPORT, cache_dir, fit_args
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cbow_torch import CBOW
from cbow_torch.data.text import Vocabulary
from cbow_torch.train.cli import cli_main
from cbow_torch.train.export import ExportEmbeddings, mean_pairwise_cosine
from cbow_torch.train.module import CBOWLightningModule, CBOWTrainingError
from cbow_torch.train.run import main
from cbow_torch.train.runtime import IntraOpThreads, threads_for

TESTS = Path(__file__).parent
TOKENS = TESTS.parent.parent / "shared" / "data" / "shakespeare.tokens.json"


def load_params(ckpt: Path) -> dict[str, torch.Tensor]:
    return torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]


@pytest.fixture
def run_dir(softmax_run) -> Path:
    """The session's finished softmax run: FAST for 2 epochs (conftest.py)."""
    return softmax_run


def test_run_directory_holds_everything(run_dir):
    for name in (
        "config.yaml",
        "vocab.tsv",
        "embeddings.txt",
        "eval.json",
        "projector_config.pbtxt",
    ):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert list((run_dir / "checkpoints").glob("best-*.ckpt"))
    assert list(run_dir.glob("events.out.tfevents.*"))
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    words = ckpt["cbow_torch"]["vocabulary"]["words"]
    assert len(words) == ckpt["state_dict"]["model.W2"].shape[0] == 300
    # The exported vectors are the average source of the final parameters, in vocabulary order.
    first = (run_dir / "embeddings.txt").read_text().splitlines()[1].split(" ")
    W1, W2 = ckpt["state_dict"]["model.W1"], ckpt["state_dict"]["model.W2"]
    assert first[0] == words[0]
    np.testing.assert_allclose(
        [float(v) for v in first[1:]], ((W1[:, 0] + W2[0]) / 2).numpy(), rtol=1e-5
    )
    assert "scores" in json.loads((run_dir / "eval.json").read_text())


def test_tensorboard_events_read_back(run_dir):
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {
        "train/loss",
        "train/lr",
        "train/words_per_sec",
        "val/loss",
        "val/perplexity",
    } <= tags
    train_loss = [e.value for e in events.Scalars("train/loss")]
    assert len(train_loss) == 30  # every step of 2 epochs × 15 batches
    assert np.mean(train_loss[-5:]) < np.mean(train_loss[:5])  # it learns
    assert all(e.value == 2.0 for e in events.Scalars("train/lr"))
    val = [e.value for e in events.Scalars("val/loss")]
    ppl = [e.value for e in events.Scalars("val/perplexity")]
    assert len(val) == 2 and ppl == pytest.approx([math.exp(v) for v in val], rel=1e-5)
    # Hyper-parameters carry a real metric: the final val/loss, not Lightning's placeholder.
    assert "hp_metric" not in tags
    assert [e.value for e in events.Scalars("hp/val_loss")] == pytest.approx([val[-1]])
    assert "_hparams_/experiment" in events.PluginTagToContent("hparams")


def test_projector_metadata_matches_vectors(run_dir):
    config = (run_dir / "projector_config.pbtxt").read_text()
    assert "metadata.tsv" in config and "tensors.tsv" in config
    folder = next(run_dir.glob("*/*/metadata.tsv")).parent
    metadata = (folder / "metadata.tsv").read_text().splitlines()
    tensors = (folder / "tensors.tsv").read_text().splitlines()
    assert len(metadata) == len(tensors) == 100
    assert len(tensors[0].split("\t")) == 16


def test_tensorboard_server_serves_scalars_and_projector(run_dir):
    # --port 0: the OS gives the server a free port, which it prints; no port picked here can
    # be taken by another program before the server binds it.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(run_dir.parent),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--load_fast",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.stderr], daemon=True
    ).start()

    def get(path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return json.loads(response.read())

    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            try:
                found = re.search(r"at http://127\.0\.0\.1:(\d+)/", lines.get(timeout=1))
                port = found and int(found[1])
            except queue.Empty:
                assert server.poll() is None, "tensorboard exited"
            assert time.monotonic() < deadline, "tensorboard did not say its port within 60 s"
        while True:
            try:
                tags = get("/data/plugin/scalars/tags")
                if tags:
                    break
            except OSError:
                pass
            assert server.poll() is None, "tensorboard exited"
            assert time.monotonic() < deadline, "tensorboard did not answer within 60 s"
            time.sleep(0.5)
        assert {"train/loss", "val/loss"} <= set(tags["version_0"])
        assert "version_0" in get("/data/plugin/projector/runs")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_resume_gives_the_same_parameters(tmp_path, softmax_run):
    # bit for bit (FAST's one thread: sums in one order); straight: the session's 2-epoch run
    cli_main(fit_args(tmp_path, NO_EXPORT, "--trainer.max_epochs=1", name="resumed"))
    cli_main(
        fit_args(tmp_path, NO_EXPORT, "--trainer.max_epochs=2", "--ckpt_path=last", name="resumed")
    )
    runs = tmp_path / "runs"
    assert not (runs / "resumed" / "version_1").exists()  # resumed in place
    straight = load_params(softmax_run / "checkpoints" / "last.ckpt")
    resumed = load_params(runs / "resumed" / "version_0" / "checkpoints" / "last.ckpt")
    for name, value in straight.items():
        assert torch.equal(value, resumed[name]), name
    assert not torch.equal(straight["model.W2"], torch.zeros_like(straight["model.W2"]))


def test_resume_mid_epoch_gives_the_same_parameters(tmp_path):
    # Checkpoints after every 5 steps of a 15-batch epoch; stop after 7, resume to 12.
    every5 = ("--trainer.val_check_interval=5", "--trainer.max_epochs=2", NO_EXPORT)
    cli_main(fit_args(tmp_path, *every5, "--trainer.max_steps=12", name="straight"))
    cli_main(fit_args(tmp_path, *every5, "--trainer.max_steps=7", name="cut"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cli_main(
            fit_args(tmp_path, *every5, "--trainer.max_steps=12", "--ckpt_path=last", name="cut")
        )
    # Lightning's "your dataloader is not resumable" is wrong here; cli.py silences it by text.
    assert not [w for w in caught if "resuming from a checkpoint" in str(w.message)]
    runs = tmp_path / "runs"
    straight = load_params(runs / "straight" / "version_0" / "checkpoints" / "last.ckpt")
    resumed = load_params(runs / "cut" / "version_0" / "checkpoints" / "last.ckpt")
    for name, value in straight.items():
        assert torch.equal(value, resumed[name]), name


def test_resume_on_another_vocabulary_is_refused(tmp_path, softmax_run):
    shutil.copytree(softmax_run, tmp_path / "runs" / "vocab" / "version_0")
    with pytest.raises(SystemExit) as error:
        main(
            fit_args(tmp_path, "--ckpt_path=last", "--data.vocab_order=alphabetical", name="vocab")
        )
    assert "vocabulary" in str(error.value.code)


def test_no_export_from_non_finite_parameters(tmp_path):
    module = CBOWLightningModule(Vocabulary([f"w{i}" for i in range(7)]), embedding_dim=3)
    module.configure_model()
    with torch.no_grad():
        module.model.W1[0, 0] = float("nan")
    trainer = SimpleNamespace(fast_dev_run=False, global_step=7)  # all the check reads
    with pytest.raises(CBOWTrainingError, match="NaN or inf after step 7"):
        ExportEmbeddings().on_fit_end(trainer, module)


def test_resume_without_a_checkpoint_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, "--ckpt_path=last", name="nothing"))
    message = str(error.value.code)
    assert "last.ckpt" in message and "\n" not in message


def test_nan_loss_stops_with_one_line_and_writes_no_embeddings(tmp_path):
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, "--model.init=course", "--model.lr=1e38", name="nan"))
    message = str(error.value.code)
    assert "\n" not in message
    assert "step" in message and "lr 1e+38" in message and "lower model.lr" in message
    assert not list((tmp_path / "runs").rglob("embeddings.txt"))


@pytest.mark.parametrize("every", ["1", "50"])
def test_divergence_stops_with_one_line_and_writes_no_embeddings(tmp_path, every):
    # The loss climbs to ~1e5–1e8 and stays finite: a NaN check alone passes it as success.
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, "--model.lr=1e6", f"--trainer.log_every_n_steps={every}"))
    message = str(error.value.code)
    assert (
        message.startswith("cbow-torch: error: the training loss rose to") and "\n" not in message
    )
    assert "lr 1e+06" in message and "lower model.lr" in message
    assert not list((tmp_path / "runs").rglob("embeddings.txt"))


def _module_with_vocab() -> CBOWLightningModule:
    vocab = Vocabulary([f"w{i}" for i in range(300)], list(range(300, 0, -1)))
    module = CBOWLightningModule(vocab, embedding_dim=8)
    module.configure_model()
    return module


EXPORT_TRAINER = SimpleNamespace(
    fast_dev_run=False, global_step=9, log_dir=None, default_root_dir=".", is_global_zero=True
)


def test_no_export_of_collapsed_vectors():
    module = _module_with_vocab()
    export = ExportEmbeddings()
    export.on_train_start(EXPORT_TRAINER, module)  # the spread of the normal init
    with torch.no_grad():  # every word one direction, give or take 1%: what a divergence leaves
        module.model.W1.copy_(1.0 + 0.01 * torch.randn(8, 300))
        module.model.W2.copy_(1.0 + 0.01 * torch.randn(300, 8))
    with pytest.raises(
        CBOWTrainingError, match="collapsed: the 200 most frequent words have a mean pairwise"
    ):
        export.on_fit_end(EXPORT_TRAINER, module)


def test_one_shared_direction_grown_from_a_near_zero_init_is_not_a_collapse(tmp_path, capsys):
    """word2vec's start: W1 within ±0.5/N, W2 zero; a short run grows one direction shared by
    every word (cosine > 0.99) and, beside it, the words' differences: healthy vectors."""
    module = _module_with_vocab()
    with torch.no_grad():
        module.model.W1.uniform_(-0.5 / 8, 0.5 / 8)
        module.model.W2.zero_()
    export = ExportEmbeddings()
    export.on_train_start(EXPORT_TRAINER, module)
    with torch.no_grad():  # a common part 30 times the word-specific parts, which grew 10-fold
        module.model.W1.mul_(10).add_(10.0)
        module.model.W2.copy_(module.model.W1.T)
    cosine = mean_pairwise_cosine(module.word_vectors().vectors, module.vocab.counts, 200)
    assert cosine > 0.99
    # Rank 0, which makes the check (another rank returns before it), with a run directory.
    run = {"log_dir": str(tmp_path), "logger": None, "checkpoint_callback": None}
    trainer = SimpleNamespace(**{**vars(EXPORT_TRAINER), **run, "callback_metrics": {}})
    export.on_fit_end(trainer, module)  # not refused: the vectors are written, with a warning
    assert (tmp_path / "embeddings.txt").is_file() and (tmp_path / "vocab.tsv").is_file()
    assert "the vectors share one direction" in capsys.readouterr().err


def test_word2vec_config_runs_a_single_short_epoch(tmp_path):
    """configs/word2vec.yaml's near-zero init, one short epoch: exit 0 with embeddings."""
    main(
        [
            "fit",
            f"--config={TESTS.parent / 'configs' / 'word2vec.yaml'}",
            "--trainer.max_epochs=1",
            "--trainer.limit_train_batches=10",
            "--trainer.enable_progress_bar=false",
            f"--data.cache_dir={cache_dir(tmp_path)}",
            f"--trainer.logger.init_args.save_dir={tmp_path / 'runs'}",
        ]
    )
    assert (tmp_path / "runs" / "word2vec" / "version_0" / "embeddings.txt").is_file()


def test_train_metrics_are_interval_means_with_no_step_left_out(tmp_path):
    out = tmp_path / "record"
    cli_main(
        fit_args(
            tmp_path,
            "--trainer.max_epochs=2",
            "--trainer.log_every_n_steps=4",
            NO_EXPORT,
            "--trainer.callbacks+=_callbacks.RecordRun",
            f"--trainer.callbacks.out_dir={out}",
        )
    )
    losses = torch.load(out / "rank0.pt", weights_only=False)["losses"]  # every step's
    events = EventAccumulator(str(tmp_path / "runs" / "run" / "version_0"))
    events.Reload()
    written = events.Scalars("train/loss")
    # Every 4 steps, and at each pause (validation at the end of each 15-step epoch).
    assert [e.step for e in written] == [4, 8, 12, 15, 16, 20, 24, 28, 30]
    starts = [0] + [e.step for e in written[:-1]]
    for start, e in zip(starts, written, strict=True):
        assert e.value == pytest.approx(np.mean(losses[start : e.step]), rel=1e-6), e.step
    rates = events.Scalars("train/words_per_sec")
    assert [e.step for e in rates] == [e.step for e in written] and min(e.value for e in rates) > 0
    alphas = events.Scalars("train/lr")  # the mean α of each interval: constant here
    assert [(e.step, e.value) for e in alphas] == [(e.step, 2.0) for e in written]


@pytest.mark.parametrize(
    "switch, absent",
    [
        ("--trainer.logger=false", "events.out.tfevents.*"),
        ("--trainer.enable_checkpointing=false", "*.ckpt"),
    ],
)
def test_lightning_switches_set_their_callbacks_aside(tmp_path, switch, absent):
    root = tmp_path / "root"
    cli_main(fit_args(tmp_path, switch, f"--trainer.default_root_dir={root}"))
    assert list(tmp_path.rglob("embeddings.txt")) and not list(tmp_path.rglob(absent))


def test_profiler_option_still_replaces_the_cheap_default(tmp_path):
    from pytorch_lightning.profilers import SimpleProfiler

    from cbow_torch.train.cli import NoProfiler

    args = fit_args(tmp_path)[1:]  # [1:]: no "fit"
    assert isinstance(cli_main(args, run=False).trainer.profiler, NoProfiler)
    chosen = cli_main([*args, "--trainer.profiler=simple"], run=False).trainer.profiler
    assert isinstance(chosen, SimpleProfiler)


def test_fit_prints_no_lightning_adverts_or_deprecations(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cli_main(fit_args(tmp_path, "--trainer.max_steps=3"))
        resume = ("--trainer.max_steps=6", "--trainer.max_epochs=2", "--ckpt_path=last")
        cli_main(fit_args(tmp_path, *resume))  # a resume: its checkpoints folder is not empty
    assert "GPU available" in caplog.text  # Lightning's other messages still get through
    assert "💡" not in caplog.text and "litlogger" not in caplog.text
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "LeafSpec" in m or "Checkpoint directory" in m], messages


class _RecordThreads(pl.Callback):
    def __init__(self) -> None:
        self.seen: set[int] = set()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.seen.add(torch.get_num_threads())


def test_threads_option_sets_them_for_the_fit_only(tmp_path):
    before = torch.get_num_threads()
    cli = cli_main(fit_args(tmp_path, NO_EXPORT)[1:], run=False)  # [1:]: no "fit"; 1 thread
    record = _RecordThreads()
    cli.trainer.callbacks.append(record)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    assert record.seen == {1} and torch.get_num_threads() == before


def test_automatic_threads_share_the_cores_among_ddp_processes():
    cores = len(os.sched_getaffinity(0))
    for devices, share in ((1, cores), (2, max(1, cores // 2))):
        strategy = "ddp" if devices > 1 else "auto"
        trainer = pl.Trainer(accelerator="cpu", devices=devices, strategy=strategy, logger=False)
        threads = IntraOpThreads()
        threads.setup(trainer, None, "fit")
        try:
            assert threads.share == share and 1 <= torch.get_num_threads() <= share
        finally:
            threads.teardown(trainer, None, "fit")


def test_threads_yield_to_what_other_programs_keep_busy():
    assert threads_for(2, others=0.1) == 2
    assert threads_for(2, others=0.9) == 1  # a second run beside: one thread each
    assert threads_for(2, others=2.0) == 1
    assert threads_for(8, others=3.2) == 5


@pytest.mark.parametrize(
    "option, expected",
    [
        ("--model.init=bogus", "normal', 'word2vec', 'course'"),
        ("--model.objective.grad_mode=bogus", "exact', 'lecture'"),
        ("--model.objective.hidden=bogus", "relu', 'linear'"),
        ("--model.lr_schedule=bogus", "course', 'linear', 'constant'"),
        ("--export.source=bogus", "W1', 'W2', 'average'"),
        ("--threads.count=0", "threads.count must be >= 1"),
        ("--model.lr=-1", "lr must be > 0"),
        ("--data.window=100000", "2C+1"),
        ("--model.lr_decay_steps=0", "model.lr_decay_steps must be >= 1"),
        ("--model.projector_words=0", "model.projector_words must be >= 1"),
        pytest.param(
            "--trainer.accelerator=gpu",
            "gpu",
            marks=pytest.mark.skipif(
                torch.cuda.is_available(), reason="needs a machine without CUDA"
            ),
        ),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, option, expected):
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, option))
    message = str(error.value.code)
    assert message.startswith("cbow-torch: error: ") and expected in message and "\n" not in message


def test_lecture_gradient_with_a_linear_hidden_layer_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as error:
        main(
            fit_args(
                tmp_path, "--model.objective.hidden=linear", "--model.objective.grad_mode=lecture"
            )
        )
    message = str(error.value.code)
    assert message.startswith("cbow-torch: error: ") and "\n" not in message
    assert "model.objective.grad_mode 'lecture'" in message
    assert "model.objective.hidden 'relu'" in message and "grad_mode 'exact'" in message


def test_linear_hidden_layer_trains_through_the_cli(tmp_path):
    cli_main(fit_args(tmp_path, "--model.objective.hidden=relu", NO_EXPORT, name="relu"))
    cli_main(fit_args(tmp_path, "--model.objective.hidden=linear", name="linear"))
    runs = tmp_path / "runs"
    ckpt = torch.load(
        runs / "linear" / "version_0" / "checkpoints" / "last.ckpt", weights_only=False
    )
    assert ckpt["hyper_parameters"]["objective"]["init_args"]["hidden"] == "linear"
    relu = load_params(runs / "relu" / "version_0" / "checkpoints" / "last.ckpt")
    # The same seed and batches: only the hidden layer differs, and so do the parameters.
    assert not torch.allclose(ckpt["state_dict"]["model.W1"], relu["model.W1"])
    losses = EventAccumulator(str(runs / "linear" / "version_0")).Reload().Scalars("train/loss")
    assert losses[-1].value < losses[0].value
    assert (runs / "linear" / "version_0" / "embeddings.txt").is_file()


def test_help_lists_the_choices(capsys):
    with pytest.raises(SystemExit) as done:
        main(["fit", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for choices in (
        "--model.init {normal,word2vec,course}",
        "--model.objective OBJECTIVE",
        "cbow_torch.objectives.NegativeSampling",
        "--model.lr_schedule {course,linear,constant}",
        "--export.source {W1,W2,average}",
    ):
        assert choices in shown
    with pytest.raises(SystemExit):
        main(["fit", "--model.objective.help", "NegativeSampling"])
    shown = capsys.readouterr().out
    assert "--model.objective.engine {auto,fused,autograd}" in shown
    assert "--model.objective.input_step {mean,sum}" in shown


def test_debug_preset_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    configs = TESTS.parent / "configs"
    cli_main(
        [
            "fit",
            f"--config={configs / 'default.yaml'}",
            f"--config={configs / 'presets' / 'debug.yaml'}",
            f"--data.cache_dir={tmp_path / 'cache'}",
            "--trainer.enable_progress_bar=false",
        ]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_missing_corpus_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, f"--data.corpus={tmp_path / 'nope.txt'}"))
    message = str(error.value.code)
    assert "nope.txt" in message and "\n" not in message


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path, ddp_fit):
    """A real DDP run over 2 processes (gloo): both ranks end with the same parameters."""
    ranks = ddp_fit(fit_args(tmp_path, "--trainer.max_epochs=2"))
    for rank in ranks:
        losses = rank["losses"]
        assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert (tmp_path / "runs" / "run" / "version_0" / "embeddings.txt").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not TOKENS.exists(), reason="needs ../shared/data/shakespeare.tokens.json")
def test_lightning_adds_nothing_to_plain_gradient_descent(tmp_path):
    """The course run (course.yaml) against CBOW + torch.optim.SGD over the same batches."""
    tokens = json.loads(TOKENS.read_text())
    corpus = tmp_path / "tokens.txt"
    corpus.write_text(" ".join(tokens))
    out = tmp_path / "record"
    cli_main(
        [
            "fit",
            f"--config={TESTS.parent / 'configs' / 'course.yaml'}",
            f"--data.corpus={corpus}",
            "--data.tokenizer=whitespace",
            f"--data.cache_dir={tmp_path / 'cache'}",
            f"--trainer.logger.init_args.save_dir={tmp_path / 'runs'}",
            "--trainer.enable_progress_bar=false",
            "--export.enabled=false",
            "--trainer.callbacks+=_callbacks.RecordRun",
            f"--trainer.callbacks.out_dir={out}",
        ]
    )
    lightning = torch.load(out / "rank0.pt", weights_only=False)["losses"]

    # The plain loop: the course's vocabulary (sorted set), windows in corpus order, 128 a batch.
    words = sorted(set(tokens))
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index[t] for t in tokens])
    C, m = 2, 128
    model = CBOW(len(words), 50, init="course", seed=282, dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.66)
    offsets = np.r_[-C:0, 1 : C + 1]
    plain = []
    for step in range(150):
        centers = np.arange(C + step * m, C + (step + 1) * m)
        context = torch.from_numpy(ids[centers[:, None] + offsets])
        optimizer.zero_grad()
        loss = model(context, torch.from_numpy(ids[centers]))
        loss.backward()
        optimizer.step()
        schedule.step()
        plain.append(loss.item())
    assert len(lightning) == 150
    np.testing.assert_allclose(lightning, plain, rtol=0, atol=1e-9)
    assert plain[-1] < plain[0]


@pytest.mark.slow
def test_default_config_meets_the_quality_bar(tmp_path):
    """The main job as `make train` runs it: gensim's own sanity check on the Lee corpus."""
    cli_main(
        [
            "fit",
            f"--config={TESTS.parent / 'configs' / 'default.yaml'}",
            f"--data.cache_dir={tmp_path / 'cache'}",
            f"--trainer.logger.init_args.save_dir={tmp_path / 'runs'}",
            "--trainer.enable_progress_bar=false",
        ]
    )
    from cbow_torch.vectors.word_vectors import WordVectors

    run = tmp_path / "runs" / "default" / "version_0"
    vectors = WordVectors.load(run / "embeddings.txt").to_keyed_vectors()
    neighbours = [word for word, _ in vectors.most_similar("attacks", topn=50)]
    assert "bombings" in neighbours


def test_fit_without_a_config_is_the_default_config(tmp_path, capsys):
    import yaml

    default = yaml.safe_load((TESTS.parent / "configs" / "default.yaml").read_text())
    with pytest.raises(SystemExit) as done:
        main(["fit", "--print_config"])
    assert done.value.code == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    for group in ("trainer", "model", "data"):
        for key, value in default[group].items():
            if key != "logger":
                assert shown[group][key] == value, f"{group}.{key}"
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert (
        "--data.window WINDOW C, the words on each side of the centre. (type: int, default: 5)"
        in help_text
    )
    with pytest.raises(SystemExit):  # with a --config, its values
        main(["fit", f"--config={TESTS.parent / 'configs' / 'word2vec.yaml'}", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "(the fused engine). (type: float, default: 0.1)" in shown
    # A --config is a whole recipe: none of default.yaml's values leak into it.
    word2vec = cli_main(["--config", str(TESTS.parent / "configs" / "word2vec.yaml")], run=False)
    assert word2vec.trainer.gradient_clip_val is None and word2vec.model.hparams.init == "word2vec"
    assert word2vec.model.hparams.objective["init_args"]["negatives"] == 5


def test_no_optimizer_options_and_a_suggestion_for_a_misspelt_one(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    shown = capsys.readouterr().out
    assert "--optimizer" not in shown and "--lr_scheduler" not in shown
    with pytest.raises(SystemExit) as error:
        main(["fit", "--optimizer=Adam"])
    assert "unrecognized arguments: --optimizer=Adam" in str(error.value.code)
    with pytest.raises(SystemExit) as error:
        main(["fit", "--data.windw=3"])
    message = str(error.value.code)
    assert message.endswith("did you mean --data.window? (see cbow-torch fit --help)")
    assert message.count("did you mean") == 1 and "\n" not in message


@pytest.mark.slow
def test_a_log_file_gets_one_line_an_epoch(tmp_path):
    """stdout not a terminal: no bar is drawn, each epoch ends with one line."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cbow_torch",
            *fit_args(
                tmp_path, "--trainer.max_epochs=2", "--trainer.enable_progress_bar=true", NO_EXPORT
            ),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "\r" not in result.stdout and "\r" not in result.stderr
    epochs = [line for line in result.stdout.splitlines() if line.startswith("Epoch ")]
    assert [e.split(":")[0] for e in epochs] == ["Epoch 1/2 done", "Epoch 2/2 done"]
    assert all("words/s" in e and "val/loss" in e and "ETA 0:00:0" in e for e in epochs), epochs


@pytest.mark.parametrize("interval_s, counts", [(0.0, set(range(16))), (3600.0, {0, 15})])
def test_the_bar_redraws_by_time_with_words_per_second_and_the_run_eta(
    tmp_path, capsys, interval_s, counts
):
    """On a terminal: a redraw when interval_s has passed since the last one, and at each
    epoch's last batch; never one per step by rule."""
    import re

    from cbow_torch.train.progress import RunProgressBar

    cli = cli_main(
        fit_args(tmp_path, "--trainer.enable_progress_bar=true", NO_EXPORT)[1:], run=False
    )
    bar = next(c for c in cli.trainer.callbacks if isinstance(c, RunProgressBar))
    bar.on_terminal, bar.interval_s = True, interval_s  # as on a terminal
    capsys.readouterr()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    drawn = capsys.readouterr().out
    train = [d for d in drawn.split("\r") if d.startswith("Epoch 0")]
    assert {int(n) for d in train for n in re.findall(r"\| *(\d+)/15 ", d)} == counts
    assert "words/s=" in train[-1] and "ETA=" in train[-1]


def test_a_config_files_unknown_keys_are_all_named_with_suggestions(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "model:\n  embeding_dim: 3\n  lrr: 2\n  objective:\n    init_args: {}\ndata:\n  windw: 5\n"
    )
    with pytest.raises(SystemExit) as error:
        main(fit_args(tmp_path, f"--config={bad}"))
    message = str(error.value.code)
    assert message == (
        f"cbow-torch: error: config {bad}: unknown keys: model.embeding_dim (did you mean "
        "model.embedding_dim?), model.lrr (did you mean model.lr?), data.windw (did you mean "
        "data.window?)"
    )


def test_bundled_configs_load_by_name_from_any_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no configs/ here
    for name in ("word2vec", "configs/word2vec.yaml", "presets/gpu"):
        with pytest.raises(SystemExit) as done:
            main(["fit", "--config", "default", "--config", name, "--print_config"])
        assert done.value.code == 0, name
    shown = yaml.safe_load(
        capsys.readouterr().out.split("# pytorch_lightning")[-2].split("\n", 1)[1]
    )
    assert shown["model"]["objective"]["class_path"] == "cbow_torch.objectives.NegativeSampling"
    with pytest.raises(SystemExit) as error:
        main(["fit", "--config", "word2vc"])
    assert "config 'word2vc': no such file and no bundled config of that name" in str(
        error.value.code
    )

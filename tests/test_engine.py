"""The objectives as objects and the negative-sampling engines through the real Trainer: the
fused kernel trains, logs, resumes bit for bit, runs under DDP, and refuses what it cannot do."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from _fast import NO_EXPORT, word2vec_args
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cbow_torch.data.chunks import ChunkDataset, make_spans
from cbow_torch.objectives import OBJECTIVES, NegativeSampling, Softmax


def fused_args(tmp_path, *extra, name="run"):
    """configs/word2vec.yaml on the fused engine: chunks of 2,000 words, 2 epochs, 1 thread."""
    return word2vec_args(tmp_path, *extra, name=name, engine="fused")


def run_cli(args):
    from cbow_torch.train.cli import cli_main

    return cli_main(args)


def scalars(run_dir: Path) -> dict[str, list[float]]:
    events = EventAccumulator(str(run_dir)).Reload()
    return {tag: [e.value for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_each_objective_is_a_class_with_its_own_options():
    assert {"Softmax": Softmax, "NegativeSampling": NegativeSampling} == OBJECTIVES
    assert Softmax().options == {"grad_mode": "exact", "hidden": "relu"}
    assert set(NegativeSampling(negatives=7).options) == {
        "negatives", "engine", "input_step", "sync_every"
    }  # fmt: skip
    assert NegativeSampling(negatives=7).config() == {
        "class_path": "cbow_torch.objectives.negative_sampling.NegativeSampling",
        "init_args": {"negatives": 7, "engine": "auto", "input_step": "mean", "sync_every": 8},
    }


def test_auto_is_fused_on_the_cpu_and_autograd_on_a_gpu():
    for device, engine in (("cpu", "fused"), ("cuda", "autograd")):
        objective = NegativeSampling()
        objective.prepare(torch.device(device), gradient_clip_val=None)
        assert objective.engine == "auto" and objective.trainer_engine == engine
        assert objective.automatic_optimization == (engine == "autograd")


def test_the_fused_engine_trains_logs_and_exports(fused_run):
    cli = fused_run  # fused_args, finished (conftest.py)
    module = cli.model
    assert module.objective.trainer_engine == "fused" and not module.automatic_optimization
    run_dir = cli.run_dir
    assert (run_dir / "embeddings.txt").is_file()
    logged = scalars(run_dir)
    for tag in ("train/loss", "train/lr", "train/words_per_sec", "val/loss"):
        assert tag in logged, tag
    loss = logged["train/loss"]
    assert np.isfinite(loss).all() and loss[-1] < loss[0]  # the windows' cost falls
    lr = logged["train/lr"]
    assert lr[0] > lr[-1] > 0  # word2vec's linear decay, one value a chunk
    steps = len(cli.datamodule.train_dataloader())
    assert cli.trainer.global_step == 2 * steps >= 20  # at least 10 chunks an epoch


class SaveAndStop(pl.Callback):
    """Writes a checkpoint after ``step`` training steps and stops the run there."""

    def __init__(self, step: int, path: Path) -> None:
        self.step, self.path = step, path

    def on_train_batch_end(self, trainer, *_) -> None:
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)
            trainer.should_stop = True


class ChunkOrder(pl.Callback):
    """The chunk indices each epoch trained, in order."""

    def __init__(self) -> None:
        self.epochs: list[list[int]] = []

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.epochs.append([])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.epochs[-1].append(batch.index)


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_fused_engine_orders_its_chunks_as_data_shuffle_says(tmp_path, shuffle):
    from cbow_torch.train.cli import cli_main

    args = [*fused_args(tmp_path)[1:], f"--data.shuffle={shuffle}", NO_EXPORT]
    cli = cli_main(args, run=False)
    order = ChunkOrder()
    cli.trainer.callbacks.append(order)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    first, second = order.epochs
    assert sorted(first) == sorted(second) == list(range(len(first))) and len(first) >= 10
    if shuffle:  # a seeded order a epoch, another the next epoch
        assert first != sorted(first) and second != first
    else:  # the corpus in order, as word2vec reads it
        assert first == second == sorted(first)


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_fused_engine_resumes_bit_for_bit_mid_epoch(tmp_path, shuffle):
    """Stopped after 7 chunks (mid-epoch) and resumed, a 1-thread run ends bit for bit where
    an unbroken run ends: the kernel's generators derive from (seed, rank, epoch, chunk), and
    the shuffled order of the chunks from (data.seed, epoch)."""
    from cbow_torch.train.cli import cli_main

    # the parameters are compared, not the vectors' files
    no_export = [NO_EXPORT, f"--data.shuffle={shuffle}"]
    whole = run_cli([*fused_args(tmp_path, name="whole"), *no_export]).model.model.state_dict()
    cut = cli_main([*fused_args(tmp_path, name="cut")[1:], *no_export], run=False)
    cut.trainer.callbacks.append(SaveAndStop(7, tmp_path / "mid.ckpt"))
    cut.trainer.fit(cut.model, datamodule=cut.datamodule)
    assert cut.trainer.global_step == 7
    resumed = run_cli(
        [*fused_args(tmp_path, name="cut"), *no_export, f"--ckpt_path={tmp_path / 'mid.ckpt'}"]
    )
    assert resumed.trainer.global_step == 2 * len(resumed.datamodule.train_dataloader())
    for name, value in resumed.model.model.state_dict().items():
        assert torch.equal(value, whole[name]), name


@pytest.mark.slow
def test_the_fused_engine_under_ddp_ends_with_equal_ranks(tmp_path, ddp_fit):
    """Each rank trains its own chunks; the parameters are averaged every sync_every steps and
    at each epoch end, so both ranks end equal (ddp_fit checks it)."""
    ranks = ddp_fit(fused_args(tmp_path, "--model.objective.sync_every=2"))
    assert ranks[0]["losses"] != ranks[1]["losses"]  # different chunks, different windows
    assert (tmp_path / "runs" / "run" / "version_0" / "embeddings.txt").is_file()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--model.objective=Softmax", "--model.objective.engine=fused"], "option 'engine'"),
        (["--model.objective.engine=autograd"], "input_step sum is the fused engine's"),
        (["--data.chunk_words=0"], "data.chunk_words must be >= 1"),
        (["--trainer.gradient_clip_val=1.0"], "gradient_clip_val does not apply"),
    ],
)
def test_what_the_fused_engine_cannot_do_is_a_one_line_error(tmp_path, capsys, extra, expected):
    from cbow_torch.train.run import main

    with pytest.raises(SystemExit) as exit_info:
        main(fused_args(tmp_path, *extra))
    message = str(exit_info.value.code) + capsys.readouterr().err
    assert expected in message and "Traceback" not in message


def test_fused_on_a_gpu_is_refused():
    with pytest.raises(ValueError, match="engine fused runs on the CPU"):
        NegativeSampling(engine="fused").prepare(torch.device("cuda"), gradient_clip_val=None)


def test_ids_outside_the_vocabulary_are_refused_before_the_kernel_runs(tmp_path, capsys):
    from cbow_torch.train.run import main

    out = tmp_path / "prepared"
    from cbow_torch.data.prepare import main as prepare_main

    assert prepare_main(["lee", "--out", str(out), "--min_count", "5"]) == 0
    ids = np.load(out / "ids.npy", mmap_mode="r+")
    ids[100] = np.iinfo(ids.dtype).max  # a damaged file: an id no word has
    ids.flush()
    with pytest.raises(SystemExit) as exit_info:
        main([*fused_args(tmp_path), f"--data.dataset={out}"])
    message = str(exit_info.value.code)
    assert "do not agree" in message and "prepare it again" in message


def test_chunks_cover_the_stream_once_in_order():
    ids = np.arange(25_000) % 50
    docs = np.array([0, 3, 10, 22_000])
    spans = make_spans(docs, len(ids), max_len=10_000)
    assert spans.tolist() == [0, 3, 10, 10_010, 20_010, 22_000, 25_000]
    chunks = ChunkDataset(ids, docs, 2, np.ones(50, np.float32), chunk_words=1000)
    got = [chunks.__getitems__([i]) for i in range(len(chunks))]
    assert got[0].lo == 0 and got[-1].hi == len(spans) - 1
    assert all(a.hi == b.lo for a, b in zip(got, got[1:], strict=False))
    assert sum(c.words for c in got) == len(ids)


def test_a_slow_softmax_is_said_before_it_trains():
    from cbow_torch.data.text import Vocabulary
    from cbow_torch.train.module import CBOWLightningModule

    big = Vocabulary([f"w{i}" for i in range(40_000)], [25] * 40_000)  # 1M words, V = 40,000
    with pytest.warns(UserWarning, match="an epoch of this corpus takes about 6 min"):
        CBOWLightningModule(big, embedding_dim=100).configure_model()
    small = Vocabulary([f"w{i}" for i in range(4_000)], [15] * 4_000)  # Lee's size
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CBOWLightningModule(small, embedding_dim=100).configure_model()

"""word2vec's negative-sampling objective: the hand-written backward against gradcheck, an
autograd twin and the dense numpy reference; sparse gradients; the noise and subsampling draws."""

import numpy as np
import pytest
import torch
from _fast import NO_EXPORT, word2vec_args
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cbow_torch import reference
from cbow_torch.functional import (
    cbow_negative_sampling_loss,
    cbow_negative_sampling_loss_autograd,
    cbow_negative_sampling_loss_rows,
)
from cbow_torch.model import CBOWNegativeSampling
from cbow_torch.optim import clip_sparse_gradients
from cbow_torch.sampling import UnigramNoise, keep_probabilities, subsample
from cbow_torch.train.cli import cli_main

SHAPES = [(7, 3, 1, 1, 1), (11, 4, 5, 2, 3), (23, 6, 9, 3, 5), (50, 8, 16, 5, 5)]  # V N m C k


def make_batch(V, N, m, C, k, dtype=torch.float64, seed=0):
    """Parameters and ids with a repeated context word, a repeated noise word, and a noise
    word equal to the centre, in the first example."""
    gen = torch.Generator().manual_seed(seed)
    W1 = torch.randn(N, V, dtype=dtype, generator=gen)
    W2 = torch.randn(V, N, dtype=dtype, generator=gen)
    context = torch.randint(0, V, (m, 2 * C), generator=gen)
    center = torch.randint(0, V, (m,), generator=gen)
    negatives = torch.randint(0, V, (m, k), generator=gen)
    if C >= 1:
        context[0, -1] = context[0, 0]
    negatives[0, 0] = center[0]
    if k >= 2:
        negatives[0, 1] = negatives[0, 0]
    return context, center, negatives, W1.requires_grad_(), W2.requires_grad_()


def grads(loss_fn, context, center, negatives, W1, W2, **kwargs):
    W1, W2 = (p.detach().clone().requires_grad_() for p in (W1, W2))
    loss = loss_fn(context, center, negatives, W1, W2, **kwargs)
    loss.backward()
    return loss.detach(), W1.grad, W2.grad


@pytest.mark.parametrize("V,N,m,C,k", SHAPES)
def test_gradcheck(V, N, m, C, k):
    context, center, negatives, W1, W2 = make_batch(V, N, m, C, k)
    assert torch.autograd.gradcheck(
        lambda a, b: cbow_negative_sampling_loss(context, center, negatives, a, b), (W1, W2)
    )


@pytest.mark.parametrize("V,N,m,C,k", SHAPES)
def test_matches_autograd_and_numpy(V, N, m, C, k):
    batch = make_batch(V, N, m, C, k)
    loss, g1, g2 = grads(cbow_negative_sampling_loss, *batch)
    loss_a, g1_a, g2_a = grads(cbow_negative_sampling_loss_autograd, *batch)
    context, center, negatives, W1, W2 = batch
    cost, g1_np, g2_np = reference.negative_sampling_cost_and_grads(
        W1.detach().numpy(), W2.detach().numpy(), context.numpy(), center.numpy(), negatives.numpy()
    )
    for name, ours, twin, dense in (
        ("J", loss, loss_a, cost),
        ("dW1", g1, g1_a, g1_np),
        ("dW2", g2, g2_a, g2_np),
    ):
        torch.testing.assert_close(ours, twin, rtol=0, atol=1e-10, msg=name)
        np.testing.assert_allclose(ours.numpy(), dense, rtol=0, atol=1e-10, err_msg=name)


def test_repeats_count_as_often_as_they_occur():
    # One example: context (a, a), centre c, noise (c, c). W1 column a gets twice ∂J/∂h / 2;
    # W2 row c gets e₀h + 2·σ(s₀)h, since the centre is also drawn twice as noise.
    V, N = 5, 3
    W1 = torch.randn(N, V, dtype=torch.float64)
    W2 = torch.randn(V, N, dtype=torch.float64)
    context, center, negatives = torch.tensor([[1, 1]]), torch.tensor([2]), torch.tensor([[2, 2]])
    _, g1, g2 = grads(cbow_negative_sampling_loss, context, center, negatives, W1, W2)
    h = W1[:, 1]
    s = W2[2] @ h
    e_total = (torch.sigmoid(s) - 1) + 2 * torch.sigmoid(s)
    torch.testing.assert_close(g2[2], e_total * h)
    torch.testing.assert_close(g1[:, 1], e_total * W2[2])  # (∂J/∂h / 2C) · 2 occurrences
    assert g1[:, [0, 2, 3, 4]].abs().sum() == 0 and g2[[0, 1, 3, 4]].abs().sum() == 0


def test_sparse_gradients_are_the_batch_rows_and_equal_the_dense_ones():
    context, center, negatives, W1, W2 = make_batch(50, 8, 16, 5, 5)
    model = CBOWNegativeSampling(50, 8, init="normal", dtype=torch.float64)
    W1T, W2T = model.input_vectors.weight, model.output_vectors.weight
    with torch.no_grad():
        W1T.copy_(W1.t())
        W2T.copy_(W2)
    loss = model(context, center, negatives)
    loss.backward()
    assert W1T.grad.is_sparse and W2T.grad.is_sparse
    assert W1T.grad._nnz() == context.numel()  # m·2C rows, not V
    assert W2T.grad._nnz() == center.numel() + negatives.numel()  # m·(1 + k) rows
    _, g1, g2 = grads(cbow_negative_sampling_loss, context, center, negatives, W1, W2)
    torch.testing.assert_close(W1T.grad.to_dense(), g1.t(), rtol=0, atol=1e-12)
    torch.testing.assert_close(W2T.grad.to_dense(), g2, rtol=0, atol=1e-12)
    # torch.optim.SGD applies them: W ← W − α∇, only the batch's rows move.
    before = [p.detach().clone() for p in (model.W1, model.W2)]
    torch.optim.SGD(model.parameters(), lr=0.5).step()
    torch.testing.assert_close(model.W1.detach(), before[0] - 0.5 * g1, rtol=0, atol=1e-12)
    torch.testing.assert_close(model.W2.detach(), before[1] - 0.5 * g2, rtol=0, atol=1e-12)


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_clipping_sparse_gradients_is_torchs_clipping_of_the_dense_ones(algorithm):
    gen = torch.Generator().manual_seed(0)
    rows = torch.tensor([4, 1, 4, 4])  # row 4 three times: clipped as their sum
    values = torch.randn(4, 3, dtype=torch.float64, generator=gen)
    sparse = torch.sparse_coo_tensor(rows[None], values, (6, 3))
    dense = torch.randn(6, 3, dtype=torch.float64, generator=gen)  # a dense parameter beside it
    ours = [torch.nn.Parameter(torch.zeros(6, 3, dtype=torch.float64)) for _ in range(2)]
    torchs = [torch.nn.Parameter(torch.zeros(6, 3, dtype=torch.float64)) for _ in range(2)]
    ours[0].grad, ours[1].grad = sparse.clone(), dense.clone()
    torchs[0].grad, torchs[1].grad = sparse.to_dense(), dense.clone()
    clip_sparse_gradients(ours, 0.5, algorithm)
    if algorithm == "norm":
        torch.nn.utils.clip_grad_norm_(torchs, 0.5)
    else:
        torch.nn.utils.clip_grad_value_(torchs, 0.5)
    assert not torch.allclose(torchs[1].grad, dense)  # 0.5 does clip
    torch.testing.assert_close(ours[0].grad.to_dense(), torchs[0].grad)
    torch.testing.assert_close(ours[1].grad, torchs[1].grad)


def test_backward_scales_with_grad_output():
    batch = make_batch(11, 4, 5, 2, 3)
    _, a1, a2 = grads(cbow_negative_sampling_loss, *batch)
    _, b1, b2 = grads(lambda *x: -3 * cbow_negative_sampling_loss(*x), *batch)
    torch.testing.assert_close(-3 * a1, b1, rtol=0, atol=1e-12)
    torch.testing.assert_close(-3 * a2, b2, rtol=0, atol=1e-12)


def test_only_asked_gradients_flow():
    context, center, negatives, W1, W2 = make_batch(11, 4, 5, 2, 3)
    W1 = W1.detach()
    cbow_negative_sampling_loss(context, center, negatives, W1, W2).backward()
    assert W1.grad is None and W2.grad is not None


def test_huge_scores_stay_finite():
    context, center, negatives, W1, W2 = make_batch(11, 4, 5, 2, 3, dtype=torch.float32)
    loss = cbow_negative_sampling_loss(context, center, negatives, W1 * 1e4, W2 * 1e4)
    assert torch.isfinite(loss)


def test_autocast_computes_in_float32():
    batch = make_batch(23, 6, 9, 3, 5, dtype=torch.float32)
    expected = cbow_negative_sampling_loss(*batch)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = cbow_negative_sampling_loss(*batch)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda b: (b[0], b[1], b[2][:, :0], *b[3:]), r"negatives must have shape \[m, k\]"),
        (lambda b: (b[0], b[1], b[2][:-1], *b[3:]), r"negatives must have shape \[m, k\]"),
        (lambda b: (b[0], b[1], b[2] + 100, *b[3:]), r"negatives holds word id 1\d\d"),
        (lambda b: (b[0], b[1], b[2].float(), *b[3:]), r"negatives must hold integer word ids"),
        (lambda b: (b[0] - 100, *b[1:]), r"context holds word id -\d+, outside \[0, 11\)"),
        (lambda b: (*b[:4], b[4][:, :-1]), r"W1 must be \[N, V \+ B\] and W2 \[V, N\]"),
        (lambda b: (*b[:3], b[3][:, :-1], b[4]), r"W1 must be \[N, V \+ B\] and W2 \[V, N\]"),
        (lambda b: (*b[:4], b[4].float()), r"share one floating dtype"),
    ],
)
def test_bad_inputs_raise_value_error(change, match):
    batch = change(make_batch(11, 4, 5, 2, 3))
    with pytest.raises(ValueError, match=match):
        cbow_negative_sampling_loss(*batch)


@pytest.mark.parametrize("sparse", [False, True])
def test_rows_form_takes_the_input_vectors_as_rows(sparse):
    # Any [V, N] leaf, not only an nn.Embedding's weight: the gradient reaches it as rows.
    context, center, negatives, W1, W2 = make_batch(23, 6, 9, 3, 5)
    loss, g1, g2 = grads(cbow_negative_sampling_loss, context, center, negatives, W1, W2)
    W1T = W1.detach().t().contiguous().requires_grad_()  # [V, N]
    W2 = W2.detach().clone().requires_grad_()
    loss_rows = cbow_negative_sampling_loss_rows(context, center, negatives, W1T, W2, sparse)
    loss_rows.backward()
    assert W1T.grad.is_sparse == W2.grad.is_sparse == sparse
    torch.testing.assert_close(loss_rows.detach(), loss, rtol=0, atol=0)
    torch.testing.assert_close(W1T.grad.to_dense(), g1.t(), rtol=0, atol=1e-12)
    torch.testing.assert_close(W2.grad.to_dense(), g2, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda b: (*b[:3], b[3][:, :-1], b[4]), r"W1T must be \[V \+ B, N\] and W2 \[V, N\]"),
        (lambda b: (*b[:3], b[3].float(), b[4]), r"W1T and W2 must share one floating dtype"),
        (lambda b: (b[0], b[1] + 100, *b[2:]), r"center holds word id 1\d\d"),
    ],
)
def test_rows_form_bad_inputs_raise_value_error(change, match):
    context, center, negatives, W1, W2 = make_batch(11, 4, 5, 2, 3)
    batch = change((context, center, negatives, W1.detach().t().contiguous(), W2))
    with pytest.raises(ValueError, match=match):
        cbow_negative_sampling_loss_rows(*batch, sparse=True)


def test_model_needs_two_words():
    with pytest.raises(ValueError, match="vocab_size >= 2"):
        CBOWNegativeSampling(1, 4)


def test_model_loss_draws_its_own_noise_words():
    counts = np.arange(1, 24) ** 2  # [V]
    model = CBOWNegativeSampling(23, 6, init="normal", negatives=4, dtype=torch.float64)
    model.set_noise(counts)
    context, center, *_ = make_batch(23, 6, 9, 3, 4)
    loss = model.loss(context, center, torch.Generator().manual_seed(7))
    negatives = UnigramNoise(counts).sample((9, 4), torch.Generator().manual_seed(7))  # [m, k]
    assert torch.equal(loss, model(context, center, negatives))
    # The draw is the generator's: another seed, other noise words, another J.
    assert not torch.equal(loss, model.loss(context, center, torch.Generator().manual_seed(8)))
    # Handed over at construction, the same distribution gives the same J.
    given = CBOWNegativeSampling(
        23, 6, init="normal", negatives=4, dtype=torch.float64, noise=UnigramNoise(counts)
    )
    assert torch.equal(given.loss(context, center, torch.Generator().manual_seed(7)), loss)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: CBOWNegativeSampling(5, 2, negatives=0), "negatives must be >= 1"),
        (lambda: CBOWNegativeSampling(5, 2).set_noise([1, 2, 3]), "noise distribution has 3"),
        (lambda: CBOWNegativeSampling(5, 2, noise=UnigramNoise([1, 2])), "has 2 words but"),
        (
            lambda: CBOWNegativeSampling(5, 2).loss(
                torch.zeros(1, 2, dtype=torch.long), torch.zeros(1, dtype=torch.long)
            ),
            "needs a noise distribution: call set_noise",
        ),
        (lambda: CBOWNegativeSampling(5, 2, init="zeros"), "init must be one of"),
    ],
)
def test_model_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.gpu
def test_model_noise_follows_the_model_to_cuda():
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    model = CBOWNegativeSampling(23, 6, init="normal")
    model.set_noise(np.arange(1, 24))
    model.cuda()
    context, center, *_ = make_batch(23, 6, 9, 3, 4)
    loss = model.loss(context.cuda(), center.cuda(), torch.Generator("cuda").manual_seed(0))
    assert model.noise.device.type == "cuda" and torch.isfinite(loss)


# ---------------------------------------------------------------------------------------------
# The draws.


def test_noise_follows_the_unigram_distribution_to_the_power():
    counts = np.array([1000, 300, 50, 7, 1, 0])
    noise = UnigramNoise(counts, power=0.75)
    expected = counts**0.75 / (counts**0.75).sum()
    draws = noise.sample((400_000,), torch.Generator().manual_seed(0))
    freq = np.bincount(draws.numpy(), minlength=len(counts)) / draws.numel()
    np.testing.assert_allclose(freq, expected, atol=3e-3)
    assert freq[-1] == 0  # a word never seen is never noise


def test_noise_is_reproducible_from_the_seed():
    noise = UnigramNoise(np.arange(1, 100))
    a, b, c = (noise.sample((8, 5), torch.Generator().manual_seed(s)) for s in (1, 1, 2))
    assert a.shape == (8, 5) and a.dtype == torch.int64
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_noise_needs_two_words():
    with pytest.raises(ValueError, match="at least 2 words"):
        UnigramNoise([5])


def test_keep_probabilities_are_word2vecs():
    counts = np.array([10_000, 100, 1])
    f = counts / counts.sum()
    expected = np.minimum((np.sqrt(f / 1e-3) + 1) * 1e-3 / f, 1)
    np.testing.assert_allclose(keep_probabilities(counts, 1e-3), expected)
    assert keep_probabilities(counts, 1e-3)[0] < 0.05 and keep_probabilities(counts, 0).min() == 1
    with pytest.raises(ValueError, match="sample must be >= 0"):
        keep_probabilities(counts, -1e-3)


def test_subsample_keeps_order_and_document_starts():
    ids = np.array([0, 1, 0, 2, 0, 1, 0, 2])  # two documents: [0, 4) and [4, 8)
    keep = np.array([0.0, 1.0, 1.0])  # word 0 always goes
    kept, starts = subsample(ids, np.array([0, 4]), keep, np.random.default_rng(0))
    assert kept.tolist() == [1, 2, 1, 2] and starts.tolist() == [0, 2]


def test_subsampled_windows_redraw_each_epoch_with_a_fixed_length():
    from cbow_torch.data.windows import SubsampledWindows, WindowSampler

    rng = np.random.default_rng(0)
    ids = rng.zipf(1.5, 5000) % 50  # [n], word 1 very frequent
    counts = np.bincount(ids, minlength=50)
    keep = keep_probabilities(counts, 1e-2)
    data = SubsampledWindows(ids, 2, np.array([0, 2500]), keep, seed=3)
    sampler = WindowSampler(data, shuffle=False)
    batches = []
    for epoch in (0, 1, 0):
        sampler.set_epoch(epoch)
        assert len(data) == len(sampler) < len(ids)  # fixed by epoch 0's draw
        batches.append(data.__getitems__(list(sampler)))
    assert torch.equal(batches[0][1], batches[2][1])  # a draw is a function of (seed, epoch)
    assert not torch.equal(batches[0][1], batches[1][1])
    frequent = (batches[0][1] == int(np.argmax(counts))).float().mean()
    assert frequent < counts.max() / len(ids) / 2  # the most frequent word is thinned


# ---------------------------------------------------------------------------------------------
# In the product: real CLI runs with configs/word2vec.yaml, cut down to seconds.


def w2v_args(tmp_path, *extra, name="run"):
    """configs/word2vec.yaml on the minibatch engine, whose step is the gradient (one thread:
    bit for bit); tests/test_engine.py has the fused."""
    return word2vec_args(tmp_path, *extra, name=name, engine="autograd")


def test_word2vec_config_trains_logs_and_exports(autograd_run):
    run = autograd_run  # w2v_args, 2 epochs (conftest.py)
    events = EventAccumulator(str(run)).Reload()
    losses = [e.value for e in events.Scalars("train/loss")]
    assert len(losses) >= 10 and losses[-1] < losses[0]
    assert "val/loss" in events.Tags()["scalars"]
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    state = ckpt["state_dict"]
    V = len(ckpt["cbow_torch"]["vocabulary"]["words"])
    assert state["model.input_vectors.weight"].shape == (V, 16) and "model.b1" not in state
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(str(run / "embeddings.txt"))
    W1T = state["model.input_vectors.weight"].numpy()
    np.testing.assert_allclose(kv.vectors, W1T, atol=1e-5)  # source W1


def test_word2vec_trains_with_lightnings_gradient_clipping(tmp_path):
    # Its gradients are sparse rows, which torch's clip_grad_norm_ does not take.
    cli = cli_main(w2v_args(tmp_path, "--trainer.gradient_clip_val=0.01", NO_EXPORT))
    assert cli.trainer.global_step == 12 and cli.trainer.state.finished


def test_word2vec_resume_gives_the_same_parameters(tmp_path, autograd_run):
    # Noise words and subsampling draws resume where they were: 1 + 1 epochs equal the
    # session's 2-epoch run, bit for bit (one thread).
    cli_main(w2v_args(tmp_path, "--trainer.max_epochs=1", NO_EXPORT, name="resumed"))
    resume = ("--trainer.max_epochs=2", "--ckpt_path=last", NO_EXPORT)
    cli_main(w2v_args(tmp_path, *resume, name="resumed"))
    resumed = tmp_path / "runs" / "resumed" / "version_0"
    a, b = (
        torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        for run in (autograd_run, resumed)
    )
    assert a.keys() == b.keys() == {"model.input_vectors.weight", "model.output_vectors.weight"}
    for name in a:
        assert torch.equal(a[name], b[name]), name


@pytest.mark.slow
def test_word2vec_ddp_two_cpu_processes(tmp_path, ddp_fit):
    """DDP all-reduces the sparse row gradients over gloo: both ranks end equal."""
    ranks = ddp_fit(w2v_args(tmp_path, "--trainer.max_epochs=2"))
    assert ranks[0]["losses"] != ranks[1]["losses"]  # each rank its own windows and noise
    assert (tmp_path / "runs" / "run" / "version_0" / "embeddings.txt").is_file()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--model.objective.negatives=0"], "model.objective.negatives must be >= 1"),
        (["--data.sample=-0.001"], "data.sample must be >= 0"),
        (["--model.objective=Hierarchical"], "model.objective Hierarchical: no such class"),
    ],
)
def test_bad_word2vec_options_are_one_line_errors(tmp_path, capsys, extra, expected):
    from cbow_torch.train.run import main

    with pytest.raises(SystemExit) as exit_info:
        main(w2v_args(tmp_path, *extra))
    message = str(exit_info.value.code) + capsys.readouterr().err
    assert expected in message and "Traceback" not in message


def test_a_one_word_vocabulary_is_a_one_line_error(tmp_path):
    from cbow_torch.train.run import main

    corpus = tmp_path / "one.txt"
    corpus.write_text("buffalo " * 50 + "\n")
    args = w2v_args(tmp_path, f"--data.corpus={corpus}", "--data.min_count=1", "--data.window=1")
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert "leaves 1 word(s) in the vocabulary" in str(exit_info.value.code)


def test_validate_a_fresh_module_draws_noise_from_the_datas_counts(tmp_path):
    import math

    import pytorch_lightning as pl

    from cbow_torch.data import CBOWDataModule
    from cbow_torch.objectives import NegativeSampling
    from cbow_torch.train.module import CBOWLightningModule

    data = CBOWDataModule(corpus="lee", min_count=5, batch_size=256, cache_dir=str(tmp_path))
    module = CBOWLightningModule(embedding_dim=16, objective=NegativeSampling(), init="word2vec")
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, limit_val_batches=3)
    (metrics,) = trainer.validate(module, datamodule=data, verbose=False)
    assert metrics["val/loss"] == pytest.approx(6 * math.log(2), rel=1e-6)  # W2 = 0: σ(0) = 1/2

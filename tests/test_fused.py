"""The fused numba kernels: one window is one SGD step of the Function, the chunk trainer's
counts, determinism and learning, and one-line errors for bad input."""

import numba
import numpy as np
import pytest
import torch

from cbow_torch.data.chunks import make_spans
from cbow_torch.functional import (
    cbow_negative_sampling_loss,
    fused,
    negative_sampling_sgd_,
    set_threads,
    train_chunk,
)
from cbow_torch.sampling import UnigramNoise

TOL = {torch.float32: dict(rtol=2e-5, atol=2e-6), torch.float64: dict(rtol=1e-12, atol=1e-13)}


def params(V, N, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(V, N, generator=gen, dtype=dtype) * 0.5 for _ in range(2))


def window(V, C, k, seed=0):
    """One window: a context with a repeated word; noise words distinct and not the centre."""
    gen = torch.Generator().manual_seed(seed)
    words = torch.randperm(V, generator=gen)
    context = torch.randint(0, V, (1, 2 * C), generator=gen)
    context[0, -1] = context[0, 0]
    return context, words[:1], words[1 : k + 1][None]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("C,k,N", [(1, 1, 3), (2, 5, 16), (5, 5, 100), (3, 15, 33)])
def test_one_window_is_one_sgd_step_of_the_function(dtype, C, k, N):
    V, lr = 40, 0.3
    W1T, W2 = params(V, N, dtype)
    context, center, negatives = window(V, C, k)
    A, B = W1T.clone().requires_grad_(), W2.clone().requires_grad_()
    J = cbow_negative_sampling_loss(context, center, negatives, A.t(), B)
    J.backward()
    cost = negative_sampling_sgd_(W1T, W2, context, center, negatives, lr)
    torch.testing.assert_close(W1T, (A - lr * A.grad).detach(), **TOL[dtype])
    torch.testing.assert_close(W2, (B - lr * B.grad).detach(), **TOL[dtype])
    assert cost == pytest.approx(J.item(), rel=TOL[dtype]["rtol"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("m", [2, 7])
def test_m_windows_are_m_sequential_steps(dtype, m):
    V, C, k = 30, 2, 4
    gen = torch.Generator().manual_seed(m)
    context = torch.randint(0, V, (m, 2 * C), generator=gen)
    center = torch.randint(0, V, (m,), generator=gen)
    negatives = torch.randint(0, V, (m, k), generator=gen)
    W1T, W2 = params(V, 8, dtype)
    X1, X2, start = W1T.clone(), W2.clone(), W1T.clone()
    cost = negative_sampling_sgd_(W1T, W2, context, center, negatives, 0.1)
    costs = [
        negative_sampling_sgd_(
            X1, X2, context[i : i + 1], center[i : i + 1], negatives[i : i + 1], 0.1
        )
        for i in range(m)
    ]
    assert torch.equal(W1T, X1) and torch.equal(W2, X2)
    assert cost == pytest.approx(sum(costs), rel=1e-12)
    assert not torch.equal(W1T, start)


def test_noise_equal_to_the_centre_is_skipped():
    V, C, k = 20, 2, 3
    context, center, negatives = window(V, C, k)
    with_centre = torch.cat((negatives[:, :1], center[None], negatives[:, 1:]), dim=1)
    W1T, W2 = params(V, 6, torch.float64)
    X1, X2 = W1T.clone(), W2.clone()
    cost = negative_sampling_sgd_(W1T, W2, context, center, with_centre, 0.2)
    expected = negative_sampling_sgd_(X1, X2, context, center, negatives, 0.2)
    assert torch.equal(W1T, X1) and torch.equal(W2, X2) and cost == expected


@pytest.mark.parametrize("C", [1, 3])
def test_undivided_input_update_is_2C_times_the_mean(C):
    V = 25
    context, center, negatives = window(V, C, 4)
    W1T, W2 = params(V, 7, torch.float64)
    A1, A2, B1, B2 = W1T.clone(), W2.clone(), W1T.clone(), W2.clone()
    negative_sampling_sgd_(A1, A2, context, center, negatives, 0.1, mean_input=True)
    negative_sampling_sgd_(B1, B2, context, center, negatives, 0.1, mean_input=False)
    torch.testing.assert_close(B1 - W1T, 2 * C * (A1 - W1T), rtol=1e-10, atol=1e-14)
    assert torch.equal(A2, B2)


def test_make_spans_cuts_long_documents_and_drops_empty_ones():
    spans = make_spans([0, 0, 5, 25], 30, max_len=10)
    assert spans.tolist() == [0, 5, 15, 25, 30] and spans.dtype == np.int64
    assert make_spans([0], 0).tolist() == [0]
    with pytest.raises(ValueError, match="doc_starts must rise"):
        make_spans([0, 9, 4], 10)


def structured_corpus(docs=300, seed=0):
    """Zipf background words 0…199 with planted phrases c₁ c₂ X c₃ c₄, X one of a group's two
    interchangeable words (200 + 2g, 201 + 2g) and the c's the group's own (216…247)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(200) + 2.7)
    out, starts = [], []
    for _ in range(docs):
        starts.append(sum(map(len, out)))
        doc = list(rng.choice(200, size=120, p=p / p.sum()))
        for _ in range(12):
            g = rng.integers(8)
            c = 216 + 4 * g + np.arange(4)
            at = rng.integers(len(doc))
            doc[at:at] = [c[0], c[1], 200 + 2 * g + rng.integers(2), c[2], c[3]]
        out.append(np.array(doc))
    ids = np.concatenate(out).astype(np.uint16)
    return ids, make_spans(starts, len(ids)), 248


def trainer(ids, V, N=16, seed=0):
    noise = UnigramNoise(np.bincount(ids, minlength=V))
    W1T = (torch.rand(V, N, generator=torch.Generator().manual_seed(seed)) - 0.5) / N
    W2 = torch.zeros(V, N)
    return W1T, W2, noise


def chunk(W1T, W2, ids, spans, noise, V, seed=1, threads=1, lr=(0.05, 0.05), **kw):
    keep = kw.pop("keep", np.ones(V, np.float32))
    return train_chunk(
        W1T, W2, ids, spans, 0, len(spans) - 1, keep, noise.prob, noise.alias, 3, 5, *lr,
        seed, threads, **kw,
    )  # fmt: skip


@pytest.mark.slow
def test_train_chunk_is_deterministic_at_one_thread_and_counts_every_token():
    ids, spans, V = structured_corpus(60)
    runs = []
    for seed in (7, 7, 8):
        W1T, W2, noise = trainer(ids, V)
        runs.append((chunk(W1T, W2, ids, spans, noise, V, seed=seed), W1T, W2))
    (a, A1, A2), (b, B1, B2), (c, C1, _) = runs
    assert a == b and torch.equal(A1, B1) and torch.equal(A2, B2)
    assert a[0] != c[0] and not torch.equal(A1, C1)
    assert a[1] == len(ids) and a[2] == len(ids)  # no subsampling, no one-word spans
    assert np.isfinite(a[0]) and a[0] > 0


def test_subsampling_drops_words_but_counts_them():
    ids, spans, V = structured_corpus(60)
    W1T, W2, noise = trainer(ids, V)
    keep = np.where(np.arange(V) < 5, 0.1, 1.0).astype(np.float32)  # the frequent words
    cost, words, windows = chunk(W1T, W2, ids, spans, noise, V, keep=keep)
    frequent = int((ids < 5).sum())
    assert words == len(ids) and len(ids) - frequent < windows < len(ids) - frequent / 2


def test_loss_falls_and_interchangeable_words_become_similar():
    ids, spans, V = structured_corpus()
    W1T, W2, noise = trainer(ids, V)
    x, y = torch.arange(200, 216, 2), torch.arange(201, 216, 2)

    def similarity():
        E = torch.nn.functional.normalize(W1T, dim=1)
        return (E[x] * E[y]).sum(1).mean().item(), (E[x] * E[y.roll(1)]).sum(1).mean().item()

    before, _ = similarity()
    losses = []
    for epoch in range(4):
        lr = (0.05 * (1 - epoch / 4), 0.05 * (1 - (epoch + 1) / 4) + 1e-4)
        cost, _, windows = chunk(W1T, W2, ids, spans, noise, V, seed=epoch, lr=lr)
        losses.append(cost / windows)
    related, unrelated = similarity()
    assert losses[-1] < 0.9 * losses[0], losses
    assert related > before + 0.3 and related > unrelated + 0.3, (before, related, unrelated)


def test_two_threads_train():
    ids, spans, V = structured_corpus(60)
    W1T, W2, noise = trainer(ids, V)
    assert set_threads(2) == min(2, numba.config.NUMBA_NUM_THREADS)
    cost, words, windows = chunk(W1T, W2, ids, spans, noise, V, threads=2)
    assert np.isfinite(cost) and words == windows == len(ids)
    assert set_threads(10**6) == numba.config.NUMBA_NUM_THREADS


def test_bad_chunk_inputs_are_one_line_errors():
    ids, spans, V = structured_corpus(4)
    W1T, W2, noise = trainer(ids, V)
    good = dict(
        W1T=W1T, W2=W2, ids=ids, spans=spans, lo=0, hi=len(spans) - 1,
        keep=np.ones(V, np.float32), noise_prob=noise.prob, noise_alias=noise.alias, window=3,
        negatives=5, lr_start=0.05, lr_end=0.01, seed=1, threads=1,
    )  # fmt: skip
    bad = [
        ("W1T", W1T.half(), "float32/64"),
        ("W2", W2[:5], "share shape"),
        ("W1T", W1T.t().contiguous().t(), "contiguous"),
        ("ids", ids.astype(np.float32), "ids must be"),
        ("spans", spans.astype(np.int32), "spans must be"),
        ("hi", len(spans), "lo <= hi"),
        ("spans", spans[::-1].copy(), "must rise"),
        ("keep", np.ones(V), "keep must be a float32"),
        ("noise_alias", noise.alias.int(), "noise_alias must be a int64"),
        ("window", 0, "window must be"),
        ("threads", 1.5, "threads must be"),
        ("seed", -1, "seed must be"),
        ("lr_start", float("nan"), "lr_start must be"),
    ]
    for name, value, message in bad:
        with pytest.raises(ValueError, match=message) as err:
            train_chunk(**{**good, name: value})
        assert "\n" not in str(err.value), name


def test_bad_window_inputs_are_one_line_errors():
    W1T, W2 = params(10, 4, torch.float64)
    context, center, negatives = window(10, 2, 3)
    bad = [
        ((W1T.float(), W2, context, center, negatives), "share shape"),
        ((W1T, W2, context[0], center, negatives), "context must have shape"),
        ((W1T, W2, context, center, negatives + 10), "negatives holds word id"),
        ((W1T, W2, context.float(), center, negatives), "context must hold integer"),
    ]
    for args, message in bad:
        with pytest.raises(ValueError, match=message) as err:
            negative_sampling_sgd_(*args, 0.1)
        assert "\n" not in str(err.value)


def test_numba_errors_become_one_runtime_error_line():
    @numba.njit
    def untypable(x):
        return x.no_such_attribute

    with pytest.raises(RuntimeError, match="numba failed .*model.engine: autograd") as err:
        fused._numba(untypable, np.zeros(2))
    assert "\n" not in str(err.value)

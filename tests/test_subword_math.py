"""Subwords in the math: weighted bags of W1 columns in both costs (against gradcheck, autograd
and the dense numpy reference), fastText's n-gram bags (against gensim's hashes), the padded
bags of a window batch, and the fused kernel with bags (one window is one SGD step)."""

import numpy as np
import pytest
import torch
from gensim.models.fasttext import ft_ngram_hashes

from cbow_torch import reference
from cbow_torch.data.chunks import make_spans
from cbow_torch.functional import (
    cbow_loss,
    cbow_loss_autograd,
    cbow_negative_sampling_loss,
    cbow_negative_sampling_loss_autograd,
    cbow_negative_sampling_loss_rows,
    negative_sampling_sgd_,
    train_chunk,
)
from cbow_torch.functional.bags import bag_context
from cbow_torch.inputs.ngrams import ngram_bags, subwords_on
from cbow_torch.sampling import UnigramNoise

SHAPES = [(7, 3, 3, 1, 1, 1), (11, 9, 4, 5, 2, 3), (23, 40, 6, 9, 3, 5)]  # V B N m C k


def random_bags(V, B, gen, longest=5):
    """CSR bags [w, then up to longest − 1 random buckets V…V+B−1], duplicates likely."""
    sizes = torch.randint(1, longest + 1, (V,), generator=gen)  # [V]
    offsets = torch.cat((torch.zeros(1, dtype=torch.int64), sizes.cumsum(0)))  # [V + 1]
    ids = torch.randint(V, V + B, (int(offsets[-1]),), generator=gen)  # [nnz]
    ids[offsets[:-1]] = torch.arange(V)
    return offsets, ids


def make_bagged(V, B, N, m, C, k, dtype=torch.float64, seed=0):
    """Parameters W1 [N, V + B], b1, W2 [V, N], b2 and a batch whose input is bags with weights;
    the first example repeats a context word, so its bag ids repeat."""
    gen = torch.Generator().manual_seed(seed)
    offsets, ids = random_bags(V, B, gen)
    words = torch.randint(0, V, (m, 2 * C), generator=gen)  # [m, 2C]
    words[0, -1] = words[0, 0]
    context, weights = bag_context(words, offsets, ids, dtype)  # [m, L], [m, L]
    center = torch.randint(0, V, (m,), generator=gen)  # [m]
    negatives = torch.randint(0, V, (m, k), generator=gen)  # [m, k]
    shapes = ((N, V + B), (N,), (V, N), (V,))
    params = [torch.randn(*s, dtype=torch.float64, generator=gen).to(dtype) for s in shapes]
    return context, weights, center, negatives, [p.requires_grad_() for p in params]


def grads(loss_fn, params, *args, **kwargs):
    params = [p.detach().clone().requires_grad_() for p in params]
    loss = loss_fn(*args, *params, **kwargs)
    loss.backward()
    return loss.detach(), [p.grad for p in params]


# ---------------------------------------------------------------------------------------------
# The softmax cost with weighted bags.


@pytest.mark.parametrize("hidden", ["relu", "linear"])
@pytest.mark.parametrize("V,B,N,m,C,k", SHAPES)
def test_softmax_gradcheck_with_weights(V, B, N, m, C, k, hidden):
    context, weights, center, _, params = make_bagged(V, B, N, m, C, k)
    assert torch.autograd.gradcheck(
        lambda *p: cbow_loss(context, center, *p, context_weights=weights, hidden=hidden), params
    )


@pytest.mark.parametrize(
    "hidden, grad_mode", [("relu", "exact"), ("relu", "lecture"), ("linear", "exact")]
)
@pytest.mark.parametrize("V,B,N,m,C,k", SHAPES)
def test_softmax_with_weights_matches_numpy_reference(V, B, N, m, C, k, hidden, grad_mode):
    context, weights, center, _, params = make_bagged(V, B, N, m, C, k)
    loss, g = grads(
        lambda *p: cbow_loss(context, center, *p, grad_mode, weights, hidden=hidden),  # fmt: skip
        params,
    )
    W1, b1, W2, b2 = (p.detach().numpy() for p in params)
    x, y = reference.dense_batch(
        context.numpy(), center.numpy(), V, weights=weights.numpy(), columns=V + B
    )
    z, h = reference.forward_prop(x, W1, W2, b1[:, None], b2[:, None], hidden)
    yhat = reference.softmax(z)
    cost = reference.compute_cost(y, yhat, m)
    expected = reference.back_prop(
        x, yhat, y, h, W1, W2, b1[:, None], b2[:, None], m, grad_mode, hidden
    )
    assert abs(loss.item() - cost) < 1e-9
    assert g[0].shape == (N, V + B)
    for name, a, b in zip(
        ("W1", "W2", "b1", "b2"), (g[0], g[2], g[1], g[3]), expected, strict=True
    ):
        np.testing.assert_allclose(a.numpy(), b.reshape(a.shape), rtol=0, atol=1e-9, err_msg=name)


def test_softmax_with_weights_matches_autograd_and_logits():
    context, weights, center, _, params = make_bagged(23, 40, 6, 9, 3, 5)
    loss, g = grads(lambda *p: cbow_loss(context, center, *p, context_weights=weights), params)
    loss_a, g_a = grads(
        lambda *p: cbow_loss_autograd(context, center, *p, context_weights=weights), params
    )
    torch.testing.assert_close(loss, loss_a, rtol=0, atol=1e-12)
    for a, b in zip(g, g_a, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_uniform_weights_are_the_plain_mean():
    gen = torch.Generator().manual_seed(3)
    context = torch.randint(0, 11, (5, 4), generator=gen)
    center = torch.randint(0, 11, (5,), generator=gen)
    params = [
        torch.randn(*s, dtype=torch.float64, generator=gen) for s in ((4, 11), (4,), (11, 4), (11,))
    ]
    quarter = torch.full((5, 4), 0.25, dtype=torch.float64)
    loss, g = grads(lambda *p: cbow_loss(context, center, *p), params)
    loss_w, g_w = grads(lambda *p: cbow_loss(context, center, *p, context_weights=quarter), params)
    torch.testing.assert_close(loss, loss_w, rtol=0, atol=1e-14)
    for a, b in zip(g, g_w, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# The negative-sampling cost with weighted bags.


@pytest.mark.parametrize("V,B,N,m,C,k", SHAPES)
def test_negative_sampling_gradcheck_with_weights(V, B, N, m, C, k):
    context, weights, center, negatives, (W1, _, W2, _) = make_bagged(V, B, N, m, C, k)
    assert torch.autograd.gradcheck(
        lambda a, b: cbow_negative_sampling_loss(context, center, negatives, a, b, weights),
        (W1, W2),
    )


@pytest.mark.parametrize("V,B,N,m,C,k", SHAPES)
def test_negative_sampling_with_weights_matches_numpy_and_autograd(V, B, N, m, C, k):
    context, weights, center, negatives, (W1, _, W2, _) = make_bagged(V, B, N, m, C, k)
    batch = (context, center, negatives)
    loss, (g1, g2) = grads(cbow_negative_sampling_loss, (W1, W2), *batch, context_weights=weights)
    loss_a, (g1_a, g2_a) = grads(
        cbow_negative_sampling_loss_autograd, (W1, W2), *batch, context_weights=weights
    )
    cost, g1_np, g2_np = reference.negative_sampling_cost_and_grads(
        W1.detach().numpy(), W2.detach().numpy(), *(t.numpy() for t in batch), weights.numpy()
    )
    assert g1.shape == (N, V + B)
    for name, ours, twin, dense in (
        ("J", loss, loss_a, cost),
        ("dW1", g1, g1_a, g1_np),
        ("dW2", g2, g2_a, g2_np),
    ):
        torch.testing.assert_close(ours, twin, rtol=0, atol=1e-12, msg=name)
        np.testing.assert_allclose(ours.numpy(), dense, rtol=0, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("sparse", [False, True])
def test_rows_form_with_weights_gives_rows_of_v_plus_b(sparse):
    context, weights, center, negatives, (W1, _, W2, _) = make_bagged(23, 40, 6, 9, 3, 5)
    loss, (g1, g2) = grads(
        cbow_negative_sampling_loss, (W1, W2), context, center, negatives, context_weights=weights
    )
    W1T = W1.detach().t().contiguous().requires_grad_()  # [V + B, N]
    W2 = W2.detach().clone().requires_grad_()
    rows = cbow_negative_sampling_loss_rows(context, center, negatives, W1T, W2, sparse, weights)
    rows.backward()
    assert W1T.grad.is_sparse == sparse and W1T.grad.shape == (63, 6)
    if sparse:
        assert W1T.grad._nnz() == context.numel()  # m·L rows, padding included
    torch.testing.assert_close(rows.detach(), loss, rtol=0, atol=0)
    torch.testing.assert_close(W1T.grad.to_dense(), g1.t(), rtol=0, atol=1e-12)
    torch.testing.assert_close(W2.grad.to_dense(), g2, rtol=0, atol=1e-12)


def test_one_word_bags_give_todays_loss():
    gen = torch.Generator().manual_seed(1)
    V, N = 30, 8
    offsets, ids = torch.arange(V + 1), torch.arange(V)  # every bag the word alone
    words = torch.randint(0, V, (7, 4), generator=gen)
    center, negatives = torch.randint(0, V, (7,), generator=gen), torch.randint(0, V, (7, 3))
    W1 = torch.randn(N, V, dtype=torch.float64, generator=gen)
    W2 = torch.randn(V, N, dtype=torch.float64, generator=gen)
    context, weights = bag_context(words, offsets, ids, torch.float64)
    assert torch.equal(context, words) and torch.all(weights == 0.25)
    loss, (g1, g2) = grads(
        cbow_negative_sampling_loss, (W1, W2), context, center, negatives, context_weights=weights
    )
    today, (t1, t2) = grads(cbow_negative_sampling_loss, (W1, W2), words, center, negatives)
    torch.testing.assert_close(loss, today, rtol=0, atol=1e-14)
    torch.testing.assert_close(g1, t1, rtol=0, atol=1e-14)
    torch.testing.assert_close(g2, t2, rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Bad weights and ids: one line each.


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda c, w: (c, w[:, :-1]), r"context_weights must have context's shape"),
        (lambda c, w: (c, w.float()), r"context_weights must have the parameters' dtype"),
        (lambda c, w: (c, (w > 0).long()), r"context_weights must be a floating tensor"),
        (lambda c, w: (c, w - 2 * w * (w > 0)), r"context_weights holds -"),
        (lambda c, w: (c, 2 * w), r"context_weights row 0 sums to 2: each row must sum to 1"),
        (lambda c, w: (c, w * float("nan")), r"context_weights row \d+ sums to nan"),
        (lambda c, w: (c + 100, w), r"context holds column id 1\d\d, outside \[0, 31\)"),
    ],
)
def test_bad_weights_are_one_line_errors(change, match):
    context, weights, center, negatives, params = make_bagged(11, 20, 4, 5, 2, 3)
    context, weights = change(context, weights)
    W1, b1, W2, b2 = params
    calls = [
        lambda: cbow_loss(context, center, *params, context_weights=weights),
        lambda: cbow_negative_sampling_loss(context, center, negatives, W1, W2, weights),
        lambda: cbow_negative_sampling_loss_rows(
            context, center, negatives, W1.detach().t().contiguous(), W2, True, weights
        ),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=match) as err:
            call()
        assert "\n" not in str(err.value)


def test_centre_and_noise_ids_are_words_when_w1_is_wider():
    context, weights, center, negatives, params = make_bagged(11, 20, 4, 5, 2, 3)
    with pytest.raises(ValueError, match=r"center holds word id \d+, outside \[0, 11\)"):
        cbow_loss(context, center + 11, *params, context_weights=weights)
    with pytest.raises(ValueError, match=r"negatives holds word id \d+, outside \[0, 11\)"):
        cbow_negative_sampling_loss(context, center, negatives + 11, params[0], params[2], weights)


# ---------------------------------------------------------------------------------------------
# fastText's n-gram bags, through gensim's hashes.

WORDS = [
    "the",
    "cat",
    "naïve",
    "café",
    "Ærøskøbing",
    "привет",
    "Москва",
    "東京都",
    "日本語",
    "a",
    "aaaa",
]


@pytest.mark.parametrize("min_n,max_n,bucket", [(3, 6, 2_000_000), (1, 3, 1000), (2, 2, 7)])
def test_ngram_bags_are_gensims_hashes(min_n, max_n, bucket):
    offsets, ids = ngram_bags(WORDS, min_n, max_n, bucket)
    V = len(WORDS)
    assert offsets.dtype == np.int64 and ids.dtype == np.int32 and offsets.shape == (V + 1,)
    for w, word in enumerate(WORDS):
        expected = [w] + [V + h for h in ft_ngram_hashes(word, min_n, max_n, bucket)]
        assert ids[offsets[w] : offsets[w + 1]].tolist() == expected, word


def test_ngram_bags_keep_duplicates_and_count_characters_not_bytes():
    offsets, ids = ngram_bags(["aaaa", "東京"], 3, 3, 1000)
    # "<aaaa>": <aa, aaa, aaa, aa>: "aaa" twice; "<東京>": <東京, 東京> (3 characters, 8 bytes)
    assert offsets.tolist() == [0, 5, 8]
    assert ids[1] != ids[2] and ids[2] == ids[3]


@pytest.mark.parametrize("min_n,max_n,bucket", [(3, 6, 0), (3, 0, 100), (0, 0, 0)])
def test_ngrams_off_gives_each_word_alone(min_n, max_n, bucket):
    assert not subwords_on(min_n, max_n, bucket)
    offsets, ids = ngram_bags(WORDS, min_n, max_n, bucket)
    assert offsets.tolist() == list(range(len(WORDS) + 1)) and ids.tolist() == list(
        range(len(WORDS))
    )


@pytest.mark.parametrize(
    "min_n,max_n,bucket,match",
    [
        (4, 3, 100, "min_n 4 is greater than max_n 3"),
        (0, 3, 100, "min_n must be >= 1"),
        (3, 6, -1, "bucket must be an integer >= 0, got -1"),
        (3, -6, 100, "max_n must be an integer >= 0"),
        (3.0, 6, 100, "min_n must be an integer"),
    ],
)
def test_bad_ngram_settings_are_one_line_errors(min_n, max_n, bucket, match):
    with pytest.raises(ValueError, match=match) as err:
        ngram_bags(WORDS, min_n, max_n, bucket)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# The padded bags of a window batch.


def test_bag_context_lays_out_each_windows_bags_with_per_word_mean_weights():
    offsets = torch.tensor([0, 1, 4, 6])  # word 0: [0]; word 1: [1, 5, 5]; word 2: [2, 7]
    ids = torch.tensor([0, 1, 5, 5, 2, 7])
    context = torch.tensor([[1, 0], [2, 2]])
    bag_ids, weights = bag_context(context, offsets, ids, torch.float64)
    assert bag_ids.tolist() == [[1, 5, 5, 0], [2, 7, 2, 7]]
    sixth, quarter = 1 / 6, 1 / 4  # 1/(2C·|bag|)
    assert weights.tolist() == [[sixth, sixth, sixth, 0.5], [quarter] * 4]
    padded, wide = bag_context(context, offsets, ids, torch.float64, length=6)
    assert (
        padded[:, 4:].eq(0).all() and wide[:, 4:].eq(0).all() and torch.equal(wide[:, :4], weights)
    )
    with pytest.raises(ValueError, match="length 3 is shorter than a window's 4"):
        bag_context(context, offsets, ids, length=3)


def test_bag_context_pads_the_shorter_window():
    offsets, ids = torch.tensor([0, 1, 4]), torch.tensor([0, 1, 3, 4])
    bag_ids, weights = bag_context(torch.tensor([[0, 0], [0, 1]]), offsets, ids, torch.float64)
    assert bag_ids.tolist() == [[0, 0, 0, 0], [0, 1, 3, 4]]
    assert weights[0].tolist() == [0.5, 0.5, 0, 0]
    torch.testing.assert_close(weights.sum(1), torch.ones(2, dtype=torch.float64))


# ---------------------------------------------------------------------------------------------
# The fused kernel with bags.

TOL = {torch.float32: dict(rtol=2e-5, atol=2e-6), torch.float64: dict(rtol=1e-12, atol=1e-13)}


def bag_window(V, B, C, k, N, dtype, seed=0):
    """W1ᵀ [V + B, N], W2 [V, N], CSR bags and one window (a repeated context word; noise words
    distinct and not the centre)."""
    gen = torch.Generator().manual_seed(seed)
    offsets, ids = random_bags(V, B, gen, longest=6)
    W1T = torch.randn(V + B, N, generator=gen, dtype=dtype) * 0.5
    W2 = torch.randn(V, N, generator=gen, dtype=dtype) * 0.5
    words = torch.randperm(V, generator=gen)
    context = torch.randint(0, V, (1, 2 * C), generator=gen)
    context[0, -1] = context[0, 0]
    return W1T, W2, offsets, ids, context, words[:1], words[1 : k + 1][None]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("C,k,N", [(1, 1, 3), (2, 5, 16), (5, 5, 100)])
def test_one_bag_window_is_one_sgd_step_of_the_weighted_function(dtype, C, k, N):
    V, B, lr = 40, 30, 0.3
    W1T, W2, offsets, ids, words, center, negatives = bag_window(V, B, C, k, N, dtype)
    context, weights = bag_context(words, offsets, ids, dtype)
    A, Bm = W1T.clone().requires_grad_(), W2.clone().requires_grad_()
    J = cbow_negative_sampling_loss(context, center, negatives, A.t(), Bm, weights)
    J.backward()
    cost = negative_sampling_sgd_(W1T, W2, words, center, negatives, lr, True, offsets, ids)
    torch.testing.assert_close(W1T, (A - lr * A.grad).detach(), **TOL[dtype])
    torch.testing.assert_close(W2, (Bm - lr * Bm.grad).detach(), **TOL[dtype])
    assert cost == pytest.approx(J.item(), rel=TOL[dtype]["rtol"])


@pytest.mark.parametrize("C", [1, 3])
def test_undivided_step_gives_every_bag_row_the_whole_gradient(C):
    V, B, lr = 25, 20, 0.2
    W1T, W2, offsets, ids, words, center, negatives = bag_window(V, B, C, 4, 7, torch.float64)
    context, weights = bag_context(words, offsets, ids, torch.float64)
    h = (W1T[context] * weights[..., None]).sum(1).requires_grad_()  # [1, N]
    s = W2[torch.cat((center[:, None], negatives), 1)] @ h[0]  # [1, 1+k]
    J = -(torch.nn.functional.logsigmoid(s[0, 0]) + torch.nn.functional.logsigmoid(-s[0, 1:]).sum())
    J.backward()
    counts = torch.zeros(V + B, dtype=torch.float64).index_add_(
        0, context[0], (weights[0] > 0).double()
    )  # [V + B] occurrences in the window's bags
    expected = W1T - lr * counts[:, None] * h.grad  # α ∂J/∂h per occurrence
    X1, X2 = W1T.clone(), W2.clone()
    negative_sampling_sgd_(X1, X2, words, center, negatives, lr, False, offsets, ids)
    torch.testing.assert_close(X1, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bag_windows_are_sequential_steps(dtype):
    V, B, m = 30, 25, 5
    W1T, W2, offsets, ids, *_ = bag_window(V, B, 2, 4, 8, dtype)
    gen = torch.Generator().manual_seed(9)
    words = torch.randint(0, V, (m, 4), generator=gen)
    center = torch.randint(0, V, (m,), generator=gen)
    negatives = torch.randint(0, V, (m, 3), generator=gen)
    X1, X2 = W1T.clone(), W2.clone()
    total = negative_sampling_sgd_(W1T, W2, words, center, negatives, 0.1, True, offsets, ids)
    one = [
        negative_sampling_sgd_(X1, X2, words[i : i + 1], center[i : i + 1], negatives[i : i + 1],
                               0.1, True, offsets, ids)
        for i in range(m)
    ]  # fmt: skip
    assert torch.equal(W1T, X1) and torch.equal(W2, X2) and total == pytest.approx(sum(one))


def corpus(V=60, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(V) + 2.0)
    ids = rng.choice(V, size=n, p=p / p.sum()).astype(np.int32)
    return ids, make_spans(np.arange(0, n, 200), n), UnigramNoise(np.bincount(ids, minlength=V))


def chunk(W1T, W2, ids, spans, noise, seed=1, threads=1, mean_input=True, **bags):
    V = W2.shape[0]
    return train_chunk(
        W1T, W2, ids, spans, 0, len(spans) - 1, np.ones(V, np.float32), noise.prob, noise.alias,
        3, 5, 0.05, 0.01, seed, threads, mean_input, **bags,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("mean_input", [True, False])
def test_train_chunk_with_one_word_bags_is_training_on_words(mean_input):
    ids, spans, noise = corpus()
    gen = torch.Generator().manual_seed(0)
    W1T, W2 = (
        torch.rand(60, 8, generator=gen, dtype=torch.float64) - 0.5,
        torch.zeros(60, 8).double(),
    )
    X1, X2 = W1T.clone(), W2.clone()
    plain = chunk(W1T, W2, ids, spans, noise, mean_input=mean_input)
    alone = dict(bag_offsets=np.arange(61), bag_ids=np.arange(60, dtype=np.int32))
    bagged = chunk(X1, X2, ids, spans, noise, mean_input=mean_input, **alone)
    assert plain[1:] == bagged[1:] and plain[0] == pytest.approx(bagged[0], rel=1e-9)
    torch.testing.assert_close(X1, W1T, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(X2, W2, rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_train_chunk_with_bags_is_deterministic_and_learns():
    ids, spans, noise = corpus()
    words = [f"w{i}{'s' * (i % 3)}" for i in range(60)]
    offsets, bag_ids = ngram_bags(words, 2, 4, 97)
    gen = torch.Generator().manual_seed(0)
    start = (torch.rand(60 + 97, 8, generator=gen) - 0.5) / 8
    runs = []
    for seed in (4, 4):
        W1T, W2 = start.clone(), torch.zeros(60, 8)
        costs = [
            chunk(W1T, W2, ids, spans, noise, seed=seed + e, mean_input=False,
                  bag_offsets=offsets, bag_ids=bag_ids)
            for e in range(3)
        ]  # fmt: skip
        runs.append((costs, W1T))
    (a, A), (b, Bt) = runs
    assert a == b and torch.equal(A, Bt)
    assert a[-1][0] / a[-1][2] < 0.95 * a[0][0] / a[0][2]  # the mean window cost falls
    assert not torch.equal(A[60:], start[60:])  # the buckets trained


def test_bad_bags_are_one_line_errors():
    W1T, W2, offsets, ids, words, center, negatives = bag_window(10, 5, 2, 3, 4, torch.float64)
    offsets, ids = offsets.numpy(), ids.numpy()
    bad = [
        (dict(bag_offsets=offsets), "bag_offsets and bag_ids go together"),
        (
            dict(bag_offsets=offsets.astype(np.int32), bag_ids=ids),
            "bag_offsets must be a 1-D int64",
        ),
        (dict(bag_offsets=offsets, bag_ids=ids.astype(np.float32)), "bag_ids must be a 1-D int32"),
        (dict(bag_offsets=offsets[:-1], bag_ids=ids), r"V \+ 1 = 11 offsets, got 10"),
        (dict(bag_offsets=np.r_[offsets[:1], offsets[:-1]], bag_ids=ids), "by >= 1 a word"),
        (dict(bag_offsets=offsets + 1, bag_ids=ids), "must rise from 0"),
        (dict(bag_offsets=offsets, bag_ids=ids + 5), r"bag_ids holds row 1\d, outside \[0, 15\)"),
    ]
    for bags, message in bad:
        with pytest.raises(ValueError, match=message) as err:
            negative_sampling_sgd_(W1T, W2, words, center, negatives, 0.1, True, **bags)
        assert "\n" not in str(err.value), message
    with pytest.raises(ValueError, match=r"W1T \[V \+ B, N\] and W2 \[V, N\] must share N"):
        negative_sampling_sgd_(W1T[:9], W2, words, center, negatives, 0.1, True, offsets, ids)
    with pytest.raises(ValueError, match="W1T and W2 must share shape"):  # no bags: V rows
        negative_sampling_sgd_(W1T, W2, words, center, negatives, 0.1)


@pytest.mark.gpu
def test_bags_and_weighted_costs_on_cuda_match_the_cpu():
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    context, weights, center, negatives, (W1, b1, W2, b2) = make_bagged(23, 40, 6, 9, 3, 5)
    gen = torch.Generator().manual_seed(0)
    offsets, ids = random_bags(23, 40, gen)
    words = torch.randint(0, 23, (9, 6), generator=gen)
    on_cpu = bag_context(words, offsets, ids, torch.float64)
    on_cuda = bag_context(words.cuda(), offsets.cuda(), ids.cuda(), torch.float64)
    for a, b in zip(on_cpu, on_cuda, strict=True):
        assert b.device.type == "cuda" and torch.equal(a, b.cpu())
    batch = (context, center, negatives)
    cuda = [t.cuda() for t in batch]
    loss, g = grads(cbow_negative_sampling_loss, (W1, W2), *batch, context_weights=weights)
    loss_c, g_c = grads(
        cbow_negative_sampling_loss, [p.cuda() for p in (W1, W2)], *cuda,
        context_weights=weights.cuda(),
    )  # fmt: skip
    torch.testing.assert_close(loss_c.cpu(), loss)
    for a, b in zip(g, g_c, strict=True):
        torch.testing.assert_close(b.cpu(), a)
    params = [W1, b1, W2, b2]
    loss, g = grads(cbow_loss, params, context, center, context_weights=weights)
    loss_c, g_c = grads(
        cbow_loss, [p.cuda() for p in params], cuda[0], cuda[1], context_weights=weights.cuda()
    )
    torch.testing.assert_close(loss_c.cpu(), loss)
    for a, b in zip(g, g_c, strict=True):
        torch.testing.assert_close(b.cpu(), a)

"""The hand-written backward against gradcheck, autograd and the numpy course reference."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from cbow_torch import reference
from cbow_torch.functional import (
    CBOWFunction,
    LogitsPool,
    cbow_logits,
    cbow_loss,
    cbow_loss_autograd,
)
from cbow_torch.functional.softmax import Options

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
SHAPES = [(7, 3, 1, 1), (11, 4, 5, 2), (23, 6, 9, 3), (50, 8, 16, 2)]  # (V, N, m, C)


def skip_without(device):
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("CUDA is not available")


def make_batch(V, N, m, C, dtype=torch.float64, device="cpu", seed=0, repeat=True):
    """Random parameters and ids; the first example repeats a context word when it can."""
    gen = torch.Generator().manual_seed(seed)
    params = [
        torch.randn(*shape, dtype=torch.float64, generator=gen).to(dtype=dtype, device=device)
        for shape in ((N, V), (N,), (V, N), (V,))
    ]
    context = torch.randint(0, V, (m, 2 * C), generator=gen)
    if repeat and C >= 1:
        context[0, -1] = context[0, 0]  # weighs 2/(2C) in x̄
    center = torch.randint(0, V, (m,), generator=gen)
    return context.to(device), center.to(device), [p.requires_grad_() for p in params]


def grads(loss_fn, context, center, params, **kwargs):
    params = [p.detach().clone().requires_grad_() for p in params]
    loss = loss_fn(context, center, *params, **kwargs)
    loss.backward()
    return loss.detach(), [p.grad for p in params]


@pytest.mark.parametrize("hidden", ["relu", "linear"])
@pytest.mark.parametrize("V,N,m,C", SHAPES)
def test_gradcheck_exact(V, N, m, C, hidden):
    context, center, params = make_batch(V, N, m, C)
    assert torch.autograd.gradcheck(
        lambda *p: cbow_loss(context, center, *p, hidden=hidden), params
    )


@pytest.mark.parametrize("hidden", ["relu", "linear"])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("V,N,m,C", SHAPES)
def test_exact_matches_autograd(V, N, m, C, device, hidden):
    skip_without(device)
    context, center, params = make_batch(V, N, m, C, device=device)
    loss, g = grads(cbow_loss, context, center, params, hidden=hidden)
    loss_ref, g_ref = grads(cbow_loss_autograd, context, center, params, hidden=hidden)
    torch.testing.assert_close(loss, loss_ref, rtol=0, atol=1e-10)
    for name, a, b in zip(("W1", "b1", "W2", "b2"), g, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10, msg=f"d{name}")


def test_lecture_mode_differs_from_exact():
    # One example, V=3, N=2. Unit 0 is active, unit 1 is not (its pre-activation is negative),
    # and W2 is chosen so that L1 = W2ᵀ(ŷ − y) is negative on unit 0 and positive on unit 1.
    W1 = torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]], dtype=torch.float64)
    b1 = torch.zeros(2, dtype=torch.float64)
    W2 = torch.tensor([[1.0, -1.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    b2 = torch.zeros(3, dtype=torch.float64)
    context, center = torch.tensor([[1, 2]]), torch.tensor([0])
    _, exact = grads(cbow_loss, context, center, [W1, b1, W2, b2], grad_mode="exact")
    _, lecture = grads(cbow_loss, context, center, [W1, b1, W2, b2], grad_mode="lecture")
    # h = [1, 0], ŷ − y = [p0 − 1, p1, p2] with p0 − 1 < 0, so L1 = [p0 − 1, 1 − p0].
    # exact: g = L1 ⊙ [1, 0] = [p0 − 1, 0]; lecture: g = ReLU(L1) = [0, 1 − p0].
    assert exact[1][0] < 0 and exact[1][1] == 0
    assert lecture[1][0] == 0 and lecture[1][1] > 0
    assert not torch.allclose(exact[0], lecture[0])
    torch.testing.assert_close(exact[2], lecture[2])  # W2's gradient does not depend on g


@pytest.mark.parametrize(
    "hidden, grad_mode", [("relu", "exact"), ("relu", "lecture"), ("linear", "exact")]
)
@pytest.mark.parametrize("V,N,m,C", SHAPES)
def test_matches_numpy_reference(V, N, m, C, hidden, grad_mode):
    context, center, params = make_batch(V, N, m, C)
    loss, g = grads(cbow_loss, context, center, params, grad_mode=grad_mode, hidden=hidden)
    W1, b1, W2, b2 = (p.detach().numpy() for p in params)
    x, y = reference.dense_batch(context.numpy(), center.numpy(), V)
    z, h = reference.forward_prop(x, W1, W2, b1[:, None], b2[:, None], hidden)
    yhat = reference.softmax(z)
    cost = reference.compute_cost(y, yhat, m)
    gW1, gW2, gb1, gb2 = reference.back_prop(
        x, yhat, y, h, W1, W2, b1[:, None], b2[:, None], m, grad_mode, hidden
    )
    assert abs(loss.item() - cost) < 1e-10
    for name, a, b in (
        ("W1", g[0], gW1),
        ("b1", g[1], gb1[:, 0]),
        ("W2", g[2], gW2),
        ("b2", g[3], gb2[:, 0]),
    ):
        np.testing.assert_allclose(a.numpy(), b, rtol=0, atol=1e-10, err_msg=f"d{name}")


def test_backward_scales_with_grad_output():
    context, center, params = make_batch(11, 4, 5, 2)
    _, g1 = grads(cbow_loss, context, center, params)
    _, g2 = grads(lambda *a: 2 * cbow_loss(*a), context, center, params)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(2 * a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("needed", [(False, False, True, True), (True, True, False, False)])
def test_backward_computes_only_the_gradients_asked_for(needed, weighted):
    # Called directly: autograd would drop an unwanted gradient anyway, hiding the waste.
    context, center, params = make_batch(11, 4, 5, 2)
    weights = torch.full(context.shape, 0.25, dtype=torch.float64) if weighted else None
    detached = (p.detach() for p in params)
    _, h, yhat = CBOWFunction.forward(context, weights, center, *detached, Options())
    ctx = SimpleNamespace(
        saved_tensors=(context, weights, center, params[2].detach(), h, yhat),
        needs_input_grad=(False, False, False, *needed, False),
        hidden="relu",
        grad_mode="exact",
        columns=11,
    )
    grads = CBOWFunction.backward(ctx, torch.tensor(1.0, dtype=torch.float64), None, None)
    assert grads[:3] == (None, None, None) and grads[7] is None and len(grads) == 8
    assert [g is not None for g in grads[3:7]] == list(needed)


def test_training_after_inference_mode():
    # The recycled logits buffer must not carry an inference tensor into a training step.
    context, center, params = make_batch(11, 4, 5, 2)
    pool = LogitsPool()
    with torch.inference_mode():
        cbow_loss(context, center, *(p.detach() for p in params), pool=pool)
    cbow_loss(context, center, *params, pool=pool).backward()
    assert params[0].grad is not None


def test_logits_are_stable_for_huge_values():
    context, center, params = make_batch(11, 4, 5, 2, dtype=torch.float32)
    W1, b1, W2, b2 = (p.detach() for p in params)
    loss = cbow_loss(context, center, W1, b1, W2 * 1e4, b2)
    expected = torch.nn.functional.cross_entropy(cbow_logits(context, W1, b1, W2 * 1e4, b2), center)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda c, t, p: (c[:, :0], t, p), r"context must have shape \[m, 2C\]"),
        (lambda c, t, p: (c[:0], t[:0], p), r"context must have shape"),
        (lambda c, t, p: (c, t[:-1], p), r"center must have shape \[m\] = \[5\]"),
        (lambda c, t, p: (c.float(), t, p), r"context must hold integer word ids"),
        (lambda c, t, p: (c, t.float(), p), r"center must hold integer word ids"),
        (lambda c, t, p: (c.to(torch.int16), t, p), r"context must hold integer word ids"),
        (lambda c, t, p: (c + 100, t, p), r"context holds word id 1\d\d, outside \[0, 11\)"),
        (lambda c, t, p: (c, t - 100, p), r"center holds word id -\d+, outside \[0, 11\)"),
        (lambda c, t, p: (c, t, [p[0], p[1], p[2][:-1], p[3]]), r"b2 must have shape \(10,\)"),
        (lambda c, t, p: (c, t, [p[0][:, :-1], *p[1:]]), r"W1 must have V \+ B >= V = 11 col"),
        (lambda c, t, p: (c, t, [p[0], p[1], p[2][:, :-1], p[3]]), r"W2 must have shape \(11, 4\)"),
        (lambda c, t, p: (c, t, [p[0][:, :, None], *p[1:]]), r"W1 must be 2-D"),
        (lambda c, t, p: (c, t, [p[0].float(), *p[1:]]), r"share one floating dtype"),
    ],
)
def test_bad_inputs_raise_value_error(change, match):
    context, center, params = make_batch(11, 4, 5, 2)
    context, center, params = change(context, center, params)
    with pytest.raises(ValueError, match=match):
        cbow_loss(context, center, *params)


def test_bad_grad_mode():
    context, center, params = make_batch(11, 4, 5, 2)
    with pytest.raises(ValueError, match="grad_mode must be one of"):
        cbow_loss(context, center, *params, grad_mode="slide")


def test_bad_hidden():
    context, center, params = make_batch(11, 4, 5, 2)
    with pytest.raises(ValueError, match=r"hidden must be one of \('relu', 'linear'\), got 'tanh'"):
        cbow_loss(context, center, *params, hidden="tanh")
    with pytest.raises(ValueError, match="hidden must be one of"):
        cbow_logits(context, *params, hidden="tanh")


def test_lecture_mode_needs_the_relu():
    # The slide's ReLU(L1) is the ReLU layer's formula: with a linear hidden layer it has no
    # meaning, and silently running the exact gradient instead would hide the mistake.
    context, center, params = make_batch(11, 4, 5, 2)
    with pytest.raises(ValueError, match="grad_mode 'lecture' .* needs hidden 'relu'"):
        cbow_loss(context, center, *params, grad_mode="lecture", hidden="linear")


def test_linear_hidden_differs_from_relu():
    # N(0, 1) parameters: about half the hidden units are negative, so the ReLU matters.
    context, center, params = make_batch(23, 6, 9, 3)
    relu_loss, relu = grads(cbow_loss, context, center, params)
    linear_loss, linear = grads(cbow_loss, context, center, params, hidden="linear")
    assert not torch.allclose(relu_loss, linear_loss)
    assert not torch.allclose(relu[0], linear[0])


@pytest.mark.parametrize("grad_mode", ["exact", "lecture"])
def test_backward_scales_with_negative_grad_output(grad_mode):
    # The lecture mode's ReLU applies to L1 itself, not to L1 times the incoming gradient.
    context, center, params = make_batch(11, 4, 5, 2)
    _, g1 = grads(cbow_loss, context, center, params, grad_mode=grad_mode)
    _, g2 = grads(lambda *a, **k: -cbow_loss(*a, **k), context, center, params, grad_mode=grad_mode)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(-a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("grad_mode", ["exact", "lecture"])
def test_backward_twice_through_a_retained_graph(grad_mode):
    context, center, params = make_batch(23, 6, 9, 3)
    _, once = grads(cbow_loss, context, center, params, grad_mode=grad_mode)
    params = [p.detach().clone().requires_grad_() for p in params]
    loss = cbow_loss(context, center, *params, grad_mode=grad_mode)
    loss.backward(retain_graph=True)
    loss.backward()
    for a, p in zip(once, params, strict=True):
        torch.testing.assert_close(2 * a, p.grad, rtol=0, atol=1e-12)


def test_retained_graph_whose_buffer_a_later_step_reused_raises():
    # The logits buffer is recycled after backward; a retained graph must not read it silently.
    context, center, params = make_batch(23, 6, 9, 3)
    context2, center2, _ = make_batch(23, 6, 9, 3, seed=1)
    pool = LogitsPool()
    loss = cbow_loss(context, center, *params, pool=pool)
    loss.backward(retain_graph=True)
    cbow_loss(context2, center2, *params, pool=pool).backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_recycled_buffers_keep_gradients_exact():
    # Two losses alive in one graph, then a smaller batch after a no-grad pass over a larger one.
    V, N, C = 23, 6, 2
    (c1, t1, params), (c2, t2, _) = make_batch(V, N, 9, C), make_batch(V, N, 9, C, seed=1)
    c3, t3, _ = make_batch(V, N, 4, C, seed=2)
    pairs, pool = [((c1, t1), (c2, t2)), ((c3, t3),)], LogitsPool()
    for batches in pairs:
        with torch.no_grad():
            cbow_loss(c1, t1, *params, pool=pool)  # hands its buffer straight back
        mine = [p.detach().clone().requires_grad_() for p in params]
        ref = [p.detach().clone().requires_grad_() for p in params]
        sum(cbow_loss(c, t, *mine, pool=pool) for c, t in batches).backward()
        sum(cbow_loss_autograd(c, t, *ref) for c, t in batches).backward()
        for name, a, b in zip(("W1", "b1", "W2", "b2"), mine, ref, strict=True):
            torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=1e-10, msg=f"d{name}")


@pytest.mark.gpu
def test_cuda_ids_out_of_range_raise_under_anomaly_detection():
    # On CUDA the range check needs a host sync, so it runs only under PyTorch's debug switch.
    skip_without("cuda")
    context, center, params = make_batch(11, 4, 5, 2, device="cuda")
    with torch.autograd.set_detect_anomaly(True), pytest.raises(ValueError, match="outside"):
        cbow_loss(context + 100, center, *params)


def test_importing_the_costs_leaves_dynamo_out():
    # torch._dynamo takes over a second to import; only torch.compile needs it.
    code = "import sys, cbow_torch.functional; print('torch._dynamo' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

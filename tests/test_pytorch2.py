"""PyTorch 2: torch.compile of models using the hand-written Functions, and autocast."""

import pytest
import torch

from cbow_torch import CBOW, CBOWNegativeSampling

V, N, m, C, k = 50, 8, 16, 2, 5


def batch():
    gen = torch.Generator().manual_seed(0)
    context = torch.randint(0, V, (m, 2 * C), generator=gen)
    center = torch.randint(0, V, (m,), generator=gen)
    negatives = torch.randint(0, V, (m, k), generator=gen)
    return context, center, negatives


MODELS = {
    "softmax": (lambda: CBOW(V, N, seed=1), lambda b: b[:2]),
    "negative": (lambda: CBOWNegativeSampling(V, N, init="normal", seed=1), lambda b: b),
    "negative-dense": (
        lambda: CBOWNegativeSampling(V, N, init="normal", seed=1, sparse=False),
        lambda b: b,
    ),
}


def dense(t):
    return t.to_dense() if t.is_sparse else t


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
@pytest.mark.parametrize("name", list(MODELS))
def test_compiled_model_matches_eager(name, backend):
    make, inputs = MODELS[name]
    eager, compiled = make(), make()
    args = inputs(batch())
    loss_eager = eager(*args)
    loss_eager.backward()
    torch.compiler.reset()
    loss_compiled = torch.compile(compiled, backend=backend)(*args)
    loss_compiled.backward()
    torch.testing.assert_close(loss_compiled, loss_eager)
    for a, b in zip(eager.parameters(), compiled.parameters(), strict=True):
        torch.testing.assert_close(dense(b.grad), dense(a.grad))


@pytest.mark.parametrize("name", list(MODELS))
def test_autocast_keeps_float32(name):
    make, inputs = MODELS[name]
    model, args = make(), inputs(batch())
    expected = model(*args)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = model(*args)
        loss.backward()
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)
    assert all(p.grad.dtype == torch.float32 for p in model.parameters())

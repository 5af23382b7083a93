"""CBOW: the course initialisation, SGD against the numpy reference, embeddings(); the one
initialisation function and the choice lists."""

from typing import get_args

import numpy as np
import pytest
import torch

from cbow_torch import CBOW, CBOWNegativeSampling, reference
from cbow_torch.choices import GradMode, Hidden, Init, Source, check_choice
from cbow_torch.functional import cbow_loss_autograd
from cbow_torch.model import initial_parameters


def course_model(V, N, grad_mode="exact"):
    return CBOW(V, N, init="course", seed=282, grad_mode=grad_mode, dtype=torch.float64)


def test_course_init_is_the_reference_bit_for_bit():
    model = course_model(57, 6)
    W1, W2, b1, b2 = reference.initialize_model(6, 57, random_seed=282)
    assert np.array_equal(model.W1.detach().numpy(), W1)
    assert np.array_equal(model.W2.detach().numpy(), W2)
    assert np.array_equal(model.b1.detach().numpy(), b1[:, 0])
    assert np.array_equal(model.b2.detach().numpy(), b2[:, 0])


def test_parameter_shapes_and_dtype():
    model = CBOW(13, 5)
    shapes = [tuple(p.shape) for p in (model.W1, model.b1, model.W2, model.b2)]
    assert shapes == [(5, 13), (5,), (13, 5), (13,)]
    assert model.W1.dtype == torch.get_default_dtype()
    # .to() keeps W1's column-contiguous storage and its values.
    double = CBOW(13, 5).to(torch.float64)
    assert double.W1.stride() == (1, 5)
    torch.testing.assert_close(double.W1.float(), model.W1)


@pytest.mark.parametrize("grad_mode", ["exact", "lecture"])
def test_five_sgd_steps_match_the_reference(grad_mode):
    # (The course's init keeps every Z1 > 0, so a linear hidden layer would train alike here:
    # test_functional checks it against the reference from N(0, 1) parameters.)
    V, N, m, C, alpha = 40, 6, 16, 2, 0.03
    model = course_model(V, N, grad_mode)
    optimizer = torch.optim.SGD(model.parameters(), lr=alpha)
    W1, W2, b1, b2 = reference.initialize_model(N, V, random_seed=282)
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        context = torch.randint(0, V, (m, 2 * C), generator=gen)
        center = torch.randint(0, V, (m,), generator=gen)
        optimizer.zero_grad()
        loss = model(context, center)
        loss.backward()
        optimizer.step()
        x, y = reference.dense_batch(context.numpy(), center.numpy(), V)
        cost, W1, W2, b1, b2 = reference.gradient_descent_step(
            x, y, W1, W2, b1, b2, alpha, grad_mode
        )
        assert abs(loss.item() - cost) < 1e-10
    for ours, theirs in (
        (model.W1, W1),
        (model.W2, W2),
        (model.b1, b1[:, 0]),
        (model.b2, b2[:, 0]),
    ):
        np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=0, atol=1e-10)


def test_modes_train_differently():
    # Guards the test above: if both modes moved the parameters alike it could not tell them apart.
    V, N, m, C = 40, 6, 16, 2
    context = torch.randint(0, V, (m, 2 * C), generator=torch.Generator().manual_seed(1))
    center = torch.randint(0, V, (m,), generator=torch.Generator().manual_seed(2))
    grads = {}
    for mode in ("exact", "lecture"):
        model = CBOW(V, N, init="word2vec", seed=3, grad_mode=mode, dtype=torch.float64)
        torch.nn.init.normal_(model.W2)  # nonzero W2 so that L1 is not zero
        model(context, center).backward()
        grads[mode] = model.W1.grad
    assert not torch.allclose(grads["exact"], grads["lecture"])


@pytest.mark.parametrize("hidden", ["relu", "linear"])
def test_forward_and_logits_agree_with_autograd_formulation(hidden):
    model = CBOW(30, 4, init="normal", dtype=torch.float64, hidden=hidden)
    context, center = torch.randint(0, 30, (8, 4)), torch.randint(0, 30, (8,))
    params = model.W1, model.b1, model.W2, model.b2
    expected = cbow_loss_autograd(context, center, *params, hidden=hidden)
    torch.testing.assert_close(model(context, center), expected)
    logits = model.logits(context)
    assert logits.shape == (8, 30)
    torch.testing.assert_close(torch.nn.functional.cross_entropy(logits, center), expected)


def test_embeddings_sources():
    model = CBOW(9, 3, init="course", dtype=torch.float64)
    W1, W2 = model.W1.detach(), model.W2.detach()
    for source, expected in (("W1", W1.t()), ("W2", W2), ("average", (W1.t() + W2) / 2)):
        vectors = model.embeddings(source)
        assert vectors.shape == (9, 3)
        assert torch.equal(vectors, expected)
    j = 4  # word j: column j of W1, row j of W2
    assert torch.equal(model.embeddings("W1")[j], W1[:, j])
    assert torch.equal(model.embeddings("W2")[j], W2[j])
    with pytest.raises(ValueError, match="source must be one of"):
        model.embeddings("W3")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"init": "zeros"}, "init must be one of"),
        ({"grad_mode": "slide"}, "grad_mode must be one of"),
        ({"hidden": "tanh"}, "hidden must be one of"),
        ({"hidden": "linear", "grad_mode": "lecture"}, "grad_mode 'lecture' .* needs hidden"),
        ({"vocab_size": 0}, "vocab_size and embedding_dim must be >= 1"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CBOW(**{"vocab_size": 5, "embedding_dim": 2, **kwargs})


def test_default_init_is_centred_with_unit_scale_rows():
    model = CBOW(1000, 50, seed=0)
    for weight in (model.W1, model.W2):
        assert abs(weight.mean().item()) < 5 * 50**-0.5 / (1000 * 50) ** 0.5  # 5 standard errors
        assert weight.std().item() == pytest.approx(50**-0.5, rel=0.01)
    assert torch.equal(model.b1, torch.zeros(50)) and torch.equal(model.b2, torch.zeros(1000))
    # The seed, not the global RNG, decides the draw.
    assert torch.equal(model.W1, CBOW(1000, 50, seed=0).W1)
    assert not torch.equal(model.W1, CBOW(1000, 50, seed=1).W1)


def test_word2vec_init():
    model = CBOW(1000, 50, init="word2vec", seed=0)
    assert model.W1.abs().max() <= 0.5 / 50 and model.W1.abs().min() > 0
    assert torch.equal(model.W2, torch.zeros_like(model.W2))


@pytest.mark.gpu
def test_cuda_float64_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    model = course_model(50, 8)
    context, center = torch.randint(0, 50, (16, 4)), torch.randint(0, 50, (16,))
    cpu_loss = model(context, center)
    cpu_loss.backward()
    cuda = course_model(50, 8).cuda()
    cuda_loss = cuda(context.cuda(), center.cuda())
    cuda_loss.backward()
    torch.testing.assert_close(cuda_loss.cpu(), cpu_loss.detach())
    for a, b in zip(cuda.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(a.grad.cpu(), b.grad)


def test_both_models_share_one_initialisation():
    for init in get_args(Init):
        for dtype in (torch.float32, torch.float64):
            W1T, W2, b1, b2 = initial_parameters(init, 40, 6, seed=5, dtype=dtype)
            softmax = CBOW(40, 6, init=init, seed=5, dtype=dtype)
            negative = CBOWNegativeSampling(40, 6, init=init, seed=5, dtype=dtype)
            assert W1T.dtype == W2.dtype == b1.dtype == b2.dtype == dtype
            for model in (softmax, negative):
                assert torch.equal(model.W1, W1T.t()) and torch.equal(model.W2, W2)
            assert torch.equal(softmax.b1, b1) and torch.equal(softmax.b2, b2)


def test_course_init_of_the_negative_sampling_model_is_the_reference():
    model = CBOWNegativeSampling(57, 6, init="course", dtype=torch.float64)
    W1, W2, _, _ = reference.initialize_model(6, 57, random_seed=282)
    assert np.array_equal(model.W1.detach().numpy(), W1)
    assert np.array_equal(model.W2.detach().numpy(), W2)


@pytest.mark.parametrize("init", ["normal", "word2vec"])
def test_random_inits_are_drawn_in_the_parameters_dtype(init):
    # At V = 10⁶ a float64 draw cast to float32 would hold twice the model: the draw itself is
    # float32, which a float64 draw rounded to float32 is not.
    W1T, W2, b1, b2 = initial_parameters(init, 300, 8, seed=0, dtype=torch.float32, biases=False)
    gen = torch.Generator().manual_seed(0)
    direct = (
        torch.randn(300, 8, generator=gen)
        if init == "normal"
        else torch.rand(300, 8, generator=gen)
    )
    in_float64 = initial_parameters(init, 300, 8, seed=0, dtype=torch.float64)[0]
    assert W1T.dtype == torch.float32 and W1T.is_contiguous() and b1 is None and b2 is None
    expected = direct / 8**0.5 if init == "normal" else (direct - 0.5) / 8
    torch.testing.assert_close(W1T, expected, rtol=0, atol=0)
    assert not torch.equal(W1T, in_float64.float())


def test_check_choice_names_the_option_and_its_choices():
    check_choice("model.init", "course", Init)
    with pytest.raises(ValueError) as info:
        check_choice("model.init", "zeros", Init)
    assert str(info.value) == (
        "model.init must be one of ('normal', 'word2vec', 'course'), got 'zeros'"
    )
    assert get_args(Source) == ("W1", "W2", "average")
    assert get_args(Hidden) == ("relu", "linear") and get_args(GradMode) == ("exact", "lecture")

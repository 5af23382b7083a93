"""The dense numpy code of both objectives, the tests' oracle: one-hot X (V×m) and Y, columns.

The course's CBOW is here literally, and word2vec's negative sampling with dense matrices. This
is the oracle for the tests and the course baseline of the benchmark, not something to
train with: it materialises X and Y, which the torch implementation never does. The one change
from the course's code is that softmax subtracts the column maximum first, which leaves Ŷ the
same and keeps it finite for large logits. ``hidden="linear"`` (word2vec's plain mean, no ReLU)
and weighted bags of input columns (subwords: X is (V + B)×m) are this project's, not the
course's.
"""

from __future__ import annotations

import numpy as np

from .choices import GradMode, check_choice


def initialize_model(N: int, V: int, random_seed: int = 282):
    """The course's initialisation: numpy's legacy generator, uniform on [0, 1), float64."""
    np.random.seed(random_seed)
    W1 = np.random.rand(N, V)  # [N, V]
    W2 = np.random.rand(V, N)  # [V, N]
    b1 = np.random.rand(N, 1)  # [N, 1]
    b2 = np.random.rand(V, 1)  # [V, 1]
    return W1, W2, b1, b2


def dense_batch(
    context: np.ndarray,
    center: np.ndarray,
    V: int,
    *,
    weights: np.ndarray | None = None,
    columns: int | None = None,
):
    """X [V + B, m], each example's bag of input columns, and Y [V, m], the centre one-hots.

    Without ``weights`` column i of X is the mean of example i's context one-hots; with them
    (``weights`` [m, L] like ``context``), x̄ᵢ = Σ_l w_il e_{ctx_il}. ``columns`` is W1's
    width V + B (subword buckets after the V words); None: V.
    """
    m, L = context.shape
    x = np.zeros((V if columns is None else columns, m))  # [V + B, m]
    for i in range(m):
        for l, word in enumerate(context[i]):
            # a word twice in the window weighs 2/(2C); an id twice in a bag, twice its weight
            x[word, i] += 1.0 / L if weights is None else weights[i, l]
    y = np.zeros((V, m))  # [V, m]
    y[center, np.arange(m)] = 1.0
    return x, y


def softmax(z):
    e_z = np.exp(z - z.max(axis=0, keepdims=True))  # [V, m]
    return e_z / np.sum(e_z, axis=0, keepdims=True)  # [V, m]


def forward_prop(x, W1, W2, b1, b2, hidden="relu"):
    h = np.dot(W1, x) + b1  # [N, m]
    if hidden == "relu":
        h = np.maximum(0, h)  # [N, m]
    z = np.dot(W2, h) + b2  # [V, m]
    return z, h


def compute_cost(y, yhat, batch_size):
    logprobs = np.multiply(np.log(yhat), y)  # [V, m]
    return float(-1 / batch_size * np.sum(logprobs))


def back_prop(x, yhat, y, h, W1, W2, b1, b2, batch_size, grad_mode="exact", hidden="relu"):
    """The course's gradients; ``grad_mode="lecture"`` is the slide's ReLU(L1)."""
    check_choice("grad_mode", grad_mode, GradMode)
    l1 = np.dot(W2.T, yhat - y)  # [N, m]
    if hidden == "linear":
        pass  # h = W1 x + b1: no ReLU derivative to apply
    elif grad_mode == "exact":
        l1 = l1 * (h > 0)  # [N, m], the ReLU derivative: 1[Z1 > 0] = 1[H > 0]
    else:  # "lecture"
        l1 = np.maximum(0, l1)  # [N, m]
    grad_W1 = (1 / batch_size) * np.dot(l1, x.T)  # [N, V]
    grad_W2 = (1 / batch_size) * np.dot(yhat - y, h.T)  # [V, N]
    grad_b1 = (1 / batch_size) * np.sum(l1, axis=1, keepdims=True)  # [N, 1]
    grad_b2 = (1 / batch_size) * np.sum(yhat - y, axis=1, keepdims=True)  # [V, 1]
    return grad_W1, grad_W2, grad_b1, grad_b2


def gradient_descent_step(x, y, W1, W2, b1, b2, alpha, grad_mode="exact", hidden="relu"):
    """One course update W ← W − α ∂J/∂W on a dense batch; returns (cost, W1, W2, b1, b2)."""
    batch_size = x.shape[1]
    z, h = forward_prop(x, W1, W2, b1, b2, hidden)
    yhat = softmax(z)  # [V, m]
    cost = compute_cost(y, yhat, batch_size)
    grads = back_prop(x, yhat, y, h, W1, W2, b1, b2, batch_size, grad_mode, hidden)
    W1, W2, b1, b2 = (p - alpha * g for p, g in zip((W1, W2, b1, b2), grads, strict=True))
    return cost, W1, W2, b1, b2


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def negative_sampling_cost_and_grads(W1, W2, context, center, negatives, weights=None):
    """word2vec's CBOW negative-sampling cost and its gradients, with dense one-hot matrices.

    H = W1 X (X from ``dense_batch``, with ``weights`` when given; W1 is [N, V + B]); every
    score W2 H [V, m] is computed, and the ones used are picked out; E [V, m] holds e_w at
    (w, i) for the centre and each noise word of example i (repeats add up).
    Returns (J, dJ/dW1 [N, V + B], dJ/dW2 [V, N]).
    """
    V, m = W2.shape[0], len(center)
    x, _ = dense_batch(context, center, V, weights=weights, columns=W1.shape[1])  # [V + B, m]
    h = W1 @ x  # [N, m]
    z = W2 @ h  # [V, m] every word's score
    cols = np.arange(m)
    s0 = z[center, cols]  # [m]
    sj = z[negatives, cols[:, None]]  # [m, k]
    cost = -(np.log(sigmoid(s0)).sum() + np.log(sigmoid(-sj)).sum()) / m
    e = np.zeros((V, m))  # [V, m]
    np.add.at(e, (center, cols), sigmoid(s0) - 1)
    np.add.at(e, (negatives, np.broadcast_to(cols[:, None], negatives.shape)), sigmoid(sj))
    grad_W2 = e @ h.T / m  # [V, N]
    grad_W1 = (W2.T @ e) @ x.T / m  # [N, V + B]
    return cost, grad_W1, grad_W2

"""The CBOW cost with the course's hand-written backward.

Notation (the course's): V vocabulary size, N embedding size, C words on each side of the centre,
m examples in a batch. The course writes examples as columns (X is V×m); tensors here are
batch-first (row i is example i), so every matrix below is the transpose of the course's.

Forward, with x̄ᵢ = Σ_l w_il e_{ctx_il} a weighted bag of W1's columns (Σ_l w_il = 1): the mean
of the 2C context one-hots (w = 1/2C), or with subwords the context words' bags of their own
and their n-gram buckets' columns (W1 is then N × (V + B); the outputs stay the V words):

    Z1 = W1 X + b1 1ᵀ            computed as Σ_l w_il W1[:, ctx_il] + b1
    H  = ReLU(Z1)                ``hidden="relu"``, the course's; ``"linear"``: H = Z1
    Z2 = W2 H + b2 1ᵀ
    Ŷ  = softmax(Z2)             column-wise
    J  = −(1/m) Σᵢ log Ŷ[centerᵢ, i]

Backward, the course's formulas:

    ∂J/∂W2 = (1/m) (Ŷ − Y) Hᵀ
    ∂J/∂b2 = (1/m) (Ŷ − Y) 1
    L1     = W2ᵀ (Ŷ − Y)
    ∂J/∂W1 = (1/m) g(L1) Xᵀ      a scatter-add of w_il g(L1) into the columns ctx_il
    ∂J/∂b1 = (1/m) g(L1) 1

with g chosen by ``hidden`` and ``grad_mode``:

- ``"relu"``, ``"exact"``: g(L1) = L1 ⊙ 1[Z1 > 0], the ReLU derivative: the true gradient of J.
- ``"relu"``, ``"lecture"``: g(L1) = ReLU(L1), the formula on the original lecture slide. It is
  NOT the gradient of J; it is kept only to reproduce the course's original numbers.
- ``"linear"`` (word2vec's plain mean of the context vectors, plus b1): g(L1) = L1, the true
  gradient; the slide's formula is for a ReLU, so ``"lecture"`` has no meaning there.

X and Y are never materialised, and the step has one m×V buffer: the logits, softmaxed in
place into Ŷ. Because Y is one-hot, every product with Ŷ − Y is computed as the product with Ŷ
less a correction at the m centre words.

word2vec's objective, CBOW with negative sampling, is in ``negative_sampling.py``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .checks import (
    autocast_off,
    check_hidden,
    check_ids,
    check_softmax_parameters,
    check_weights,
)
from .pool import LogitsPool


class Options(NamedTuple):
    """``CBOWFunction``'s settings, one input: the hidden layer, g, and the m×V buffer's pool."""

    hidden: str = "relu"
    grad_mode: str = "exact"
    pool: LogitsPool | None = None


def _hidden(
    context: torch.Tensor, weights: torch.Tensor | None, W1: torch.Tensor, b1: torch.Tensor
) -> torch.Tensor:
    """Z1ᵀ: Σ_l w_il W1[:, ctx_il] + b1, the mean of the columns without weights."""
    # W1.t() is [V + B, N]; a CBOW model stores it contiguous so this gather reads whole rows.
    if weights is None:
        return F.embedding(context, W1.t()).mean(dim=1) + b1  # [m, N]
    h = F.embedding_bag(context, W1.t(), per_sample_weights=weights, mode="sum")  # [m, N]
    return h + b1  # [m, N]


class CBOWFunction(torch.autograd.Function):
    """J(W1, b1, W2, b2) for one batch; ``backward`` is the course's formulas, by hand.

    Inputs: context [m, L] (W1 column ids), weights [m, L] or None (1/L each), center [m], the
    four parameters, and ``Options`` (hidden ``"relu"``: H = ReLU(Z1); ``"linear"``: H = Z1).

    Besides J, ``forward`` returns the buffers it saves, H and Ŷ (non-differentiable); use
    ``cbow_loss``, which drops them.
    """

    @staticmethod
    def forward(context, weights, center, W1, b1, W2, b2, options):
        h = _hidden(context, weights, W1, b1)  # [m, N] Z1ᵀ
        if options.hidden == "relu":
            h.relu_()  # [m, N] H = ReLU(Z1)
        m, V, pool = h.shape[0], W2.shape[0], options.pool
        z2 = pool.take(m, V, like=h) if pool else h.new_empty(m, V)  # [m, V] the only m×V buffer
        torch.addmm(b2, h, W2.t(), out=z2)  # [m, V] Z2
        z_center = z2.gather(1, center[:, None]).squeeze(1)  # [m] Z2 at the centre words
        z_max = z2.amax(dim=1)  # [m]
        yhat = torch.softmax(z2, dim=1, out=z2)  # [m, V] Ŷ, in place over Z2
        # log Σ exp Z2 = max Z2 − log max Ŷ: finite for any logits, since max Ŷ ≥ 1/V, and
        # without the m×V temporary of torch.logsumexp.
        lse = z_max - yhat.amax(dim=1).log()  # [m]
        loss = (lse - z_center).mean()  # []
        return loss, h, yhat

    @staticmethod
    def setup_context(ctx, inputs, output):
        context, weights, center, W1, _, W2, _, options = inputs
        _, h, yhat = output
        ctx.hidden, ctx.grad_mode, ctx.columns = options.hidden, options.grad_mode, W1.shape[1]
        ctx.mark_non_differentiable(h, yhat)
        ctx.set_materialize_grads(False)  # no m×V zeros for the gradient of Ŷ, which has none
        ctx.save_for_backward(context, weights, center, W2, h, yhat)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss, *_):
        context, weights, center, W2, h, yhat = ctx.saved_tensors
        if grad_loss is None:  # J did not take part in what is being differentiated
            return None, None, None, None, None, None, None, None
        # Autocast off, as in the forward: a backward called inside an autocast region
        # would otherwise run its products in half precision.
        with autocast_off(grad_loss.device.type):
            (m, L), N = context.shape, h.shape[1]
            need_W1, need_b1, need_W2, need_b2 = ctx.needs_input_grad[3:7]
            grad_W1 = grad_b1 = grad_W2 = grad_b2 = None

            # Y is one-hot, so each product with Ŷ − Y is the product with Ŷ less an m-row
            # correction at the centre words: Ŷ stays untouched (the backward can run again under
            # retain_graph) and no m×V buffer is written. The factor grad_loss/m, which makes
            # (2J).backward() double every gradient, also goes on the small operands.
            scale = grad_loss / m  # []
            if need_W2:
                h_scaled = h * scale  # [m, N] (1/m) Hᵀ, times grad_loss
                grad_W2 = yhat.t() @ h_scaled  # [V, N] (1/m) Ŷ Hᵀ
                grad_W2.index_add_(0, center, h_scaled, alpha=-1)  # [V, N] (1/m) (Ŷ − Y) Hᵀ
            if need_b2:
                ones_scaled = scale.expand(m).contiguous()  # [m] (1/m) 1, times grad_loss
                grad_b2 = torch.mv(yhat.t(), ones_scaled)  # [V] (1/m) Ŷ 1
                grad_b2.index_add_(0, center, ones_scaled, alpha=-1)  # [V] (1/m) (Ŷ − Y) 1
            if need_W1 or need_b1:
                # W2ᵀ Ŷ as the course writes it, [N, m]: MKL runs this layout faster than Ŷᵀ W2.
                l1 = (W2.t() @ yhat.t()).t()  # [m, N] Ŷᵀ W2, a transposed view
                l1.sub_(W2[center])  # [m, N] L1ᵀ = (Ŷ − Y)ᵀ W2: less W2's rows at the centres
                if ctx.hidden == "linear":
                    g = l1  # [m, N], H = Z1: the gradient passes through unchanged
                elif ctx.grad_mode == "exact":
                    g = l1.mul_(h > 0)  # [m, N], 1[Z1 > 0] = 1[H > 0]
                else:  # "lecture": the slide's ReLU(L1), not the gradient of J
                    g = l1.relu_()  # [m, N]
                g.mul_(scale)  # [m, N] (1/m) g(L1), times grad_loss
                if need_b1:
                    grad_b1 = g.sum(dim=0)  # [N]
                if need_W1:
                    # g(L1) Xᵀ: example i adds w_il g to column ctx_il (w = 1/L without weights).
                    grad_W1_t = h.new_zeros(ctx.columns, N)  # [V + B, N]
                    if weights is None:
                        rows = g.repeat_interleave(L, dim=0)  # [m·L, N]
                        grad_W1_t.index_add_(0, context.reshape(-1), rows, alpha=1 / L)
                    else:
                        rows = (g[:, None, :] * weights[:, :, None]).view(-1, N)  # [m·L, N]
                        grad_W1_t.index_add_(0, context.reshape(-1), rows)  # [V + B, N]
                    grad_W1 = grad_W1_t.t()  # [N, V + B]
            return None, None, None, grad_W1, grad_b1, grad_W2, grad_b2, None


def cbow_loss(
    context: torch.Tensor,
    center: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    grad_mode: str = "exact",
    context_weights: torch.Tensor | None = None,
    *,
    pool: LogitsPool | None = None,
    hidden: str = "relu",
) -> torch.Tensor:
    """The course's CBOW cost J for one batch, with the hand-written backward.

    Args:
        context: ids [m, L] of W1's columns: the 2C context words of each example, or with
            subwords each example's bag (its context words and their n-gram buckets).
        center: word ids [m], the centre word of each example.
        W1, b1, W2, b2: parameters [N, V + B], [N], [V, N], [V]; B >= 0 columns of W1 past
            the V words hold subword buckets (B = 0 without subwords).
        grad_mode: ``"exact"`` (the true gradient) or ``"lecture"`` (the slide's ReLU(L1),
            not the gradient of J; ``hidden="relu"`` only).
        context_weights: [m, L] weights w_il of the ids in ``context``, in W1's dtype, each row
            >= 0 and summing to 1 (0 pads a shorter bag): x̄ᵢ = Σ_l w_il e_{ctx_il}. None: 1/L
            each, the mean of the context one-hots.
        pool: recycles the m×V buffer between steps on the CPU (``CBOW`` passes its own).
        hidden: ``"relu"``, the course's H = ReLU(Z1), or ``"linear"``, word2vec's plain mean
            H = Z1.

    Returns:
        The scalar J, the cross-entropy averaged over the batch, computed in the parameters'
        dtype (float32 under mixed precision: autocast is off inside). W1's gradient is
        [N, V + B].
    """
    check_hidden(hidden, grad_mode)
    check_softmax_parameters(W1, b1, W2, b2)
    check_ids(W2.shape[0], context, center, columns=W1.shape[1])
    if context_weights is not None:
        check_weights(context, context_weights, W1.dtype)
    options = Options(hidden, grad_mode, pool)
    with autocast_off(W1.device.type):
        loss, _, yhat = CBOWFunction.apply(
            context, context_weights, center, W1, b1, W2, b2, options
        )
    if pool is not None:
        pool.give_after_backward(loss, yhat)  # [m, V] Ŷ, recycled once the backward has read it
    return loss


def cbow_logits(
    context: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    hidden: str = "relu",
    context_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Z2ᵀ [m, V]: the scores for the centre word, in plain (autograd-tracked) ops; the
    arguments are ``cbow_loss``'s."""
    check_hidden(hidden, "exact")
    check_softmax_parameters(W1, b1, W2, b2)
    check_ids(W2.shape[0], context, None, columns=W1.shape[1])
    if context_weights is not None:
        check_weights(context, context_weights, W1.dtype)
    h = _hidden(context, context_weights, W1, b1)  # [m, N] Z1ᵀ
    if hidden == "relu":
        h = torch.relu(h)  # [m, N] H
    return torch.addmm(b2, h, W2.t())  # [m, V]


def cbow_loss_autograd(
    context: torch.Tensor,
    center: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    hidden: str = "relu",
    context_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """The same J in plain PyTorch ops, differentiated by autograd: the baseline for tests and
    the benchmark. Its gradient is the ``"exact"`` mode's."""
    check_ids(W2.shape[0], context, center, columns=W1.shape[1])
    logits = cbow_logits(context, W1, b1, W2, b2, hidden, context_weights)  # [m, V]
    return F.cross_entropy(logits, center)  # []

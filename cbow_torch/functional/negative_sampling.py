"""word2vec's CBOW with negative sampling: the cost and its hand-written backward.

The formulas are in ``NegativeSamplingFunction``'s docstring; the parameters are the course's,
W1 [N, V + B] (input vectors, columns: the V words, then B >= 0 subword buckets) and W2 [V, N]
(output vectors, rows). Two entries compute J: ``cbow_negative_sampling_loss`` takes W1 as the
course writes it, and ``cbow_negative_sampling_loss_rows`` takes its transpose W1ᵀ [V + B, N]
(row j is word j's input vector, as ``CBOWNegativeSampling.input_vectors.weight`` holds it),
which sparse gradients need.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .checks import autocast_off, check_ids, check_vector_pair, check_weights


class NegativeSamplingFunction(torch.autograd.Function):
    """word2vec's CBOW negative-sampling cost J(W1ᵀ, W2); ``backward`` is written out by hand.

    For example i with centre c, noise words n₁…n_k and its bag of W1 columns ctx₁…ctx_L with
    weights w₁…w_L summing to 1 (the 2C context words with w = 1/2C; with subwords, their
    n-gram buckets too). No ReLU, no biases:

        h  = Σ_l w_l W1[:, ctx_l]
        s₀ = W2[c]·h,   sⱼ = W2[nⱼ]·h
        J  = (1/m) Σᵢ [ −log σ(s₀) − Σⱼ log σ(−sⱼ) ]

    Backward, with e₀ = σ(s₀) − 1 and eⱼ = σ(sⱼ):

        ∂J/∂W2[w]        = (1/m) e_w h          for w in {c, n₁…n_k}; repeated rows add up
        ∂J/∂h            = (1/m) Σ_w e_w W2[w]
        ∂J/∂W1[:, ctx_l] += w_l ∂J/∂h           an id twice in the bag gets it twice

    Only the rows in the batch have a gradient. With ``sparse`` the gradients are sparse COO
    tensors holding those m·(L + 1 + k) rows (``torch.optim.SGD`` applies them as W ← W − α∇
    without a dense temporary); otherwise dense. Inputs: context [m, L], weights [m, L] or None
    (1/L each), words [m, 1 + k] (the centre, then the noise words), W1ᵀ [V + B, N] (row j is
    column j of W1), W2 [V, N], sparse. Use ``cbow_negative_sampling_loss_rows``, or
    ``cbow_negative_sampling_loss``, which takes W1 [N, V + B] as the course writes it.
    """

    @staticmethod
    def forward(context, weights, words, W1T, W2, sparse):
        if weights is None:
            h = F.embedding_bag(context, W1T, mode="mean")  # [m, N] (1/L) Σ_l W1[:, ctx_l]
        else:
            h = F.embedding_bag(context, W1T, per_sample_weights=weights, mode="sum")  # [m, N]
        w2 = F.embedding(words, W2)  # [m, 1+k, N] W2[c], W2[n₁]…
        s = (w2 * h[:, None, :]).sum(dim=2)  # [m, 1+k] s₀, s₁…s_k (3× faster than bmm here)
        # −log σ(−sⱼ) = softplus(sⱼ) and −log σ(s₀) = softplus(s₀) − s₀: finite for any s.
        loss = (F.softplus(s).sum() - s[:, 0].sum()) / s.shape[0]  # []
        return loss, h, w2, s

    @staticmethod
    def setup_context(ctx, inputs, output):
        context, weights, words, W1T, W2, sparse = inputs
        _, h, w2, s = output
        ctx.sparse, ctx.rows = sparse, (W1T.shape[0], W2.shape[0])
        ctx.mark_non_differentiable(h, w2, s)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(context, weights, words, h, w2, s)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_loss, *_):
        context, weights, words, h, w2, s = ctx.saved_tensors
        if grad_loss is None:
            return None, None, None, None, None, None
        # Autocast off, as in the forward: a backward called inside an autocast region would
        # otherwise run its products in half precision.
        with autocast_off(grad_loss.device.type):
            (m, L), N = context.shape, h.shape[1]
            need_W1T, need_W2 = ctx.needs_input_grad[3:5]
            e = torch.sigmoid(s)  # [m, 1+k] eⱼ = σ(sⱼ)
            e[:, 0] -= 1  # [m] e₀ = σ(s₀) − 1
            e *= grad_loss / m  # [m, 1+k] (1/m) e, times grad_loss
            grad_W1T = grad_W2 = None
            if need_W2:
                rows = e[:, :, None] * h[:, None, :]  # [m, 1+k, N] (1/m) e_w h
                grad_W2 = _row_gradient(words.view(-1), rows.view(-1, N), ctx.rows[1], ctx.sparse)
            if need_W1T:
                if weights is None:
                    e /= L  # [m, 1+k] the 1/L of ∂J/∂h / L, on m·(1+k) numbers, not m·N
                grad_h = torch.bmm(e[:, None, :], w2)  # [m, 1, N] (1/m) Σ_w e_w W2[w] (/ L)
                if weights is None:
                    rows = grad_h.expand(m, L, N).reshape(-1, N)  # [m·L, N] per bag id
                else:
                    rows = (weights[:, :, None] * grad_h).view(-1, N)  # [m·L, N] w_l ∂J/∂h
                grad_W1T = _row_gradient(context.reshape(-1), rows, ctx.rows[0], ctx.sparse)
            return None, None, None, grad_W1T, grad_W2, None


def _row_gradient(index: torch.Tensor, rows: torch.Tensor, V: int, sparse: bool) -> torch.Tensor:
    """The [V, N] gradient whose row index[r] accumulates rows[r] (rows: [R, N])."""
    if sparse:  # R rows, repeats not summed: SGD's add_ and DDP's all-reduce sum them
        return torch.sparse_coo_tensor(
            index[None], rows, (V, rows.shape[1]), check_invariants=False
        )  # [V, N], sparse
    return rows.new_zeros(V, rows.shape[1]).index_add_(0, index, rows)  # [V, N]


def _checked(context, center, negatives, W1T, W2, weights) -> torch.Tensor:
    """The input checks both entries share; returns the words [m, 1+k]: centre, then noise."""
    check_ids(W2.shape[0], context, center, negatives, columns=W1T.shape[0])
    if weights is not None:
        check_weights(context, weights, W1T.dtype)
    return torch.cat((center[:, None], negatives), dim=1)  # [m, 1+k] c, n₁…n_k


def cbow_negative_sampling_loss(
    context: torch.Tensor,
    center: torch.Tensor,
    negatives: torch.Tensor,
    W1: torch.Tensor,
    W2: torch.Tensor,
    context_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """word2vec's CBOW negative-sampling cost J for one batch, with a hand-written backward.

    Args:
        context: ids [m, L] of W1's columns: the 2C context words, or with subwords each
            example's bag (its context words and their n-gram buckets, ``bag_context``).
        center: word ids [m].
        negatives: noise word ids [m, k], k >= 1 (see ``cbow_torch.sampling.UnigramNoise``).
            A noise word may equal the centre or repeat: each counts as drawn.
        W1: input vectors [N, V + B] (word j's in column j, then B >= 0 subword buckets),
            W2: output vectors [V, N].
        context_weights: [m, L] weights of the ids in ``context``, in W1's dtype, each row
            >= 0 and summing to 1 (0 pads a shorter bag). None: 1/L each, word2vec's mean.

    Returns:
        The scalar J, averaged over the batch, in the parameters' dtype (autocast is off). The
        gradients are dense; for sparse rows use ``cbow_negative_sampling_loss_rows``.
    """
    check_vector_pair("W1", W1, W2, transposed=True)
    words = _checked(context, center, negatives, W1.t(), W2, context_weights)  # [m, 1+k]
    with autocast_off(W2.device.type):
        loss, *_ = NegativeSamplingFunction.apply(
            context, context_weights, words, W1.t(), W2, False
        )
    return loss


def cbow_negative_sampling_loss_rows(
    context: torch.Tensor,
    center: torch.Tensor,
    negatives: torch.Tensor,
    W1T: torch.Tensor,
    W2: torch.Tensor,
    sparse: bool = False,
    context_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """The same J as ``cbow_negative_sampling_loss``, from the input vectors as rows.

    Args:
        context, center, negatives, context_weights: as for ``cbow_negative_sampling_loss``.
        W1T: input vectors W1ᵀ [V + B, N] (word j's in row j, word2vec's syn0; then the
            subword buckets), W2: output vectors [V, N] (syn1neg).
        sparse: return sparse COO gradients holding only the batch's rows, for
            ``torch.optim.SGD`` and DDP; False gives dense ones.

    Returns:
        The scalar J, averaged over the batch, in the parameters' dtype (autocast is off).
    """
    check_vector_pair("W1T", W1T, W2, transposed=False)
    words = _checked(context, center, negatives, W1T, W2, context_weights)  # [m, 1+k]
    with autocast_off(W2.device.type):
        if sparse and torch.compiler.is_compiling():
            # torch.compile does not trace sparse tensors: this part runs eagerly. Decided
            # here, not by decorating, which would import torch._dynamo with this module.
            return torch.compiler.disable(_sparse_loss)(context, context_weights, words, W1T, W2)
        if sparse:
            return _sparse_loss(context, context_weights, words, W1T, W2)
        loss, *_ = NegativeSamplingFunction.apply(context, context_weights, words, W1T, W2, False)
    return loss


def _sparse_loss(context, weights, words, W1T, W2) -> torch.Tensor:
    loss, *_ = NegativeSamplingFunction.apply(context, weights, words, W1T, W2, True)
    return loss  # []


def cbow_negative_sampling_loss_autograd(
    context: torch.Tensor,
    center: torch.Tensor,
    negatives: torch.Tensor,
    W1: torch.Tensor,
    W2: torch.Tensor,
    context_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """The same J in plain PyTorch ops, differentiated by autograd: the twin for tests and the
    benchmark."""
    if context_weights is None:
        h = W1.t()[context].mean(dim=1)  # [m, N]
    else:
        h = (W1.t()[context] * context_weights[:, :, None]).sum(dim=1)  # [m, N]
    s = torch.einsum("mwn,mn->mw", W2[torch.cat((center[:, None], negatives), 1)], h)  # [m, 1+k]
    return -(F.logsigmoid(s[:, 0]).sum() + F.logsigmoid(-s[:, 1:]).sum()) / s.shape[0]  # []

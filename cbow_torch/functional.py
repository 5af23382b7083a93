"""The CBOW cost with the course's hand-written backward.

Notation (the course's): V vocabulary size, N embedding size, C words on each side of the centre,
m examples in a batch. The course writes examples as columns (X is V×m); tensors here are
batch-first (row i is example i), so every matrix below is the transpose of the course's.

Forward, with x̄ᵢ the mean of the 2C context one-hots of example i:

    Z1 = W1 X + b1 1ᵀ            computed as the mean of W1's columns at the context ids
    H  = ReLU(Z1)                ``hidden="relu"``, the course's; ``"linear"``: H = Z1
    Z2 = W2 H + b2 1ᵀ
    Ŷ  = softmax(Z2)             column-wise
    J  = −(1/m) Σᵢ log Ŷ[centerᵢ, i]

Backward, the course's formulas:

    ∂J/∂W2 = (1/m) (Ŷ − Y) Hᵀ
    ∂J/∂b2 = (1/m) (Ŷ − Y) 1
    L1     = W2ᵀ (Ŷ − Y)
    ∂J/∂W1 = (1/m) g(L1) Xᵀ      a scatter-add of g(L1)/(2C) into the context columns
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

The second objective, word2vec's CBOW with negative sampling (``cbow_negative_sampling_loss``),
is at the end of the file with its own formulas.
"""

from __future__ import annotations

import contextlib
import functools

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

GRAD_MODES = ("exact", "lecture")
HIDDENS = ("relu", "linear")


def check_hidden(hidden: str, grad_mode: str, prefix: str = "") -> None:
    """Raise ValueError naming a bad ``hidden`` or ``grad_mode`` (as ``prefix`` + name), or a
    pair that has no meaning."""
    if hidden not in HIDDENS:
        raise ValueError(f"{prefix}hidden must be one of {HIDDENS}, got {hidden!r}")
    if grad_mode not in GRAD_MODES:
        raise ValueError(f"{prefix}grad_mode must be one of {GRAD_MODES}, got {grad_mode!r}")
    if hidden == "linear" and grad_mode == "lecture":
        raise ValueError(
            f"{prefix}grad_mode 'lecture' (the slide's ReLU(L1)) needs {prefix}hidden 'relu', "
            f"got {prefix}hidden 'linear': set {prefix}grad_mode 'exact' for the linear hidden "
            f"layer, or {prefix}hidden 'relu' for the slide's formula"
        )


def _check_inputs(
    context: torch.Tensor,
    center: torch.Tensor | None,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
) -> None:
    """Raise ValueError naming the offending shape or value; never syncs a CUDA device."""
    if W1.dim() != 2:
        raise ValueError(f"W1 must be 2-D [N, V], got shape {tuple(W1.shape)}")
    N, V = W1.shape
    expected = {"b1": (N,), "W2": (V, N), "b2": (V,)}
    for name, tensor in (("b1", b1), ("W2", W2), ("b2", b2)):
        if tuple(tensor.shape) != expected[name]:
            raise ValueError(
                f"{name} must have shape {expected[name]} to match W1 {tuple(W1.shape)}, "
                f"got {tuple(tensor.shape)}"
            )
    if not W1.is_floating_point() or len({W1.dtype, b1.dtype, W2.dtype, b2.dtype}) != 1:
        raise ValueError(
            "W1, b1, W2, b2 must share one floating dtype, got "
            f"{W1.dtype}, {b1.dtype}, {W2.dtype}, {b2.dtype}"
        )
    _check_ids(V, context, center)


def _check_ids(
    V: int,
    context: torch.Tensor,
    center: torch.Tensor | None,
    negatives: torch.Tensor | None = None,
) -> None:
    """Word-id tensors: integer dtype, shapes [m, 2C], [m], [m, k], every id in [0, V)."""
    named = {"context": context, "center": center, "negatives": negatives}
    ids = [(name, tensor) for name, tensor in named.items() if tensor is not None]
    for name, tensor in ids:
        if tensor.dtype not in (torch.int64, torch.int32):
            raise ValueError(
                f"{name} must hold integer word ids (int64 or int32), got {tensor.dtype}"
            )
    if context.dim() != 2 or context.shape[0] == 0 or context.shape[1] == 0:
        raise ValueError(
            f"context must have shape [m, 2C] with m >= 1 and 2C >= 1, got {tuple(context.shape)}"
        )
    m = context.shape[0]
    if center is not None and (center.dim() != 1 or center.shape[0] != m):
        raise ValueError(
            f"center must have shape [m] = [{m}] to match context "
            f"{tuple(context.shape)}, got {tuple(center.shape)}"
        )
    if negatives is not None and (
        negatives.dim() != 2 or negatives.shape[0] != m or negatives.shape[1] == 0
    ):
        raise ValueError(
            f"negatives must have shape [m, k] = [{m}, k] with k >= 1 to match context "
            f"{tuple(context.shape)}, got {tuple(negatives.shape)}"
        )
    for name, tensor in ids:
        if tensor.device.type == "cpu":
            lo, hi = (int(x) for x in torch.aminmax(tensor))  # one pass, ~5 µs a batch
            if lo < 0 or hi >= V:
                bad = lo if lo < 0 else hi
                raise ValueError(f"{name} holds word id {bad}, outside [0, {V}) for V = {V}")
        else:  # checked on the device, without a host sync
            torch._assert_async(((tensor >= 0) & (tensor < V)).all(), f"{name} ids outside [0, V)")


class LogitsPool:
    """Recycles the step's one m×V buffer on the CPU, one spare per dtype.

    Owned by whoever trains (a ``CBOW`` module holds one) and passed to ``cbow_loss``; without
    one, every step allocates its buffer afresh.

    Above glibc's mmap threshold (at most 32 MiB) every CPU allocation is fresh memory from the
    kernel, and first touching it page-faults: at V = 50,000, m = 512 that costs as much as the
    softmax. CUDA's caching allocator already recycles, so only the CPU uses this.

    Safety: ``cbow_loss`` gives a buffer back only once the backward that reads it has run (or at
    once when no graph was built), and its caller never sees the buffer. One pool serves one
    thread of training steps. If a graph kept with
    ``retain_graph=True`` is backpropagated again after a later forward reused its buffer,
    autograd's version check on the saved Ŷ raises; it cannot give a wrong gradient silently.
    """

    def __init__(self) -> None:
        self._spare: dict[torch.dtype, torch.Tensor] = {}

    def take(self, m: int, V: int, like: torch.Tensor) -> torch.Tensor:
        """An [m, V] buffer to overwrite: the spare when it is big enough, else a new one."""
        spare = self._spare.pop(like.dtype, None) if like.device.type == "cpu" else None
        if spare is not None and spare.numel() >= m * V:
            return spare[: m * V].view(m, V)  # [m, V]
        return like.new_empty(m, V)  # [m, V]

    def give(self, buffer: torch.Tensor) -> None:
        # An inference-mode tensor could not be written outside inference mode: never keep one.
        if buffer.device.type == "cpu" and not buffer.is_inference():
            base = buffer._base if buffer._base is not None else buffer  # [≥ m·V]
            spare = self._spare.get(buffer.dtype)
            if spare is None or spare.numel() < base.numel():
                self._spare[buffer.dtype] = base.view(-1)  # [≥ m·V]

    def clear(self) -> None:
        """Free the spare buffers (each m×V floats)."""
        self._spare.clear()


def _no_autocast(param: torch.Tensor) -> contextlib.AbstractContextManager:
    """Autocast off, so the hand-written formulas run in the parameters' own dtype: under
    ``bf16-mixed`` or ``16-mixed`` the parameters are float32, and so is every product here."""
    device = param.device.type
    if torch.is_autocast_enabled(device):
        return torch.autocast(device, enabled=False)
    return contextlib.nullcontext()


def _autocast_off(backward):
    """A ``backward`` that runs with autocast off, like its forward: a backward called inside
    an autocast region would otherwise run its products in half precision."""

    @functools.wraps(backward)
    def wrapper(ctx, grad_loss, *rest):
        if grad_loss is None:
            return backward(ctx, grad_loss, *rest)
        with _no_autocast(grad_loss):
            return backward(ctx, grad_loss, *rest)

    return wrapper


def _hidden(context: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor) -> torch.Tensor:
    """Z1ᵀ: the mean of W1's columns at the context ids, plus b1."""
    # W1.t() is [V, N]; a CBOW model stores it contiguous so this gather reads whole rows.
    return F.embedding(context, W1.t()).mean(dim=1) + b1  # [m, N]


class CBOWFunction(torch.autograd.Function):
    """J(W1, b1, W2, b2) for one batch; ``backward`` is the course's formulas, by hand.

    ``hidden`` is ``"relu"`` (H = ReLU(Z1)) or ``"linear"`` (H = Z1); see the module docstring.

    Besides J, ``forward`` returns the buffers it saves, H and Ŷ (non-differentiable); use
    ``cbow_loss``, which drops them.
    """

    @staticmethod
    def forward(context, center, W1, b1, W2, b2, hidden, grad_mode, pool):
        h = _hidden(context, W1, b1)  # [m, N] Z1ᵀ
        if hidden == "relu":
            h.relu_()  # [m, N] H = ReLU(Z1)
        m, V = h.shape[0], W2.shape[0]
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
        context, center, W1, b1, W2, b2, hidden, grad_mode, _ = inputs
        _, h, yhat = output
        ctx.hidden, ctx.grad_mode = hidden, grad_mode
        ctx.mark_non_differentiable(h, yhat)
        ctx.set_materialize_grads(False)  # no m×V zeros for the gradient of Ŷ, which has none
        ctx.save_for_backward(context, center, W2, h, yhat)

    @staticmethod
    @_autocast_off
    @once_differentiable
    def backward(ctx, grad_loss, *_):
        context, center, W2, h, yhat = ctx.saved_tensors
        if grad_loss is None:  # J did not take part in what is being differentiated
            return None, None, None, None, None, None, None, None, None
        m, two_c = context.shape
        need_W1, need_b1, need_W2, need_b2 = ctx.needs_input_grad[2:6]
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
                # g(L1) Xᵀ: each example adds g/(2C) to the column of each context word.
                grad_W1_t = h.new_zeros(W2.shape)  # [V, N]
                rows = g.repeat_interleave(two_c, dim=0)  # [m·2C, N]
                grad_W1_t.index_add_(0, context.reshape(-1), rows, alpha=1 / two_c)  # [V, N]
                grad_W1 = grad_W1_t.t()  # [N, V]
        return None, None, grad_W1, grad_b1, grad_W2, grad_b2, None, None, None


def cbow_loss(
    context: torch.Tensor,
    center: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    grad_mode: str = "exact",
    pool: LogitsPool | None = None,
    hidden: str = "relu",
) -> torch.Tensor:
    """The course's CBOW cost J for one batch, with the hand-written backward.

    Args:
        context: word ids [m, 2C], the context words of each example.
        center: word ids [m], the centre word of each example.
        W1, b1, W2, b2: parameters [N, V], [N], [V, N], [V].
        grad_mode: ``"exact"`` (the true gradient) or ``"lecture"`` (the slide's ReLU(L1),
            not the gradient of J; ``hidden="relu"`` only).
        pool: recycles the m×V buffer between steps on the CPU (``CBOW`` passes its own).
        hidden: ``"relu"``, the course's H = ReLU(Z1), or ``"linear"``, word2vec's plain mean
            H = Z1.

    Returns:
        The scalar J, the cross-entropy averaged over the batch, computed in the parameters'
        dtype (float32 under mixed precision: autocast is off inside).
    """
    check_hidden(hidden, grad_mode)
    _check_inputs(context, center, W1, b1, W2, b2)
    with _no_autocast(W1):
        loss, _, yhat = CBOWFunction.apply(context, center, W1, b1, W2, b2, hidden, grad_mode, pool)
    if pool is not None:
        if loss.grad_fn is None:  # no graph holds Ŷ
            pool.give(yhat)
        else:  # recycle Ŷ once the backward has read it
            loss.grad_fn.register_hook(lambda *_: pool.give(yhat))
    return loss


def cbow_logits(
    context: torch.Tensor,
    W1: torch.Tensor,
    b1: torch.Tensor,
    W2: torch.Tensor,
    b2: torch.Tensor,
    hidden: str = "relu",
) -> torch.Tensor:
    """Z2ᵀ [m, V]: the scores for the centre word, in plain (autograd-tracked) ops."""
    check_hidden(hidden, "exact")
    _check_inputs(context, None, W1, b1, W2, b2)
    h = _hidden(context, W1, b1)  # [m, N] Z1ᵀ
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
) -> torch.Tensor:
    """The same J in plain PyTorch ops, differentiated by autograd: the baseline for tests and
    the benchmark. Its gradient is the ``"exact"`` mode's."""
    _check_inputs(context, center, W1, b1, W2, b2)
    return F.cross_entropy(cbow_logits(context, W1, b1, W2, b2, hidden), center)  # []


# ---------------------------------------------------------------------------------------------
# word2vec's objective: CBOW with negative sampling.


class NegativeSamplingFunction(torch.autograd.Function):
    """word2vec's CBOW negative-sampling cost J(W1ᵀ, W2); ``backward`` is written out by hand.

    For example i with centre c, context ctx₁…ctx₂C and noise words n₁…n_k (no ReLU, no biases):

        h  = (1/2C) Σⱼ W1[:, ctxⱼ]
        s₀ = W2[c]·h,   sⱼ = W2[nⱼ]·h
        J  = (1/m) Σᵢ [ −log σ(s₀) − Σⱼ log σ(−sⱼ) ]

    Backward, with e₀ = σ(s₀) − 1 and eⱼ = σ(sⱼ):

        ∂J/∂W2[w]        = (1/m) e_w h          for w in {c, n₁…n_k}; repeated rows add up
        ∂J/∂h            = (1/m) Σ_w e_w W2[w]
        ∂J/∂W1[:, ctxⱼ] += ∂J/∂h / 2C           a word twice in the window gets it twice

    Only the rows in the batch have a gradient. With ``sparse`` the gradients are sparse COO
    tensors [V, N] holding those m·(2C + 1 + k) rows (``torch.optim.SGD`` applies them as
    W ← W − α∇ without a V×N temporary); otherwise dense [V, N]. The inputs are W1ᵀ [V, N] (row
    j is word j's input vector) and W2 [V, N]; use ``cbow_negative_sampling_loss``, which takes
    W1 [N, V] as the course writes it.
    """

    @staticmethod
    def forward(context, center, negatives, W1T, W2, sparse):
        h = F.embedding_bag(context, W1T, mode="mean")  # [m, N] (1/2C) Σⱼ W1[:, ctxⱼ]
        words = torch.cat((center[:, None], negatives), dim=1)  # [m, 1+k] c, n₁…n_k
        w2 = F.embedding(words, W2)  # [m, 1+k, N] W2[c], W2[n₁]…
        s = (w2 * h[:, None, :]).sum(dim=2)  # [m, 1+k] s₀, s₁…s_k (3× faster than bmm here)
        # −log σ(−sⱼ) = softplus(sⱼ) and −log σ(s₀) = softplus(s₀) − s₀: finite for any s.
        loss = (F.softplus(s).sum() - s[:, 0].sum()) / s.shape[0]  # []
        return loss, words, h, w2, s

    @staticmethod
    def setup_context(ctx, inputs, output):
        context, _, _, W1T, W2, sparse = inputs
        _, words, h, w2, s = output
        ctx.sparse, ctx.V = sparse, W2.shape[0]
        ctx.mark_non_differentiable(words, h, w2, s)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(context, words, h, w2, s)

    @staticmethod
    @_autocast_off
    @once_differentiable
    def backward(ctx, grad_loss, *_):
        context, words, h, w2, s = ctx.saved_tensors
        if grad_loss is None:
            return None, None, None, None, None, None
        (m, two_c), N = context.shape, h.shape[1]
        need_W1T, need_W2 = ctx.needs_input_grad[3:5]
        e = torch.sigmoid(s)  # [m, 1+k] eⱼ = σ(sⱼ)
        e[:, 0] -= 1  # [m] e₀ = σ(s₀) − 1
        e *= grad_loss / m  # [m, 1+k] (1/m) e, times grad_loss
        grad_W1T = grad_W2 = None
        if need_W2:
            rows = e[:, :, None] * h[:, None, :]  # [m, 1+k, N] (1/m) e_w h
            grad_W2 = _row_gradient(words.view(-1), rows.view(-1, N), ctx.V, ctx.sparse)
        if need_W1T:
            e /= two_c  # [m, 1+k] the 1/2C of ∂J/∂h / 2C, on m·(1+k) numbers, not m·N
            grad_h = torch.bmm(e[:, None, :], w2)  # [m, 1, N] (1/m) Σ_w e_w W2[w] / 2C
            rows = grad_h.expand(m, two_c, N).reshape(-1, N)  # [m·2C, N] one per context word
            grad_W1T = _row_gradient(context.reshape(-1), rows, ctx.V, ctx.sparse)
        return None, None, None, grad_W1T, grad_W2, None


def _row_gradient(index: torch.Tensor, rows: torch.Tensor, V: int, sparse: bool) -> torch.Tensor:
    """The [V, N] gradient whose row index[r] accumulates rows[r] (rows: [R, N])."""
    if sparse:  # R rows, repeats not summed: SGD's add_ and DDP's all-reduce sum them
        return torch.sparse_coo_tensor(
            index[None], rows, (V, rows.shape[1]), check_invariants=False
        )  # [V, N], sparse
    return rows.new_zeros(V, rows.shape[1]).index_add_(0, index, rows)  # [V, N]


def cbow_negative_sampling_loss(
    context: torch.Tensor,
    center: torch.Tensor,
    negatives: torch.Tensor,
    W1: torch.Tensor,
    W2: torch.Tensor,
    sparse: bool = False,
) -> torch.Tensor:
    """word2vec's CBOW negative-sampling cost J for one batch, with a hand-written backward.

    Args:
        context: word ids [m, 2C].
        center: word ids [m].
        negatives: noise word ids [m, k], k >= 1 (see ``cbow_torch.sampling.UnigramNoise``).
            A noise word may equal the centre or repeat: each counts as drawn.
        W1: input vectors [N, V] (word j's in column j), W2: output vectors [V, N].
        sparse: return sparse [V, N] gradients holding only the batch's rows. W1 must then be
            the transpose of a [V, N] leaf tensor, as ``CBOWNegativeSampling.W1`` is, so that
            the gradient reaches that leaf as rows (a sparse [N, V] gradient has no fast form).

    Returns:
        The scalar J, averaged over the batch, in the parameters' dtype (autocast is off).
    """
    if W1.dim() != 2 or W2.dim() != 2 or W2.shape != W1.shape[::-1]:
        raise ValueError(
            f"W1 must be [N, V] and W2 [V, N], got {tuple(W1.shape)} and {tuple(W2.shape)}"
        )
    if not W1.is_floating_point() or W1.dtype != W2.dtype:
        raise ValueError(f"W1 and W2 must share one floating dtype, got {W1.dtype}, {W2.dtype}")
    _check_ids(W2.shape[0], context, center, negatives)
    if sparse:
        return _sparse_negative_sampling_loss(context, center, negatives, W1, W2)
    with _no_autocast(W2):
        loss, *_ = NegativeSamplingFunction.apply(context, center, negatives, W1.t(), W2, False)
    return loss


# torch.compile traces neither a view's base nor sparse tensors: this part runs eagerly.
@torch.compiler.disable
def _sparse_negative_sampling_loss(context, center, negatives, W1, W2) -> torch.Tensor:
    W1T, base = W1.t(), W1._base  # [V, N], and the [V, N] leaf when W1 = leaf.t()
    if base is None or not base.is_leaf or base.shape != W1T.shape or not W1T.is_contiguous():
        raise ValueError(
            "sparse=True needs W1 to be the transpose of a contiguous [V, N] leaf tensor "
            "(CBOWNegativeSampling.W1 is); use sparse=False for any other W1"
        )
    # The Function takes the leaf itself, so autograd hands it the sparse gradient as rows.
    with _no_autocast(W2):
        loss, *_ = NegativeSamplingFunction.apply(context, center, negatives, base, W2, True)
    return loss


def cbow_negative_sampling_loss_autograd(
    context: torch.Tensor,
    center: torch.Tensor,
    negatives: torch.Tensor,
    W1: torch.Tensor,
    W2: torch.Tensor,
) -> torch.Tensor:
    """The same J in plain PyTorch ops, differentiated by autograd: the twin for tests and the
    benchmark."""
    h = W1.t()[context].mean(dim=1)  # [m, N]
    s = torch.einsum("mwn,mn->mw", W2[torch.cat((center[:, None], negatives), 1)], h)  # [m, 1+k]
    return -(F.logsigmoid(s[:, 0]).sum() + F.logsigmoid(-s[:, 1:]).sum()) / s.shape[0]  # []

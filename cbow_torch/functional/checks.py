"""Input checks and the autocast guard that both objectives' Functions share.

Each check raises a one-line ValueError that names the offending option, shape or id. None of
them syncs a CUDA device unless asked to (see ``check_ids``).
"""

from __future__ import annotations

import contextlib

import torch

from ..choices import GradMode, Hidden, check_choice


def check_hidden(hidden: str, grad_mode: str, prefix: str = "") -> None:
    """Raise ValueError naming a bad ``hidden`` or ``grad_mode`` (as ``prefix`` + name), or a
    pair that has no meaning."""
    check_choice(f"{prefix}hidden", hidden, Hidden)
    check_choice(f"{prefix}grad_mode", grad_mode, GradMode)
    if hidden == "linear" and grad_mode == "lecture":
        raise ValueError(
            f"{prefix}grad_mode 'lecture' (the slide's ReLU(L1)) needs {prefix}hidden 'relu', "
            f"got {prefix}hidden 'linear': set {prefix}grad_mode 'exact' for the linear hidden "
            f"layer, or {prefix}hidden 'relu' for the slide's formula"
        )


def check_ids(
    V: int,
    context: torch.Tensor,
    center: torch.Tensor | None,
    negatives: torch.Tensor | None = None,
    columns: int | None = None,
) -> None:
    """Id tensors: integer dtype, shapes [m, L], [m], [m, k]; centre and noise ids in [0, V),
    context ids in [0, ``columns``): W1's V + B columns with subword bags, V (None) without.

    The range check reads the ids on the host. On the CPU that is one pass (~5 µs a batch); on
    an accelerator it would stall the queue at every step, so there it runs only under
    ``torch.autograd.set_detect_anomaly(True)``, PyTorch's debugging switch. Without it an id
    out of range meets the indexing kernels' own device-side bounds assertions.
    """
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
        if tensor.device.type == "cpu" or torch.is_anomaly_enabled():
            lo, hi = (int(x) for x in torch.aminmax(tensor))
            bound = columns if name == "context" and columns not in (None, V) else V
            if lo < 0 or hi >= bound:
                bad = lo if lo < 0 else hi
                if bound == V:
                    raise ValueError(f"{name} holds word id {bad}, outside [0, {V}) for V = {V}")
                raise ValueError(
                    f"context holds column id {bad}, outside [0, {bound}) for W1's V + B = "
                    f"{bound} columns (words, then subword buckets)"
                )


def check_weights(context: torch.Tensor, weights: torch.Tensor, dtype: torch.dtype) -> None:
    """``context_weights``: [m, L] like ``context``, of the parameters' ``dtype``, on its
    device, never negative, each row summing to 1 (0 pads a shorter bag).

    The value checks read the weights on the host: on the CPU always (one pass, like
    ``check_ids``); on an accelerator only under ``torch.autograd.set_detect_anomaly(True)``.
    The tolerance on each row's sum is 16·L float epsilons of ``dtype``.
    """
    if not isinstance(weights, torch.Tensor) or not weights.is_floating_point():
        got = weights.dtype if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(f"context_weights must be a floating tensor [m, L], got {got}")
    if weights.shape != context.shape or weights.device != context.device:
        raise ValueError(
            f"context_weights must have context's shape {tuple(context.shape)} on "
            f"{context.device}, got {tuple(weights.shape)} on {weights.device}"
        )
    if weights.dtype != dtype:
        raise ValueError(
            f"context_weights must have the parameters' dtype {dtype}, got {weights.dtype}: "
            f"pass context_weights.to({dtype})"
        )
    if weights.device.type == "cpu" or torch.is_anomaly_enabled():
        lo = float(weights.min())
        if lo < 0:
            raise ValueError(f"context_weights holds {lo:g}: weights must be >= 0")
        sums = weights.sum(dim=1, dtype=torch.float64)  # [m]
        worst = int((sums - 1).abs().argmax())
        tol = 16 * weights.shape[1] * torch.finfo(dtype).eps
        if not abs(float(sums[worst]) - 1) <= tol:  # NaN fails too
            raise ValueError(
                f"context_weights row {worst} sums to {float(sums[worst]):.9g}: each row must "
                f"sum to 1 (within {tol:.1e}); divide each row by its sum"
            )


def check_softmax_parameters(
    W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor
) -> None:
    """W1 [N, V + B] (B >= 0 subword buckets), b1 [N], W2 [V, N], b2 [V], of one floating
    dtype."""
    if W1.dim() != 2:
        raise ValueError(f"W1 must be 2-D [N, V], got shape {tuple(W1.shape)}")
    if W2.dim() != 2:
        raise ValueError(f"W2 must be 2-D [V, N], got shape {tuple(W2.shape)}")
    N, V = W1.shape[0], W2.shape[0]
    expected = {"b1": (N,), "W2": (V, N), "b2": (V,)}
    for name, tensor in (("b1", b1), ("W2", W2), ("b2", b2)):
        if tuple(tensor.shape) != expected[name]:
            raise ValueError(
                f"{name} must have shape {expected[name]} to match W1 {tuple(W1.shape)} and "
                f"W2 {tuple(W2.shape)}, got {tuple(tensor.shape)}"
            )
    if W1.shape[1] < V:
        raise ValueError(
            f"W1 must have V + B >= V = {V} columns (W2's rows), got {tuple(W1.shape)}"
        )
    if not W1.is_floating_point() or len({W1.dtype, b1.dtype, W2.dtype, b2.dtype}) != 1:
        raise ValueError(
            "W1, b1, W2, b2 must share one floating dtype, got "
            f"{W1.dtype}, {b1.dtype}, {W2.dtype}, {b2.dtype}"
        )


def check_vector_pair(first: str, A: torch.Tensor, W2: torch.Tensor, transposed: bool) -> None:
    """The negative-sampling parameters: ``first`` (W1 [N, V + B] when ``transposed``, else
    W1T [V + B, N]), B >= 0 subword buckets, and W2 [V, N], of one floating dtype."""
    layout = "[N, V + B]" if transposed else "[V + B, N]"
    rows = A.t() if transposed and A.dim() == 2 else A  # [V + B, N] when the shapes are right
    if A.dim() != 2 or W2.dim() != 2 or rows.shape[1] != W2.shape[1] or rows.shape[0] < W2.shape[0]:
        raise ValueError(
            f"{first} must be {layout} and W2 [V, N], got {tuple(A.shape)} and {tuple(W2.shape)}"
        )
    if not A.is_floating_point() or A.dtype != W2.dtype:
        raise ValueError(f"{first} and W2 must share one floating dtype, got {A.dtype}, {W2.dtype}")


def autocast_off(device_type: str) -> contextlib.AbstractContextManager:
    """Autocast off, so that the hand-written formulas run in the parameters' own dtype: under
    ``bf16-mixed`` or ``16-mixed`` the parameters are float32, and so is every product.

    ``torch.amp.custom_fwd``/``custom_bwd`` would give this guarantee only to a Function whose
    ``forward`` takes ``ctx``: they store the autocast state on ``forward``'s first argument,
    which with a separate ``setup_context`` is an input tensor (pytorch/pytorch#132388). The
    check costs ~0.2 µs; entering a disabled autocast region, ~5 µs, so it is entered only when
    autocast is on.
    """
    if torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()

"""Checks and autocast guards that both objectives' Functions share."""

from __future__ import annotations

import contextlib
import functools

import torch


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

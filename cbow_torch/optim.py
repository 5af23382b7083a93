"""Gradient clipping (Lightning's ``gradient_clip_val``) for sparse row gradients.

The update itself needs nothing of its own: ``torch.optim.SGD`` applies the sparse row
gradients of ``CBOWNegativeSampling`` as W ← W − α∇ with one ``add_``, without a V×N
temporary.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def clip_sparse_gradients(params, clip_val: float, algorithm: str = "norm") -> None:
    """Lightning's gradient clipping (``trainer.gradient_clip_val``) for parameters whose
    gradients may be sparse rows, which ``torch.nn.utils.clip_grad_norm_`` does not take.

    A sparse gradient is first coalesced (its repeated rows summed), so that the norm and the
    clamp apply to the gradient itself, not to its parts. ``"norm"``: every gradient is scaled
    by min(1, clip_val / ‖all gradients‖₂); ``"value"``: every entry is clamped to ±clip_val.
    """
    values = []
    for p in params:
        if p.grad is None:
            continue
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()  # [V, N], each row once
            values.append(p.grad.values())  # [rows, N], a view of the gradient's storage
        else:
            values.append(p.grad)
    if algorithm == "value":
        for v in values:
            v.clamp_(-clip_val, clip_val)
        return
    norms = torch.stack([torch.linalg.vector_norm(v) for v in values])  # [parameters]
    norm = torch.linalg.vector_norm(norms)  # [] ‖all gradients‖₂
    scale = (clip_val / (norm + 1e-6)).clamp(max=1.0)  # [] as clip_grad_norm_'s
    for v in values:
        v.mul_(scale)

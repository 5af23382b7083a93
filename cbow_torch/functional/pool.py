"""The softmax step's one m×V buffer, recycled between steps on the CPU (``LogitsPool``)."""

from __future__ import annotations

import torch


class LogitsPool:
    """Recycles the step's one m×V buffer on the CPU, one spare per dtype.

    Owned by whoever trains (a ``CBOW`` module holds one) and passed to ``cbow_loss``; without
    one, every step allocates its buffer afresh.

    Above glibc's mmap threshold (at most 32 MiB) every CPU allocation is fresh memory from the
    kernel, and first touching it page-faults: at V = 50,000, m = 512 that costs as much as the
    softmax. CUDA's caching allocator already recycles, so only the CPU uses this.

    Safety: ``cbow_loss`` gives a buffer back only once the backward that reads it has run (or at
    once when no graph was built; see ``give_after_backward``), and its caller never sees the
    buffer. One pool serves one thread of training steps. If a graph kept with
    ``retain_graph=True`` is backpropagated again after a later forward reused its buffer,
    autograd's version check on the saved Ŷ raises; it cannot give a wrong gradient silently.
    """

    def __init__(self) -> None:
        self.spare: dict[torch.dtype, torch.Tensor] = {}  # dtype -> a flat buffer [≥ m·V]

    def take(self, m: int, V: int, like: torch.Tensor) -> torch.Tensor:
        """An [m, V] buffer to overwrite: the spare when it is big enough, else a new one."""
        spare = self.spare.pop(like.dtype, None) if like.device.type == "cpu" else None
        if spare is not None and spare.numel() >= m * V:
            return spare[: m * V].view(m, V)  # [m, V]
        return like.new_empty(m, V)  # [m, V]

    def give(self, buffer: torch.Tensor) -> None:
        """Keep ``buffer``'s whole allocation as the spare of its dtype, if it is the largest."""
        # An inference-mode tensor could not be written outside inference mode: never keep one.
        if buffer.device.type == "cpu" and not buffer.is_inference():
            # The whole allocation as a view of the buffer: a view shares its version counter,
            # which is what lets autograd catch a retained graph whose Ŷ was overwritten.
            size = buffer.untyped_storage().nbytes() // buffer.element_size()
            whole = buffer.as_strided((size,), (1,), 0)  # [≥ m·V], flat
            spare = self.spare.get(buffer.dtype)
            if spare is None or spare.numel() < whole.numel():
                self.spare[buffer.dtype] = whole  # [≥ m·V]

    def give_after_backward(self, loss: torch.Tensor, buffer: torch.Tensor) -> None:
        """Give ``buffer`` back once the backward of ``loss`` that reads it has run, or now
        when no graph holds it."""
        if loss.grad_fn is None:
            self.give(buffer)
        else:
            loss.grad_fn.register_hook(lambda *_: self.give(buffer))

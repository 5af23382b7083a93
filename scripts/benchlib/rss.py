"""The benchmarks' memory figure: the resident-set peak of a block of code above the resident
size at its start, read from /proc/self/status (Linux)."""

from __future__ import annotations

import gc
from pathlib import Path


def status_mib(field: str) -> float:
    """A size from /proc/self/status (``VmRSS``, ``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise OSError(f"/proc/self/status has no {field}: the memory figures need Linux")


class PeakAbove:
    """``with PeakAbove() as peak: …``; then ``peak.mib`` is the block's resident-set peak above
    the resident size at its start (``peak.before_mib``), and ``peak.method`` says how the peak
    was read: the kernel's high-water mark, reset at the start where the kernel allows it."""

    def __enter__(self) -> PeakAbove:
        gc.collect()
        self.before_mib = status_mib("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to the current VmRSS
            self.method = "VmHWM after a reset"
        except OSError:  # without the reset, an earlier peak of the process may show
            self.method = "VmHWM since the process started"
        return self

    def __exit__(self, *exc_info) -> None:
        self.mib = status_mib("VmHWM") - self.before_mib

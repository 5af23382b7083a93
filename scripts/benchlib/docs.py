"""Benchmark tables written into docs/*.md by the scripts that measure them: a marked region
(``<!-- table:NAME start -->`` … ``<!-- table:NAME end -->``) rewritten whole, headed by the
command, date, commit and machine."""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from . import BenchError

ROOT = Path(__file__).resolve().parents[2]


def table_region(text: str, name: str) -> tuple[int, int]:
    """Where the region of table NAME starts and ends (after its start line, before its end)."""
    start = re.search(rf"^<!-- table:{re.escape(name)} start -->\n", text, re.M)
    end = re.search(rf"^<!-- table:{re.escape(name)} end -->$", text, re.M)
    if start is None or end is None or end.start() < start.end():
        raise BenchError(
            f"--write-docs {name}: no '<!-- table:{name} start -->' … "
            f"'<!-- table:{name} end -->' region; add the two lines where the table goes"
        )
    return start.end(), end.start()


def provenance(command: str) -> str:
    """The command, date, commit and machine behind a table, as one Markdown paragraph."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " with local changes"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import gensim
    import torch

    versions = f"torch {torch.__version__}, gensim {gensim.__version__}"
    try:
        from importlib.metadata import version

        versions += f", fasttext-wheel {version('fasttext-wheel')}"
    except Exception:  # not installed: no fastText row either
        pass
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    # Times are only comparable on a quiet machine: say how busy it was.
    load = os.getloadavg()[2] if hasattr(os, "getloadavg") else math.nan
    return (
        f"Command: `{command}`. Date: {date}. Commit: `{commit}`. Machine: {cpu}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {versions}; load average {load:.1f} over the last "
        "15 minutes of the run."
    )


def write_region(path: Path, name: str, command: str, body: str) -> None:
    """Rewrite the region of table NAME in the page at PATH, whole or not at all."""
    from cbow_torch.atomic import atomic_write

    text = path.read_text(encoding="utf8")
    begin, end = table_region(text, name)
    new = text[:begin] + provenance(command) + "\n\n" + body.strip("\n") + "\n" + text[end:]
    atomic_write(path, lambda f: f.write(new.encode()))


def table(header: list[str], rows: Iterable[Iterable]) -> str:
    """A Markdown table of the cells' ``str``; a header ending in ``:`` is right-aligned."""
    rule = ["---:" if h.endswith(":") else "---" for h in header]
    lines = [[h.removesuffix(":") for h in header], rule, *([str(c) for c in r] for r in rows)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)

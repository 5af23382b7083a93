"""The command line: ``cbow-torch fit|validate …`` (LightningCLI) and the vector tools."""

from __future__ import annotations

import sys

TOOLS = ("export", "evaluate", "neighbors", "analogy", "plot")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in TOOLS:
        from .commands import main as tools_main

        sys.exit(tools_main(argv))
    raise SystemExit("cbow-torch: training commands are not wired yet")

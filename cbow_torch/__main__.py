"""``cbow-torch`` and ``python -m cbow_torch``: prepare, a vector tool, or training (fit)."""

from __future__ import annotations

import gc
import sys

TOOLS = ("export", "evaluate", "neighbors", "analogy", "plot")


def main(argv: list[str] | None = None) -> None:
    try:
        command(argv)
    finally:
        # The process ends here: the objects it made (torch's and Lightning's modules above all)
        # are left to the interpreter's teardown, without its last full collection over them,
        # which takes 1-2 s after a fit. Files are closed by then; refcounts still free the rest.
        gc.freeze()


def command(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] == "prepare":
        from .data.prepare import main as prepare_main  # without Lightning

        sys.exit(prepare_main(args[1:]))
    if args and args[0] in TOOLS:
        # Without Lightning: starts in half the time.
        from .vectors.commands import main as tools_main

        sys.exit(tools_main(args))
    from .train.run import main as train_main

    train_main(argv)


if __name__ == "__main__":
    main()

"""``cbow-torch`` and ``python -m cbow_torch``: prepare, a vector tool, or training (fit)."""

from __future__ import annotations

import gc
import sys

TOOLS = ("export", "evaluate", "neighbors", "analogy", "plot")
HELP = """\
usage: cbow-torch COMMAND [options]   (cbow-torch COMMAND --help: its options)

CBOW word embeddings in PyTorch: the course's softmax, word2vec's negative sampling, fastText's
subwords, trained with Lightning.

commands:
  fit        train (cbow-torch fit --config word2vec|fasttext|default|course|FILE.yaml ...)
  validate   the validation loss of a checkpoint
  prepare    tokenise and count a corpus once, for runs to memory-map
  export     write vectors as word2vec text or binary, .npz, .pt or fastText's .bin
  evaluate   WordSim-353, SimLex-999 and Google's analogies
  neighbors  the nearest words by cosine similarity
  analogy    A : B :: C : ?
  plot       a PCA picture of words
"""


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
    if args in (["-h"], ["--help"]):  # every command, without importing Lightning
        print(HELP, end="")
        sys.exit(0)
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

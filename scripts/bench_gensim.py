"""word2vec's CBOW with negative sampling: this project against gensim and fastText, on the same
generated Zipf corpus and cores, the contenders interleaved.

    python scripts/bench_gensim.py                        # 10M-word Zipf corpus, 3 rounds
    python scripts/bench_gensim.py --sections endtoend --epochs 5
    python scripts/bench_gensim.py --words 2e6 --rounds 1 # quicker
    python scripts/bench_gensim.py --sections noise       # the noise-word draws alone
    python scripts/bench_gensim.py --sections kernel      # the fused kernel, gensim, fastText
    python scripts/bench_gensim.py --sections endtoend --corpus zipf,dictionaries --epochs 5
    python scripts/bench_gensim.py --sections subword --corpus dictionaries --epochs 5

Sections (the code of each is in scripts/benchlib/word2vec.py, kernel.py):
- ``speed``: training words/s = in-vocabulary words × epochs / training wall time (vocabulary
  and encoding excluded) of configs/word2vec.yaml through the CLI's Trainer with the fused
  engine and with the autograd engine (configs/presets/autograd.yaml), of gensim
  ``Word2Vec(sg=0, negative=5, window=5, vector_size=100, sample=1e-3, min_count=5,
  workers=threads).train()`` and of fastText CBOW without subwords (``pip install .[bench]``);
  medians over rounds in rotating order, ratios.
- ``endtoend``: on each ``--corpus``, ``cbow-torch fit --config configs/word2vec.yaml`` as a
  whole process against gensim's ``Word2Vec(LineSentence(file))`` and its vectors saved (word2vec
  text), each in a fresh process, alternating, part by part: start-up, prepare / vocabulary,
  training, the end of the run, exit (scripts/benchlib/parts.py says how each is read from the
  run). ``--epochs 5`` for word2vec's 5.
- ``subword``: on each ``--corpus``, ``--subword-config`` (configs/fasttext.yaml: the fused
  engine with subwords) against fastText's CBOW with its default subwords (minn 3, maxn 6,
  bucket 2,000,000): the training loop's words/s, then the whole processes part by part
  (``cbow-torch fit`` against ``train_unsupervised`` + ``save_model``), and our fit's peak
  resident memory above the process before it, against W1 (with its buckets) and W2. Without
  the config, one line says so.
- ``noise``: noise words per second from the alias table (what training uses), a cumulative
  table with binary search, and ``torch.multinomial``.
- ``kernel``: the fused numba kernel's training words/s (``train_chunk`` over an epoch, at 2
  threads and 1) against gensim's and fastText's CBOW, numba's compile and cached start-up,
  and the kernel's noise draws.
- ``scale``: configs/word2vec.yaml at V = 1,000,000, N = 300 (the fused engine) on a corpus
  that holds every one of its words; the fit's peak resident memory above the process before
  the model exists, against the parameters' bytes.

Corpora (``--corpus``, for endtoend and subword): ``zipf``, generated Zipf text of ``--words``
words; ``dictionaries``, real English (GCIDE and FOLDOC, about 4.5M words, from Debian's
dict-gcide and dict-foldoc: scripts/benchlib/corpus.py); or a text file, one document a line.

--write-docs writes each section's table into docs/benchmarks.md (the region bench-SECTION),
with the command, date, commit and machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib
from benchlib import BenchError  # noqa: E402
from benchlib.common import HelpFormatter, csv_of  # noqa: E402
from benchlib.docs import ROOT, table_region, write_region  # noqa: E402

SECTIONS = ("speed", "endtoend", "noise", "kernel", "scale", "subword")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    add = parser.add_argument
    add("--sections", type=csv_of(SECTIONS), default="speed,endtoend,scale", help=str(SECTIONS))
    add("--words", type=float, default=10e6, help="Zipf corpus size")
    add("--types", type=int, default=300_000, help="word types in the Zipf law")
    add("--epochs", type=int, default=1, help="speed, endtoend (word2vec's: 5)")
    add("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    add("--dim", type=int, default=100, help="N")
    add("--window", type=int, default=5, help="C")
    add("--batch-size", type=int, default=1024, help="autograd engine's m; noise: draws / 5")
    add("--threads", type=int, default=os.cpu_count(), help="every contender's")
    add("--seed", type=int, default=0)
    add("--loader-workers", type=int, default=0, help="speed: the DataLoader's workers")
    add("--scale-steps", type=int, default=200, help="steps of the scale run")
    add(
        "--corpus",
        type=csv_of(),
        default="zipf",
        help="endtoend, subword: zipf, dictionaries, files",
    )
    add("--subword-config", default="fasttext", help="subword: our subword config")
    add("--write-docs", action="store_true", help="write the tables into docs/benchmarks.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = shlex.join(["python", "scripts/bench_gensim.py", *(argv or sys.argv[1:])])
    try:
        run(args, command)
    except BenchError as error:
        sys.exit(f"bench_gensim.py: error: {error}")


def run(args: argparse.Namespace, command: str) -> None:
    from benchlib import kernel, subword, word2vec

    docs = ROOT / "docs" / "benchmarks.md"
    sections = {
        "speed": word2vec.speed,
        "endtoend": word2vec.end_to_end,
        "noise": word2vec.noise,
        "kernel": kernel.kernel,
        "scale": word2vec.scale,
        "subword": subword.subword,
    }
    for section in args.sections:
        if args.write_docs:  # fail before the section runs, not after
            table_region(docs.read_text(encoding="utf8"), f"bench-{section}")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sections[section](args)
        print(out.getvalue(), end="")
        if args.write_docs:
            write_region(docs, f"bench-{section}", command, out.getvalue())


if __name__ == "__main__":
    main()

"""Benchmark the vector tools against gensim on a word2vec text file: whole processes, in turn.

    python scripts/bench_vectors.py                      # a generated 41,000 x 100 file
    python scripts/bench_vectors.py --emb RUN/embeddings.txt --word police --rounds 7

Three comparisons, each the median of ``--rounds`` alternating runs, with the ratio ours/gensim:

- neighbours in a fresh process: ``cbow-torch neighbors EMB WORD`` against
  ``KeyedVectors.load_word2vec_format(EMB)`` + ``most_similar(WORD)``, each a whole
  ``python`` process (start-up and imports included);
- reading the file in one process: ``WordVectors.load`` against gensim's
  ``load_word2vec_format`` (the same float32 values, checked);
- writing it: ``WordVectors.export(..., "word2vec")`` against gensim's
  ``save_word2vec_format`` (the same bytes, checked).

Without ``--emb`` the file is generated (random float32 vectors, N(0, 0.3), random words)
into a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

GENSIM_NEIGHBORS = (
    "import sys\nfrom gensim.models import KeyedVectors\n"
    "kv = KeyedVectors.load_word2vec_format(sys.argv[1])\n"
    "for word, sim in kv.most_similar(sys.argv[2], topn=10):\n"
    "    print(f'  {word:<20} {sim:.4f}')\n"
)


def generate(path: Path, V: int, N: int, seed: int = 0) -> str:
    """A word2vec text file of V random words and N(0, 0.3) float32 vectors; its first word."""
    from gensim.models import KeyedVectors

    rng, letters = random.Random(seed), string.ascii_lowercase
    words: set[str] = set()
    while len(words) < V:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(2, 12))))
    vectors = np.random.default_rng(seed).standard_normal((V, N)).astype(np.float32) * 0.3
    kv = KeyedVectors(N)
    kv.add_vectors(sorted(words), vectors)
    kv.save_word2vec_format(str(path))
    return kv.index_to_key[0]


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(name: str, ours: Callable[[], object], gensim: Callable[[], object], rounds: int):
    times: dict[str, list[float]] = {"ours": [], "gensim": []}
    for i in range(rounds):  # alternate, gensim first every other round
        pair = [("ours", ours), ("gensim", gensim)]
        for who, run in pair if i % 2 == 0 else pair[::-1]:
            times[who].append(seconds(run))
    a, b = statistics.median(times["ours"]), statistics.median(times["gensim"])
    print(f"{name:<34} ours {a:6.2f} s   gensim {b:6.2f} s   ratio {a / b:.2f}")


def process(argv: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(argv, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emb", type=Path, help="a word2vec text file (default: generated)")
    parser.add_argument("--word", help="the word to look up (default: the file's first)")
    parser.add_argument("--vocab", type=int, default=41_000, help="generated: V")
    parser.add_argument("--dim", type=int, default=100, help="generated: N")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, medians taken")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_vectors_") as tmp:
        emb, word = args.emb, args.word
        if emb is None:
            emb = Path(tmp) / "embeddings.txt"
            first = generate(emb, args.vocab, args.dim)
            word = word or first
        word = word or emb.open(encoding="utf-8").readlines(2)[1].split(" ")[0]
        size = emb.stat().st_size / 1e6
        print(f"{emb}: {size:.0f} MB; word {word!r}; {args.rounds} rounds, medians")

        ours = [sys.executable, "-m", "cbow_torch", "neighbors", str(emb), word]
        theirs = [sys.executable, "-c", GENSIM_NEIGHBORS, str(emb), word]
        compare("neighbors, whole process", process(ours), process(theirs), args.rounds)

        from gensim.models import KeyedVectors

        from cbow_torch.vectors import WordVectors

        mine = WordVectors.load(emb)
        kv = KeyedVectors.load_word2vec_format(str(emb))
        assert mine.index_to_key == kv.index_to_key
        assert np.array_equal(mine.vectors.view(np.int32), kv.vectors.view(np.int32))
        compare(
            "read, in process",
            lambda: WordVectors.load(emb),
            lambda: KeyedVectors.load_word2vec_format(str(emb)),
            args.rounds,
        )
        a, b = Path(tmp) / "ours.txt", Path(tmp) / "gensim.txt"
        mine.export(a, "word2vec")
        kv.save_word2vec_format(str(b))
        assert a.read_bytes() == b.read_bytes(), "the written files differ"
        compare(
            "write, in process",
            lambda: mine.export(a, "word2vec"),
            lambda: kv.save_word2vec_format(str(b)),
            args.rounds,
        )


if __name__ == "__main__":
    main()

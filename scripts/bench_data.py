"""Benchmark the data path.

    python scripts/bench_data.py                      # encode throughput and memory, loader vs
    python scripts/bench_data.py --mb 100             #   training step rate, on generated text
    python scripts/bench_data.py --tokenizer course
    python scripts/bench_data.py prepare              # cbow-torch prepare against gensim's
    python scripts/bench_data.py prepare --rounds 7   #   build_vocab, whole processes
    python scripts/bench_data.py prepare --corpus FILE

The first section generates its text from the bundled Lee corpus (lines drawn at random until
the size is reached) into a temporary directory and runs on one thread.

``prepare`` times two whole processes in turn, each fresh, rounds in rotating order, and prints
their medians and ratio: ``cbow-torch prepare FILE --tokenizer whitespace`` (also with
``--line_per_document true``, the same documents as gensim's) against
``Word2Vec().build_vocab(LineSentence(FILE))``. The default FILE is gensim's Wikipedia excerpt
(its test data, extracted once into ~/.cache/cbow_torch) repeated to 4.5M words.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cbow_torch.data.corpus import bundled_corpus, encode_corpus
from cbow_torch.data.options import PrepareOptions

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
GENSIM = (
    "import sys\n"
    "from gensim.models import Word2Vec\n"
    "from gensim.models.word2vec import LineSentence\n"
    "Word2Vec().build_vocab(LineSentence(sys.argv[1]))\n"
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def generate(path: Path, megabytes: float, seed: int = 0) -> int:
    lines = bundled_corpus().read_text(encoding="utf-8").splitlines()
    rng, size, target = random.Random(seed), 0, int(megabytes * 1e6)
    with open(path, "w", encoding="utf-8") as f:
        while size < target:
            line = rng.choice(lines) + "\n"
            f.write(line)
            size += len(line.encode())
    return size


def bench_encode(path: Path, size: int, tokenizer: str, out: Path) -> np.ndarray:
    before = peak_rss_mb()
    start = time.perf_counter()
    vocab = encode_corpus([path], out, PrepareOptions(tokenizer=tokenizer), workers=1)
    seconds = time.perf_counter() - start
    ids = np.load(out / "ids.npy", mmap_mode="r")
    print(
        f"encode  tokenizer={tokenizer}: {size / 1e6:.1f} MB in {seconds:.1f} s = "
        f"{size / 1e6 / seconds:.1f} MB/s; {len(ids):,} tokens, V={len(vocab):,}; "
        f"peak RSS {peak_rss_mb():.0f} MB (+{peak_rss_mb() - before:.0f} MB over the "
        f"{before:.0f} MB after imports; id array {ids.nbytes / 1e6:.0f} MB)"
    )
    return np.asarray(ids)


def bench_loader(ids: np.ndarray, batches: int, m: int, C: int) -> float:
    import torch

    from cbow_torch.data.windows import CBOWWindowDataset, WindowSampler, collate_batch

    dataset = CBOWWindowDataset(ids, C)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=m, sampler=WindowSampler(dataset), collate_fn=collate_batch
    )
    iterator, start = iter(loader), time.perf_counter()
    for _ in range(batches):
        next(iterator)
    rate = batches / (time.perf_counter() - start)
    print(f"loader  m={m} C={C} shuffled: {rate:,.0f} batches/s")
    return rate


def bench_steps(steps: int, V: int, N: int, m: int, C: int) -> float:
    import torch

    from cbow_torch import CBOW

    model = CBOW(V, N)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    gen = torch.Generator().manual_seed(0)
    data = [
        (torch.randint(0, V, (m, 2 * C), generator=gen), torch.randint(0, V, (m,), generator=gen))
        for _ in range(steps + 10)
    ]
    for i, (context, center) in enumerate(data):
        if i == 10:  # warm-up done
            start = time.perf_counter()
        optimizer.zero_grad()
        model(context, center).backward()
        optimizer.step()
    rate = steps / (time.perf_counter() - start)
    print(f"train   CBOW V={V} N={N} m={m} C={C} + SGD: {rate:,.0f} steps/s")
    return rate


def throughput(args) -> None:
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        size = generate(path, args.mb)
        ids = bench_encode(path, size, args.tokenizer, Path(tmp) / "cache")
    loader_rate = bench_loader(ids, args.batches, m=128, C=2)
    step_rate = bench_steps(args.steps, V=5778, N=50, m=128, C=2)
    print(f"loader / training = {loader_rate / step_rate:.1f}x (needs >= 5x)")


# ---- prepare against gensim's build_vocab, whole processes ----------------------------------


def cache_dir() -> Path:
    home = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return Path(home, "cbow_torch")


def wiki_corpus(words: int) -> Path:
    """gensim's Wikipedia excerpt, one article a line (extracted once, as compare_gensim.py
    extracts it), repeated to at least ``words`` words."""
    from cbow_torch.atomic import atomic_write

    excerpt = cache_dir() / (WIKI.split(".xml")[0] + "-shortened.txt")
    if not excerpt.is_file():
        from gensim.corpora import WikiCorpus
        from gensim.test.utils import datapath

        wiki = WikiCorpus(datapath(WIKI), dictionary={}, processes=1)
        text = "".join(" ".join(tokens) + "\n" for tokens in wiki.get_texts())
        atomic_write(excerpt, lambda f: f.write(text.encode()))
    text = excerpt.read_text(encoding="utf-8")
    repeats = -(-words // len(text.split()))
    path = cache_dir() / f"wiki-x{repeats}.txt"
    if not path.is_file():
        atomic_write(path, lambda f: f.write(text.encode() * repeats))
    return path


def prepare_vs_gensim(args) -> None:
    corpus = Path(args.corpus) if args.corpus else wiki_corpus(args.words)
    with open(corpus, encoding="utf-8") as f:
        words = sum(len(line.split()) for line in f)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        ours = [sys.executable, "-m", "cbow_torch", "prepare", str(corpus), "--out", str(out)]
        ours += ["--tokenizer", "whitespace"]
        contenders = {
            "cbow-torch prepare": ours,
            "cbow-torch prepare, a line a document": [*ours, "--line_per_document", "true"],
            "gensim build_vocab(LineSentence)": [sys.executable, "-c", GENSIM, str(corpus)],
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                subprocess.run(contenders[name], check=True, stdout=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    print(f"{corpus}: {words:,} words, {corpus.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} CPUs")
    gensim = statistics.median(times[names[-1]])
    for name in names:
        median = statistics.median(times[name])
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:40s} median {median:5.2f} s ({runs}); {median / gensim:.2f}x gensim's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("section", nargs="?", choices=["throughput", "prepare"])
    parser.add_argument("--mb", type=float, default=20.0, help="generated text size (MB)")
    parser.add_argument("--tokenizer", default="simple")
    parser.add_argument("--batches", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5, help="prepare: rounds of each process")
    parser.add_argument("--words", type=int, default=4_500_000, help="prepare: corpus size")
    parser.add_argument("--corpus", help="prepare: a tokenized text file instead")
    args = parser.parse_args()
    if args.section == "prepare":
        prepare_vs_gensim(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()

"""Benchmark the data path: tokenise+encode throughput and memory, loader vs training step rate.

    python scripts/bench_data.py                  # 20 MB of generated text
    python scripts/bench_data.py --mb 100         # the issue's 100 MB figure
    python scripts/bench_data.py --tokenizer course

The text is generated from the bundled Lee corpus (lines drawn at random until the size is
reached) into a temporary directory and deleted afterwards. Everything runs on one thread.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cbow_torch import CBOW
from cbow_torch.data.corpus import bundled_corpus, encode_corpus
from cbow_torch.data.options import PrepareOptions
from cbow_torch.data.windows import CBOWWindowDataset, WindowSampler, collate_batch


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
    vocab = encode_corpus([path], out, PrepareOptions(tokenizer=tokenizer))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="generated text size (MB)")
    parser.add_argument("--tokenizer", default="simple")
    parser.add_argument("--batches", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.txt"
        size = generate(path, args.mb)
        ids = bench_encode(path, size, args.tokenizer, Path(tmp) / "cache")
    loader_rate = bench_loader(ids, args.batches, m=128, C=2)
    step_rate = bench_steps(args.steps, V=5778, N=50, m=128, C=2)
    print(f"loader / training = {loader_rate / step_rate:.1f}x (needs >= 5x)")


if __name__ == "__main__":
    main()

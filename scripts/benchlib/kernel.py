"""Section "kernel" of scripts/bench_gensim.py: the fused numba kernel against gensim and fastText.

One process, one corpus, rounds interleaved in rotating order:
- fused kernel: ``train_chunk`` over the whole epoch at 2 threads and at 1;
- gensim ``Word2Vec(sg=0, hs=0, negative=5)``: ``train()`` alone, vocabulary built beforehand;
- fastText ``train_unsupervised(model="cbow", minn=0, maxn=0)``: its own training words/s
  (words/sec/thread × threads, from its progress line) and its whole call's wall time.

Words/s count the in-vocabulary tokens of an epoch, before subsampling, as all three count
them (min_count 5). Then numba's first-call compile time against the cached load, each in a
fresh process, and the kernel's noise draws: alias table against a cumulative table with binary
search, both compiled.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def prepared(corpus: Path, out: Path) -> dict:
    """The corpus through cbow_torch's own encoder (whitespace tokens, a line a document)."""
    from cbow_torch.data.chunks import make_spans
    from cbow_torch.data.corpus import encode_corpus
    from cbow_torch.data.options import PrepareOptions
    from cbow_torch.sampling import UnigramNoise, keep_probabilities

    options = PrepareOptions(tokenizer="whitespace", line_per_document=True, min_count=5)
    vocab = encode_corpus([corpus], out, options)
    ids = np.load(out / "ids.npy", mmap_mode="r")  # [n] memory map, as training reads it
    counts = np.bincount(ids, minlength=len(vocab))  # [V]
    noise = UnigramNoise(counts)
    return {
        "ids": ids,
        "spans": make_spans(np.load(out / "docs.npy"), len(ids)),
        "V": len(vocab),
        "keep": keep_probabilities(counts, 1e-3).astype(np.float32),  # [V]
        "prob": noise.prob.numpy(),
        "alias": noise.alias.numpy(),
    }


def kernel_seconds(data: dict, args, threads: int, seed: int) -> tuple[float, int, float]:
    """(seconds, words, mean window cost) of one epoch as one ``train_chunk`` call."""
    from cbow_torch.functional import set_threads, train_chunk

    V, N = data["V"], args.dim
    gen = torch.Generator().manual_seed(seed)
    W1T = (torch.rand(V, N, generator=gen) - 0.5) / N  # [V, N] word2vec's init
    W2 = torch.zeros(V, N)  # [V, N]
    set_threads(threads)
    start = time.perf_counter()
    cost, words, windows = train_chunk(
        W1T, W2, data["ids"], data["spans"], 0, len(data["spans"]) - 1, data["keep"],
        data["prob"], data["alias"], args.window, 5, 0.025, 0.0001, seed, threads, False,
    )  # fmt: skip
    return time.perf_counter() - start, words, cost / max(windows, 1)


@contextlib.contextmanager
def _stderr_to(path: Path):
    """File descriptor 2 into ``path``: fastText's C++ writes its progress there."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def fasttext_run(corpus: Path, args, log: Path) -> tuple[float, float]:
    """(training words/s as fastText reports it, wall seconds of the whole call)."""
    import fasttext

    start = time.perf_counter()
    with _stderr_to(log):
        fasttext.train_unsupervised(
            str(corpus), model="cbow", minn=0, maxn=0, thread=args.threads, dim=args.dim,
            ws=args.window, neg=5, epoch=1, minCount=5, t=1e-3, bucket=0, verbose=2,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    rates = re.findall(r"words/sec/thread:\s*(\d+)", log.read_text(errors="replace"))
    return (float(rates[-1]) * args.threads if rates else float("nan")), seconds


def compile_times(ids_dtype: str) -> tuple[dict, dict]:
    """numba's first call in a fresh process with an empty cache, then again from the cache."""
    code = f"""
import json, time
t0 = time.perf_counter()
import numpy as np, torch
from cbow_torch.data.chunks import make_spans
from cbow_torch.functional import negative_sampling_sgd_, train_chunk
t1 = time.perf_counter()
V = 50
ids = (np.arange(2000) % V).astype(np.{ids_dtype})
ones, alias = np.ones(V, np.float32), np.arange(V, dtype=np.int64)
W1T, W2 = torch.rand(V, 8), torch.zeros(V, 8)
train_chunk(W1T, W2, ids, make_spans([0], len(ids)), 0, 1, ones, ones, alias, 5, 5,
            0.025, 0.0001, 0, 2)
negative_sampling_sgd_(W1T, W2, torch.ones(1, 4, dtype=torch.long),
                       torch.zeros(1, dtype=torch.long), torch.ones(1, 2, dtype=torch.long), 0.1)
print(json.dumps({{"import": t1 - t0, "first call": time.perf_counter() - t1}}))
"""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        runs = [
            json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout)
            for _ in range(2)
        ]  # fmt: skip
    return runs[0], runs[1]


def noise_rates(data: dict, draws: int = 5_000_000) -> dict[str, float]:
    """Noise draws/s inside numba: the kernel's alias table and a cumulative table searched."""
    from numba import njit

    from cbow_torch.functional import kernels

    @njit(nogil=True)
    def alias_draws(prob, alias, n, state):
        total, V = 0, prob.shape[0]
        for _ in range(n):
            state += kernels.GAMMA
            u = kernels.mix(state)
            col = kernels.below(u, V)
            coin = (u & np.uint64(0xFFFFFFFF)) * 2.0**-32
            total += col if coin < prob[col] else alias[col]
        return total

    @njit(nogil=True)
    def cumulative_draws(cdf, n, state):
        total = 0
        for _ in range(n):
            state += kernels.GAMMA
            x = (kernels.mix(state) >> np.uint64(11)) * 2.0**-53 * cdf[-1]
            lo, hi = 0, cdf.shape[0] - 1  # the first i with cdf[i] > x
            while lo < hi:
                mid = (lo + hi) // 2
                if cdf[mid] > x:
                    hi = mid
                else:
                    lo = mid + 1
            total += lo
        return total

    counts = np.bincount(data["ids"], minlength=data["V"]) ** 0.75
    cdf = np.cumsum(counts)  # [V] float64
    contenders = {
        "alias table (the kernel's)": lambda n: alias_draws(
            data["prob"], data["alias"], n, np.uint64(1)
        ),
        "cumulative + binary search": lambda n: cumulative_draws(cdf, n, np.uint64(1)),
    }
    rates = {}
    for name, draw in contenders.items():
        draw(10)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            draw(draws)
            times.append(time.perf_counter() - start)
        rates[name] = draws / statistics.median(times)
    return rates


def kernel(args, zipf_corpus, gensim_seconds) -> None:
    """The section: prints the words/s table, numba's start-up and the noise draws."""
    from gensim.models.word2vec import LineSentence

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "zipf.txt"
        zipf_corpus(corpus, int(args.words), args.types, args.seed)
        data = prepared(corpus, Path(tmp) / "prepared")
        sentences = list(LineSentence(str(corpus)))
        n = len(data["ids"])
        for threads in (1, 2):  # numba compiles or loads the kernel outside the clock
            kernel_seconds({**data, "spans": data["spans"][:2]}, args, threads, 0)
        contenders = ["fused, 2 threads", "fused, 1 thread", "gensim", "fastText"]
        rates: dict[str, list[float]] = {c: [] for c in contenders + ["fastText wall"]}
        for r in range(args.rounds):
            order = contenders[r % 4 :] + contenders[: r % 4]
            for name in order:
                if name.startswith("fused"):
                    threads = 2 if "2" in name else 1
                    seconds, words, cost = kernel_seconds(data, args, threads, args.seed + r)
                    assert words == n, (words, n)
                    rates[name].append(n / seconds)
                elif name == "gensim":
                    rates[name].append(n / gensim_seconds(sentences, args))
                else:
                    rate, wall = fasttext_run(corpus, args, Path(tmp) / "fasttext.log")
                    rates[name].append(rate)
                    rates["fastText wall"].append(n / wall)
            done = ", ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items())
            print(f"round {r + 1} (words/s): {done}", file=sys.stderr)
        compiled, cached = compile_times(str(data["ids"].dtype))
        noise = noise_rates(data)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        f"\n{n:,} in-vocabulary words, 1 epoch, V = {data['V']:,} (min_count 5), N = {args.dim}, "
        f"C = {args.window}, k = 5, sample 1e-3; gensim and fastText at {args.threads} threads; "
        f"medians of {args.rounds} interleaved rounds\n"
    )
    print("| trainer | training words/s | all rounds |\n| --- | ---: | --- |")
    for k, v in rates.items():
        print(f"| {k} | {med[k]:,.0f} | {', '.join(f'{x:,.0f}' for x in v)} |")
    a = "fused, 2 threads"
    for b in ("gensim", "fastText", "fused, 1 thread"):
        each = ", ".join(f"{x / y:.2f}" for x, y in zip(rates[a], rates[b], strict=True))
        print(f"\n{a} / {b}: {med[a] / med[b]:.2f}× (round by round: {each})", end="")
    print(
        f"\n\nnumba start-up ({data['ids'].dtype} ids, float32): empty cache: import "
        f"{compiled['import']:.1f} s + first call {compiled['first call']:.1f} s; cached: "
        f"import {cached['import']:.1f} s + first call {cached['first call']:.2f} s"
    )
    print("\n| noise draws in numba | draws/s |\n| --- | ---: |")
    for k, v in noise.items():
        print(f"| {k} | {v:,.0f} |")

"""Section "kernel" of scripts/bench_gensim.py (its --help says what it measures): the fused
kernel's ``train_chunk`` alone at 2 threads and 1 against gensim's ``train()`` and fastText's
own training rate, in rotating rounds; numba's start-up in fresh processes; the kernel's noise
draws, compiled: its alias table against a cumulative table with binary search. Words/s count
an epoch's in-vocabulary tokens (min_count 5) before subsampling, as all three count them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import BenchError, fresh
from .common import rotating
from .corpus import documents, write_zipf
from .rivals import fasttext_cbow, gensim_cbow, word2vec_settings


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


def kernel_seconds(data: dict, args, threads: int, seed: int) -> tuple[float, int]:
    """Seconds and words of one epoch (its spans) as one ``train_chunk`` call."""
    from cbow_torch.functional import set_threads, train_chunk

    V, N = data["V"], args.dim
    gen = torch.Generator().manual_seed(seed)
    W1T = (torch.rand(V, N, generator=gen) - 0.5) / N  # [V, N] word2vec's init
    W2 = torch.zeros(V, N)  # [V, N]
    set_threads(threads)
    start = time.perf_counter()
    _, words, _ = train_chunk(
        W1T, W2, data["ids"], data["spans"], 0, len(data["spans"]) - 1, data["keep"],
        data["prob"], data["alias"], args.window, 5, 0.025, 0.0001, seed, threads, False,
    )  # fmt: skip
    return time.perf_counter() - start, words


def startup_times(ids_dtype: str) -> tuple[dict, dict]:
    """numba's start-up in a fresh process with an empty cache, then again from the cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        return tuple(fresh.run("startup", env=env, ids_dtype=ids_dtype) for _ in range(2))


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


def kernel(args) -> None:
    """The section: prints the words/s table, numba's start-up and the noise draws."""
    gensim, fasttext = word2vec_settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_zipf(Path(tmp, "zipf.txt"), int(args.words), args.types, args.seed)
        data = prepared(corpus, Path(tmp) / "prepared")
        docs, n, walls = documents(corpus, "whitespace"), len(data["ids"]), []
        for threads in (1, 2):  # numba compiles or loads the kernel outside the clock
            kernel_seconds({**data, "spans": data["spans"][:2]}, args, threads, 0)

        def fused(threads: int):
            def rate(r: int) -> float:
                seconds, words = kernel_seconds(data, args, threads, args.seed + r)
                if words != n:
                    raise BenchError(f"kernel: train_chunk trained {words:,} of {n:,} words")
                return n / seconds

            return rate

        def fasttext_rate(r: int) -> float:
            _, wall, rate = fasttext_cbow(corpus, args.threads, epoch=1, **fasttext)
            walls.append(n / wall)
            return rate

        contenders = {
            "fused, 2 threads": fused(2),
            "fused, 1 thread": fused(1),
            "gensim": lambda r: n / gensim_cbow(docs, 1, args.threads, args.seed, **gensim)[1],
            "fastText": fasttext_rate,
        }
        rates = {**rotating(contenders, args.rounds), "fastText wall": walls}
        compiled, cached = startup_times(str(data["ids"].dtype))
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

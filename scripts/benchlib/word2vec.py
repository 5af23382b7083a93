"""Sections "speed", "endtoend", "noise" and "scale" of scripts/bench_gensim.py (its --help says
what each measures)."""

from __future__ import annotations

import collections
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import BenchError, parts
from .clock import TrainingClock
from .common import rotating
from .corpus import count_words, documents, named_corpus, write_zipf
from .rivals import fasttext_cbow, gensim_cbow, word2vec_settings
from .rss import PeakAbove
from .runs import fit_args, fit_here


def _quiet() -> None:
    for name in ("pytorch_lightning", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)


def speed(args) -> None:
    """Training words/s of the Trainer's engines, gensim's and fastText's, in rotating rounds."""
    _quiet()
    gensim, fasttext = word2vec_settings(args)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_zipf(Path(tmp, "zipf.txt"), int(args.words), args.types, args.seed)
        docs = documents(corpus, "whitespace")
        counts = collections.Counter(w for d in docs for w in d)
        kept = [c for c in counts.values() if c >= 5]  # min_count 5, as all four count
        n_words, V, m = sum(kept), len(kept), args.batch_size  # α on the mean: 0.25 a window
        common = fit_args(
            corpus=corpus, tokenizer="whitespace", window=args.window, vector_size=args.dim,
            epochs=args.epochs, batch_size=args.batch_size, val_fraction=0, seed=args.seed,
            loader_workers=args.loader_workers, cache_dir=Path(tmp, "cache"),
            threads=args.threads, bare=True, export=False, progress_bar=False,
        )  # fmt: skip

        def ours(*configs: str, **settings):
            def seconds(r: int) -> float:
                clock = TrainingClock()
                fit_here([*fit_args(*configs), *common, *fit_args(**settings)], clock)
                return clock.seconds

            return seconds

        def fasttext_seconds(r: int) -> float:  # its own training rate, as our words/s
            rate = fasttext_cbow(corpus, args.threads, epoch=args.epochs, **fasttext)[2]
            return n_words * args.epochs / rate

        times = rotating(
            {
                "fused": ours("word2vec"),
                "autograd": ours("word2vec", "presets/autograd", lr=0.25 * m, min_lr=1e-4 * m),
                "gensim": lambda r: gensim_cbow(
                    docs, args.epochs, args.threads, args.seed, **gensim
                )[1],
                "fastText": fasttext_seconds,
            },
            args.rounds,
        )
    rate = {k: n_words * args.epochs / statistics.median(v) for k, v in times.items()}
    print(
        f"\n{n_words:,} words × {args.epochs} epoch(s), V = {V:,} (min_count 5), N = {args.dim}, "
        f"C = {args.window}, k = 5, sample 1e-3, {args.threads} thread(s) each, autograd m = "
        f"{args.batch_size}, medians of {args.rounds} rounds in rotating order\n"
    )
    print("| trainer | training words/s | seconds (median) |\n| --- | ---: | ---: |")
    for k, v in times.items():
        print(f"| {k} | {rate[k]:,.0f} | {statistics.median(v):.1f} |")
    for other in ("gensim", "fastText", "autograd"):
        print(f"\nfused / {other}: {rate['fused'] / rate[other]:.2f}×", end="")
    print()


def end_to_end(args) -> None:
    """Whole processes part by part (``benchlib.parts``) on each ``--corpus``: ``cbow-torch fit
    --config word2vec`` against gensim's ``Word2Vec(LineSentence(file))`` and its vectors saved,
    alternating."""
    for name in args.corpus:
        with tempfile.TemporaryDirectory() as tmp:
            _end_to_end_on(name, Path(tmp), args)


def _end_to_end_on(name: str, tmp: Path, args) -> None:
    gensim, _ = word2vec_settings(args)
    corpus = named_corpus(name, tmp, args.words, args.types, args.seed)
    ours = fit_args(
        "word2vec", corpus=corpus, tokenizer="whitespace", epochs=args.epochs, window=args.window,
        vector_size=args.dim, threads=args.threads, progress_bar=False,
    )  # fmt: skip
    what = {"cbow-torch fit": "cbow-torch fit --config word2vec", "gensim": "gensim's Word2Vec"}
    runs = parts.compare(
        {
            "cbow-torch fit": lambda r: parts.ours(ours, tmp / f"ours-{r}", what["cbow-torch fit"]),
            "gensim": lambda r: parts.rival(
                "word2vec", what["gensim"], corpus=corpus, out=tmp / f"gensim-{r}.txt",
                epochs=args.epochs, threads=args.threads, options={**gensim, "seed": args.seed},
            ),
        },
        args.rounds,
    )  # fmt: skip
    print(
        f"\nend to end on {name} ({count_words(corpus):,} words), N = {args.dim}, C = "
        f"{args.window}, {args.epochs} epoch(s), {args.threads} threads: configs/word2vec.yaml as "
        "it ships (5% held out for validation) against Word2Vec(LineSentence(file), sg=0, "
        "negative=5, sample=1e-3, min_count=5) and save_word2vec_format; medians of "
        f"{args.rounds} rounds in rotating order\n"
    )
    parts.print_table(runs)
    ours_whole, gensim_whole = (statistics.median(r[parts.WHOLE] for r in v) for v in runs.values())
    print(f"\ncbow-torch fit / gensim, whole process: {ours_whole / gensim_whole:.2f}×")


def noise(args) -> None:
    """Noise words a second: the alias table training uses, a cumulative table searched with
    ``torch.searchsorted``, and ``torch.multinomial``."""
    from cbow_torch.sampling import UnigramNoise

    V, n = 1_000_000, 5 * args.batch_size
    counts = (1e9 / (np.arange(1, V + 1) + 2.7)).astype(np.int64)  # [V] Zipf
    start = time.perf_counter()
    table = UnigramNoise(counts)
    built = time.perf_counter() - start
    gen = torch.Generator().manual_seed(0)
    probs = torch.from_numpy(table.probs)  # [V] float64
    cdf = torch.cumsum(probs, 0)  # [V] float64
    contenders = {
        "alias table (training)": lambda: table.sample((n,), gen),
        "cumulative + searchsorted": lambda: torch.searchsorted(
            cdf, torch.rand(n, generator=gen, dtype=torch.float64)
        ).clamp_(max=V - 1),
        "torch.multinomial": lambda: torch.multinomial(probs, n, replacement=True, generator=gen),
    }
    print(f"\nnoise draws, V = {V:,} (Zipf counts), {n:,} per call, {args.threads} thread(s)")
    print(f"alias table built in {built:.2f} s\n")
    print("| method | draws/s (median of 50) |\n| --- | --- |")
    for name, draw in contenders.items():
        draw()
        times = []
        for _ in range(50):
            t = time.perf_counter()
            draw()
            times.append(time.perf_counter() - t)
        print(f"| {name} | {n / statistics.median(times):,.0f} |")


def scale(args) -> None:
    """configs/word2vec.yaml at V = 1,000,000, N = 300 (the fused engine) for --scale-steps
    steps: the peak resident memory of the fit above the process before it (the corpus
    prepared, no model yet), against the parameters' bytes."""
    V, N = 1_000_000, 300
    _quiet()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_zipf(Path(tmp, "scale.txt"), 2 * V, V, args.seed, every_type=True)
        options = fit_args(
            "word2vec", corpus=corpus, tokenizer="whitespace", min_count=1, vector_size=N,
            batch_size=args.batch_size, val_fraction=0, cache_dir=Path(tmp, "cache"),
            max_steps=args.scale_steps, threads=args.threads, bare=True, export=False,
            progress_bar=False,
        )  # fmt: skip
        clock, peak = TrainingClock(), PeakAbove()
        cli = fit_here(options, clock, around=peak)
    if cli.datamodule.vocab_size != V:
        raise BenchError(f"scale: the corpus gave V = {cli.datamodule.vocab_size:,}, not {V:,}")
    params = 2 * V * N * 4 / 2**20  # W1 + W2, float32
    print(
        f"\nscale (fused engine): V = {V:,}, N = {N}, {clock.steps} steps in {clock.seconds:.1f} s"
    )
    print("| parameters W1 + W2 | peak above start | ratio to parameters |\n| --- | --- | --- |")
    print(f"| {params:,.0f} MiB | {peak.mib:,.0f} MiB | {peak.mib / params:.2f}× |")

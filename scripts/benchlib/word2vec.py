"""Sections "speed", "endtoend", "noise" and "scale" of scripts/bench_gensim.py (its --help says
what each measures)."""

from __future__ import annotations

import collections
import functools
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from . import BenchError
from .clock import TrainingClock
from .common import rotating
from .corpus import documents, write_zipf
from .rivals import fasttext_cbow, gensim_cbow, word2vec_settings
from .rss import PeakAbove
from .runs import finish, fit_args, fit_here, launch


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
    """Wall time of ``cbow-torch fit`` and of gensim's own command line, alternating."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_zipf(Path(tmp, "zipf.txt"), int(args.words), args.types, args.seed)
        ours = fit_args(
            "word2vec", corpus=corpus, tokenizer="whitespace", epochs=args.epochs,
            threads=args.threads, progress_bar=False,
        )  # fmt: skip
        gensim = [
            sys.executable, "-m", "gensim.scripts.word2vec_standalone", "-train", str(corpus),
            "-cbow", "1", "-hs", "0", "-negative", "5", "-sample", "1e-3", "-min_count", "5",
            "-alpha", "0.025", "-size", str(args.dim), "-window", str(args.window),
            "-threads", str(args.threads), "-iter", str(args.epochs),
        ]  # fmt: skip

        def wall(name: str, r: int) -> float:
            work = Path(tmp, f"{name}-{r}")  # a fresh cache: prepare is part of the run
            work.mkdir()  # for gensim; launch makes its own
            start = time.perf_counter()
            if name == "gensim":
                out = subprocess.run([*gensim, "-output", "vectors.txt"], cwd=work, text=True,
                                     capture_output=True)  # fmt: skip
                if out.returncode:
                    raise BenchError(f"gensim failed: {out.stderr.strip().splitlines()[-1]}")
            else:
                finish(launch([*ours, *fit_args(cache_dir=work / "cache")], work), work, name)
            return time.perf_counter() - start

        names = ("cbow-torch fit", "gensim")
        times = rotating({name: functools.partial(wall, name) for name in names}, args.rounds)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"\nend to end, {int(args.words):,}-word Zipf file, {args.epochs} epochs, "
        f"{args.threads} threads, medians of {args.rounds}\n"
    )
    print("| command | seconds (median) | all rounds |\n| --- | ---: | --- |")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.1f} | {', '.join(f'{x:.1f}' for x in v)} |")
    print(f"\ncbow-torch fit / gensim time: {med['cbow-torch fit'] / med['gensim']:.2f}×")


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

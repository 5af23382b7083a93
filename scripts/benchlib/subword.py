"""Section "subword" of scripts/bench_gensim.py (its --help says what it measures): our subword
config (``--subword-config``, configs/fasttext.yaml) against fastText's CBOW with its default
subwords, on each ``--corpus``: the training loop's words/s in this process, then the whole
processes part by part (``benchlib.parts``), each in rotating rounds."""

from __future__ import annotations

import collections
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

from . import BenchError, parts
from .clock import TrainingClock
from .common import rotating
from .corpus import named_corpus
from .rivals import FASTTEXT_SUBWORDS, fasttext_cbow
from .rss import PeakAbove
from .runs import config_file, fit_args, fit_here

FASTTEXT = "fastText CBOW, subwords (its defaults)"


def subword_config(name: str) -> Path:
    """The subword config's file; a missing one is one line that says so."""
    try:
        return config_file(name)
    except BenchError:
        raise BenchError(
            f"subword: config {name!r} is missing: the section trains configs/fasttext.yaml "
            "(the subword config); add it, or name another with --subword-config"
        ) from None


def subword(args) -> None:
    """The section: for each corpus, the words/s table, then the whole processes' parts."""
    config = subword_config(args.subword_config)
    for name in args.corpus:
        with tempfile.TemporaryDirectory() as tmp:
            _subword_on(name, Path(tmp), config, args)


def _subword_on(name: str, tmp: Path, config: Path, args) -> None:
    ours = f"cbow_torch ({config.name})"
    corpus = named_corpus(name, tmp, args.words, args.types, args.seed)
    counts = collections.Counter()
    with open(corpus, encoding="utf8") as f:
        for line in f:
            counts.update(line.split())
    n_words = sum(c for c in counts.values() if c >= 5)  # min_count 5, as both count
    shared = {"vector_size": args.dim, "window": args.window, "epochs": args.epochs}
    fasttext = {"dim": args.dim, "ws": args.window, "epoch": args.epochs, "minCount": 5, "neg": 5}
    bare = fit_args(
        config, corpus=corpus, tokenizer="whitespace", min_count=5, val_fraction=0,
        seed=args.seed, cache_dir=tmp / "cache", threads=args.threads, bare=True, export=False,
        progress_bar=False, **shared,
    )  # fmt: skip

    def ours_seconds(r: int) -> float:  # the training loop, as the speed section times it
        clock = TrainingClock()
        fit_here(bare, clock)
        return clock.seconds

    def fasttext_seconds(r: int) -> float:  # its own training rate, as our words/s
        rate = fasttext_cbow(corpus, args.threads, subwords=True, **fasttext)[2]
        return n_words * args.epochs / rate

    times = rotating({ours: ours_seconds, FASTTEXT: fasttext_seconds}, args.rounds)
    rate = {k: n_words * args.epochs / statistics.median(v) for k, v in times.items()}

    user = fit_args(
        config, corpus=corpus, tokenizer="whitespace", min_count=5, threads=args.threads,
        progress_bar=False, **shared,
    )  # fmt: skip
    whole = parts.compare(
        {
            ours: lambda r: parts.ours(user, tmp / f"ours-{r}", ours),
            FASTTEXT: lambda r: parts.rival(
                "fasttext", "fastText's train_unsupervised", corpus=corpus,
                out=tmp / f"fasttext-{r}.bin", threads=args.threads,
                options={**fasttext, **FASTTEXT_SUBWORDS},
            ),
        },
        args.rounds,
    )  # fmt: skip
    # Memory: one more fit in this process, with its checkpoint and export, its peak resident
    # size above the process before it (the model is built inside) against W1 (V + B rows)
    # and W2 (V rows) in float32.
    peak = PeakAbove()
    full = fit_args(
        config, corpus=corpus, tokenizer="whitespace", min_count=5, val_fraction=0,
        seed=args.seed, cache_dir=tmp / "cache", threads=args.threads, progress_bar=False,
        out_dir=tmp / "peak", **shared,
    )  # fmt: skip
    with contextlib.redirect_stdout(sys.stderr):  # the run's summary, off the table
        cli = fit_here(full, around=peak)
    V, B = cli.datamodule.vocab_size, cli.model.input.columns(0)
    params = (2 * V + B) * args.dim * 4 / 2**20
    subwords = ", ".join(f"{k} {v:,}" for k, v in FASTTEXT_SUBWORDS.items())
    print(
        f"\nsubwords on {name}: {n_words:,} in-vocabulary words × {args.epochs} epoch(s), N = "
        f"{args.dim}, C = {args.window}, k = 5, min_count 5, {args.threads} thread(s) each; "
        f'ours `{config.name}`, fastText train_unsupervised(model="cbow", {subwords}), its '
        f"other defaults (t 1e-4, lr 0.05); medians of {args.rounds} rounds in rotating order\n"
    )
    print("| trainer | training words/s | seconds (median) |\n| --- | ---: | ---: |")
    for k, v in times.items():
        print(f"| {k} | {rate[k]:,.0f} | {statistics.median(v):.1f} |")
    print(f"\nours / fastText, training words/s: {rate[ours] / rate[FASTTEXT]:.2f}×\n")
    print(
        f"Whole processes: `cbow-torch fit --config {config.name}` (as it ships, with the "
        "settings above) against fastText's train_unsupervised and save_model (its .bin) in a "
        "fresh process\n"
    )
    parts.print_table(whole)
    ours_whole, fasttext_whole = (
        statistics.median(r[parts.WHOLE] for r in whole[k]) for k in whole
    )
    print(f"\nours / fastText, whole process: {ours_whole / fasttext_whole:.2f}×\n")
    print(
        f"Memory of our fit (V = {V:,}, B = {B:,}; checkpoint and export included), peak "
        f"resident size above the process before it ({peak.method}):\n"
    )
    print("| parameters W1 + W2 | peak above start | ratio to parameters |\n| --- | --- | --- |")
    print(f"| {params:,.0f} MiB | {peak.mib:,.0f} MiB | {peak.mib / params:.2f}× |")

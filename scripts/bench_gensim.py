"""word2vec's CBOW with negative sampling: this project's Trainer against gensim, same corpus and
cores, in one process, interleaved.

    python scripts/bench_gensim.py                        # 10M-word Zipf corpus, 3 rounds
    python scripts/bench_gensim.py --sections endtoend --epochs 5
    python scripts/bench_gensim.py --words 2e6 --rounds 1 # quicker
    python scripts/bench_gensim.py --sections noise       # the noise-word draws alone
    python scripts/bench_gensim.py --sections kernel      # the fused kernel, gensim, fastText

Sections:
- ``speed``: training words/s = in-vocabulary words × epochs / training wall time (vocabulary
  and encoding excluded) of ``objective: negative`` through the real Lightning Trainer with the
  fused engine and with the autograd engine, of gensim ``Word2Vec(sg=0, negative=5, window=5,
  vector_size=100, sample=1e-3, min_count=5, workers=threads).train()`` and of fastText CBOW
  without subwords (``pip install .[bench]``); medians over rounds in rotating order, ratios.
- ``endtoend``: the wall time of ``cbow-torch fit --config configs/word2vec.yaml`` on the file
  (start-up, prepare, training, export) against gensim's ``Word2Vec(LineSentence(file))`` and
  writing its vectors, fresh processes, alternating (``--epochs 5`` for word2vec's 5).
- ``noise``: noise words per second from the alias table (what training uses), a cumulative
  table with binary search, and ``torch.multinomial``.
- ``kernel``: the fused numba kernel's training words/s (``train_chunk`` over an epoch, at 2
  threads and 1) against gensim's and fastText's CBOW, numba's compile and cached start-up,
  and the kernel's noise draws (scripts/benchlib/kernel.py).
- ``scale``: a V = 1,000,000, N = 300 model trained by the fused engine through the Trainer on
  a corpus that holds every one of its words; peak memory (ru_maxrss) above the process before
  the model exists, against the parameters' bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import logging
import os
import resource
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # cbow_torch from this checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib
from benchlib.docs import table_region, write_region  # noqa: E402


def zipf_corpus(path: Path, words: int, types: int, seed: int, line_words: int = 1000) -> None:
    """A text file of ``words`` tokens drawn from a Zipf law (p ∝ 1/(r + 2.7)) over ``types``
    word types, ``line_words`` a line: word frequencies shaped like English text's."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(types, size=words, p=_zipf(types))
    vocab = np.array([f"w{i}" for i in range(types)])
    with open(path, "w") as f:
        for start in range(0, words, line_words):
            f.write(" ".join(vocab[ids[start : start + line_words]]) + "\n")


class _Timer:
    """A Lightning callback timing the training loop alone (on_train_start to on_train_end)."""

    def __new__(cls):
        import pytorch_lightning as pl

        class Timer(pl.Callback):
            def on_train_start(self, trainer, module):
                self.start = time.perf_counter()

            def on_train_end(self, trainer, module):
                self.seconds = time.perf_counter() - self.start

        return Timer()


def ours(corpus: Path, args, engine: str, datamodule=None) -> tuple[float, object]:
    """Training seconds of one ``objective: negative`` fit through the Trainer, with the
    ``fused`` engine (configs/word2vec.yaml's α per window) or ``autograd`` (α × m)."""
    import pytorch_lightning as pl

    from cbow_torch.data.datamodule import CBOWDataModule
    from cbow_torch.objectives import NegativeSampling
    from cbow_torch.train.module import CBOWLightningModule
    from cbow_torch.train.runtime import IntraOpThreads

    if datamodule is None:
        datamodule = CBOWDataModule(
            corpus=str(corpus),
            tokenizer="whitespace",
            line_per_document=True,
            window=args.window,
            min_count=5,
            sample=1e-3,
            batch_size=args.batch_size,
            val_fraction=0.0,
            num_workers=args.loader_workers,
            cache_dir=str(args.cache_dir),
        )
    per = 1 if engine == "fused" else args.batch_size  # α on one window, or on the batch mean
    module = CBOWLightningModule(
        vocab=datamodule.vocab,
        embedding_dim=args.dim,
        objective=NegativeSampling(negatives=5, engine=engine),
        init="word2vec",
        lr=0.25 * per,  # configs/word2vec.yaml's, configs/presets/autograd.yaml's
        lr_schedule="linear",
        min_lr=0.0001 * per,
    )
    timer = _Timer()
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[timer, IntraOpThreads(args.threads)],  # as the CLI: threads, allocator
        accelerator="cpu",
    )
    trainer.fit(module, datamodule=datamodule)
    return timer.seconds, datamodule


def gensim_seconds(sentences, args) -> float:
    from gensim.models import Word2Vec

    model = Word2Vec(
        sg=0,
        negative=5,
        hs=0,
        window=args.window,
        vector_size=args.dim,
        sample=1e-3,
        min_count=5,
        workers=args.threads,
        seed=args.seed,
    )
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=args.epochs)
    return time.perf_counter() - start


def speed(args) -> None:
    """Training words/s of the fused and autograd engines (through the Trainer), gensim's
    ``train()`` and fastText's, in rounds that rotate the order."""
    import pytorch_lightning as pl
    from benchlib.kernel import fasttext_run

    pl.seed_everything(args.seed, verbose=False)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "zipf.txt"
        zipf_corpus(corpus, int(args.words), args.types, args.seed)
        sentences = [line.split() for line in corpus.read_text().splitlines()]
        args.cache_dir = Path(tmp) / "cache"
        datamodule = None
        names = ["fused", "autograd", "gensim", "fastText"]
        times: dict[str, list[float]] = {k: [] for k in names}
        for r in range(args.rounds):
            for name in names[r % 4 :] + names[: r % 4]:
                if name in ("fused", "autograd"):
                    seconds, datamodule = ours(corpus, args, name, datamodule)
                elif name == "gensim":
                    seconds = gensim_seconds(sentences, args)
                else:  # fastText's own training rate, as words/s of the same corpus
                    rate, _ = fasttext_run(corpus, args, Path(tmp) / "fasttext.log")
                    seconds = datamodule.prepared.meta["tokens"] * args.epochs / rate
                times[name].append(seconds)
            done = ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items())
            print(f"round {r + 1}: {done}", file=sys.stderr)
    n_words = datamodule.prepared.meta["tokens"]  # in vocabulary (min_count 5), as all count
    rate = {k: n_words * args.epochs / statistics.median(v) for k, v in times.items()}
    print(
        f"\n{n_words:,} words × {args.epochs} epoch(s), V = {datamodule.vocab_size:,} "
        f"(min_count 5), N = {args.dim}, C = {args.window}, k = 5, sample 1e-3, "
        f"{args.threads} thread(s) each, autograd m = {args.batch_size}, medians of "
        f"{args.rounds} rounds in rotating order\n"
    )
    print("| trainer | training words/s | seconds (median) |\n| --- | ---: | ---: |")
    for k, v in times.items():
        print(f"| {k} | {rate[k]:,.0f} | {statistics.median(v):.1f} |")
    for other in ("gensim", "fastText", "autograd"):
        print(f"\nfused / {other}: {rate['fused'] / rate[other]:.2f}×", end="")
    print()


def end_to_end(args) -> None:
    """Wall time of ``cbow-torch fit --config configs/word2vec.yaml`` (start-up, prepare,
    training, export) against gensim's ``Word2Vec(LineSentence(...))`` plus writing its
    vectors, each a fresh process on the same file, in alternating order."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "zipf.txt"
        zipf_corpus(corpus, int(args.words), args.types, args.seed)
        ours_cmd = [
            sys.executable, "-m", "cbow_torch", "fit", f"--config={root / 'configs/word2vec.yaml'}",
            f"--data.corpus={corpus}", "--data.tokenizer=whitespace",
            f"--trainer.max_epochs={args.epochs}", f"--threads.count={args.threads}",
            "--trainer.enable_progress_bar=false",
        ]  # fmt: skip
        gensim_code = (
            "from gensim.models import Word2Vec; from gensim.models.word2vec import LineSentence;"
            f"m = Word2Vec(LineSentence({str(corpus)!r}), sg=0, hs=0, negative=5, "
            f"window={args.window}, vector_size={args.dim}, sample=1e-3, min_count=5, "
            f"workers={args.threads}, epochs={args.epochs}, seed={args.seed});"
            f"m.wv.save_word2vec_format({str(Path(tmp) / 'gensim.txt')!r})"
        )
        times: dict[str, list[float]] = {"cbow-torch fit": [], "gensim": []}
        for r in range(args.rounds):
            run = [("cbow-torch fit", ours_cmd), ("gensim", [sys.executable, "-c", gensim_code])]
            for name, cmd in run if r % 2 == 0 else run[::-1]:
                rundir = Path(tmp) / f"run{r}"  # a fresh cache: prepare is part of the run
                extra = [f"--data.cache_dir={rundir}/cache", f"--trainer.logger.init_args."
                         f"save_dir={rundir}/runs"] if name != "gensim" else []  # fmt: skip
                start = time.perf_counter()
                subprocess.run([*cmd, *extra], check=True, capture_output=True, cwd=tmp)
                times[name].append(time.perf_counter() - start)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()),
                  file=sys.stderr)  # fmt: skip
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
    from cbow_torch.sampling import UnigramNoise

    V, n = 1_000_000, 5 * args.batch_size
    counts = (1e9 / (np.arange(1, V + 1) + 2.7)).astype(np.int64)
    start = time.perf_counter()
    table = UnigramNoise(counts)
    built = time.perf_counter() - start
    gen = torch.Generator().manual_seed(0)
    probs = torch.from_numpy(table.probs)
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def scale(args) -> None:
    import pytorch_lightning as pl

    from cbow_torch.data.datamodule import CBOWDataModule
    from cbow_torch.objectives import NegativeSampling
    from cbow_torch.train.module import CBOWLightningModule

    V, N, m = 1_000_000, 300, args.batch_size  # m: validation's batches only
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "scale.txt"
        rng = np.random.default_rng(args.seed)
        ids = np.concatenate([np.arange(V), rng.choice(V, size=V, p=_zipf(V))])  # every word
        rng.shuffle(ids)
        with open(corpus, "w") as f:
            for start in range(0, len(ids), 1000):
                f.write(" ".join(f"w{i}" for i in ids[start : start + 1000]) + "\n")
        datamodule = CBOWDataModule(
            corpus=str(corpus),
            tokenizer="whitespace",
            line_per_document=True,
            min_count=1,
            batch_size=m,
            val_fraction=0.0,
            cache_dir=str(Path(tmp) / "cache"),
        )
        assert datamodule.vocab_size == V, datamodule.vocab_size  # prepares it
        before = _rss_mb()
        module = CBOWLightningModule(
            vocab=datamodule.vocab, embedding_dim=N, objective=NegativeSampling(engine="fused"),
            lr=0.25, lr_schedule="constant",
        )  # fmt: skip
        trainer = pl.Trainer(
            max_steps=args.scale_steps,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            limit_val_batches=0,
            accelerator="cpu",
        )
        start = time.perf_counter()
        trainer.fit(module, datamodule=datamodule)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # MiB
    params = 2 * V * N * 4 / 2**20  # W1 + W2, float32
    print(
        f"\nscale (fused engine): V = {V:,}, N = {N}, {args.scale_steps} steps in {seconds:.1f} s"
    )
    print("| parameters W1 + W2 | peak above start | ratio to parameters |\n| --- | --- | --- |")
    growth = peak - before
    print(f"| {params:,.0f} MiB | {growth:,.0f} MiB | {growth / params:.2f}× |")


def _zipf(types: int) -> np.ndarray:
    p = 1.0 / (np.arange(1, types + 1) + 2.7)
    return p / p.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections", default="speed,endtoend,scale", help="comma-separated; noise, kernel"
    )
    parser.add_argument("--words", type=float, default=10e6, help="corpus size (default 10M)")
    parser.add_argument("--types", type=int, default=300_000, help="word types in the Zipf law")
    parser.add_argument("--epochs", type=int, default=1, help="endtoend: pass 5")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1024, help="cbow-torch's m")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="both sides")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loader-workers", type=int, default=0, help="cbow-torch DataLoader")
    parser.add_argument("--scale-steps", type=int, default=200, help="steps of the scale run")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also write each section's table into docs/benchmarks.md (region bench-SECTION)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    docs = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
    command = shlex.join(["python", "scripts/bench_gensim.py", *sys.argv[1:]])
    for section in (s.strip() for s in args.sections.split(",")):
        if args.write_docs:
            table_region(docs.read_text(encoding="utf8"), f"bench-{section}")  # fail early
        if section == "kernel":
            from benchlib.kernel import kernel

            run = functools.partial(kernel, args, zipf_corpus, gensim_seconds)
        else:
            sections = {"speed": speed, "endtoend": end_to_end, "noise": noise, "scale": scale}
            run = functools.partial(sections[section], args)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run()
        print(out.getvalue(), end="")
        if args.write_docs:
            write_region(docs, f"bench-{section}", command, out.getvalue())


if __name__ == "__main__":
    main()

"""Train this project's CBOW, gensim's and fastText's on the same corpus and settings; one table
of scores.

Contenders, on the same tokens (gensim's simple_preprocess, our `simple` tokenizer, a document a
line), N, C, min_count and epochs:

  ours OBJECTIVE   `cbow-torch fit --config CONFIG` with that objective (softmax, negative) in
                   a fresh process; the run's embeddings.txt is scored. A config alone
                   (`--ours fasttext`) trains with the config's own objective
  gensim HS        Word2Vec(sg=0, hs=1, negative=0), gensim's other defaults
  gensim NS        Word2Vec(sg=0), gensim's defaults (negative=5, sample=1e-3, alpha 0.025)
  gensim FastText  FastText(sg=0), gensim's defaults: subwords of 3 to 6 letters in 2,000,000
                   buckets, negative=5, sample=1e-3, alpha 0.025
  fastText CBOW, no subwords
                   train_unsupervised(model="cbow", minn=0, maxn=0), fastText's other defaults
                   (neg 5, t 1e-4, lr 0.05); its end-of-line token "</s>" left out
  fastText CBOW, subwords
                   train_unsupervised(model="cbow") as its users run it: fastText's defaults,
                   subwords on (minn 3, maxn 6, bucket 2,000,000)

Every contender is scored on the words of its own vocabulary (the same for all: the same tokens
and min_count); the subword models' vectors for those words include their n-grams.

Scores (cbow_torch.vectors.evaluation.evaluate): Spearman ρ on WordSim-353 and SimLex-999,
accuracy on Google's analogies, each with its share of items out of vocabulary. Training time
is the training loop only: gensim's train(); fastText's train_unsupervised (its vocabulary pass
included); ours, Lightning's loop (benchlib.clock), not the start-up, vocabulary or export.
words/s = corpus words × epochs trained / training time, the same count for all.

Corpora: `wiki` (gensim's bundled Wikipedia excerpt, 106 articles, cached in ~/.cache/cbow_torch
as one article a line), `lee` (gensim's Lee corpus), `dictionaries` (real English that nothing
here was tuned on: GCIDE and FOLDOC from Debian's dict-gcide and dict-foldoc, about 4.5M words,
one entry a line), or a text file with one document a line.

Writes compare.md, compare.json and compare.png (bars of the scores) to --out-dir; --write-docs
NAME also rewrites the table region NAME of docs/benchmarks.md (or --docs-file), with the
command, the date, the commit and the machine.

  python scripts/compare_gensim.py                                    # wiki, N 100, C 5, 10 epochs
  python scripts/compare_gensim.py --corpus wiki lee
  python scripts/compare_gensim.py --ours softmax,negative:configs/word2vec.yaml
  python scripts/compare_gensim.py --corpus lee --epochs 2 --max-steps 50    # a quick check
  python scripts/compare_gensim.py --ours-args "--model.lr 1.0 --data.batch_size 32"
  python scripts/compare_gensim.py --ours negative:configs/word2vec.yaml --write-docs wiki-negative
  python scripts/compare_gensim.py --ours word2vec,fasttext --corpus wiki dictionaries --epochs 5
  python scripts/compare_gensim.py --skip-subwords        # the no-subword contenders only
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from functools import partial
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
from benchlib import BenchError  # noqa: E402
from benchlib.common import HelpFormatter  # noqa: E402
from benchlib.contenders import (  # noqa: E402
    FASTTEXT,
    GENSIM,
    corpus_file,
    ours_name,
    parse_ours,
    train_fasttext,
    train_gensim,
    train_ours,
)
from benchlib.corpus import documents  # noqa: E402
from benchlib.docs import table, table_region, write_region  # noqa: E402

METRICS = (  # (score, its OOV ratio, column title)
    ("wordsim353_spearman", "wordsim353_oov_ratio", "WordSim-353 ρ"),
    ("simlex999_spearman", "simlex999_oov_ratio", "SimLex-999 ρ"),
    ("google_analogy_accuracy", "google_analogy_oov_ratio", "Google analogies"),
)


# ---- the table and the picture ----------------------------------------------------------


def fmt(row: dict, score: str, oov: str) -> str:
    digits = ".1%" if "accuracy" in score else ".3f"
    values = [r[score] for r in row["runs"]]
    if math.isnan(row[score]):
        text = "n/a"
    elif len(values) == 1:
        text = format(row[score], digits)
    else:
        text = f"{row[score]:{digits}} [{min(values):{digits}}, {max(values):{digits}}]"
    return f"{text} ({row[oov]:.0%} OOV)"


def markdown(rows: list[dict], command: str, args) -> str:
    note = (
        f"N = {args.dim}, C = {args.window}, min_count = {args.min_count}, epochs = {args.epochs}; "
        f"gensim: {args.workers} workers; ours: {args.threads} torch threads. Training time is "
        "the training loop only (no vocabulary building or export); words/s = corpus words × "
        "epochs / training time."
    )
    if args.repeats > 1:
        note += (
            f" Each figure is the median of {args.repeats} runs (seeds {args.seed} to "
            f"{args.seed + args.repeats - 1}), [lowest, highest] after the scores."
        )
    header = ["corpus", "trainer", "V:", *(title for *_, title in METRICS)]
    cells = [
        [f"{r['corpus']} ({r['words']:,} words)", r["trainer"], f"{r['vocab_size']:,}"]
        + [fmt(r, s, o) for s, o, _ in METRICS]
        + [f"{r['epochs']:.3g}", f"{r['seconds']:.3g} s", f"{r['words_per_sec']:,.0f}"]
        for r in rows
    ]
    grid = table([*header, "epochs:", "training time:", "words/s:"], cells)
    return f"`{command}`\n\n{note}\n\n{grid}\n"


def plot(rows: list[dict], path: Path, title: str) -> None:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cbow_torch.atomic import atomic_write

    corpora = list(dict.fromkeys(r["corpus"] for r in rows))
    fig = Figure(figsize=(4 + 3 * len(METRICS), 4.5 * len(corpora)), dpi=100)
    FigureCanvasAgg(fig)  # Agg: no display needed
    axes = fig.subplots(len(corpora), 1, squeeze=False)[:, 0]
    for ax, corpus in zip(axes, corpora, strict=True):
        group = [r for r in rows if r["corpus"] == corpus]
        width = 0.8 / len(group)
        x = np.arange(len(METRICS))  # [3]
        for i, r in enumerate(group):
            values = np.nan_to_num([r[s] for s, *_ in METRICS])  # [3]
            runs = np.nan_to_num([[run[s] for s, *_ in METRICS] for run in r["runs"]])  # [K, 3]
            spread = np.stack([values - runs.min(0), runs.max(0) - values])  # [2, 3]
            bars = ax.bar(
                x + (i - (len(group) - 1) / 2) * width,
                values,
                width,
                yerr=spread if len(runs) > 1 else None,
                label=r["trainer"],
            )
            ax.bar_label(bars, fmt="%.3f", fontsize=7)
        labels = [f"{t}\n({group[0][o]:.0%} OOV)" for _, o, t in METRICS]
        ax.set_xticks(x, labels)
        ax.set(title=f"{corpus}: {title}", ylabel="score")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write(path, lambda f: f.write(buf.getvalue()))


# ---- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="compare_gensim.py", description=__doc__, formatter_class=HelpFormatter
    )
    add = parser.add_argument
    add("--corpus", nargs="+", default=["wiki"], help="wiki, lee or text files")
    add("--dim", type=int, default=100, help="N")
    add("--window", type=int, default=5, help="C, words each side")
    add("--min-count", type=int, default=5, help="every trainer's")
    add("--epochs", type=int, default=10, help="every trainer's")
    add("--workers", type=int, default=2, help="gensim's and fastText's threads")
    add("--threads", type=int, help="ours' torch threads; None: --workers")
    add("--seed", type=int, default=282, help="the first run's")
    add("--repeats", type=int, default=1, help="runs of each trainer, seeds --seed, --seed + 1, …")
    add("--out-dir", default="runs/compare_gensim", type=Path, help="where the results go")
    add("--ours", default="softmax", help="our objectives, comma-separated, each with :CONFIG")
    add("--config", default="configs/default.yaml", help="ours' config where --ours has none")
    add("--max-steps", type=int, help="stop ours after this many updates")
    add("--ours-args", default="", help="more `cbow-torch fit` options, quoted")
    add("--skip-gensim", action="store_true", help="leave gensim out")
    add("--skip-fasttext", action="store_true", help="leave fastText out")
    add("--skip-subwords", action="store_true", help="leave gensim's and fastText's subwords out")
    add("--write-docs", metavar="NAME", help="rewrite <!-- table:NAME start/end --> of --docs-file")
    add("--docs-file", type=Path, default=SCRIPTS.parent / "docs" / "benchmarks.md", help="a page")
    args = parser.parse_args(argv)
    args.threads = args.threads or args.workers
    for name in ("dim", "window", "min_count", "epochs", "workers", "threads", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def run(args: argparse.Namespace) -> list[dict]:
    from cbow_torch.vectors.evaluation import evaluate

    ours = parse_ours(args.ours, args.config)
    if not ours and args.skip_gensim and args.skip_fasttext:
        raise BenchError(
            "nothing to train: --ours is empty and --skip-gensim and --skip-fasttext are given"
        )
    rows = []
    for name in args.corpus:
        path = corpus_file(name)
        docs = documents(path)
        words = sum(map(len, docs))
        if words == 0:
            raise BenchError(f"--corpus {name}: {path} has no words")
        print(f"corpus {name}: {path}, {len(docs):,} documents, {words:,} words", flush=True)
        contenders = {
            ours_name(objective, config): partial(train_ours, path, objective, config)
            for objective, config in ours
        }
        for trainer, options in ({} if args.skip_gensim else GENSIM).items():
            if not (args.skip_subwords and options.get("subwords")):
                contenders[trainer] = partial(train_gensim, docs, options)
        for trainer, subwords in ({} if args.skip_fasttext else FASTTEXT).items():
            if not (args.skip_subwords and subwords):
                contenders[trainer] = partial(train_fasttext, docs, subwords)
        runs = {trainer: [] for trainer in contenders}
        for seed in range(args.seed, args.seed + args.repeats):  # interleaved, for fair times
            for trainer, train in contenders.items():
                print(f"training {trainer}, seed {seed}", flush=True)
                vectors, seconds, epochs = train(args, seed)
                scores = {k.removeprefix("eval/"): v for k, v in evaluate(vectors).items()}
                run = {"seed": seed, "vocab_size": len(vectors), **scores, "seconds": seconds}
                run.update(epochs=epochs, words_per_sec=words * epochs / seconds)
                runs[trainer].append(run)
        for trainer, done in runs.items():
            medians = {k: float(np.median([r[k] for r in done])) for k in done[0] if k != "seed"}
            medians["vocab_size"] = done[0]["vocab_size"]
            rows.append(
                {"corpus": name, "words": words, "trainer": trainer, **medians, "runs": done}
            )
        for key in ("vocab_size", *(o for _, o, _ in METRICS)):
            values = {run[key] for r in rows if r["corpus"] == name for run in r["runs"]}
            if len(values) > 1:
                print(f"warning: {name}: {key} differs between trainers: {sorted(values)}")
    return rows


def _no_nan(obj):
    """NaN (a score with every item out of vocabulary) as null: JSON has no NaN."""
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_nan(v) for v in obj]
    return None if isinstance(obj, float) and math.isnan(obj) else obj


def main(argv: list[str] | None = None) -> None:
    from cbow_torch.atomic import atomic_write

    args = parse_args(argv)
    command = shlex.join(["python", "scripts/compare_gensim.py", *(argv or sys.argv[1:])])
    try:
        if args.write_docs:  # fail before training, not after
            try:
                page = args.docs_file.read_text(encoding="utf8")
            except OSError as error:
                raise BenchError(f"--docs-file {args.docs_file}: {error.strerror}") from None
            table_region(page, args.write_docs)
        rows = run(args)
    except BenchError as error:
        sys.exit(f"compare_gensim.py: error: {error}")
    table = markdown(rows, command, args)
    if args.write_docs:  # the command goes into the provenance line, the rest below it
        write_region(args.docs_file, args.write_docs, command, table.split("\n", 2)[2])
        print(f"rewrote table {args.write_docs} in {args.docs_file}")
    print(f"\n{table}")
    out = args.out_dir
    atomic_write(out / "compare.md", lambda f: f.write(table.encode()))
    report = json.dumps(_no_nan({"command": command, "rows": rows}), indent=2) + "\n"
    atomic_write(out / "compare.json", lambda f: f.write(report.encode()))
    title = f"N {args.dim}, C {args.window}, min_count {args.min_count}, {args.epochs} epochs"
    plot(rows, out / "compare.png", title)
    print(f"wrote {out / 'compare.md'}, {out / 'compare.json'}, {out / 'compare.png'}")


if __name__ == "__main__":
    main()

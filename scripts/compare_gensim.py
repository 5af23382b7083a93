"""Train this project's CBOW and gensim's on the same corpus and settings; one table of scores.

Contenders, on the same token stream (gensim's simple_preprocess, which is our `simple`
tokenizer, one document a line), the same N, C, min_count and epochs:

  ours OBJECTIVE   `cbow-torch fit --config CONFIG` in a subprocess (the real CLI), with
                   --model.objective OBJECTIVE where the package has that option; the run's
                   embeddings.txt (export.source of the config) is scored
  gensim HS        Word2Vec(sg=0, hs=1, negative=0), the other options gensim's defaults
  gensim NS        Word2Vec(sg=0), gensim's defaults (negative=5, sample=1e-3, alpha 0.025)
  fastText CBOW    fasttext.train_unsupervised(model="cbow", minn=0, maxn=0): no subwords, the
                   other options fastText's defaults (neg 5, t 1e-4, lr 0.05); its "</s>"
                   (end of line) token is left out of the vectors scored

Scores: Spearman ρ on WordSim-353 and SimLex-999, accuracy on Google's analogies, each with the
share of items out of vocabulary (cbow_torch.vectors.evaluation.evaluate, the same for all).
Training time is the training loop only: gensim's train() (not build_vocab); fastText's
train_unsupervised (its vocabulary pass included: it has no separate call); for ours, Lightning's
loop from on_train_start to on_train_end (SGD steps, TensorBoard logging, the epoch-end
checkpoints), not the start-up, tokenizing, vocabulary or the export. words/s = corpus words ×
epochs trained / training time, the same count for all (gensim's raw words, before min_count and
subsampling).

Corpora: `wiki` (gensim's bundled Wikipedia excerpt, 106 articles, extracted once through
gensim's WikiCorpus to one article a line and cached in ~/.cache/cbow_torch), `lee` (gensim's
Lee corpus, one story a line), or a text file with one document a line.

Writes to --out-dir: compare.md (the table as Markdown, with the command), compare.png (bars
of the scores) and compare.json (every figure). --write-docs NAME also rewrites the region
between `<!-- table:NAME start -->` and `<!-- table:NAME end -->` in docs/benchmarks.md (or
--docs-file) with the table, the command, the date, the commit and the machine.

  python scripts/compare_gensim.py                                    # wiki, N 100, C 5, 10 epochs
  python scripts/compare_gensim.py --corpus wiki lee
  python scripts/compare_gensim.py --ours softmax,negative:configs/word2vec.yaml
  python scripts/compare_gensim.py --corpus lee --epochs 2 --max-steps 50    # a quick check
  python scripts/compare_gensim.py --ours-args "--model.lr 1.0 --data.batch_size 32"
  python scripts/compare_gensim.py --ours negative:configs/word2vec.yaml --write-docs wiki-negative
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytorch_lightning as pl

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
from benchlib.docs import DocsError, table_region, write_region  # noqa: E402

WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
GENSIM = {  # name: Word2Vec options besides the shared ones
    "gensim CBOW, hierarchical softmax": {"hs": 1, "negative": 0},
    "gensim CBOW, negative sampling": {},
}
METRICS = (  # (score, its OOV ratio, column title)
    ("wordsim353_spearman", "wordsim353_oov_ratio", "WordSim-353 ρ"),
    ("simlex999_spearman", "simlex999_oov_ratio", "SimLex-999 ρ"),
    ("google_analogy_accuracy", "google_analogy_oov_ratio", "Google analogies"),
)
FASTTEXT = "fastText CBOW, no subwords"
# gensim truncates a sentence at 10,000 words (MAX_WORDS_IN_BATCH); longer articles are cut in
# pieces of that size instead, as its LineSentence does.
GENSIM_MAX_SENTENCE = 10_000


class CompareError(DocsError):
    """A bad option or a failed run: one line that names it."""


class TrainingClock(pl.Callback):
    """Times the training loop of a fit and writes it to training_time.json in the run dir.

    The subprocess running `cbow-torch fit` imports it from this file (`--trainer.callbacks+=`).
    """

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.perf_counter()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        from cbow_torch.atomic import atomic_write

        seconds = time.perf_counter() - self.start
        if trainer.is_global_zero:
            record = {
                "seconds": seconds,
                "steps": trainer.global_step,
                "steps_per_epoch": trainer.num_training_batches,
            }
            payload = json.dumps(record).encode()
            atomic_write(Path(trainer.log_dir, "training_time.json"), lambda f: f.write(payload))


# ---- corpora ----------------------------------------------------------------------------


def cache_dir() -> Path:
    home = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return Path(home, "cbow_torch")


def wiki_excerpt() -> Path:
    """gensim's Wikipedia excerpt as one article a line, extracted once through WikiCorpus."""
    from gensim.corpora import WikiCorpus
    from gensim.test.utils import datapath

    from cbow_torch.atomic import atomic_write

    path = cache_dir() / (WIKI.split(".xml")[0] + "-shortened.txt")
    if not path.is_file():
        start = time.perf_counter()
        # dictionary={} skips building a Dictionary we do not need; one process is enough here.
        wiki = WikiCorpus(datapath(WIKI), dictionary={}, processes=1)
        text = "".join(" ".join(tokens) + "\n" for tokens in wiki.get_texts())
        atomic_write(path, lambda f: f.write(text.encode()))
        print(f"extracted {datapath(WIKI)} to {path} in {time.perf_counter() - start:.1f} s")
    return path


def corpus_file(name: str) -> Path:
    if name == "wiki":
        return wiki_excerpt()
    if name == "lee":
        from cbow_torch.data.corpus import bundled_corpus

        return bundled_corpus()
    path = Path(name)
    if not path.is_file():
        raise CompareError(f"--corpus {name}: no such file; give wiki, lee or a text file")
    return path


def documents(path: Path) -> list[list[str]]:
    """The corpus as token lists, one per non-empty line: the `simple` tokenizer's tokens."""
    from gensim.utils import simple_preprocess

    with open(path, encoding="utf8", errors="replace") as f:
        docs = [simple_preprocess(line) for line in f]
    return [d for d in docs if d]


# ---- the contenders ---------------------------------------------------------------------


def train_gensim(docs: list[list[str]], options: dict, args, seed: int):
    """gensim's Word2Vec; returns its vectors, training time and epochs."""
    from gensim.models import Word2Vec

    sentences = [
        d[i : i + GENSIM_MAX_SENTENCE] for d in docs for i in range(0, len(d), GENSIM_MAX_SENTENCE)
    ]
    model = Word2Vec(
        vector_size=args.dim,
        window=args.window,
        min_count=args.min_count,
        workers=args.workers,
        seed=seed,
        sg=0,
        **options,
    )
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=args.epochs)
    return model.wv, time.perf_counter() - start, args.epochs


def train_fasttext(docs: list[list[str]], args, seed: int):
    """fastText's CBOW without subwords on the same tokens; returns its vectors, time, epochs."""
    try:
        import fasttext
    except ImportError:
        raise CompareError(
            "fastText is not installed: pip install fasttext-wheel, or --skip-fasttext"
        ) from None
    from cbow_torch.vectors.word_vectors import WordVectors

    with tempfile.TemporaryDirectory(prefix="compare_fasttext_") as work:
        tokens = Path(work, "tokens.txt")  # the same tokens as everyone, one document a line
        tokens.write_text("".join(" ".join(d) + "\n" for d in docs), encoding="utf8")
        start = time.perf_counter()
        model = fasttext.train_unsupervised(
            str(tokens),
            model="cbow",
            minn=0,
            maxn=0,
            dim=args.dim,
            ws=args.window,
            epoch=args.epochs,
            minCount=args.min_count,
            neg=5,
            thread=args.workers,
            verbose=0,  # this binding takes no seed: runs differ by thread races only
        )
        seconds = time.perf_counter() - start
    words = [w for w in model.words if w != "</s>"]  # fastText's end-of-line token
    vectors = np.stack([model.get_word_vector(w) for w in words])  # [V, N]
    return WordVectors.from_vectors(words, vectors), seconds, args.epochs


def has_objective_option() -> bool:
    from cbow_torch.train.module import CBOWLightningModule

    return "objective" in inspect.signature(CBOWLightningModule).parameters


def train_ours(path: Path, objective: str, config: str, args, seed: int):
    """`cbow-torch fit` in a subprocess; returns the run's vectors, training time and epochs."""
    with tempfile.TemporaryDirectory(prefix="compare_gensim_") as work:
        return _fit(path, objective, config, args, seed, Path(work))


def _fit(path: Path, objective: str, config: str, args, seed: int, work: Path):
    from cbow_torch.vectors.word_vectors import WordVectors

    command = [
        sys.executable,
        "-m",
        "cbow_torch",
        "fit",
        f"--config={Path(config).resolve()}",
        f"--data.corpus={path.resolve()}",
        "--data.tokenizer=simple",
        "--data.line_per_document=true",
        "--data.val_fraction=0",  # train on the whole corpus, as gensim does
        f"--data.window={args.window}",
        f"--data.min_count={args.min_count}",
        f"--data.seed={seed}",
        f"--model.embedding_dim={args.dim}",
        f"--model.seed={seed}",
        f"--seed_everything={seed}",
        f"--trainer.max_epochs={args.epochs}",
        "--trainer.enable_progress_bar=false",
        "--trainer.callbacks+=compare_gensim.TrainingClock",
        *([f"--model.objective={objective}"] if has_objective_option() else []),
        *([f"--trainer.max_steps={args.max_steps}"] if args.max_steps else []),
        *shlex.split(args.ours_args),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SCRIPTS), os.environ.get("PYTHONPATH")])),
        "OMP_NUM_THREADS": str(args.threads),  # torch's intra-op threads
    }
    print("$", shlex.join(command[1:]), flush=True)
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["(no output)"]
        raise CompareError(f"ours ({objective}) failed: {lines[-1]}")
    clocks = list(work.glob("runs/*/version_*/training_time.json"))
    if len(clocks) != 1 or not (clocks[0].parent / "embeddings.txt").is_file():
        raise CompareError(
            f"ours ({objective}) wrote no run directory with training_time.json and "
            "embeddings.txt: keep the TensorBoard logger and the export on in --ours-args"
        )
    record = json.loads(clocks[0].read_text())
    vectors = WordVectors.load(clocks[0].parent / "embeddings.txt")
    epochs = record["steps"] / record["steps_per_epoch"]
    return vectors, record["seconds"], epochs


# ---- the table and the picture ----------------------------------------------------------


def parse_ours(spec: str, default_config: str) -> list[tuple[str, str]]:
    """'softmax,negative:configs/word2vec.yaml' -> [(objective, config), ...]."""
    ours = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        objective, _, config = item.partition(":")
        config = config or default_config
        if not Path(config).is_file() and (SCRIPTS.parent / config).is_file():
            config = str(SCRIPTS.parent / config)  # relative to the repository, not the cwd
        if not Path(config).is_file():
            raise CompareError(f"--ours {item}: no config file {config}")
        ours.append((objective, config))
    if ours and not has_objective_option() and any(o != "softmax" for o, _ in ours):
        others = ", ".join(o for o, _ in ours if o != "softmax")
        raise CompareError(
            f"--ours {others}: this cbow_torch has no model.objective option (only the softmax "
            "objective); use --ours softmax"
        )
    return ours


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
    lines = [
        f"`{command}`",
        "",
        f"N = {args.dim}, C = {args.window}, min_count = {args.min_count}, epochs = {args.epochs}; "
        f"gensim: {args.workers} workers; ours: {args.threads} torch threads. Training time is "
        "the training loop only (no vocabulary building or export); words/s = corpus words × "
        "epochs / training time."
        + (
            f" Each figure is the median of {args.repeats} runs (seeds {args.seed} to "
            f"{args.seed + args.repeats - 1}), [lowest, highest] after the scores."
            if args.repeats > 1
            else ""
        ),
        "",
        "| corpus | trainer | V | "
        + " | ".join(title for *_, title in METRICS)
        + " | epochs | training time | words/s |",
        "| --- | --- | ---: | " + " | ".join("---" for _ in METRICS) + " | ---: | ---: | ---: |",
    ]
    for r in rows:
        scores = [fmt(r, s, o) for s, o, _ in METRICS]
        lines.append(
            f"| {r['corpus']} ({r['words']:,} words) | {r['trainer']} | {r['vocab_size']:,} | "
            + " | ".join(scores)
            + f" | {r['epochs']:.3g} | {r['seconds']:.3g} s | {r['words_per_sec']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


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
        prog="compare_gensim.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus", nargs="+", default=["wiki"], help="wiki, lee or text files")
    parser.add_argument("--dim", type=int, default=100, help="N (default 100)")
    parser.add_argument("--window", type=int, default=5, help="C, words each side (default 5)")
    parser.add_argument("--min-count", type=int, default=5, help="(default 5)")
    parser.add_argument("--epochs", type=int, default=10, help="(default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gensim's threads (default 2)")
    parser.add_argument("--threads", type=int, help="ours' torch threads (default: --workers)")
    parser.add_argument("--seed", type=int, default=282)
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each trainer, seeds --seed, --seed + 1, …"
    )
    parser.add_argument("--out-dir", default="runs/compare_gensim", type=Path)
    parser.add_argument(
        "--ours",
        default="softmax",
        help="our objectives, comma-separated, each optionally :CONFIG (default: softmax)",
    )
    parser.add_argument("--config", default="configs/default.yaml", help="ours' default config")
    parser.add_argument("--max-steps", type=int, help="stop ours after this many updates")
    parser.add_argument("--ours-args", default="", help="more `cbow-torch fit` options, quoted")
    parser.add_argument("--skip-gensim", action="store_true", help="leave gensim out")
    parser.add_argument("--skip-fasttext", action="store_true", help="leave fastText out")
    parser.add_argument(
        "--write-docs",
        metavar="NAME",
        help="rewrite the table region NAME of --docs-file (<!-- table:NAME start/end -->)",
    )
    parser.add_argument(
        "--docs-file",
        type=Path,
        default=SCRIPTS.parent / "docs" / "benchmarks.md",
        help="the page --write-docs rewrites (default docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    args.threads = args.threads or args.workers
    for name in ("dim", "window", "min_count", "epochs", "workers", "threads", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def run(args: argparse.Namespace, command: str) -> list[dict]:
    from cbow_torch.vectors.evaluation import evaluate

    ours = parse_ours(args.ours, args.config)
    if not ours and args.skip_gensim and args.skip_fasttext:
        raise CompareError(
            "nothing to train: --ours is empty and --skip-gensim and --skip-fasttext are given"
        )
    rows = []
    for name in args.corpus:
        path = corpus_file(name)
        docs = documents(path)
        words = sum(map(len, docs))
        if words == 0:
            raise CompareError(f"--corpus {name}: {path} has no words")
        print(f"corpus {name}: {path}, {len(docs):,} documents, {words:,} words", flush=True)
        contenders = {
            f"cbow_torch {objective} ({config})": partial(train_ours, path, objective, config)
            for objective, config in ours
        }
        for trainer, options in ({} if args.skip_gensim else GENSIM).items():
            contenders[trainer] = partial(train_gensim, docs, options)
        if not args.skip_fasttext:
            contenders[FASTTEXT] = partial(train_fasttext, docs)
        runs = {trainer: [] for trainer in contenders}
        for seed in range(args.seed, args.seed + args.repeats):  # interleaved, for fair times
            for trainer, train in contenders.items():
                print(f"training {trainer}, seed {seed}", flush=True)
                vectors, seconds, epochs = train(args, seed)
                scores = {k.removeprefix("eval/"): v for k, v in evaluate(vectors).items()}
                runs[trainer].append(
                    {
                        "seed": seed,
                        "vocab_size": len(vectors),
                        **scores,
                        "seconds": seconds,
                        "epochs": epochs,
                        "words_per_sec": words * epochs / seconds,
                    }
                )
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


def write_docs(path: Path, name: str, table: str) -> None:
    """Rewrite the region of table NAME in the page at PATH with ``table`` (its first line names
    the command, which goes into the provenance line)."""
    write_region(path, name, table.split("`")[1], table.split("\n", 2)[2])


def _no_nan(obj):
    """NaN (a score with every item out of vocabulary) as null: JSON has no NaN."""
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_nan(v) for v in obj]
    return None if isinstance(obj, float) and math.isnan(obj) else obj


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = shlex.join(["python", "scripts/compare_gensim.py", *(argv or sys.argv[1:])])
    try:
        if args.write_docs:
            table_region(args.docs_file.read_text(encoding="utf8"), args.write_docs)  # fail early
        rows = run(args, command)
    except DocsError as error:  # CompareError too
        sys.exit(f"compare_gensim.py: error: {error}")
    except OSError as error:
        sys.exit(f"compare_gensim.py: error: --docs-file {args.docs_file}: {error.strerror}")
    from cbow_torch.atomic import atomic_write

    table = markdown(rows, command, args)
    if args.write_docs:
        write_docs(args.docs_file, args.write_docs, table)
        print(f"rewrote table {args.write_docs} in {args.docs_file}")
    print()
    print(table)
    out = args.out_dir
    atomic_write(out / "compare.md", lambda f: f.write(table.encode()))
    report = json.dumps(_no_nan({"command": command, "rows": rows}), indent=2) + "\n"
    atomic_write(out / "compare.json", lambda f: f.write(report.encode()))
    title = f"N {args.dim}, C {args.window}, min_count {args.min_count}, {args.epochs} epochs"
    plot(rows, out / "compare.png", title)
    print(f"wrote {out / 'compare.md'}, {out / 'compare.json'}, {out / 'compare.png'}")


if __name__ == "__main__":
    main()

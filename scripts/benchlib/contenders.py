"""The contenders of scripts/compare_gensim.py (its --help says what each is): each trained on
a corpus and returning its vectors, training time and epochs; the script's ``--ours`` and
``--corpus`` read."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

from . import BenchError
from .corpus import dictionary_corpus, wiki_excerpt
from .rivals import fasttext_cbow, fasttext_vectors, gensim_cbow
from .runs import OBJECTIVES, finish, fit_args, launch

GENSIM = {  # name: gensim_cbow's options besides the shared ones
    "gensim CBOW, hierarchical softmax": {"hs": 1, "negative": 0},
    "gensim CBOW, negative sampling": {},
    "gensim FastText CBOW, subwords (its defaults)": {"subwords": True},
}
FASTTEXT = {  # name: with subwords
    "fastText CBOW, no subwords": False,
    "fastText CBOW, subwords (its defaults)": True,
}


def corpus_file(name: str) -> Path:
    """``--corpus``: wiki, lee, dictionaries, or a text file."""
    if name == "wiki":
        return wiki_excerpt()
    if name == "lee":
        from cbow_torch.data.corpus import bundled_corpus

        return bundled_corpus()
    if name == "dictionaries":
        return dictionary_corpus()
    if not Path(name).is_file():
        raise BenchError(
            f"--corpus {name}: no such file; give wiki, lee, dictionaries or a text file"
        )
    return Path(name)


def train_gensim(docs: list[list[str]], options: dict, args, seed: int):
    """gensim's Word2Vec or FastText; returns its vectors, training time and epochs."""
    vectors, seconds = gensim_cbow(
        docs, args.epochs, args.workers, seed, vector_size=args.dim, window=args.window,
        min_count=args.min_count, **options,
    )  # fmt: skip
    return vectors, seconds, args.epochs


def train_fasttext(docs: list[list[str]], subwords: bool, args, seed: int):
    """fastText's CBOW, without subwords or with its default ones, on the same tokens; returns
    its vectors, time, epochs."""
    with tempfile.TemporaryDirectory(prefix="compare_fasttext_") as work:
        tokens = Path(work, "tokens.txt")  # the same tokens as everyone, one document a line
        tokens.write_text("".join(" ".join(d) + "\n" for d in docs), encoding="utf8")
        model, seconds, _ = fasttext_cbow(
            tokens, args.workers, subwords, dim=args.dim, ws=args.window, epoch=args.epochs,
            minCount=args.min_count, neg=5,
        )  # fmt: skip
    return fasttext_vectors(model), seconds, args.epochs


def train_ours(path: Path, objective: str | None, config: str, args, seed: int):
    """`cbow-torch fit` in a fresh process on the whole corpus (no validation, as gensim), with
    OBJECTIVE or the config's own (None); returns the run's vectors, training time and epochs."""
    from cbow_torch.vectors.word_vectors import WordVectors

    options = fit_args(
        config, objective=objective, corpus=path.resolve(), tokenizer="simple",
        line_per_document=True, val_fraction=0, window=args.window, min_count=args.min_count,
        seed=seed, vector_size=args.dim, epochs=args.epochs, threads=args.threads,
        progress_bar=False, **({"max_steps": args.max_steps} if args.max_steps else {}),
    )  # fmt: skip
    options += shlex.split(args.ours_args)
    print("$ cbow-torch fit", shlex.join(options), flush=True)
    with tempfile.TemporaryDirectory(prefix="compare_gensim_") as work:
        what = f"ours ({objective or config})"
        record, run = finish(launch(options, Path(work)), Path(work), what)
        if not (run / "embeddings.txt").is_file():
            raise BenchError(f"{what} wrote no embeddings.txt: keep the export on")
        return WordVectors.load(run / "embeddings.txt"), record["seconds"], record["epochs"]


def parse_ours(spec: str, default_config: str) -> list[tuple[str | None, str]]:
    """'softmax,negative:configs/word2vec.yaml,fasttext' -> [(objective, config), ...], each
    checked: OBJECTIVE with --config, OBJECTIVE:CONFIG, or CONFIG alone with its own objective
    (None)."""
    ours = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        objective, colon, config = item.partition(":")
        if not colon and objective not in OBJECTIVES:  # a config alone: `--ours fasttext`
            objective, config = None, item
        try:
            fit_args(config or default_config, objective=objective)  # a bad one fails here
        except BenchError as error:
            if objective is not None:
                raise
            objectives = ", ".join(OBJECTIVES)
            raise BenchError(f"--ours {item}: not an objective ({objectives}); {error}") from None
        ours.append((objective, config or default_config))
    return ours


def ours_name(objective: str | None, config: str) -> str:
    return f"cbow_torch {objective} ({config})" if objective else f"cbow_torch ({config})"

"""The vector tools: ``cbow-torch export|evaluate|neighbors|analogy|plot …``.

Each takes a checkpoint (.ckpt), a word2vec file (text or binary) or a .pt export. Errors are
one line on stderr with exit status 2: an unknown word (with the closest words), a missing or
incompatible file (named).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from ..atomic import atomic_write
from ..model import SOURCES
from .evaluation import COURSE_WORDS, benchmark_paths, evaluate, plot_frequent_words, plot_words
from .word_vectors import FORMATS, UnknownWordError, WordVectors

PROG = "cbow-torch"
VECTORS_HELP = "a training checkpoint (.ckpt), a word2vec file (text or binary) or a .pt export"


class _Parser(argparse.ArgumentParser):
    """A usage error is one line too (``--help`` shows the usage)."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Export, query, score and plot CBOW word vectors.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description)
        p.add_argument("vectors", metavar="CKPT_OR_VECTORS", help=VECTORS_HELP)
        p.add_argument(
            "--source",
            choices=SOURCES,
            default=None,
            help="for a checkpoint: columns of W1, rows of W2, or their average (default)",
        )
        p.add_argument(
            "--trust-pickle",
            action="store_true",
            help="load a torch file that needs full unpickling, which can run any code the file "
            "names: only for files you trust (by default only tensors and plain values load)",
        )
        return p

    p = command(
        "export",
        "write the vectors as word2vec, word2vec-binary or .pt",
        "Write a checkpoint's vectors (or convert a vectors file) to word2vec text, word2vec "
        "binary (both load with gensim's KeyedVectors.load_word2vec_format) or a .pt file "
        "holding {vectors, words}. The file appears whole or not at all.",
    )
    p.add_argument("--format", choices=FORMATS, default="word2vec", help="(default: word2vec)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    p.set_defaults(run=run_export)

    p = command(
        "evaluate",
        "score on WordSim-353, SimLex-999 and Google's analogies",
        "Spearman correlation on WordSim-353 and SimLex-999 and 3CosAdd accuracy on Google's "
        "analogies, through gensim, case-insensitive. Pairs or questions with a word outside "
        "the vocabulary are skipped; the OOV column gives their share. The files default to "
        "the copies shipped in gensim's test data.",
    )
    p.add_argument("--wordsim353", metavar="TSV", help="word1<TAB>word2<TAB>score lines")
    p.add_argument("--simlex999", metavar="TSV", help="word1<TAB>word2<TAB>score lines")
    p.add_argument("--analogies", metavar="TXT", help="Google's questions-words.txt format")
    p.add_argument(
        "--restrict-vocab",
        type=int,
        default=300_000,
        metavar="K",
        help="use only the first K words (default: 300000, gensim's)",
    )
    p.add_argument("--out", metavar="JSON", help="also write the scores to this JSON file")
    p.set_defaults(run=run_evaluate)

    p = command(
        "neighbors",
        "the nearest words by cosine similarity",
        "The nearest words to each WORD by cosine similarity (gensim's most_similar).",
    )
    p.add_argument("words", nargs="+", metavar="WORD")
    p.add_argument("--topn", type=int, default=10, help="how many neighbours (default: 10)")
    p.set_defaults(run=run_neighbors)

    p = command(
        "analogy",
        "solve A : B :: C : ?",
        "A is to B as C is to ?, by 3CosAdd: most_similar(positive=[B, C], negative=[A]). "
        "Example: analogy RUN/embeddings.txt man king woman",
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("--topn", type=int, default=5, help="how many answers (default: 5)")
    p.set_defaults(run=run_analogy)

    p = command(
        "plot",
        "the course's PCA picture of chosen words, as a PNG",
        "PCA of the words' vectors to 2-D, labelled, written as a PNG. The default words are "
        f"the course's: {' '.join(COURSE_WORDS)}. Words not in the vocabulary are skipped "
        "with a note.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--words", nargs="+", metavar="WORD", help="the words to plot")
    which.add_argument("--top", type=int, metavar="N", help="plot the N most frequent words")
    p.add_argument("--out", required=True, metavar="FILE.png", help="the PNG to write")
    p.add_argument("--title", help="the figure's title")
    p.set_defaults(run=run_plot)
    return parser


def main(argv: list[str]) -> int:
    """Run one tool; ``argv`` starts with the command's name. Returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed
        return int(e.code or 0)
    try:
        args.run(args)
    except UnknownWordError as e:
        return _fail(args.command, str(e))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        return _fail(args.command, f"{e.filename}: {e.strerror}" if e.filename else str(e))
    except ValueError as e:
        return _fail(args.command, str(e))
    return 0


def _fail(command: str, message: str) -> int:
    message = " ".join(message.split())  # one line, whatever the library said
    print(f"{PROG} {command}: error: {message}", file=sys.stderr)
    return 2


def _load(args: argparse.Namespace) -> WordVectors:
    return WordVectors.load(args.vectors, source=args.source, trust_pickle=args.trust_pickle)


def _check_words(vectors: WordVectors, words: list[str], path: str) -> None:
    for word in words:
        if word not in vectors:
            raise UnknownWordError(vectors.unknown_word_message(word, path))


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def run_export(args: argparse.Namespace) -> None:
    vectors = _load(args)
    vectors.export(args.out, args.format)
    V, N = vectors.vectors.shape
    source = f", {vectors.source}" if vectors.source else ""
    print(f"wrote {args.out}: {V} words x {N} ({args.format}{source})")


def run_evaluate(args: argparse.Namespace) -> None:
    _positive("--restrict-vocab", args.restrict_vocab)
    paths = benchmark_paths(args.wordsim353, args.simlex999, args.analogies)
    vectors = _load(args)
    scores = evaluate(
        vectors,
        wordsim353=paths["wordsim353"],
        simlex999=paths["simlex999"],
        google_analogy=paths["google_analogy"],
        restrict_vocab=args.restrict_vocab,
    )
    print(f"{'benchmark':<16}{'metric':<10}{'score':>8}{'OOV':>8}")
    for name, metric in (
        ("wordsim353", "spearman"),
        ("simlex999", "spearman"),
        ("google_analogy", "accuracy"),
    ):
        score, oov = scores[f"eval/{name}_{metric}"], scores[f"eval/{name}_oov_ratio"]
        print(f"{name:<16}{metric:<10}{score:>8.4f}{oov:>8.1%}")
    if args.out:
        report = {
            "vectors": str(args.vectors),
            "scores": {k: None if math.isnan(v) else v for k, v in scores.items()},
            "datasets": paths,
        }
        payload = (json.dumps(report, indent=2) + "\n").encode()
        atomic_write(args.out, lambda f: f.write(payload))
        print(f"wrote {args.out}")


def run_neighbors(args: argparse.Namespace) -> None:
    _positive("--topn", args.topn)
    vectors = _load(args)
    _check_words(vectors, args.words, args.vectors)
    kv = vectors.to_keyed_vectors()
    for i, word in enumerate(args.words):
        print(("\n" if i else "") + word)
        for other, similarity in kv.most_similar(word, topn=args.topn):
            print(f"  {other:<20} {similarity:.4f}")


def run_analogy(args: argparse.Namespace) -> None:
    _positive("--topn", args.topn)
    vectors = _load(args)
    _check_words(vectors, [args.a, args.b, args.c], args.vectors)
    kv = vectors.to_keyed_vectors()
    answers = kv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.topn)
    print(f"{args.a} : {args.b} :: {args.c} : ?")
    for word, similarity in answers:
        print(f"  {word:<20} {similarity:.4f}")


def run_plot(args: argparse.Namespace) -> None:
    if Path(args.out).suffix.lower() != ".png":
        raise ValueError(f"--out {args.out}: the picture is a PNG; give a name ending in .png")
    vectors = _load(args)
    if args.top is not None:
        words = plot_frequent_words(vectors, args.out, n=args.top, title=args.title)
        print(f"wrote {args.out}: PCA of the {len(words)} most frequent words")
        return
    words = args.words or list(COURSE_WORDS)
    missing = plot_words(vectors, args.out, words, title=args.title)
    if missing:
        print(f"note: not in the vocabulary, skipped: {', '.join(missing)}", file=sys.stderr)
    print(f"wrote {args.out}: PCA of {len(set(words)) - len(missing)} words")

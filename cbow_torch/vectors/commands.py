"""The vector tools: ``cbow-torch export|evaluate|neighbors|analogy|plot …``.

Each is a jsonargparse subcommand and takes a checkpoint (.ckpt), a word2vec file (text or
binary), an .npz or a .pt export. Errors are one line on stderr with exit status 2: a usage
error (with the tool's --help), an unknown word (with the closest words), a missing or
incompatible file (named). Words are looked up as the run's tokenizer made them (queries.py):
``neighbors EMB File`` finds "file". ``neighbors`` answers for each known word, names the
unknown ones on stderr, and exits 0 if it answered for one at least, else 2.

The tools start fast: nothing here imports Lightning or numba, the parser and ``--help`` need
neither gensim nor torch, and torch loads only for a checkpoint or .pt file.
"""

from __future__ import annotations

import json
import math
import os
import sys
from argparse import ArgumentError, Namespace
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from .evaluation import COURSE_WORDS
from .queries import UnknownWordError
from .tool_parser import PROG, build_parser

if TYPE_CHECKING:
    from .word_vectors import WordVectors


def main(argv: list[str]) -> int:
    """Run one tool; ``argv`` starts with the command's name. Returns the exit status."""
    parser = build_parser()
    command = argv[0] if argv and argv[0] in RUN else None
    try:
        parsed = parser.parse_args(argv)
    except ArgumentError as e:  # a usage error: one line, which names the tool's --help
        where = f"{PROG} {command}" if command else PROG
        return _fail(command, f"{_one_line(str(e))} (see {where} --help)")
    except SystemExit as e:  # --help (0)
        return int(e.code or 0)
    command = parsed.command
    args = parsed[command]
    if command in NEEDS_OUT and args.out is None:  # checked here to name it as it is written
        return _fail(command, f"--out is required (see {PROG} {command} --help)")
    try:
        RUN[command](args)
    except UnknownWordError as e:
        return _fail(command, str(e))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        return _fail(command, f"{e.filename}: {e.strerror}" if e.filename else str(e))
    except ValueError as e:
        return _fail(command, str(e))
    return 0


def _one_line(message: str) -> str:
    """jsonargparse's message without its indented detail lines: ``Parser key "format":
    Expected a typing.Literal[...]. Got value: csv``."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _fail(command: str | None, message: str) -> int:
    message = " ".join(message.split())  # one line, whatever the library said
    print(f"{PROG}{f' {command}' if command else ''}: error: {message}", file=sys.stderr)
    return 2


def _load(args: Namespace) -> WordVectors:
    from .word_vectors import WordVectors

    return WordVectors.load(args.vectors, source=args.source, trust_pickle=args.trust_pickle)


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def _shown(query: str, key: str) -> str:
    """A query as printed: with the word it was looked up as, when that differs."""
    return query if key == query else f"{query} (as {key})"


def run_export(args: Namespace) -> None:
    if args.format == "fasttext":  # W1 with its n-grams, and W2: from a checkpoint
        from .fasttext_bin import export_fasttext

        vectors = export_fasttext(args.vectors, args.out, args.source)
    else:
        vectors = _load(args)
        vectors.export(args.out, args.format)
    V, N = vectors.vectors.shape
    source = f", {vectors.source}" if vectors.source else ""
    print(f"wrote {args.out}: {V} words x {N} ({args.format}{source})")


def run_evaluate(args: Namespace) -> None:
    from .evaluation import benchmark_paths, evaluate

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


def run_neighbors(args: Namespace) -> None:
    from .queries import find_keys

    _positive("--topn", args.topn)
    vectors = _load(args)
    keys = find_keys(vectors, args.words)
    unknown = [w for w, key in zip(args.words, keys, strict=True) if key is None]
    if len(unknown) == len(args.words):  # nothing to answer: one error line
        raise UnknownWordError(
            "; ".join(vectors.unknown_word_message(w, args.vectors) for w in unknown)
        )
    answered = 0
    for query, key in zip(args.words, keys, strict=True):
        if key is None:
            message = vectors.unknown_word_message(query, args.vectors)
            print(f"{PROG} neighbors: skipped: {message}", file=sys.stderr)
            continue
        unseen = "" if vectors.has_index_for(key) else "  (not in the vocabulary: its n-grams)"
        print(("\n" if answered else "") + _shown(query, key) + unseen)
        for other, similarity in vectors.most_similar(key, topn=args.topn):
            print(f"  {other:<20} {similarity:.4f}")
        answered += 1


def run_analogy(args: Namespace) -> None:
    _positive("--topn", args.topn)
    vectors = _load(args)
    a, b, c = (vectors.lookup(w, args.vectors) for w in (args.a, args.b, args.c))
    answers = vectors.most_similar(positive=[b, c], negative=[a], topn=args.topn)
    print(f"{_shown(args.a, a)} : {_shown(args.b, b)} :: {_shown(args.c, c)} : ?")
    for word, similarity in answers:
        print(f"  {word:<20} {similarity:.4f}")


def run_plot(args: Namespace) -> None:
    if args.words and args.top is not None:
        raise ValueError(
            "--words and --top exclude each other: give one (see cbow-torch plot --help)"
        )
    if Path(args.out).suffix.lower() != ".png":
        raise ValueError(f"--out {args.out}: the picture is a PNG; give a name ending in .png")
    from .evaluation import plot_frequent_words, plot_words
    from .queries import find_keys

    vectors = _load(args)
    if args.top is not None:
        words = plot_frequent_words(vectors, args.out, n=args.top, title=args.title)
        print(f"wrote {args.out}: PCA of the {len(words)} most frequent words")
        return
    words = args.words or list(COURSE_WORDS)
    words = [key or w for w, key in zip(words, find_keys(vectors, words), strict=True)]
    missing = plot_words(vectors, args.out, words, title=args.title)
    if missing:
        print(f"note: not in the vocabulary, skipped: {', '.join(missing)}", file=sys.stderr)
    print(f"wrote {args.out}: PCA of {len(set(words)) - len(missing)} words")


NEEDS_OUT = ("export", "plot")
RUN = {  # command -> what runs it
    "export": run_export,
    "evaluate": run_evaluate,
    "neighbors": run_neighbors,
    "analogy": run_analogy,
    "plot": run_plot,
}

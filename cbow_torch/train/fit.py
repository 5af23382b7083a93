"""Training in one Python call: ``fit()`` runs ``cbow-torch fit`` and returns the vectors.

It builds the command line and runs the same LightningCLI (``cli.cli_main``): the same config
files, run directory, TensorBoard events, checkpoints, export and one-line errors, raised as
exceptions instead of exiting. Keyword names follow gensim's ``Word2Vec`` where one exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from argparse import ArgumentError
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..vectors.word_vectors import WordVectors

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BUNDLED = ("default", "word2vec", "course")
# gensim's keyword: the config keys it sets
GENSIM_NAMES = {
    "epochs": ("trainer.max_epochs",),
    "vector_size": ("model.embedding_dim",),
    "window": ("data.window",),
    "min_count": ("data.min_count",),
    "negative": ("model.negatives",),
    "threads": ("threads.count",),
    "seed": ("seed_everything", "model.seed", "data.seed"),
    "out_dir": ("trainer.logger.init_args.save_dir",),
}
Corpus = str | os.PathLike | Iterable[str | os.PathLike] | Iterable[Iterable[str]]


def fit(
    corpus: Corpus | None = None,
    *,
    config: str | os.PathLike = "default",
    epochs: int | None = None,
    vector_size: int | None = None,
    window: int | None = None,
    min_count: int | None = None,
    negative: int | None = None,
    threads: int | None = None,
    seed: int | None = None,
    out_dir: str | os.PathLike = "runs",
    **overrides: Any,
) -> WordVectors:
    """Train CBOW word vectors as ``cbow-torch fit --config CONFIG`` does; return them.

    Args:
        corpus: a text file, directory or glob (``data.corpus``), a list of them, or an
            iterable of token lists (gensim's ``sentences``: one document each, written to a
            temporary file in ``out_dir`` and read with the ``whitespace`` tokenizer). None
            keeps the config's corpus: the bundled Lee corpus for the bundled configs.
        config: a bundled config (``"default"``, the softmax; ``"word2vec"``, negative
            sampling; ``"course"``) or the path of a YAML config.
        epochs, vector_size, window, min_count, negative: gensim's names for
            ``trainer.max_epochs``, ``model.embedding_dim``, ``data.window``,
            ``data.min_count`` and ``model.negatives``; None keeps the config's value.
        threads: ``threads.count``, torch's intra-op threads; None keeps the config's (its
            fair share of the machine's cores).
        seed: sets ``seed_everything``, ``model.seed`` and ``data.seed`` at once.
        out_dir: where the run directory goes (``OUT_DIR/NAME/version_N``).
        **overrides: any other config key, with ``__`` for its dots:
            ``data__batch_size=256``, ``model__lr=0.5``, ``trainer__max_steps=100``.

    Returns:
        The trained vectors, from the config's ``export.source`` (``W1``, ``W2`` or
        ``average``), as written to the run's ``embeddings.txt``.

    Raises:
        ValueError: a bad option or corpus, with the CLI's one-line message.
        CBOWTrainingError: training diverged, or the vectors collapsed.
    """
    from .cli import cli_main

    values: dict[str, Any] = {
        "epochs": epochs,
        "vector_size": vector_size,
        "window": window,
        "min_count": min_count,
        "negative": negative,
        "threads": threads,
        "seed": seed,
        "out_dir": os.fspath(out_dir),
    }
    settings = {
        key: value
        for name, value in values.items()
        if value is not None
        for key in GENSIM_NAMES[name]
    }
    settings.update({key.replace("__", "."): value for key, value in overrides.items()})
    args = ["fit", f"--config={config_path(config)}"]
    sentences = None
    if corpus is not None:
        paths, sentences = _split_corpus(corpus)
        if paths is not None:
            settings["data.corpus"] = paths if len(paths) > 1 else paths[0]
    made = not Path(out_dir).exists()
    with contextlib.ExitStack() as stack:
        if made:  # a failed fit leaves no empty out_dir behind
            stack.callback(_remove_if_empty, Path(out_dir))
        if sentences is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=".corpus_", dir=out_dir))
            settings["data.corpus"] = _write_sentences(sentences, Path(tmp) / "corpus.txt")
            settings["data.tokenizer"] = "whitespace"
            settings["data.line_per_document"] = True
        args += [f"--{key}={_cli_value(value)}" for key, value in settings.items()]
        cli = _run(cli_main, args)
    return cli.model.word_vectors(cli.config["fit"]["export"]["source"])


def config_path(config: str | os.PathLike) -> Path:
    """A bundled config's name, or a path; a config that is not there is a ValueError."""
    if os.fspath(config) in BUNDLED:
        path = CONFIGS / f"{os.fspath(config)}.yaml"
    else:
        path = Path(config)
    if not path.is_file():
        raise ValueError(
            f"config {os.fspath(config)!r}: no such file; give one of {', '.join(BUNDLED)} "
            "or the path of a YAML config"
        )
    return path.resolve()


def _run(cli_main, args: list[str]):
    """The CLI's run, its exits as the exceptions they stand for."""
    from .checkpoints import RunFinished

    try:
        with warnings.catch_warnings():
            # The caller's own sys.argv (a script's, pytest's) is not for this CLI: args replace it.
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
            return cli_main(args)
    except ArgumentError as error:  # an unknown option, a bad value: the CLI's one line
        raise ValueError(" ".join(str(error).split())) from None
    except SystemExit as error:  # print_config, help: they exit, having trained nothing
        raise ValueError(f"the options asked for no training (exit {error.code})") from None
    except RunFinished as done:  # a resumed run with nothing left to do
        raise ValueError(f"{done}: nothing trained") from None


def _split_corpus(corpus: Corpus) -> tuple[list[str] | None, Iterable | None]:
    """(paths, None) for files, (None, sentences) for token lists."""
    if isinstance(corpus, str | os.PathLike):
        return [os.fspath(corpus)], None
    items = iter(corpus)
    first = next(items, None)
    if first is None:
        raise ValueError("corpus is empty: give a file, or an iterable of token lists")
    if isinstance(first, str | os.PathLike):
        rest = list(items)
        if not all(isinstance(p, str | os.PathLike) for p in rest):
            raise ValueError("corpus: a list of paths holds something that is not a path")
        return [os.fspath(p) for p in [first, *rest]], None
    return None, _chain(first, items)


def _chain(first, rest):
    yield first
    yield from rest


def _write_sentences(sentences: Iterable, path: Path) -> str:
    """One document a line, its tokens separated by spaces; a token that cannot be one is a
    ValueError naming it."""
    lines = 0
    with open(path, "w", encoding="utf8") as f:
        for i, tokens in enumerate(sentences):
            if isinstance(tokens, str):
                raise ValueError(
                    f"corpus item {i} is a string, not a list of tokens: give [['a', 'b'], …] "
                    "or a file path"
                )
            tokens = list(tokens)
            for token in tokens:
                if not isinstance(token, str) or not token or len(token.split()) != 1:
                    raise ValueError(
                        f"corpus item {i}: token {token!r} must be a non-empty string "
                        "without whitespace"
                    )
            if tokens:
                f.write(" ".join(tokens) + "\n")
                lines += 1
    if not lines:
        raise ValueError("corpus holds no tokens: give an iterable of non-empty token lists")
    return str(path)


def _remove_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()  # only an empty directory goes


def _cli_value(value: Any) -> str:
    """A Python value as jsonargparse reads it from the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)

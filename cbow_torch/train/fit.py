"""Training in one Python call: ``fit()`` runs ``cbow-torch fit`` and returns the vectors.

The keywords become a config (a dict) for the same run as the command line (``run.run``): the
same config files, run directory, TensorBoard events, checkpoints, export and one-line errors,
raised as exceptions instead of exiting. Keyword names follow gensim's ``Word2Vec`` and
``FastText`` where one exists (``GENSIM_NAMES``); values that gensim has and this library does
not train are refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..vectors.word_vectors import WordVectors

# gensim's keyword: the config keys it sets
GENSIM_NAMES = {
    "epochs": ("trainer.max_epochs",),
    "vector_size": ("model.embedding_dim",),
    "window": ("data.window",),
    "min_count": ("data.min_count",),
    "max_vocab_size": ("data.max_vocab_size",),
    "sample": ("data.sample",),
    "negative": ("model.objective.init_args.negatives",),
    "alpha": ("model.lr",),
    "min_alpha": ("model.min_lr",),
    "workers": ("threads.count",),
    "threads": ("threads.count",),
    "seed": ("seed_everything", "model.seed", "data.seed"),
    "out_dir": ("trainer.logger.init_args.save_dir",),
    "min_n": ("model.input.init_args.min_n",),  # gensim's FastText: subwords on
    "max_n": ("model.input.init_args.max_n",),
    "bucket": ("model.input.init_args.bucket",),
}
SUBWORDS = ("min_n", "max_n", "bucket")
# gensim's keyword: (the value this library trains, what it trains instead)
FIXED = {
    "sg": (0, "CBOW only (sg=0); skip-gram (sg=1) is not trained here"),
    "hs": (
        0,
        "negative sampling (config='word2vec') or the full softmax (config='default'), "
        "not hierarchical softmax (hs=1)",
    ),  # fmt: skip
    "cbow_mean": (1, "h is the mean of the context vectors (cbow_mean=1)"),
    "shrink_windows": (True, "the fused engine shrinks windows as word2vec does"),
}
Corpus = str | os.PathLike | Iterable[str | os.PathLike] | Iterable[Iterable[str]]


def fit(
    corpus: Corpus | None = None,
    *,
    config: str | os.PathLike = "default",
    out_dir: str | os.PathLike = "runs",
    **options: Any,
) -> WordVectors:
    """Train CBOW word vectors as ``cbow-torch fit --config CONFIG`` does; return them.

    Args:
        corpus: a text file, directory or glob (``data.corpus``), a list of them, or an
            iterable of token lists (gensim's ``sentences``: one document each, written to a
            temporary file in ``out_dir`` and read with the ``whitespace`` tokenizer). None
            keeps the config's corpus: the bundled Lee corpus for the bundled configs.
        config: a bundled config's name (``"default"``, the softmax; ``"word2vec"``, negative
            sampling; ``"fasttext"``, negative sampling with subwords; ``"course"``) or the
            path of a YAML config.
        out_dir: where the run directory goes (``OUT_DIR/NAME/version_N``).
        **options: gensim's names (``GENSIM_NAMES``: ``epochs``, ``vector_size``, ``window``,
            ``min_count``, ``max_vocab_size``, ``sample``, ``negative``, ``alpha``,
            ``min_alpha``, ``workers``, ``seed``; ``FastText``'s ``min_n``, ``max_n`` and
            ``bucket``, which turn subwords on; ``sg=0``, ``hs=0``, ``cbow_mean=1`` and
            ``shrink_windows=True`` are accepted as what this library trains), or any config
            key with ``__`` for its dots: ``data__batch_size=256``, ``trainer__max_steps=100``,
            ``model__objective__init_args__negatives=10``.

    Returns:
        The trained vectors, from the config's ``export.source`` (``W1``, ``W2`` or
        ``average``), as written to the run's ``embeddings.txt``: a ``SubwordVectors``
        (gensim's ``FastTextKeyedVectors``, answering for unseen words too) for W1 of a model
        with subwords.

    Raises:
        ValueError: a bad option or corpus, with the CLI's one-line message.
        CBOWTrainingError: training diverged, or the vectors collapsed.
    """
    from .run import run

    settings = {"trainer.logger.init_args.save_dir": os.fspath(out_dir)}
    if any(name in options for name in SUBWORDS):  # gensim's FastText: the subword input
        settings["model.input.class_path"] = "cbow_torch.inputs.Subwords"
    for name, value in options.items():
        if name in FIXED:
            supported, instead = FIXED[name]
            if value != supported:
                raise ValueError(f"{name}={value!r} is not offered: this library trains {instead}")
        elif name in GENSIM_NAMES:
            settings.update(dict.fromkeys(GENSIM_NAMES[name], value))
        else:
            settings[name.replace("__", ".")] = value
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
        recipe = _merged(_read_config(config), settings)
        cli = _run(run, {"subcommand": "fit", "fit": recipe})
    return cli.model.word_vectors(cli.config["fit"]["export"]["source"])


def _read_config(config: str | os.PathLike) -> dict[str, Any]:
    """A config file (a bundled name or a path) as a dict; a bad one is a one-line ValueError."""
    import yaml

    from .configs import resolve

    path = resolve(config)
    try:
        recipe = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"config {path}: {' '.join(str(e).split())}") from None
    if not isinstance(recipe, dict):
        raise ValueError(f"config {path}: holds no option: name: value mapping")
    return recipe


def _merged(recipe: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The config with each ``a.b.c`` setting put in place, beside what the config has there
    (a class's ``init_args`` keep its ``class_path``)."""
    for key, value in settings.items():
        *parents, last = key.split(".")
        node = recipe
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return recipe


def _run(run, args: dict[str, Any]):
    """The run; a run that trains nothing (help, print_config, a finished resume) is a
    ValueError."""
    from .checkpoints import RunFinished

    try:
        return run(args)
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

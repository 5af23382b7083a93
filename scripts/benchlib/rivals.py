"""gensim's and fastText's CBOW, trained and timed the same way for every benchmark."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from . import BenchError

# gensim truncates a sentence at 10,000 words (MAX_WORDS_IN_BATCH); longer documents are cut in
# pieces of that size instead, as its LineSentence does.
GENSIM_MAX_SENTENCE = 10_000
# Subwords as each library's users get them, its own defaults (tests/test_benchlib.py checks
# them against the libraries'): character n-grams of 3 to 6 letters in 2,000,000 buckets.
FASTTEXT_SUBWORDS = {"minn": 3, "maxn": 6, "bucket": 2_000_000}
GENSIM_SUBWORDS = {"min_n": 3, "max_n": 6, "bucket": 2_000_000}
FASTTEXT_NO_SUBWORDS = {"minn": 0, "maxn": 0}


def gensim_cbow(
    docs: list[list[str]], epochs: int, threads: int, seed: int, subwords: bool = False, **options
):
    """gensim's ``Word2Vec(sg=0, **options)`` on the token lists, or with ``subwords`` its
    ``FastText(sg=0, **GENSIM_SUBWORDS, **options)``; returns its vectors and the seconds of
    ``train()`` alone (``build_vocab`` runs first, off the clock)."""
    from gensim.models import FastText, Word2Vec

    sentences = [
        d[i : i + GENSIM_MAX_SENTENCE] for d in docs for i in range(0, len(d), GENSIM_MAX_SENTENCE)
    ]
    if subwords:
        model = FastText(sg=0, workers=threads, seed=seed, **{**GENSIM_SUBWORDS, **options})
    else:
        model = Word2Vec(sg=0, workers=threads, seed=seed, **options)
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    return model.wv, time.perf_counter() - start


@contextlib.contextmanager
def _stderr_to(path: Path):
    """File descriptor 2 into ``path``: fastText's C++ writes its progress there."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def fasttext_cbow(path: Path, threads: int, subwords: bool = False, **options):
    """fastText's ``train_unsupervised(model="cbow", **options)`` on a file of tokens (its
    vocabulary pass included: it has no separate call), without subwords (``minn=0, maxn=0``)
    or with its default ones (``FASTTEXT_SUBWORDS``), unless OPTIONS say otherwise. Returns the
    model, the call's seconds and fastText's own training words/s (words/sec/thread × threads,
    from its progress line). This binding takes no seed: runs differ by thread races only."""
    try:
        import fasttext
    except ImportError:
        raise BenchError("fastText is not installed: pip install fasttext-wheel") from None
    options = {**(FASTTEXT_SUBWORDS if subwords else FASTTEXT_NO_SUBWORDS), **options}
    with tempfile.TemporaryDirectory(prefix="fasttext_") as tmp:
        log = Path(tmp, "progress.log")
        start = time.perf_counter()
        with _stderr_to(log):
            model = fasttext.train_unsupervised(
                str(path), model="cbow", thread=threads, verbose=2, **options
            )
        seconds = time.perf_counter() - start
        rates = re.findall(r"words/sec/thread:\s*(\d+)", log.read_text(errors="replace"))
    return model, seconds, float(rates[-1]) * threads if rates else float("nan")


def fasttext_vectors(model):
    """A fastText model's word vectors as a WordVectors, without its end-of-line token
    ``</s>``."""
    import numpy as np

    from cbow_torch.vectors.word_vectors import WordVectors

    words = [w for w in model.words if w != "</s>"]
    vectors = np.stack([model.get_word_vector(w) for w in words])  # [V, N]
    return WordVectors.from_vectors(words, vectors)


def word2vec_settings(args) -> tuple[dict, dict]:
    """gensim's and fastText's options for word2vec's CBOW defaults (k = 5, sample 1e-3,
    min_count 5) at the script's N (``args.dim``) and C (``args.window``)."""
    gensim = {"negative": 5, "hs": 0, "sample": 1e-3, "min_count": 5}
    fasttext = {"neg": 5, "t": 1e-3, "minCount": 5, "bucket": 0}
    return (
        {"vector_size": args.dim, "window": args.window, **gensim},
        {"dim": args.dim, "ws": args.window, **fasttext},
    )

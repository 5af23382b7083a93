"""fastText's ``.bin`` model of a run with subwords: ``fasttext.load_model`` and gensim's
``load_facebook_model``/``load_facebook_vectors`` read it, with the same vectors as the run's
``SubwordVectors`` for words in and outside the vocabulary. gensim's ``save_facebook_model``
writes it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..atomic import atomic_path
from .word_vectors import SubwordVectors

PathLike = str | os.PathLike


def save_fasttext_bin(
    vectors: SubwordVectors, output: np.ndarray, path: PathLike, settings: dict[str, Any]
) -> None:
    """fastText's ``.bin`` model (``fasttext.load_model`` and gensim's
    ``load_facebook_model`` read it): the input matrix (the words' rows, then the buckets'), the
    output matrix ``output`` [V, N] (W2), the vocabulary with its counts, and the training
    ``settings`` its header records (window, negative, epochs, min_count, sample, lr), written
    by gensim's ``save_facebook_model``, whole or not at all."""
    from gensim.models.fasttext import FastText, save_facebook_model

    if vectors.counts is None:
        raise ValueError("a fastText .bin needs the words' corpus counts; these vectors have none")
    model = FastText(
        vector_size=vectors.vector_size,
        min_n=vectors.min_n,
        max_n=vectors.max_n,
        bucket=vectors.bucket,
        sg=0,
        hs=0,
        **settings,
    )
    model.wv = vectors
    model.syn1neg = np.asarray(output, np.float32)  # [V, N]
    model.corpus_total_words = int(vectors.counts.sum())
    with atomic_path(path) as tmp:
        save_facebook_model(model, str(tmp))


def export_fasttext(
    checkpoint: PathLike, out: PathLike, source: str | None = None
) -> SubwordVectors:
    """The ``.bin`` of a training checkpoint of a model with subwords (W1 with its buckets,
    W2, the vocabulary, the run's settings); returns its vectors. A checkpoint without
    subwords, or another kind of file, is a one-line ValueError saying what to write instead."""
    from ..checkpoint import TrainingCheckpoint, read_torch_file
    from .formats import sniff

    if source not in (None, "W1"):
        raise ValueError(
            f"--source {source}: fastText's vectors are W1's, with its n-grams; leave --source out"
        )
    if sniff(checkpoint) != "torch":
        raise ValueError(
            f"{checkpoint}: a fastText .bin is written from a training checkpoint (.ckpt), which "
            "holds the output matrix W2 too; give the run's checkpoints/last.ckpt"
        )
    raw = read_torch_file(checkpoint)
    ckpt = TrainingCheckpoint.from_dict(raw, checkpoint)
    unseen = ckpt.unseen("W1")
    if unseen is None:
        raise ValueError(
            f"{checkpoint}: the model was trained without subwords (model.input "
            f"{ckpt.input}), so it has no fastText model: export --format word2vec, "
            "word2vec-binary or npz instead"
        )
    rows = ckpt.vectors("W1")  # [V, N] the mean of each word's bag
    vectors = SubwordVectors.from_rows(ckpt.words, rows, unseen, ckpt.counts, ckpt.tokenizer)
    data = raw.get("datamodule_hyper_parameters") or {}
    objective = (ckpt.hparams.get("objective") or {}).get("init_args") or {}
    settings = {
        "window": data.get("window", 5),
        "min_count": data.get("min_count", 5),
        "sample": data.get("sample", 1e-3),
        "negative": objective.get("negatives", 5),
        "epochs": max(ckpt.epochs_done, 1),
        "alpha": ckpt.hparams.get("lr", 0.05),
    }
    save_fasttext_bin(vectors, ckpt.output_vectors.numpy(), out, settings)
    return vectors

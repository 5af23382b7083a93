"""Measurements that need a fresh Python process, one function each; each prints its figures
as one JSON line. Run from scripts/ (or with it on PYTHONPATH); :func:`run` does that:

    python -m benchlib.fresh memory kind=manual shape=large [dtype=float32] [threads=2]
        the resident-set peak of two softmax steps of KIND (manual, autograd) at SHAPE (a name
        of benchlib.common.SHAPES or VxNxmxC), above the model and batches (benchlib.rss)
    python -m benchlib.fresh startup [ids_dtype=int32]
        numba's start-up: importing the fused kernel, then its first call; with
        NUMBA_CACHE_DIR an empty directory it compiles, with the same directory again it loads
    python -m benchlib.fresh word2vec corpus=FILE out=FILE epochs=5 threads=2 options={...}
        gensim's Word2Vec(LineSentence(FILE)) as its users run it: build_vocab, train, then
        its vectors saved as word2vec text; OPTIONS are Word2Vec's (JSON)
    python -m benchlib.fresh fasttext corpus=FILE out=FILE threads=2 options={...}
        fastText's train_unsupervised(FILE, model="cbow", **OPTIONS), then save_model(OUT)

word2vec and fasttext print the time (``time.time()``) at the end of each of their parts, for
benchlib.parts to put beside our run's.

A value is read as JSON where it is JSON (numbers), as text otherwise. Nothing is imported
before the function that needs it, so a start-up is timed from the bare interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from . import BenchError


def memory(kind: str, shape: str, dtype: str = "float32", threads: int | None = None) -> dict:
    import torch

    from .common import DTYPES, shapes
    from .rss import PeakAbove
    from .step import make_step

    if threads:
        torch.set_num_threads(threads)
    V, N, m, C = shapes(shape)[0][1]
    make_step(kind, 97, 8, 16, C, DTYPES[dtype])()  # load the kernels' code on a tiny model
    step = make_step(kind, V, N, m, C, DTYPES[dtype])
    with PeakAbove() as peak:  # the first step allocates what later steps recycle: it counts
        step()
        step()
    return {"peak_above_mib": peak.mib, "method": peak.method}


def startup(ids_dtype: str = "int32") -> dict:
    begun = time.perf_counter()
    import numpy as np
    import torch

    from cbow_torch.data.chunks import make_spans
    from cbow_torch.functional import negative_sampling_sgd_, train_chunk

    imported = time.perf_counter()
    V = 50
    ids = (np.arange(2000) % V).astype(ids_dtype)  # [2000]
    ones, alias = np.ones(V, np.float32), np.arange(V, dtype=np.int64)  # [V], [V]
    W1T, W2 = torch.rand(V, 8), torch.zeros(V, 8)  # [V, 8], [V, 8]
    spans = make_spans([0], len(ids))
    train_chunk(W1T, W2, ids, spans, 0, 1, ones, ones, alias, 5, 5, 0.025, 0.0001, 0, 2)
    context, noise = torch.ones(1, 4, dtype=torch.long), torch.ones(1, 2, dtype=torch.long)
    negative_sampling_sgd_(W1T, W2, context, torch.zeros(1, dtype=torch.long), noise, 0.1)
    return {"import": imported - begun, "first call": time.perf_counter() - imported}


def gensim_word2vec(corpus: str, out: str, epochs: int, threads: int, options: dict) -> dict:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    marks = {"imported": time.time()}
    model = Word2Vec(sg=0, workers=threads, **options)
    model.build_vocab(LineSentence(corpus))
    marks["vocabulary"] = time.time()
    model.train(LineSentence(corpus), total_examples=model.corpus_count, epochs=epochs)
    marks["trained"] = time.time()
    model.wv.save_word2vec_format(out)
    marks["saved"] = time.time()
    return marks


def fasttext_unsupervised(corpus: str, out: str, threads: int, options: dict) -> dict:
    import fasttext

    marks = {"imported": time.time()}
    model = fasttext.train_unsupervised(corpus, model="cbow", thread=threads, **options)
    marks["trained"] = time.time()  # its vocabulary pass is inside: it has no call of its own
    model.save_model(out)
    marks["saved"] = time.time()
    return marks


def run(function: str, env: dict | None = None, **options) -> dict:
    """``python -m benchlib.fresh FUNCTION KEY=VALUE …`` in a fresh process; its figures.
    ``env``: more environment variables. A failure is a BenchError with its last line."""
    from .runs import scripts_env

    text = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in options.items()}
    argv = [function, *(f"{k}={v}" for k, v in text.items())]
    command = [sys.executable, "-m", "benchlib.fresh", *argv]
    out = subprocess.run(command, env=scripts_env(**(env or {})), capture_output=True, text=True)
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"benchlib.fresh {' '.join(argv)} failed: {last}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str]) -> None:
    functions = {
        "memory": memory,
        "startup": startup,
        "word2vec": gensim_word2vec,
        "fasttext": fasttext_unsupervised,
    }
    if not argv or argv[0] not in functions or not all("=" in a for a in argv[1:]):
        print(__doc__)  # --help, or a call that is none of the above
        sys.exit(0 if argv in (["-h"], ["--help"]) else 2)
    options = dict(a.split("=", 1) for a in argv[1:])
    try:
        figures = functions[argv[0]](**{k: _value(v) for k, v in options.items()})
    except TypeError as error:  # a keyword that the function does not take
        sys.exit(f"benchlib.fresh: error: {error}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])

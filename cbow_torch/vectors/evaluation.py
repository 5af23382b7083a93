"""What trained word vectors are worth, and what they look like.

Scores on WordSim-353, SimLex-999 and Google's analogies (through gensim's ``KeyedVectors``),
the course's PCA picture, and ``finish_run``, which writes
a finished fit's embeddings, scores and pictures. Every file appears whole or not at all.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import json
import logging
import math
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_write
from .analogies import score_analogies

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

    from .word_vectors import PathLike, WordVectors

log = logging.getLogger(__name__)

COURSE_WORDS = ("king", "queen", "lord", "man", "woman", "dog", "wolf", "rich", "happy", "sad")
COURSE_MIN = 5  # a run's course-words picture needs at least half of them in its vocabulary

# ---- scores and queries -----------------------------------------------------------------


def benchmark_paths(
    wordsim353: PathLike | None = None,
    simlex999: PathLike | None = None,
    google_analogy: PathLike | None = None,
) -> dict[str, str]:
    """The three benchmark files: the ones given, else gensim's bundled copies (the paths of
    gensim's ``datapath``, without importing ``gensim.test.utils``, which builds its test
    corpora at import)."""
    bundled = importlib.resources.files("gensim.test") / "test_data"
    paths = {
        "wordsim353": wordsim353 or bundled / "wordsim353.tsv",
        "simlex999": simlex999 or bundled / "simlex999.txt",
        "google_analogy": google_analogy or bundled / "questions-words.txt",
    }
    for name, p in paths.items():
        if not Path(p).is_file():
            raise FileNotFoundError(f"{p}: no such {name} file")
    return {name: str(p) for name, p in paths.items()}


def evaluate(
    vectors: WordVectors | KeyedVectors,
    *,
    wordsim353: PathLike | None = None,
    simlex999: PathLike | None = None,
    google_analogy: PathLike | None = None,
    restrict_vocab: int = 300_000,
) -> dict[str, float]:
    """Spearman ρ on WordSim-353 and SimLex-999, 3CosAdd accuracy on Google's analogies.

    As gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies`` score them
    (case-insensitive, over the first ``restrict_vocab`` words); the analogies in batches
    (analogies.py), some ten times faster than gensim's one question at a time. Items with an
    out-of-vocabulary word are skipped; each score comes with its OOV ratio, the fraction (0 to
    1) of items skipped. A score with no item left to score is NaN. Files default to gensim's
    bundled copies.

    Returns a flat dict of floats: ``eval/wordsim353_spearman``, ``eval/wordsim353_oov_ratio``,
    ``eval/simlex999_spearman``, ``eval/simlex999_oov_ratio``,
    ``eval/google_analogy_accuracy``, ``eval/google_analogy_oov_ratio``.
    """
    paths = benchmark_paths(wordsim353, simlex999, google_analogy)
    kv = plain_view(vectors)
    scores: dict[str, float] = {}
    for name in ("wordsim353", "simlex999"):
        path = paths[name]
        if _count_pairs(path) == 0:
            raise ValueError(f"{path}: no word pairs ('word1<TAB>word2<TAB>score' lines)")
        with warnings.catch_warnings():  # a constant input makes ρ NaN, which we report
            warnings.simplefilter("ignore")
            try:
                _, spearman, oov = kv.evaluate_word_pairs(path, restrict_vocab=restrict_vocab)
                rho, oov = float(spearman[0]), oov / 100
            except ValueError:  # gensim: every pair has an OOV word
                rho, oov = math.nan, 1.0
        scores[f"eval/{name}_spearman"], scores[f"eval/{name}_oov_ratio"] = rho, oov
    path = paths["google_analogy"]
    analogies = score_analogies(kv.index_to_key, kv.vectors, path, restrict_vocab)
    if analogies.total == 0:
        raise ValueError(f"{path}: no analogies ('a b c d' lines under ': section' headers)")
    scores["eval/google_analogy_accuracy"] = analogies.accuracy
    scores["eval/google_analogy_oov_ratio"] = analogies.oov_ratio
    return scores


def plain_view(vectors: KeyedVectors) -> KeyedVectors:
    """gensim's own ``KeyedVectors`` over the same words, index and vectors (no copy): gensim's
    scoring loops look words up without ``WordVectors``' extensions, twice as fast."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.vector_size, 0, vectors.vectors.dtype)
    kv.index_to_key, kv.key_to_index = vectors.index_to_key, vectors.key_to_index
    kv.vectors = vectors.vectors  # [V, N]
    return kv


def _count_pairs(path: str) -> int:
    n = 0
    with open(path, encoding="utf8") as f:
        for line in f:
            parts = line.split("\t")
            if not line.startswith("#") and len(parts) == 3:
                with contextlib.suppress(ValueError):
                    float(parts[2])
                    n += 1
    return n


# ---- the course's picture ---------------------------------------------------------------


def pca(x: Any, n_components: int = 2) -> np.ndarray:
    """Project the rows of x [k, N] onto their first principal components: [k, n_components].

    Components that the data does not have (k or N too small) come out as zeros.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"pca needs a non-empty [k, N] matrix, got shape {x.shape}")
    centred = x - x.mean(axis=0)  # [k, N]
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # vt [min(k, N), N]
    out = np.zeros((x.shape[0], n_components))
    r = min(n_components, vt.shape[0])
    out[:, :r] = centred @ vt[:r].T  # [k, r]
    return out


def plot_words(
    vectors: WordVectors,
    path: PathLike,
    words: Iterable[str] = COURSE_WORDS,
    title: str | None = None,
) -> list[str]:
    """The course's picture: PCA of the words' vectors to 2-D, labelled, as a PNG.

    Words not in the vocabulary are skipped and named in a note on the figure; returns them.
    """
    words = list(dict.fromkeys(words))
    present = [w for w in words if vectors.has_index_for(w)]
    missing = [w for w in words if not vectors.has_index_for(w)]
    if len(present) < 2:
        raise ValueError(
            f"need at least 2 of the words in the vocabulary to plot, found {present} "
            f"(missing: {', '.join(missing)})"
        )
    rows = [vectors.key_to_index[w] for w in present]
    note = f"not in the vocabulary: {', '.join(missing)}" if missing else None
    default = "the course's words" if words == list(COURSE_WORDS) else f"{len(rows)} words"
    _plot_pca(vectors, rows, path, title or f"PCA of {default}", note)
    return missing


def plot_frequent_words(
    vectors: WordVectors, path: PathLike, n: int = 50, title: str | None = None
) -> list[str]:
    """The same picture for the ``n`` most frequent words; returns them."""
    if n < 2:
        raise ValueError(f"n must be >= 2 to plot, got {n}")
    rows = vectors.most_frequent(n)
    if len(rows) < 2:
        raise ValueError(f"need at least 2 words to plot, the vocabulary has {len(vectors)}")
    _plot_pca(vectors, rows, path, title or f"PCA of the {len(rows)} most frequent words", None)
    return [vectors.index_to_key[i] for i in rows]


def _plot_pca(vectors: WordVectors, rows: list[int], path: PathLike, title: str, note) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = np.asarray(vectors.vectors[rows], dtype=np.float64)  # [k, N]
    xy = pca(x)  # [k, 2]
    total = ((x - x.mean(axis=0)) ** 2).sum()
    share = (xy**2).sum(axis=0) / total if total > 0 else np.zeros(2)  # explained variance
    fig = Figure(figsize=(7, 6), dpi=100)
    FigureCanvasAgg(fig)  # Agg, whatever pyplot's backend: no display needed
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=14, color="tab:blue")
    for (x, y), i in zip(xy, rows, strict=True):
        ax.annotate(vectors.index_to_key[i], (x, y), xytext=(3, 3), textcoords="offset points")
    source = f" ({vectors.source} embeddings)" if vectors.source else ""
    ax.set(title=title + source, xlabel=f"PC 1 ({share[0]:.0%})", ylabel=f"PC 2 ({share[1]:.0%})")
    if note:
        fig.text(0.01, 0.01, note, fontsize=8, color="dimgray")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write(path, lambda f: f.write(buf.getvalue()))


# ---- the end of a fit -------------------------------------------------------------------

RUN_FILES = {
    "embeddings": "embeddings.txt",
    "eval": "eval.json",
    "course_words": "pca_course_words.png",
    "frequent_words": "pca_frequent_words.png",
}


def finish_run(
    vectors: WordVectors,
    run_dir: PathLike,
    writer: Any = None,
    global_step: int | None = None,
    *,
    evaluation: bool = True,
    pictures: bool = True,
    projector: int = 0,
) -> dict[str, float]:
    """Write a run's embeddings.txt, eval.json and PCA PNGs; return the evaluation scores.

    ``evaluation=False`` leaves out eval.json (no scores returned), ``pictures=False`` the PNGs.
    With a ``SummaryWriter``, the PNGs are also logged as images (``embeddings/pca_…``), and
    ``projector`` > 0 writes TensorBoard's projector of that many most frequent words. The
    course-words picture is drawn only when at least COURSE_MIN of COURSE_WORDS are known.

    embeddings.txt (with the projector) and the pictures are made on two more threads while the
    scores are computed: text formatting, the analogies' loop (numba) and file writes run
    without the GIL. The threads only read ``vectors``; the scores use ``plain_view``.
    """
    run_dir = Path(run_dir)
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(write_embeddings, vectors, run_dir, writer, global_step, projector)]
        if pictures:
            jobs.append(pool.submit(write_pictures, vectors, run_dir, writer, global_step))
        scores = write_evaluation(vectors, run_dir) if evaluation else {}
        for job in jobs:
            job.result()
    return scores


def write_embeddings(
    vectors: WordVectors, run_dir: Path, writer: Any = None, step: int | None = None, top: int = 0
) -> None:
    """The run's embeddings.txt: word2vec text, in the vocabulary's order; with a ``writer``,
    also TensorBoard's projector of the ``top`` most frequent words (0: none)."""
    vectors.export(run_dir / RUN_FILES["embeddings"], "word2vec")
    if writer is not None and top:
        vectors.write_projector(writer, top, global_step=step)


def write_evaluation(vectors: WordVectors, run_dir: Path) -> dict[str, float]:
    """The run's eval.json: the scores of ``evaluate``, which it returns."""
    scores = evaluate(vectors)
    V, N = vectors.vectors.shape
    report = {
        "vectors": {"source": vectors.source, "vocab_size": V, "dim": N},
        "scores": {k: None if math.isnan(v) else v for k, v in scores.items()},
        "datasets": benchmark_paths(),
    }
    payload = (json.dumps(report, indent=2) + "\n").encode()
    atomic_write(run_dir / RUN_FILES["eval"], lambda f: f.write(payload))
    return scores


def write_pictures(
    vectors: WordVectors, run_dir: Path, writer: Any = None, global_step: int | None = None
) -> list[str]:
    """The run's PCA pictures (the course's words when enough are known, the most frequent
    words), also logged through ``writer`` if given; returns their file names."""
    pngs = []
    known = [w for w in COURSE_WORDS if vectors.has_index_for(w)]
    if len(known) >= COURSE_MIN:
        plot_words(vectors, run_dir / RUN_FILES["course_words"])
        pngs.append(RUN_FILES["course_words"])
    else:
        log.info(
            "no course-words PCA picture: %d of its %d words are in the vocabulary (%d needed)",
            len(known), len(COURSE_WORDS), COURSE_MIN,
        )  # fmt: skip
    if len(vectors) >= 2:
        plot_frequent_words(vectors, run_dir / RUN_FILES["frequent_words"])
        pngs.append(RUN_FILES["frequent_words"])
    if writer is not None:
        import matplotlib.image

        for name in pngs:
            image = matplotlib.image.imread(run_dir / name)[..., :3]  # [H, W, 3] in [0, 1]
            tag = f"embeddings/{Path(name).stem}"
            writer.add_image(tag, image, global_step=global_step, dataformats="HWC")
    return pngs

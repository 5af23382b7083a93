"""Word vectors out of a trained CBOW: export, evaluation and the course's PCA picture.

Word j's vector is column j of W1, row j of W2, or their average (W1ᵀ + W2) / 2: the ``source``.
A ``WordVectors`` holds the words in the vocabulary's index order, their vectors [V, N] and,
when known, their corpus counts. Querying and scoring go through gensim's ``KeyedVectors``
(``to_keyed_vectors()``) rather than being written again here.

Every file written here appears whole or not at all: it is written to a temporary name in the
same directory and renamed over the final name only once complete.

Loading a ``.ckpt`` unpickles it (as Lightning does): only load checkpoints you trust.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import logging
import math
import os
import pickle
import secrets
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from torch import nn

from .model import CBOW, SOURCES

log = logging.getLogger(__name__)

COURSE_WORDS = ("king", "queen", "lord", "man", "woman", "dog", "wolf", "rich", "happy", "sad")
FORMATS = ("word2vec", "word2vec-binary", "pt")
PathLike = str | os.PathLike


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message suggests the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class WordVectors:
    """Words, their vectors [V, N] in the vocabulary's index order, and optional counts [V].

    Args:
        words: the V words; unique, non-empty strings. Row j of ``vectors`` is ``words[j]``.
        vectors: [V, N] floating tensor or array; kept on the CPU in its own dtype.
        counts: [V] corpus counts aligned with ``words``, or None when unknown (a word2vec
            file carries none); "most frequent" then means the first rows.
        source: where the vectors came from ("W1", "W2", "average"), if known.
    """

    def __init__(
        self,
        words: Sequence[str],
        vectors: torch.Tensor | np.ndarray,
        counts: Sequence[int] | np.ndarray | None = None,
        source: str | None = None,
    ) -> None:
        vectors = torch.as_tensor(vectors).detach().cpu()
        if vectors.dim() != 2 or not vectors.is_floating_point():
            raise ValueError(
                f"vectors must be a 2-D floating [V, N] tensor, got shape {tuple(vectors.shape)} "
                f"and dtype {vectors.dtype}"
            )
        words = list(words)
        if len(words) != vectors.shape[0]:
            raise ValueError(
                f"got {len(words)} words for {vectors.shape[0]} vectors {tuple(vectors.shape)}"
            )
        if not words:
            raise ValueError("no words: a WordVectors needs at least one word")
        for i, word in enumerate(words):
            if not isinstance(word, str) or not word:
                raise ValueError(f"word {i} must be a non-empty string, got {word!r}")
        self.key_to_index = {word: i for i, word in enumerate(words)}
        if len(self.key_to_index) != len(words):
            dup = next(w for i, w in enumerate(words) if self.key_to_index[w] != i)
            raise ValueError(f"word {dup!r} appears more than once")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(words),):
                raise ValueError(f"counts must have shape ({len(words)},), got {counts.shape}")
        if source is not None and source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        self.words = words
        self.vectors = vectors.contiguous()  # [V, N]
        self.counts = counts  # [V] int64 or None
        self.source = source

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def from_model(cls, model: CBOW, vocab: Any, source: str = "average") -> WordVectors:
        """From a CBOW and its vocabulary (anything with ``index_to_key`` and ``counts``)."""
        words = list(vocab.index_to_key)
        if len(words) != model.vocab_size:
            raise ValueError(
                f"the vocabulary has {len(words)} words but the model has V = {model.vocab_size}"
            )
        counts = getattr(vocab, "counts", None)
        if isinstance(counts, dict):
            counts = [counts[w] for w in words]
        vectors = model.embeddings(source).to("cpu", copy=True)  # [V, N], not a view of W1/W2
        return cls(words, vectors, counts, source)

    @classmethod
    def from_checkpoint(cls, path: PathLike, source: str = "average") -> WordVectors:
        """From a training checkpoint, which carries the vocabulary."""
        return cls._from_checkpoint_dict(_torch_load(path), path, source)

    @classmethod
    def load(cls, path: PathLike, source: str | None = None) -> WordVectors:
        """Any of: a checkpoint, word2vec text or binary, or a ``.pt`` file from ``save()``.

        ``source`` picks W1, W2 or their average from a checkpoint (default "average"); the
        other files hold vectors already chosen, so giving ``source`` for them is an error.
        """
        kind = _sniff(path)
        if kind == "torch":
            obj = _torch_load(path)
            if isinstance(obj, dict) and "state_dict" in obj:
                return cls._from_checkpoint_dict(obj, path, source or "average")
            if isinstance(obj, dict) and "vectors" in obj and "words" in obj:
                _no_source(path, source)
                return cls._from_pt_dict(obj, path)
            raise ValueError(
                f"{path}: a torch file, but neither a cbow-torch checkpoint (state_dict) "
                "nor a vectors file ({vectors, words})"
            )
        _no_source(path, source)
        try:
            kv = KeyedVectors.load_word2vec_format(str(path), binary=kind == "word2vec-binary")
        except (ValueError, UnicodeDecodeError, EOFError, IndexError) as e:
            raise ValueError(f"{path}: not a valid {kind} file ({e})") from None
        return cls(kv.index_to_key, torch.from_numpy(kv.vectors))

    @classmethod
    def _from_checkpoint_dict(cls, ckpt: Any, path: PathLike, source: str) -> WordVectors:
        state = ckpt.get("state_dict", {}) if isinstance(ckpt, dict) else {}
        if "model.W1" not in state or "model.W2" not in state:
            raise ValueError(f"{path}: not a cbow-torch checkpoint (no model.W1/model.W2)")
        vocab = ckpt.get("vocabulary")
        if not isinstance(vocab, dict) or "words" not in vocab:
            raise ValueError(f"{path}: the checkpoint carries no vocabulary, so no words")
        W1, W2 = state["model.W1"], state["model.W2"]  # [N, V], [V, N]
        N, V = W1.shape
        if tuple(W2.shape) != (V, N) or len(vocab["words"]) != V:
            raise ValueError(
                f"{path}: inconsistent checkpoint: W1 {tuple(W1.shape)}, W2 {tuple(W2.shape)}, "
                f"{len(vocab['words'])} words"
            )
        # Borrow the model's own definition of the three sources.
        model = CBOW(V, N, dtype=W1.dtype)
        with torch.no_grad():
            model.W1.copy_(W1)
            model.W2.copy_(W2)
        return cls(vocab["words"], model.embeddings(source).clone(), vocab.get("counts"), source)

    @classmethod
    def _from_pt_dict(cls, obj: dict, path: PathLike) -> WordVectors:
        try:
            return cls(obj["words"], obj["vectors"], obj.get("counts"), obj.get("source"))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    # ---- queries ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> torch.Tensor:
        return self.vectors[self.index(word)]  # [N]

    def __repr__(self) -> str:
        V, N = self.vectors.shape
        return f"WordVectors(V={V}, N={N}, source={self.source!r}, dtype={self.vectors.dtype})"

    def index(self, word: str) -> int:
        """The row of ``word``; an UnknownWordError naming the closest words if absent."""
        try:
            return self.key_to_index[word]
        except KeyError:
            raise UnknownWordError(self.unknown_word_message(word)) from None

    def unknown_word_message(self, word: str, where: PathLike | None = None) -> str:
        """One line: the word is unknown (in ``where``), and the closest words."""
        close = [word.lower()] if word.lower() in self else []
        for query in dict.fromkeys([word, word.lower()]):  # a lower-cased vocabulary is usual
            close += difflib.get_close_matches(query, self.words, n=3, cutoff=0.6)
        close = list(dict.fromkeys(close))[:3]
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        of = f" of {where}" if where else ""
        return f"{word!r} is not in the vocabulary{of} ({len(self)} words){hint}"

    def most_frequent(self, n: int) -> list[int]:
        """Row indices of the n most frequent words (the first n rows without counts)."""
        if self.counts is None:
            return list(range(min(n, len(self))))
        return np.argsort(-self.counts, kind="stable")[:n].tolist()

    # ---- exports ------------------------------------------------------------------------

    def to_keyed_vectors(self) -> KeyedVectors:
        """A gensim ``KeyedVectors`` (float32) in the same order, with ``count`` if known."""
        kv = KeyedVectors(vector_size=self.vectors.shape[1], dtype=np.float32)
        kv.add_vectors(self.words, self.vectors.to(torch.float32).numpy())
        if self.counts is not None:
            kv.allocate_vecattrs(["count"], [np.int64])
            kv.expandos["count"][:] = self.counts
        return kv

    def to_embedding(
        self, freeze: bool = True, padding_idx: int | None = None
    ) -> tuple[nn.Embedding, dict[str, int]]:
        """``nn.Embedding.from_pretrained`` in the vocabulary's order, and word -> index."""
        emb = nn.Embedding.from_pretrained(
            self.vectors.clone(), freeze=freeze, padding_idx=padding_idx
        )
        return emb, dict(self.key_to_index)

    def save_word2vec_format(self, path: PathLike, binary: bool = False) -> None:
        """The word2vec format, text or binary, in the vocabulary's order (float32).

        ``gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary)`` loads it.
        Text keeps the shortest digits that give back the same float32 exactly.
        """
        for i, word in enumerate(self.words):
            if any(c.isspace() for c in word):
                raise ValueError(
                    f"word {i} {word!r} contains whitespace, which the word2vec format cannot "
                    "hold; save() to a .pt file instead"
                )
        vectors = self.vectors.to(torch.float32).numpy()  # [V, N]
        atomic_write(path, lambda f: _write_word2vec(f, self.words, vectors, binary))

    def save(self, path: PathLike) -> None:
        """A small torch file ``{vectors, words, counts, source}`` that ``load()`` reads."""
        obj = {
            "vectors": self.vectors,
            "words": self.words,
            "counts": None if self.counts is None else self.counts.tolist(),
            "source": self.source,
        }
        atomic_write(path, lambda f: torch.save(obj, f))

    def export(self, path: PathLike, format: str) -> None:
        """Write in one of FORMATS: "word2vec", "word2vec-binary" or "pt"."""
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
        if format == "pt":
            self.save(path)
        else:
            self.save_word2vec_format(path, binary=format == "word2vec-binary")

    def write_projector(
        self,
        log_dir_or_writer: PathLike | Any,
        top_n: int | None = 5000,
        tag: str | None = None,
        global_step: int | None = None,
    ) -> list[str]:
        """The TensorBoard projector for the ``top_n`` most frequent words (None: all).

        Takes a log directory or a ``torch.utils.tensorboard.SummaryWriter``. The labels are
        the words with tabs and newlines escaped, one metadata row per vector row. Returns them.
        """
        if top_n is not None and top_n < 1:
            raise ValueError(f"top_n must be >= 1 or None, got {top_n}")
        rows = self.most_frequent(len(self) if top_n is None else top_n)
        labels = [projector_label(self.words[i]) for i in rows]
        mat = self.vectors[rows].to(torch.float32)  # [top_n, N]
        tag = tag or f"embeddings/{self.source or 'vectors'}"
        if hasattr(log_dir_or_writer, "add_embedding"):
            log_dir_or_writer.add_embedding(mat, metadata=labels, tag=tag, global_step=global_step)
        else:
            from torch.utils.tensorboard import SummaryWriter

            with SummaryWriter(str(log_dir_or_writer)) as writer:
                writer.add_embedding(mat, metadata=labels, tag=tag, global_step=global_step)
        return labels


def projector_label(word: str) -> str:
    """A word as one metadata.tsv cell: backslash, tab, CR and newline escaped."""
    return word.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


# ---- files ------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_file(path: PathLike) -> Iterator[IO[bytes]]:
    """A binary file that appears under ``path`` only if the block completes."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], Any]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it onto ``path``."""
    with _atomic_file(path) as f:
        write(f)


def _write_word2vec(f: IO[bytes], words: list[str], vectors: np.ndarray, binary: bool) -> None:
    V, N = vectors.shape
    f.write(f"{V} {N}\n".encode())
    for word, row in zip(words, vectors, strict=True):  # row [N] float32
        if binary:
            # word2vec.c's layout: the word, a space, N little-endian float32, a newline.
            f.write(word.encode() + b" " + row.astype("<f4").tobytes() + b"\n")
        else:
            # str() of a float32 is its shortest round-tripping repr, as gensim writes it.
            f.write(f"{word} {' '.join(map(str, row))}\n".encode())


def _sniff(path: PathLike) -> str:
    """ "torch", "word2vec" or "word2vec-binary", from the file's first bytes."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a checkpoint or vectors file")
    with open(path, "rb") as f:  # FileNotFoundError names the path
        head = f.read(1 << 20)
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":  # zip (torch.save) or pickle
        return "torch"
    header, _, rest = head.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields):
        raise ValueError(
            f"{path}: not a checkpoint, .pt vectors or word2vec file (its first line is not "
            "'<vocab size> <dimension>')"
        )
    N = int(fields[1])
    line = rest.partition(b"\n")[0]
    try:
        tokens = line.decode("utf-8").split()
        if len(tokens) == N + 1:
            [float(t) for t in tokens[1:]]
            return "word2vec"
    except (UnicodeDecodeError, ValueError):
        pass
    return "word2vec-binary"


def _torch_load(path: PathLike) -> Any:
    """torch.load on the CPU; only a .ckpt (a trusted Lightning checkpoint) may hold objects."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        if path.suffix != ".ckpt":
            raise ValueError(
                f"{path}: holds Python objects beyond tensors; if it is a checkpoint you "
                "trust, give it the .ckpt suffix"
            ) from None
    except (RuntimeError, EOFError) as e:
        raise ValueError(f"{path}: unreadable torch file ({e})") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, ImportError) as e:
        raise ValueError(f"{path}: unreadable checkpoint ({type(e).__name__}: {e})") from None


def _no_source(path: PathLike, source: str | None) -> None:
    if source is not None:
        raise ValueError(
            f"{path}: holds exported vectors, so source={source!r} cannot apply; "
            "sources (W1, W2, average) come from checkpoints"
        )


# ---- evaluation -------------------------------------------------------------------------


def benchmark_paths(
    wordsim353: PathLike | None = None,
    simlex999: PathLike | None = None,
    google_analogy: PathLike | None = None,
) -> dict[str, str]:
    """The three benchmark files: the ones given, else gensim's bundled copies."""
    paths = {
        "wordsim353": wordsim353 or datapath("wordsim353.tsv"),
        "simlex999": simlex999 or datapath("simlex999.txt"),
        "google_analogy": google_analogy or datapath("questions-words.txt"),
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

    Through gensim's ``evaluate_word_pairs`` / ``evaluate_word_analogies`` (case-insensitive,
    over the first ``restrict_vocab`` words). Items with an out-of-vocabulary word are skipped;
    each score comes with its OOV ratio, the fraction (0 to 1) of items skipped. A score with
    no item left to score is NaN. Files default to gensim's bundled copies.

    Returns a flat dict of floats: ``eval/wordsim353_spearman``, ``eval/wordsim353_oov_ratio``,
    ``eval/simlex999_spearman``, ``eval/simlex999_oov_ratio``,
    ``eval/google_analogy_accuracy``, ``eval/google_analogy_oov_ratio``.
    """
    paths = benchmark_paths(wordsim353, simlex999, google_analogy)
    kv = vectors.to_keyed_vectors() if isinstance(vectors, WordVectors) else vectors
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
    total = _count_quadruplets(path)
    if total == 0:
        raise ValueError(f"{path}: no analogies ('a b c d' lines under ': section' headers)")
    _, sections = kv.evaluate_word_analogies(path, restrict_vocab=restrict_vocab)
    scored = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    accuracy = len(sections[-1]["correct"]) / scored if scored else math.nan
    scores["eval/google_analogy_accuracy"] = accuracy
    scores["eval/google_analogy_oov_ratio"] = 1 - scored / total
    return scores


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


def _count_quadruplets(path: str) -> int:
    with open(path, encoding="utf8") as f:
        return sum(1 for line in f if not line.startswith(":") and len(line.split()) == 4)


def neighbors(vectors: WordVectors, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The ``topn`` nearest words by cosine similarity (gensim's ``most_similar``)."""
    vectors.index(word)
    return vectors.to_keyed_vectors().most_similar(word, topn=topn)


def analogy(vectors: WordVectors, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
    """a : b :: c : ?, by 3CosAdd: ``most_similar(positive=[b, c], negative=[a])``."""
    for word in (a, b, c):
        vectors.index(word)
    return vectors.to_keyed_vectors().most_similar(positive=[b, c], negative=[a], topn=topn)


# ---- the course's picture ---------------------------------------------------------------


def pca(x: torch.Tensor | np.ndarray, n_components: int = 2) -> np.ndarray:
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
    present = [w for w in words if w in vectors]
    missing = [w for w in words if w not in vectors]
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
    return [vectors.words[i] for i in rows]


def _plot_pca(vectors: WordVectors, rows: list[int], path: PathLike, title: str, note) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = vectors.vectors[rows].double().numpy()  # [k, N]
    xy = pca(x)  # [k, 2]
    total = ((x - x.mean(axis=0)) ** 2).sum()
    share = (xy**2).sum(axis=0) / total if total > 0 else np.zeros(2)  # explained variance
    fig = Figure(figsize=(7, 6), dpi=100)
    FigureCanvasAgg(fig)  # Agg, whatever pyplot's backend: no display needed
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=14, color="tab:blue")
    for (x, y), i in zip(xy, rows, strict=True):
        ax.annotate(vectors.words[i], (x, y), xytext=(3, 3), textcoords="offset points")
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
    vectors: WordVectors, run_dir: PathLike, writer: Any = None, global_step: int | None = None
) -> dict[str, float]:
    """Write a run's embeddings.txt, eval.json and PCA PNGs; return the evaluation scores.

    With a ``SummaryWriter``, the PNGs are also logged as images (``embeddings/pca_…``). The
    course-words picture is skipped, with a logged note, when fewer than 2 of them are known.
    """
    run_dir = Path(run_dir)
    vectors.save_word2vec_format(run_dir / RUN_FILES["embeddings"])
    scores = evaluate(vectors)
    V, N = vectors.vectors.shape
    report = {
        "vectors": {"source": vectors.source, "vocab_size": V, "dim": N},
        "scores": {k: None if math.isnan(v) else v for k, v in scores.items()},
        "datasets": benchmark_paths(),
    }
    payload = (json.dumps(report, indent=2) + "\n").encode()
    atomic_write(run_dir / RUN_FILES["eval"], lambda f: f.write(payload))
    pngs = []
    try:
        missing = plot_words(vectors, run_dir / RUN_FILES["course_words"])
        pngs.append(RUN_FILES["course_words"])
        if missing:
            log.info("PCA picture: not in the vocabulary: %s", ", ".join(missing))
    except ValueError as e:
        log.warning("skipping the course-words PCA picture: %s", e)
    if len(vectors) >= 2:
        plot_frequent_words(vectors, run_dir / RUN_FILES["frequent_words"])
        pngs.append(RUN_FILES["frequent_words"])
    if writer is not None:
        import matplotlib.image

        for name in pngs:
            image = matplotlib.image.imread(run_dir / name)[..., :3]  # [H, W, 3] in [0, 1]
            tag = f"embeddings/{Path(name).stem}"
            writer.add_image(tag, image, global_step=global_step, dataformats="HWC")
    return scores

"""The word2vec formats, text and binary, read and written with numpy over the whole file.

gensim reads and writes them a line (a word) at a time in Python: seconds for a 41k x 100
file. Here the text is parsed by ``numpy.fromstring`` in one call and written by
``float_text.float32_text``, with the same result as gensim's: the same float32 values bit for
bit on reading (each number read as a float64, then rounded to float32, as gensim does), the
same bytes on writing. A file this fast path does not take as it is (a blank or ragged line, a
repeated word, bytes that are not UTF-8, text past the last vector) is left to gensim's reader,
whose error ``word2vec_fault`` turns into one line naming the first bad line.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_file, atomic_write
from .float_text import float32_text

PathLike = str | os.PathLike
# Values formatted at a time: the text and its working arrays stay near 20 MB for any V.
BLOCK_VALUES = 1 << 19


def read_word2vec(path: PathLike, binary: bool) -> tuple[list[str], np.ndarray] | None:
    """The words and float32 vectors [V, N] of a well-formed word2vec file, as gensim's
    ``load_word2vec_format`` reads them; None if the file is not in the plain layout."""
    data = Path(path).read_bytes()
    header, _, body = data.partition(b"\n")
    try:
        V, N = (int(x) for x in header.split())
    except ValueError:
        return None
    if V < 1 or N < 1:
        return None
    found = _read_binary(body, V, N) if binary else _read_text(body, V, N)
    if found is None or len(set(found[0])) != V:
        return None  # gensim keeps the first of a repeated word, with a warning
    return found


def _read_text(body: bytes, V: int, N: int) -> tuple[list[str], np.ndarray] | None:
    lines = body.split(b"\n", V)
    if len(lines) < V or (len(lines) > V and lines[V].strip()):
        return None  # cut short, or more lines than the header says
    words, numbers = [], []
    for line in lines[:V]:
        word, _, rest = line.rstrip().partition(b" ")
        if not word or rest.count(b" ") != N - 1 or b"  " in rest or not rest:
            return None
        words.append(word)
        numbers.append(rest)
    with warnings.catch_warnings():  # a bad number: numpy warns and stops short
        warnings.simplefilter("ignore")
        values = np.fromstring(b" ".join(numbers), dtype=np.float64, sep=" ")  # [V·N]
    if values.size != V * N:
        return None
    try:
        keys = [w.decode("utf-8") for w in words]
    except UnicodeDecodeError:
        return None
    return keys, values.astype(np.float32).reshape(V, N)  # [V, N], float64 then float32


def _read_binary(body: bytes, V: int, N: int) -> tuple[list[str], np.ndarray] | None:
    size = 4 * N  # float32 bytes a vector
    vectors = np.empty((V, N), np.float32)  # [V, N]
    words, pos = [], 0
    for i in range(V):
        space = body.find(b" ", pos)
        if space < 0 or space + 1 + size > len(body):
            return None
        word = body[pos:space].lstrip(b"\n")  # word2vec's C tool puts "\n" after each vector
        if not word:
            return None
        words.append(word)
        vectors[i] = np.frombuffer(body, np.float32, N, space + 1)
        pos = space + 1 + size
    if body[pos:].strip():
        return None
    try:
        return [w.decode("utf-8") for w in words], vectors
    except UnicodeDecodeError:
        return None


def save_word2vec(
    kv: Any,
    fname: PathLike,
    fvocab: PathLike | None = None,
    binary: bool = False,
    total_vec: int | None = None,
    write_header: bool = True,
    prefix: str = "",
    append: bool = False,
    sort_attr: str | None = "count",
) -> None:
    """gensim's ``KeyedVectors.save_word2vec_format`` for ``kv``, fast and whole (files
    atomically written): rows by descending ``sort_attr`` as gensim orders them (index order if
    None or absent), ``fvocab`` with that attribute, the vectors as float32."""
    check_words(kv.index_to_key, "the word2vec format")
    order = np.arange(len(kv.index_to_key))  # [V]
    if sort_attr is not None and sort_attr in kv.expandos:
        order = np.argsort(-kv.expandos[sort_attr], kind="stable")  # [V], gensim's stable sort
    elif fvocab is not None:
        raise ValueError(f"cannot store a vocabulary with {sort_attr!r}: no such attribute")
    words = [kv.index_to_key[i] for i in order.tolist()]
    if fvocab is not None:
        counts = kv.expandos[sort_attr][order].tolist()
        lines = "".join(f"{prefix}{w} {c}\n" for w, c in zip(words, counts, strict=True))
        atomic_write(fvocab, lambda f: f.write(lines.encode("utf-8")))
    write_word2vec(
        fname,
        words,
        kv.vectors[order],
        binary=binary,
        header=write_header,
        prefix=prefix,
        total=total_vec,
        append=append,
    )


def write_word2vec(
    path: PathLike,
    words: Sequence[str],
    vectors: np.ndarray,
    *,
    binary: bool = False,
    header: bool = True,
    prefix: str = "",
    total: int | None = None,
    append: bool = False,
) -> None:
    """Write word2vec text or binary, as gensim's ``save_word2vec_format`` writes it (the same
    bytes): ``"V N"`` (``total`` for V if given), then each word with its vector as float32,
    in text the shortest digits that read back to it. The file appears whole or not at all;
    ``append`` adds to an existing file, as a whole too."""
    vectors = np.asarray(vectors, dtype=np.float32)  # [V, N]
    if len(words) != len(vectors):
        raise ValueError(f"{len(words)} words for {len(vectors)} vectors")
    first = f"{len(words) if total is None else total} {vectors.shape[1]}\n".encode()
    block = max(1, BLOCK_VALUES // max(vectors.shape[1], 1))  # rows formatted at a time
    with atomic_file(path) as f:
        if append and os.path.exists(path):
            with open(path, "rb") as old:
                f.write(old.read())
        if header:
            f.write(first)
        for lo in range(0, len(vectors), block):
            part = vectors[lo : lo + block]  # [b, N]
            if binary:
                rows: Iterable[Any] = [v.tobytes() for v in part]  # N float32s each
            else:
                text, bounds = float32_text(part)  # "v1 … vN\n" each, in one buffer
                whole = memoryview(text.tobytes())  # its slices join faster than the array's
                rows = (whole[i:j] for i, j in pairwise(bounds))  # slices, not copies
            heads = [f"{prefix}{w} ".encode() for w in words[lo : lo + block]]
            f.write(b"".join(chain.from_iterable(zip(heads, rows, strict=True))))


def check_words(words: Sequence[object], what: str) -> None:
    """A one-line ValueError unless every word is a string without whitespace, as ``what``
    (a file format) needs."""
    if not all(isinstance(w, str) for w in words):
        raise ValueError(f"{what} holds string keys only; these vectors have other keys")
    if len(" ".join(words).split()) != len(words):  # type: ignore[arg-type]
        i, word = next((i, w) for i, w in enumerate(words) if len(w.split()) != 1)  # type: ignore[union-attr]
        raise ValueError(
            f"word {i} {word!r} contains whitespace, which {what} cannot hold; "
            "save_torch() to a .pt file instead"
        )


def word2vec_fault(path: PathLike, kind: str, error: Exception) -> str:
    """What gensim's error means: for text, the first line that is wrong, found again."""
    if kind == "word2vec":
        with open(path, "rb") as f:
            header = f.readline()
            V, N = map(int, header.split())  # sniff checked the header
            n = 0
            for n, raw in enumerate(f, 1):
                fields = raw.split()
                if n == 1 and len(fields) - 1 != N and raw.endswith(b"\n"):
                    return (
                        f"its header {header.decode().strip()!r} says {N} numbers a vector, "
                        f"but line 2 holds {len(fields) - 1}: the header is wrong"
                    )
                if len(fields) - 1 != N:
                    cut = "" if raw.endswith(b"\n") else ": the file ends mid-line, cut short"
                    return f"line {n + 1} holds {len(fields) - 1} numbers, not {N}{cut}"
                try:
                    [float(x) for x in fields[1:]]
                except ValueError as e:
                    return f"line {n + 1}: {e}"
                if n == V:
                    break
            if n < V:
                return (
                    f"{n} vectors where its header says {V}: the file is cut short, or its "
                    "header is wrong"
                )
    if isinstance(error, EOFError):
        return (
            "it ends before the vectors its header promises: the file is cut short, or its "
            "header is wrong"
        )
    return " ".join(str(error).split()) or type(error).__name__


def word2vec_surplus(path: PathLike, kind: str, words: list[str], N: int) -> str | None:
    """What lies past the ``len(words)`` vectors that gensim read as the header told it (it
    stops there, silently): None, or a one-line reason to refuse the file."""
    V = len(words)
    if kind == "word2vec":
        with open(path, "rb") as f:
            held = sum(1 for line in f if line.strip()) - 1  # after the header
        if held > V:
            return (
                f"its header says {V} vectors but it holds {held} lines of them: fix the "
                "header's first number"
            )
        return None
    with open(path, "rb") as f:
        start = len(f.readline())
    # Each record: the word, a space, N float32s; word2vec's C tool adds a newline after each.
    need = start + sum(len(w.encode("utf-8")) + 1 for w in words) + 4 * N * V
    extra = os.path.getsize(path) - need
    if extra > V + 1:
        return (
            f"its header says {V} vectors of {N} but {extra:,} more bytes follow them: the "
            "header is wrong"
        )
    return None

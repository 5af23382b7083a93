"""Google's analogies scored as gensim's ``evaluate_word_analogies`` scores them, in bulk.

gensim answers each question ``a : b :: c : ?`` with its own ``most_similar`` call: a product of
the whole [V, N] matrix with one vector, a few milliseconds each, so that a vocabulary holding
most of the 19,544 questions takes a minute or more. Here gensim's rules are kept: the first
``restrict_vocab`` words, compared upper-cased (the first of a word's case variants gives its
vector), 3CosAdd on unit vectors (the answer is the word with the largest cosine with the
target b + c − a), the question words and their case variants no answer, and an answer right
when it is the expected word in any case.

The answers come in two passes. The first takes each question word's cosines with every word
(matrix products of blocks of consecutive questions, whose distinct words' cosines fit in
COSINE_BYTES: 576 distinct question words against a 43k vocabulary for 8,781 questions would
be 99 MB at once) and finds each question's best and second-best word by (b·w + c·w) − a·w, the
target's cosine times its length, in a numba loop over the questions on numba's threads. Where
the best leads by more than the two ways of rounding can bridge (``margin_bound``), it is the
direct product's answer too. The others (a few dozen of 8,781 on trained vectors; all of them
where numba is not loaded already, as in the vector tools, or with a value that is not finite)
go through the direct product: their normalised targets against the matrix, 256 a product
(fewer where their cosines would pass COSINE_BYTES).

Two things differ from gensim, both in ties: floating-point rounding (matrix products against
gensim's vector products) can swap two answers whose cosines agree to about 1e-6; and gensim,
which looks at its five best answers only, counts a question wrong in the rare case that all
five are case variants of the question words. A zero vector has a cosine of 0 with everything
(gensim's is NaN).
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np

BLOCK = 256  # questions a matrix product, at most
COSINE_BYTES = 32 << 20  # the cosines [rows, R] of either pass at a time, at most


@dataclass
class Analogies:
    """The questions of an analogy file: how many, and which were scored and answered right."""

    total: int  # the questions in the file (4 words on a line under a section header)
    correct: int  # scored and answered right
    scored: int  # with all four words among the first restrict_vocab words

    @property
    def accuracy(self) -> float:
        """The share of the scored questions answered right; NaN when none was scored."""
        return self.correct / self.scored if self.scored else float("nan")

    @property
    def oov_ratio(self) -> float:
        """The share (0 to 1) of the questions skipped for a word outside the vocabulary."""
        return 1 - self.scored / self.total if self.total else 1.0


def read_questions(path: str | os.PathLike) -> list[tuple[str, str, str, str]]:
    """The questions of an analogy file, upper-cased; a question before any ``: section`` header
    is a ValueError, as in gensim."""
    questions = []
    section = False
    with open(path, encoding="utf8") as f:  # the lines as iterating over f gives them
        lines = f.read().upper().split("\n")
    for number, line in enumerate(lines):
        if line.startswith(": "):
            section = True
            continue
        words = line.split()
        if len(words) != 4:
            continue  # gensim skips a line that is not four words
        if not section:
            raise ValueError(f"{path}: line {number + 1} comes before any ': section' header")
        questions.append(tuple(words))
    return questions


def score_analogies(
    words: list[str], vectors: np.ndarray, path: str | os.PathLike, restrict_vocab: int = 300_000
) -> Analogies:
    """Score ``words`` and their ``vectors`` [V, N] on the analogy file at ``path`` (above)."""
    questions = read_questions(path)
    upper = [w.upper() for w in words[:restrict_vocab]]
    rows = dict(zip(reversed(upper), range(len(upper) - 1, -1, -1), strict=True))  # 1st variant
    asked = [q for q in questions if all(w in rows for w in q)]  # as gensim's ok_vocab
    if not asked:
        return Analogies(len(questions), 0, 0)
    ids = np.array([[rows[w] for w in q] for q in asked])  # [q, 4]: a, b, c, expected
    table = np.asarray(vectors[: len(upper)], dtype=np.float32)  # [R, N]
    norms = np.linalg.norm(table, axis=1, keepdims=True)  # [R, 1]
    unit = table / np.where(norms > 0, norms, 1)  # [R, N]; a zero vector stays zero
    variants: dict[str, list[int]] = {}  # an upper-cased word's rows, where it has several
    if len(rows) < len(upper):
        for i, word in enumerate(upper):
            variants.setdefault(word, []).append(i)
        variants = {w: at for w, at in variants.items() if len(at) > 1}
    barred = ids[:, :3].tolist()  # each question's words and their case variants: no answer
    if variants:
        barred = [
            [*ids[i, :3], *(r for w in q[:3] for r in variants.get(w, ()))]
            for i, q in enumerate(asked)
        ]
    best, sure = first_pass(unit, ids, barred)  # [q], [q]
    unsure = np.flatnonzero(~sure)  # [n], through the direct product
    block = min(BLOCK, cosine_rows(len(unit)))  # questions a product
    for lo in range(0, len(unsure), block):
        part = unsure[lo : lo + block]  # [b]
        best[part] = direct_answers(unit, ids[part], [barred[i] for i in part])
    correct = sum(upper[i] == q[3] for i, q in zip(best.tolist(), asked, strict=True))
    return Analogies(len(questions), correct, len(asked))


def direct_answers(unit: np.ndarray, ids: np.ndarray, barred: list[list[int]]) -> np.ndarray:
    """The best answers of the questions ``ids`` [b, 4], their target's cosines with every word
    in one matrix product, the ``barred`` words of each left out."""
    b = np.arange(len(ids))  # [b]
    target = unit[ids[:, 1]] + unit[ids[:, 2]] - unit[ids[:, 0]]  # [b, N]
    length = np.linalg.norm(target, axis=1, keepdims=True)  # [b, 1]
    target /= np.where(length > 0, length, 1)  # [b, N]
    sims = target @ unit.T  # [b, R], the cosines
    for row, cols in zip(b, barred, strict=True):
        sims[row, cols] = -np.inf
    return sims.argmax(axis=1)  # [b]


def first_pass(
    unit: np.ndarray, ids: np.ndarray, barred: list[list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Each question's best answer [q] from the question words' cosines, and whether it is
    surely the direct product's [q] (all False without numba, or with a value not finite)."""
    q = len(ids)
    best, sure = np.zeros(q, np.int64), np.zeros(q, bool)  # [q], [q]
    kernel = _kernel()
    if kernel is None or not np.isfinite(unit).all():
        return best, sure
    local = np.empty((q, 3), np.int64)  # [q, 3], each question word's row in its block
    bar_at = np.cumsum([0, *map(len, barred)])  # [q + 1]
    bar = np.fromiter(chain.from_iterable(barred), np.int64, bar_at[-1])  # [bars]
    margin = np.zeros(q)  # [q], the best sum less the second best
    threads = max(1, min(_threads(), q))
    with ThreadPoolExecutor(threads) as pool:  # the loop holds no GIL
        for start, stop in word_blocks(ids, max(3, cosine_rows(len(unit)))):
            used, inverse = np.unique(ids[start:stop, :3], return_inverse=True)  # [U], [b·3]
            local[start:stop] = inverse.reshape(-1, 3)  # [b, 3]
            cosines = unit[used] @ unit.T  # [U, R], each question word's cosine with every word
            parts = np.linspace(start, stop, threads + 1).astype(np.int64)  # [threads + 1]
            work = [(cosines, local, bar_at, bar, best, margin, a, b) for a, b in pairwise(parts)]
            list(pool.map(lambda args: kernel(*args), work))
            del cosines, work  # before the next block's
    target = unit[ids[:, 1]].astype(np.float64) + unit[ids[:, 2]] - unit[ids[:, 0]]  # [q, N]
    length = np.linalg.norm(target, axis=1)  # [q], the sums' scale: the cosines are sums / it
    with np.errstate(divide="ignore", invalid="ignore"):
        sure = margin > 2 * margin_bound(unit.shape[1], length)  # [q]; a zero length: unsure
    return best, sure


def cosine_rows(R: int) -> int:
    """How many rows of float32 cosines with R words fit in COSINE_BYTES (at least 1)."""
    return max(1, COSINE_BYTES // (4 * max(R, 1)))


def word_blocks(ids: np.ndarray, words: int) -> list[tuple[int, int]]:
    """Runs start…stop − 1 of the questions ``ids`` [q, 4], in order, whose first three columns
    hold at most ``words`` distinct words (a question alone may hold 3)."""
    blocks, start, seen = [], 0, set()
    for i, row in enumerate(ids[:, :3].tolist()):
        new = seen.union(row)
        if len(new) > words and i > start:
            blocks.append((start, i))
            start, new = i, set(row)
        seen = new
    return [*blocks, (start, len(ids))] if len(ids) else blocks


def margin_bound(n: int, length: np.ndarray) -> np.ndarray:
    """How far apart the two ways' cosines of one word with a question's target can be, for
    targets of ``length`` [q] (the unnormalised sum's) in ``n`` dimensions: a best answer ahead
    of the second by more than twice this is the best of both.

    With u = 2⁻²⁴ and γ = n·u/(1 − n·u), the bound of any float32 dot product of vectors of
    norm ≤ 1: the first pass's (b·w + c·w) − a·w errs by at most 3γ + 6u before the division by
    ``length``; the direct product's target b + c − a errs by 6u (norm) before it is
    normalised (γ + 2u relative), and its dot product by γ: 2γ + 2u + 12u/length in all. A
    quarter more for norms that round above 1.
    """
    u = 2.0**-24
    gamma = n * u / (1 - n * u)
    return 1.25 * ((3 * gamma + 18 * u) / length + 2 * gamma + 2 * u)  # [q]


def _threads() -> int:
    return max(1, sys.modules["numba"].get_num_threads())  # the run's own count


_compiled: list = []


def _kernel():
    """``_best_two`` compiled by numba on the first call (its disk cache after), where numba is
    loaded already (a fit's fused engine, a word2vec text file written); None elsewhere: the
    vector tools start without numba, and take the direct product."""
    if sys.modules.get("numba") is None:
        return None
    if not _compiled:
        from numba import njit  # waits for an import in progress on another thread

        _compiled.append(njit(nogil=True, cache=True)(_best_two))
    return _compiled[0]


def _best_two(cosines, local, bar_at, bar, best, margin, start, stop):
    """Questions start…stop − 1: the best answer by (b·w + c·w) − a·w over the words w not
    barred, and its margin over the second best."""
    for q in range(start, stop):
        ca, cb, cc = cosines[local[q, 0]], cosines[local[q, 1]], cosines[local[q, 2]]
        top, second, at = -np.inf, -np.inf, -1
        for w in range(cosines.shape[1]):
            s = (cb[w] + cc[w]) - ca[w]
            if s > second:  # rare after the first few words: the bars checked only here
                j = bar_at[q]
                while j < bar_at[q + 1] and bar[j] != w:
                    j += 1
                if j < bar_at[q + 1]:
                    continue  # barred
                if s > top:
                    top, second, at = s, top, w
                else:
                    second = s
        best[q], margin[q] = at, top - second

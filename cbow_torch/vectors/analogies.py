"""Google's analogies scored as gensim's ``evaluate_word_analogies`` scores them, in batches.

gensim answers each question ``a : b :: c : ?`` with its own ``most_similar`` call: a product of
the whole [V, N] matrix with one vector, a few milliseconds each, so that a vocabulary holding
most of the 19,544 questions takes a minute or more. Here the questions go through the matrix
256 at a time (one matrix product each), with gensim's rules kept: the first ``restrict_vocab``
words, compared upper-cased (the first of a word's case variants gives its vector), 3CosAdd on
unit vectors, the question words and their case variants no answer, and an answer right when
it is the expected word in any case. Two things differ, both in ties: floating-point rounding
(a matrix product against gensim's vector products) can swap two answers whose cosines agree
to about 1e-7; and gensim, which looks at its five best answers only, counts a question wrong
in the rare case that all five are case variants of the question words. A zero vector has a
cosine of 0 with everything (gensim's is NaN).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

BLOCK = 256  # questions a matrix product


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
    with open(path, encoding="utf8") as f:
        for number, line in enumerate(f):
            if line.startswith(": "):
                section = True
                continue
            words = line.upper().split()
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
    known = words[:restrict_vocab]
    rows: dict[str, int] = {}
    for i, word in enumerate(known):
        rows.setdefault(word.upper(), i)  # the first case variant, as gensim's ok_vocab
    asked = [q for q in questions if all(w in rows for w in q)]
    if not asked:
        return Analogies(len(questions), 0, 0)
    ids = np.array([[rows[w] for w in q] for q in asked])  # [q, 4]: a, b, c, expected
    table = np.asarray(vectors[: len(known)], dtype=np.float32)  # [R, N]
    norms = np.linalg.norm(table, axis=1, keepdims=True)  # [R, 1]
    unit = table / np.where(norms > 0, norms, 1)  # [R, N]; a zero vector stays zero
    upper = [w.upper() for w in known]
    variants: dict[str, list[int]] = {}  # an upper-cased word's rows, where it has several
    for i, word in enumerate(upper):
        variants.setdefault(word, []).append(i)
    variants = {w: rows for w, rows in variants.items() if len(rows) > 1}
    correct = 0
    for lo in range(0, len(asked), BLOCK):
        block = ids[lo : lo + BLOCK]  # [b, 4]
        b = np.arange(len(block))  # [b]
        target = unit[block[:, 1]] + unit[block[:, 2]] - unit[block[:, 0]]  # [b, N]
        length = np.linalg.norm(target, axis=1, keepdims=True)  # [b, 1]
        target /= np.where(length > 0, length, 1)  # [b, N]
        sims = target @ unit.T  # [b, R], the cosines
        sims[b[:, None], block[:, :3]] = -np.inf  # the question words are no answer …
        for row, question in enumerate(asked[lo : lo + BLOCK]):
            for word in question[:3]:
                sims[row, variants.get(word, [])] = -np.inf  # … nor their case variants
        best = sims.argmax(axis=1).tolist()  # [b]
        correct += sum(upper[i] == q[3] for i, q in zip(best, asked[lo : lo + BLOCK], strict=True))
    return Analogies(len(questions), correct, len(asked))
